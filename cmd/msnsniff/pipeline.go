package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/reassembly"
)

// maxWarnings bounds the per-frame warnings printed per input; the rest
// are counted in the summary so a damaged file cannot flood the terminal.
const maxWarnings = 20

// pipeline wires the stages: capture → reassembly → dissect → a sink.
type pipeline struct {
	opts   *options
	sink   dissect.Sink
	stderr io.Writer
	// problems receives run-level findings (damaged files, warnings) so the
	// chosen report can show them next to the traffic.
	problems func(p problem)

	prog   *progress
	asm    *reassembly.Assembler
	budget *dissect.Budget
	// seq dissects every connection, unless the stages (stages.go) split
	// them over dissectors of their own.
	seq       *dissector
	badInputs int
	// limits counts the dissect-level limit hits seen in events; the
	// reassembly ones come from its Stats.
	limits map[string]*reassembly.LimitHit
	// stage is set while the reading stage runs on its own goroutine.
	stage *stager
	// keepers are the dissectors' ListKeepers, for their spill reports;
	// pressure is their shared ListConfig.Pressure (watchHeap).
	keepers  []*dissect.ListKeeper
	pressure atomic.Bool
}

// problem is a run-level finding about an input, or a limit that was hit.
type problem struct {
	// Limit, Count, Conn and When describe a limit hit (Limit != "").
	Limit string
	Count int
	Conn  string
	When  time.Time

	File   string
	Offset int64
	Frame  int
	Msg    string
	Fatal  bool
}

func newPipeline(o *options, sink dissect.Sink, stderr io.Writer) (*pipeline, error) {
	cfg, err := o.assembly()
	if err != nil {
		return nil, err
	}
	p := &pipeline{opts: o, stderr: stderr,
		budget: &dissect.Budget{Limit: o.maxPendingTotal}, limits: map[string]*reassembly.LimitHit{}}
	p.sink = dissect.SinkFunc(func(ev *dissect.Event) {
		p.countLimit(ev)
		if !o.summariesOnly || ev.Kind == dissect.KindSummary {
			sink.Event(ev)
		}
	})
	p.seq = p.newDissector(p.sink, 1)
	p.asm = reassembly.New(cfg, p)
	return p, nil
}

// eventLimit is the limit an event reports hitting, if any.
func eventLimit(ev *dissect.Event) string {
	if ev.Kind == dissect.KindMessage {
		return ev.Message.Limit
	}
	return ev.Limit
}

// wanted says whether ev may reach the pipeline's sink (or count a limit):
// with summariesOnly, most events need not be kept for it.
func (p *pipeline) wanted(ev *dissect.Event) bool {
	return !p.opts.summariesOnly || ev.Kind == dissect.KindSummary || eventLimit(ev) != ""
}

// countLimit records limit hits that events report.
func (p *pipeline) countLimit(ev *dissect.Event) {
	limit := eventLimit(ev)
	if limit == "" {
		return
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(ev.Conn.ID, "c"))
	h := p.limits[limit]
	if h == nil {
		h = &reassembly.LimitHit{First: ev.Time, Conn: n}
		p.limits[limit] = h
	}
	h.Count++
}

// reportLimits tells, once at the end, every limit that was hit: how often
// and where first. A limit is never hit silently.
func (p *pipeline) reportLimits() {
	all := map[string]*reassembly.LimitHit{}
	for k, v := range p.limits {
		all[k] = v
	}
	for k, v := range p.asm.Stats().Limits {
		all[k] = v
	}
	spills, sheds := p.listSpills()
	if spills != nil {
		all["max-lists-memory"] = spills
	}
	if sheds != nil {
		all["memory-limit"] = sheds
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		h := all[name]
		p.report(problem{Limit: name, Count: h.Count, Frame: 0, Conn: connID(h.Conn), When: h.First,
			Msg: fmt.Sprintf("limit --%s hit %d times, first on %s at %s", name, h.Count, connID(h.Conn), h.First.UTC().Format(time.RFC3339Nano))})
	}
}

// listSpills sums the dissectors' contact-list spills as limit hits: the
// lists that went to the spill file, and the first to go; and the times
// heap pressure made them spill all they held (pressure.go). Nothing is
// lost by either, but a memory bound was reached and the run got slower.
func (p *pipeline) listSpills() (spills, sheds *reassembly.LimitHit) {
	for _, k := range p.keepers {
		st := k.Spills()
		if st.Err != nil {
			p.report(problem{Msg: "contact lists kept in memory over --max-lists-memory: " + st.Err.Error()})
		}
		spills = addHits(spills, st.Lists, st.First, st.Conn)
		sheds = addHits(sheds, st.Sheds, st.FirstShed, st.ShedConn)
	}
	return spills, sheds
}

// addHits adds count hits of a limit, the first at first on conn, to h
// (nil for none yet), which keeps the earliest first hit.
func addHits(h *reassembly.LimitHit, count int, first time.Time, conn string) *reassembly.LimitHit {
	if count == 0 {
		return h
	}
	n := connNumber(conn)
	if h == nil {
		h = &reassembly.LimitHit{First: first, Conn: n}
	} else if first.Before(h.First) || first.Equal(h.First) && n < h.Conn {
		h.First, h.Conn = first, n
	}
	h.Count += count
	return h
}

