package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

// liveOptions are the flags of the live command.
type liveOptions struct {
	iface      string
	filter     string
	write      string
	count      int
	duration   time.Duration
	format     string
	noPromisc  bool
	bufferSize int
}

func newLiveCmd(o *options) *cobra.Command {
	lo := &liveOptions{}
	cmd := &cobra.Command{
		Use:   "live [-i INTERFACE] [-f FILTER] [-w FILE]",
		Short: "Capture MSNP traffic from a network interface and annotate it as it happens",
		Long: `live sniffs an interface (Linux, no libpcap needed) and prints each MSNP
message as soon as it is complete: the annotated transcript, or with
--format json one JSON object per line, flushed at once. A BPF program in the
kernel passes only TCP to or from the --port ports (and what -f allows), so
other traffic costs nothing.

Capture stops at Ctrl-C or SIGTERM, after -c messages or after --duration; open
connections are then closed off and the contact lists, sessions and capture
statistics (packets seen, kernel drops) are printed.

Capturing needs the CAP_NET_RAW capability: run as root, or grant it to the
binary once with: sudo setcap cap_net_raw+ep $(command -v msnsniff)

-f takes a subset of tcpdump's filter language: [src|dst] host ADDR|NAME,
[src|dst] net CIDR, [src|dst] port N, [src|dst] portrange N-M, ip, ip6, tcp,
combined with and/&&, or/||, not/! and parentheses.`,
		Example: `  sudo msnsniff live -i eth0
  sudo msnsniff live -i any --port 1863 --port 7001 --format json | jq 'select(.cmd=="LST")'
  sudo msnsniff live -i wg0 -f 'host 10.0.0.5 and not port 80' -w msnp.pcap
  sudo msnsniff live -i lo -c 100 --duration 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLive(cmd, o, lo)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&lo.iface, "interface", "i", capture.AnyInterface, `interface to capture on ("any": every interface; see msnsniff interfaces)`)
	f.StringVarP(&lo.filter, "filter", "f", "", "capture filter expression (host/net/port/portrange, and/or/not), ANDed with the MSNP ports")
	f.StringVarP(&lo.write, "write", "w", "", "also write the captured packets to this pcap file")
	f.IntVarP(&lo.count, "count", "c", 0, "stop after this many MSNP messages (0: no limit)")
	f.DurationVar(&lo.duration, "duration", 0, "stop after this long, e.g. 30s or 5m (0: no limit)")
	f.StringVar(&lo.format, "format", "text", "output format: text or json (one JSON object per line)")
	f.BoolVarP(&lo.noPromisc, "no-promiscuous", "p", false, "do not put the interface into promiscuous mode")
	f.IntVar(&lo.bufferSize, "buffer-size", capture.DefaultLiveBuffer, "kernel socket buffer in bytes: what may queue up before packets are dropped")
	return cmd
}

// captureError is a live capture that could not start or failed: like an
// unreadable input file, it ends the run with exit status 2.
type captureError struct{ err error }

func (e *captureError) Error() string { return e.err.Error() }

// Unwrap exposes the cause, and an inputError so that run maps the error
// to exitInput.
func (e *captureError) Unwrap() []error { return []error{e.err, &inputError{n: 1}} }

// newCaptureError adds what the user can do about err.
func newCaptureError(err error) error {
	switch {
	case errors.Is(err, capture.ErrNoPermission):
		exe, xerr := os.Executable()
		if xerr != nil {
			exe = "/path/to/msnsniff"
		}
		err = fmt.Errorf("%w; run msnsniff as root, or allow this binary to capture once with: sudo setcap cap_net_raw+ep %s", err, exe)
	case errors.Is(err, capture.ErrNoSuchInterface):
		err = fmt.Errorf("%w; msnsniff interfaces lists them with their state", err)
	}
	return &captureError{err: err}
}

// liveSink passes events on, counting the MSNP messages and keeping what
// the summary shows when capture stops: each connection's record and
// contact list, taken from the event that closes it.
type liveSink struct {
	dissect.Sink
	messages int
	lists    []*dissect.ContactList
	conns    []report.ConnRecord
}

func (s *liveSink) Event(ev *dissect.Event) {
	switch ev.Kind {
	case dissect.KindMessage:
		s.messages++
	case dissect.KindSummary:
		s.conns = append(s.conns, report.NewConnRecord(ev))
		if ev.Summary.ContactList != nil {
			s.lists = append(s.lists, ev.Summary.ContactList)
		}
	}
	s.Sink.Event(ev)
}

// stopReason records why the capture stopped; the first reason wins.
type stopReason struct {
	mu  sync.Mutex
	why string
}

func (s *stopReason) set(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.why == "" {
		s.why = why
	}
}

func (s *stopReason) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.why
}

// runLive is the live command.
func runLive(cmd *cobra.Command, o *options, lo *liveOptions) error {
	// Usage errors first, so that they show without any privilege.
	// No table: a table is laid out once all rows are known, and live
	// output is shown as it happens.
	if err := checkFormat(lo.format, "text", "json"); err != nil {
		return err
	}
	if lo.iface == "" {
		return errors.New("-i: no interface given (see msnsniff interfaces)")
	}
	if lo.count < 0 {
		return fmt.Errorf("-c %d: want a number of messages, or 0 for no limit", lo.count)
	}
	if lo.duration < 0 {
		return fmt.Errorf("--duration %v: want a positive duration, or 0 for no limit", lo.duration)
	}
	if lo.bufferSize < 0 {
		return fmt.Errorf("--buffer-size %d: want a size in bytes", lo.bufferSize)
	}
	if lo.write == "-" {
		return errors.New("-w -: standard output carries the transcript; give a file name")
	}
	expr, err := capture.ParseFilter(lo.filter)
	if err != nil {
		return fmt.Errorf("-f: %w", err)
	}
	asmCfg, err := o.assembly()
	if err != nil {
		return err
	}

	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var (
		sink      dissect.Sink
		flush     func() error
		perPacket func() error // makes the packet's lines visible now
		onProblem func(problem)
	)
	switch lo.format {
	case "text":
		// The transcript buffers; flushing after every packet shows each
		// message as soon as the packet completing it has been read.
		t := report.NewTranscript(out)
		t.Color = o.colorFor(out)
		o.keepPayloads = true
		sink, flush, perPacket = t, t.Flush, t.Flush
		onProblem = func(p problem) { t.Problem(p.Msg) }
	case "json":
		// Flushed per record, so that "| jq" sees records as they happen.
		j := report.NewJSONStream(out, true)
		sink, flush, perPacket = j, j.Flush, func() error { return nil }
		onProblem = func(p problem) {
			if p.Limit != "" {
				j.Limit(p.Limit, p.Count, p.Conn, p.When)
				return
			}
			j.Problem(p.File, p.Offset, p.Frame, p.Msg, p.Fatal)
		}
	}
	summary := &liveSink{Sink: sink}
	// The summary prints the contact lists.
	o.contactRecords = true
	p, err := newPipeline(o, summary, stderr)
	if err != nil {
		return err
	}
	p.problems = onProblem

	live, err := capture.OpenLive(capture.LiveConfig{
		Interface: lo.iface, Ports: asmCfg.Ports, Filter: expr,
		Promiscuous: !lo.noPromisc, BufferSize: lo.bufferSize,
	})
	if err != nil {
		return newCaptureError(err)
	}
	defer live.Close()

	var pcap *capture.PcapWriter
	var writeErr error
	if lo.write != "" {
		file, err := os.Create(lo.write)
		if err != nil {
			return fmt.Errorf("-w: %w", err)
		}
		defer file.Close()
		if pcap, err = capture.NewPcapWriter(file, live.LinkType(), capture.DefaultSnaplen); err != nil {
			return fmt.Errorf("-w %s: %w", lo.write, err)
		}
		live.OnFrame = func(f capture.LiveFrame) {
			if writeErr == nil {
				writeErr = pcap.WriteFrame(f)
			}
		}
	}
	var warningsDone func()
	live.OnWarning, warningsDone = p.warnings(lo.iface, func(w capture.Warning) string {
		return fmt.Sprintf("%s: frame %d: %s", w.File, w.Frame, w.Msg)
	})

	// A signal or the end of --duration stops the capture from this
	// goroutine: what the kernel queued before that is still analysed,
	// then Next returns io.EOF.
	var reason stopReason
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		var deadline <-chan time.Time
		if lo.duration > 0 {
			t := time.NewTimer(lo.duration)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case s := <-signals:
			reason.set(map[os.Signal]string{os.Interrupt: "interrupt", syscall.SIGTERM: "terminate"}[s])
			// A second Ctrl-C kills at once, should stopping hang.
			signal.Stop(signals)
		case <-deadline:
			reason.set("duration")
		case <-finished:
			return
		}
		if err := live.Stop(); err != nil {
			// Stopping at once, without draining, is the fallback.
			fmt.Fprintf(stderr, "msnsniff: warning: %v\n", err)
			live.Close()
		}
	}()

	// Only now, with the signals caught, is the capture announced.
	what := "TCP port " + joinPorts(asmCfg.Ports)
	if expr != nil {
		what += " and (" + expr.String() + ")"
	}
	fmt.Fprintf(stderr, "msnsniff: listening on %s (%s), capturing %s; Ctrl-C to stop\n", lo.iface, live.LinkType(), what)

	start := time.Now()
	var outErr error
	stopWatch := p.watchHeap()
	_, capErr := p.feed(live, func() bool {
		if outErr = perPacket(); outErr != nil || writeErr != nil {
			return false
		}
		if lo.count > 0 && summary.messages >= lo.count {
			reason.set("count")
			return false
		}
		return true
	})
	stopped := time.Now()
	live.Close()
	switch {
	case capErr != nil:
		reason.set("error")
		p.report(problem{File: lo.iface, Msg: capErr.Error(), Fatal: true})
	case outErr != nil || writeErr != nil:
		reason.set("error")
	}
	p.asm.Flush(stopped.UTC())
	stopWatch()
	warningsDone()
	p.reportLimits()
	if err := flush(); err != nil && outErr == nil {
		outErr = err
	}
	if outErr != nil {
		return fmt.Errorf("writing output: %w", outErr)
	}

	sortByConn(summary.lists, func(l *dissect.ContactList) string { return l.Conn })
	sortByConn(summary.conns, func(r report.ConnRecord) string { return r.Conn })
	sum := liveSummary{
		iface: lo.iface, link: live.LinkType(), ports: asmCfg.Ports, expr: expr,
		start: start, stop: stopped, reason: reason.get(), stats: live.Stats(),
		messages: summary.messages, conns: p.asm.Stats().Conns,
		lists: summary.lists, connRecs: summary.conns, write: lo.write,
	}
	if pcap != nil {
		sum.written = pcap.Frames()
	}
	if lo.format == "json" {
		err = sum.writeJSON(out)
	} else {
		err = sum.writeText(out)
	}
	if err != nil {
		return fmt.Errorf("writing the summary: %w", err)
	}
	if writeErr != nil {
		return fmt.Errorf("-w %s: %w", lo.write, writeErr)
	}
	if capErr != nil {
		return newCaptureError(capErr)
	}
	return nil
}

// joinPorts lists ports for people: "1863" or "1863, 7001".
func joinPorts(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ", ")
}

// liveSummary is what is printed when a live capture stops.
type liveSummary struct {
	iface       string
	link        capture.LinkType
	ports       []uint16
	expr        *capture.Filter
	start, stop time.Time
	reason      string
	stats       capture.LiveStats
	messages    int
	conns       int
	lists       []*dissect.ContactList
	connRecs    []report.ConnRecord
	write       string
	written     int
}

// plural returns "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// writeText prints the contact tables, the sessions table (as msnsniff
// contacts and sessions do) and the capture statistics after the
// transcript.
func (s *liveSummary) writeText(w io.Writer) error {
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	if err := report.WriteContactsTable(w, s.lists); err != nil {
		return err
	}
	if len(s.connRecs) > 0 {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		if err := report.WriteSessionsTable(w, s.connRecs); err != nil {
			return err
		}
	}
	var b strings.Builder
	b.WriteString("\n")
	why := map[string]string{
		"interrupt": "interrupted", "terminate": "terminated (SIGTERM)", "count": "message count reached",
		"duration": "duration reached", "error": "error",
	}[s.reason]
	if why == "" {
		why = s.reason
	}
	fmt.Fprintf(&b, "# capture on %s stopped (%s) after %s\n", s.iface, why, s.stop.Sub(s.start).Round(time.Millisecond))
	fmt.Fprintf(&b, "#   kernel: %s passed the filter, %d dropped\n", plural(int(s.stats.Received), "packet"), s.stats.Dropped)
	fmt.Fprintf(&b, "#   decoded: %s, %s, %s, %s\n", plural(s.stats.Frames, "frame"), plural(s.stats.Segments, "TCP segment"),
		plural(s.messages, "MSNP message"), plural(s.conns, "connection"))
	if s.write != "" {
		fmt.Fprintf(&b, "#   written: %s to %s\n", plural(s.written, "frame"), s.write)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// liveContacts is the NDJSON record of one rebuilt contact list: the
// fields of contacts --format json, with a type and the time of the stop.
type liveContacts struct {
	Type string `json:"type"`
	TS   string `json:"ts"`
	*dissect.ContactList
}

// liveSession is the NDJSON record of one session.
type liveSession struct {
	Type    string   `json:"type"`
	TS      string   `json:"ts"`
	Session string   `json:"session"`
	User    string   `json:"user"`
	Start   string   `json:"start"`
	End     string   `json:"end"`
	Conns   []string `json:"conns"`
}

// liveStats is the NDJSON record that ends a live capture.
type liveStats struct {
	Type        string   `json:"type"`
	TS          string   `json:"ts"`
	Interface   string   `json:"interface"`
	LinkType    string   `json:"link_type"`
	Ports       []uint16 `json:"ports"`
	Filter      string   `json:"filter,omitempty"`
	Start       string   `json:"start"`
	DurationS   float64  `json:"duration_s"`
	Stop        string   `json:"stop"`
	Packets     uint64   `json:"packets"`
	KernelDrops uint64   `json:"kernel_drops"`
	Frames      int      `json:"frames"`
	Segments    int      `json:"segments"`
	NonTCP      int      `json:"non_tcp"`
	Malformed   int      `json:"malformed"`
	Fragments   int      `json:"fragments"`
	Truncated   int      `json:"truncated"`
	Messages    int      `json:"messages"`
	Connections int      `json:"connections"`
	WriteFile   string   `json:"write_file,omitempty"`
	Written     *int     `json:"written,omitempty"`
}

// sessionsOf groups connection records into session records, in order of
// each session's first connection.
func sessionsOf(recs []report.ConnRecord, ts string) []*liveSession {
	var out []*liveSession
	byID := map[string]*liveSession{}
	for _, r := range recs {
		if r.Session == "" {
			continue
		}
		ss := byID[r.Session]
		if ss == nil {
			ss = &liveSession{Type: "session", TS: ts, Session: r.Session, Start: r.Start, End: r.End}
			byID[r.Session] = ss
			out = append(out, ss)
		}
		ss.Conns = append(ss.Conns, r.Conn)
		if ss.User == "" {
			ss.User = r.User
		}
		// The times share one fixed-width layout, so strings compare as
		// times do.
		ss.Start, ss.End = min(ss.Start, r.Start), max(ss.End, r.End)
	}
	return out
}

// writeJSON writes a contacts record per list, a session record per
// session, and the capture_stats record.
func (s *liveSummary) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	ts := report.FormatTime(s.stop)
	for _, l := range s.lists {
		if err := l.Load(); err != nil {
			return err
		}
		if err := enc.Encode(&liveContacts{Type: "contacts", TS: ts, ContactList: l}); err != nil {
			return err
		}
	}
	for _, ss := range sessionsOf(s.connRecs, ts) {
		if err := enc.Encode(ss); err != nil {
			return err
		}
	}
	rec := &liveStats{
		Type: "capture_stats", TS: ts, Interface: s.iface, LinkType: s.link.String(), Ports: s.ports,
		Start: report.FormatTime(s.start), DurationS: s.stop.Sub(s.start).Seconds(), Stop: s.reason,
		Packets: s.stats.Received, KernelDrops: s.stats.Dropped, Frames: s.stats.Frames,
		Segments: s.stats.Segments, NonTCP: s.stats.NonTCP, Malformed: s.stats.Malformed,
		Fragments: s.stats.Fragments, Truncated: s.stats.Truncated,
		Messages: s.messages, Connections: s.conns, WriteFile: s.write,
	}
	if s.expr != nil {
		rec.Filter = s.expr.String()
	}
	if s.write != "" {
		n := s.written
		rec.Written = &n
	}
	return enc.Encode(rec)
}
