package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/reassembly"
)

// options are the flags every analysing command shares.
type options struct {
	ports       []uint
	maxLine     int
	maxPayload  int
	maxBufConn  int
	maxBufTotal int
	maxConns    int
	showSecrets bool
	color       string

	idleTimeout     time.Duration
	maxPendingTotal int64
	// keepChats is set by the chats command: only it needs chat logs.
	keepChats bool
	// listsOnly is set by the contacts command, which needs no decoding
	// of chat and presence traffic.
	listsOnly bool
	// keepPayloads is set by the transcripts, which show payloads' sizes
	// and types: every other report needs only what was decoded from them.
	keepPayloads bool
	// summariesOnly is set by the contacts command, whose report is made
	// of connection summaries alone: other events (but those reporting a
	// limit, which are counted) are dropped where they are produced.
	summariesOnly bool
	// contactRecords is set by the reports that print contact lists
	// (contacts, live's summary): the others keep lean lists, what the
	// list checks need and no more.
	contactRecords bool
	// maxListsMemory bounds the sealed contact lists kept in memory;
	// beyond it they are spilled to a temporary file.
	maxListsMemory int64
	// memoryLimit is the Go runtime's soft memory limit (unless
	// GOMEMLIMIT is set); near it the lists are shed (pressure.go).
	memoryLimit int64
	// parallel runs reading and reassembly on a goroutine of their own.
	parallel bool
	// dissectors is how many goroutines dissect with parallel.
	dissectors int
	prof       profiler
}

// colorFor says whether to colour output written to w: --color always or
// never, or (auto) when w is a terminal and NO_COLOR is not set.
func (o *options) colorFor(w io.Writer) bool {
	switch o.color {
	case "always":
		return true
	case "never":
		return false
	}
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (o *options) dissectOptions() dissect.Options {
	return dissect.Options{
		Limits:      dissect.Limits{MaxLine: o.maxLine, MaxPayload: o.maxPayload},
		ShowSecrets: o.showSecrets,
		Chats:       o.keepChats,
		ListsOnly:   o.listsOnly,
		// What ListsOnly only frames is of no use to a report of
		// summaries.
		OmitMessages: o.summariesOnly,

		TransientPayloads: !o.keepPayloads,
	}
}

func (o *options) assembly() (reassembly.Config, error) {
	cfg := reassembly.Config{
		MaxBufferedPerConn: o.maxBufConn,
		MaxBufferedTotal:   o.maxBufTotal,
		MaxConns:           o.maxConns,
		IdleTimeout:        o.idleTimeout,
	}
	for _, p := range o.ports {
		if p == 0 || p > 65535 {
			return cfg, fmt.Errorf("--port %d: not a TCP port", p)
		}
		cfg.Ports = append(cfg.Ports, uint16(p))
	}
	return cfg, nil
}

// newRootCmd builds the command tree; the options it returns hold the
// profiler, which run stops whatever the command's outcome.
func newRootCmd() (*cobra.Command, *options) {
	o := &options{}
	root := &cobra.Command{
		Use:   "msnsniff",
		Short: "Dissect MSN Messenger (MSNP) traffic from packet captures",
		Long: `msnsniff reads pcap and pcapng captures (plain or gzip-compressed), rebuilds
the TCP streams to the MSNP ports, frames every MSNP command of MSNP2-MSNP18,
decodes the contact-list synchronisation in full, and reports it as an
annotated transcript, a JSON event stream or the rebuilt contact lists.`,
		Version: version(),
		PersistentPreRunE: func(*cobra.Command, []string) error {
			switch o.color {
			case "auto", "always", "never":
			default:
				return fmt.Errorf("--color %q: want auto, always or never", o.color)
			}
			if err := o.setMemoryLimit(); err != nil {
				return err
			}
			return o.prof.start()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.UintSliceVar(&o.ports, "port", []uint{1863}, "MSNP server port (repeatable)")
	pf.IntVar(&o.maxLine, "max-line", dissect.DefaultLimits.MaxLine, "longest MSNP command line accepted, in bytes")
	pf.IntVar(&o.maxPayload, "max-payload", dissect.DefaultLimits.MaxPayload, "largest MSNP payload accepted, in bytes")
	pf.IntVar(&o.maxBufConn, "max-buffer-conn", 4<<20, "out-of-order bytes buffered per connection before a gap is declared")
	pf.IntVar(&o.maxBufTotal, "max-buffer-total", 256<<20, "out-of-order bytes buffered across all connections")
	pf.IntVar(&o.maxConns, "max-conns", 65536, "connections tracked at once (least recently active evicted beyond)")
	pf.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Hour, "end a connection silent this long in capture time (0 = never)")
	pf.Int64Var(&o.maxPendingTotal, "max-pending-total", 256<<20, "payload bytes held by all connections together (beyond it payloads are counted, not kept)")
	pf.Int64Var(&o.maxListsMemory, "max-lists-memory", 16<<20, "bytes of contact lists of open logins kept in memory (compactly, once their sync is over); beyond it they wait in a temporary file (0 = no bound)")
	pf.Int64Var(&o.memoryLimit, "memory-limit", defaultMemoryLimit, "soft limit of the program's memory, in bytes: the collector works harder near it, and contact lists go to their temporary file when the live heap passes 40 % of it (0 = none; GOMEMLIMIT, when set, decides instead)")
	pf.StringVar(&o.color, "color", "auto", "colour the transcript: auto (when writing to a terminal and NO_COLOR is unset), always or never")
	pf.BoolVar(&o.parallel, "parallel", runtime.GOMAXPROCS(0) > 1, "read and reassemble capture files on one core while dissecting (and encoding JSON) on another: same output (default on when there is more than one CPU; live capture stays sequential, for latency)")
	pf.IntVar(&o.dissectors, "dissectors", defaultDissectors(), "with --parallel, dissect on this many goroutines, each taking the connections of some client addresses: same output")
	pf.StringVar(&o.prof.cpuFile, "cpuprofile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	pf.StringVar(&o.prof.memFile, "memprofile", "", "write an allocation profile of the run to this file (for go tool pprof)")
	pf.BoolVar(&o.showSecrets, "show-secrets", false, "print credentials (Passport tickets, MD5 answers, SSO tokens, auth cookies) instead of redacting them")
	root.AddCommand(newReadCmd(o), newContactsCmd(o), newChatsCmd(o), newSessionsCmd(o), newStatsCmd(o), newCheckCmd(o), newLiveCmd(o), newInterfacesCmd())
	return root, o
}

// version reports the module version, the VCS revision and time the
// binary was built from (when the build recorded them) and the toolchain.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	settings := map[string]string{}
	for _, kv := range info.Settings {
		settings[kv.Key] = kv.Value
	}
	v := info.Main.Version
	if rev := settings["vcs.revision"]; rev != "" {
		v += ", commit " + rev[:min(12, len(rev))]
		if t := settings["vcs.time"]; t != "" {
			v += " " + t
		}
		if settings["vcs.modified"] == "true" {
			v += " (modified)"
		}
	}
	return fmt.Sprintf("%s, %s %s/%s", v, info.GoVersion, settings["GOOS"], settings["GOARCH"])
}