// run analyses the inputs in order as one capture (connections may span
// files) and flushes what is still open at the end. With --parallel,
// reading and reassembly run on their own goroutine, ahead of dissection
// (stages.go); the output is the same.
func (p *pipeline) run(names []string) {
	read := func() {
		var last time.Time
		for _, name := range names {
			if t := p.runFile(name); t.After(last) {
				last = t
			}
		}
		p.asm.Flush(last)
	}
	stop := p.watchHeap()
	if p.opts.parallel {
		p.runStaged(read, p.opts.dissectors)
	} else {
		read()
	}
	stop()
	p.reportLimits()
}

// watchHeap sets the keepers' pressure while the live heap is near the
// memory limit in force (pressure.go), until the returned function is
// called.
func (p *pipeline) watchHeap() (stop func()) {
	return watchHeap(&p.pressure, debug.SetMemoryLimit(-1))
}

// inOrder runs fn where it belongs in the sequence of handler calls: at
// once, or, with the stages running concurrently, on the dissecting
// goroutine after everything the reading stage produced before it. Every
// effect of the reading stage on shared state (reports, counters) goes
// through it.
func (p *pipeline) inOrder(fn func()) {
	if p.stage != nil {
		p.stage.call(fn)
		return
	}
	fn()
}

func (p *pipeline) report(pr problem) {
	p.prog.clear()
	if pr.Fatal {
		fmt.Fprintf(p.stderr, "msnsniff: %s\n", pr.Msg)
	} else {
		fmt.Fprintf(p.stderr, "msnsniff: warning: %s\n", pr.Msg)
	}
	if p.problems != nil {
		p.problems(pr)
	}
}

// source yields the TCP segments of one input: a capture file
// (*capture.Reader) or a live interface. Next returns io.EOF at the end.
type source interface {
	Next() (capture.Segment, error)
}

// runFile feeds one input to the assembler and returns its last timestamp.
func (p *pipeline) runFile(name string) time.Time {
	r, err := capture.Open(name)
	if err != nil {
		p.inOrder(func() {
			p.badInputs++
			p.report(problem{File: name, Msg: err.Error(), Fatal: true})
		})
		return time.Time{}
	}
	defer r.Close()
	p.prog = newProgress(p.stderr, name)
	defer func() { p.prog.done(); p.prog = nil }()
	var done func()
	r.OnWarning, done = p.warnings(name, func(w capture.Warning) string {
		return fmt.Sprintf("%s: frame %d (offset %d): %s", w.File, w.Frame, w.Offset, w.Msg)
	})
	defer done()
	n := 0
	last, err := p.feed(r, func() bool {
		if n++; n&1023 == 0 {
			p.prog.update(r.Stats().Bytes)
		}
		return true
	})
	if err != nil {
		pr := problem{File: name, Msg: err.Error(), Fatal: true}
		var fe *capture.FormatError
		if errors.As(err, &fe) {
			pr.Offset = fe.Offset
		}
		p.inOrder(func() {
			p.badInputs++
			p.report(pr)
		})
	}
	return last
}

// warnings returns an OnWarning callback for input name that reports the
// first maxWarnings frame warnings (worded by format) and a done function
// that reports how many more there were.
func (p *pipeline) warnings(name string, format func(capture.Warning) string) (on func(capture.Warning), done func()) {
	n := 0
	on = func(w capture.Warning) {
		n++
		if n <= maxWarnings {
			pr := problem{File: w.File, Offset: w.Offset, Frame: w.Frame, Msg: format(w)}
			p.inOrder(func() { p.report(pr) })
		}
	}
	done = func() {
		if more := n - maxWarnings; more > 0 {
			p.inOrder(func() { fmt.Fprintf(p.stderr, "msnsniff: warning: %s: %d more frame warnings not shown\n", name, more) })
		}
	}
	return on, done
}

// feed adds the segments of src to the assembler until src ends (io.EOF,
// returned as nil) or fails, and returns the last timestamp seen. after,
// if not nil, runs once each segment has been handled; returning false
// stops feeding early.
func (p *pipeline) feed(src source, after func() bool) (time.Time, error) {
	var last time.Time
	var seg reassembly.Segment
	for {
		s, err := src.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return last, nil
			}
			return last, err
		}
		seg = reassembly.Segment{
			Timestamp: s.Timestamp, Src: s.Src, Dst: s.Dst, Seq: s.Seq,
			SYN: s.Flags&capture.SYN != 0, FIN: s.Flags&capture.FIN != 0, RST: s.Flags&capture.RST != 0,
			Payload: s.Payload,
		}
		p.asm.Add(&seg)
		last = s.Timestamp
		if after != nil && !after() {
			return last, nil
		}
	}
}

// analyseWith runs the filter's first pass (for --user) and then the whole
// pipeline over the inputs, feeding sink: the common body of every command.
func analyseWith(cmd *cobra.Command, o *options, f *filter, args []string, sink dissect.Sink) (*pipeline, error) {
	if err := f.prepare(o, args, cmd.ErrOrStderr()); err != nil {
		return nil, err
	}
	p, err := newPipeline(o, sink, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	p.run(args)
	return p, nil
}

// result is the run's error: an inputError when some input could not be
// read in full.
func (p *pipeline) result() error {
	if p.badInputs > 0 {
		return &inputError{n: p.badInputs}
	}
	return nil
}

// sortByConn orders records by connection number ("c2" before "c10").
func sortByConn[T any](xs []T, id func(T) string) {
	sort.SliceStable(xs, func(i, j int) bool { return connNumber(id(xs[i])) < connNumber(id(xs[j])) })
}

// connID is the stable, human-friendly id of a connection.
func connID(n int) string { return "c" + strconv.Itoa(n) }

func dir(d reassembly.Dir) dissect.Dir {
	if d == reassembly.ClientToServer {
		return dissect.ClientToServer
	}
	return dissect.ServerToClient
}

// Open implements reassembly.Handler.
func (p *pipeline) Open(c *reassembly.Conn, ts time.Time) { p.seq.open(c.ID, connInfo(c)) }

// connInfo is what dissection needs to know of a new connection.
func connInfo(c *reassembly.Conn) dissect.ConnInfo {
	return dissect.ConnInfo{
		ID: connID(c.ID), Client: c.Client.String(), Server: c.Server.String(),
		Start: c.Start, MidStream: c.MidStream,
	}
}

// Data implements reassembly.Handler.
func (p *pipeline) Data(c *reassembly.Conn, d reassembly.Dir, ts time.Time, data []byte) {
	p.seq.data(c.ID, d, ts, data)
}

// Gap implements reassembly.Handler.
func (p *pipeline) Gap(c *reassembly.Conn, d reassembly.Dir, ts time.Time, missing int) {
	p.seq.gap(c.ID, d, ts, missing)
}

// End implements reassembly.Handler.
func (p *pipeline) End(c *reassembly.Conn, d reassembly.Dir, ts time.Time, why reassembly.EndReason) {
	p.seq.end(c.ID, d, ts, why)
}

// Close implements reassembly.Handler.
func (p *pipeline) Close(c *reassembly.Conn, ts time.Time) { p.seq.close(c.ID) }

// dissector dissects a set of connections in the order of their handler
// calls, with a Tracker of its own: all of them, or one partition
// (dissect.Partition), the Tracker linking only within one.
type dissector struct {
	setup   *dissect.Setup
	conns   map[int]*connEntry
	tracker *dissect.Tracker
	// cur is the connection of the call being replayed: the one whose
	// events the sink receives meanwhile.
	cur *connEntry
}

// connEntry is a connection being dissected and, for a partition's
// dissector, the identity its events last carried (shard.Event).
type connEntry struct {
	c    *dissect.Conn
	snap *dissect.ConnInfo
}

// newDissector makes a dissector, one of share dissectors that split the
// contact lists' memory budget between them.
func (p *pipeline) newDissector(sink dissect.Sink, share int) *dissector {
	opts := p.opts.dissectOptions()
	d := &dissector{conns: map[int]*connEntry{}, tracker: dissect.NewTracker()}
	opts.Tracker, opts.Budget = d.tracker, p.budget
	opts.Lists = dissect.NewListKeeper(dissect.ListConfig{Lean: !p.opts.contactRecords, Memory: p.opts.maxListsMemory / int64(share),
		Pressure: &p.pressure})
	p.keepers = append(p.keepers, opts.Lists)
	d.setup = dissect.NewSetup(opts, sink)
	return d
}

func (d *dissector) open(id int, info dissect.ConnInfo) {
	d.cur = &connEntry{}
	d.cur.c = d.setup.NewConn(info)
	d.conns[id] = d.cur
}

// conn makes id's connection the current one and returns it (nil when it
// is not dissected here).
func (d *dissector) conn(id int) *dissect.Conn {
	if d.cur = d.conns[id]; d.cur != nil {
		return d.cur.c
	}
	return nil
}

func (d *dissector) data(id int, dr reassembly.Dir, ts time.Time, data []byte) {
	if dc := d.conn(id); dc != nil {
		dc.Data(dir(dr), ts, data)
	}
}

func (d *dissector) gap(id int, dr reassembly.Dir, ts time.Time, missing int) {
	if dc := d.conn(id); dc != nil {
		dc.Gap(dir(dr), ts, missing)
	}
}

func (d *dissector) end(id int, dr reassembly.Dir, ts time.Time, why reassembly.EndReason) {
	if dc := d.conn(id); dc != nil {
		if why == reassembly.EndFlush && dc.LastSeen().Before(ts) {
			// Still open when the input ended: it ends at its last
			// activity, not at the end of a later file.
			ts = dc.LastSeen()
		}
		dc.End(dir(dr), ts, why.String())
	}
}

func (d *dissector) close(id int) { delete(d.conns, id) }
