// Command msnsniff analyses MSN Messenger (MSNP) traffic in capture files:
// annotated transcripts, a JSON event stream and rebuilt contact lists.
package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strings"
)

// Exit statuses (documented in README.md).
const (
	exitOK    = 0
	exitUsage = 1
	exitInput = 2
	// exitFindings: check found protocol problems.
	exitFindings = 3
)

func main() {
	tuneGC()
	code := run(os.Args[1:])
	reportPeakRSS()
	os.Exit(code)
}

// reportPeakRSS writes the process's peak resident set size (VmHWM, in
// KiB) to the file MSNSNIFF_PEAK_RSS_FILE names, when set: the memory-bound
// tests need it, and the rusage a parent collects cannot give it, because
// Go starts a process by vfork and Linux then counts the parent's own peak
// into the child's (the bound was measured against the test's memory).
func reportPeakRSS() {
	path := os.Getenv("MSNSNIFF_PEAK_RSS_FILE")
	if path == "" {
		return
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		// "VmHWM:     12345 kB"
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			os.WriteFile(path, []byte(f[1]), 0o644)
			return
		}
	}
}

// tuneGC trades memory the limits already bound for less collection work:
// the live heap of a run is small (tens of MiB) and most of what is
// allocated dies within one message, so the collector's work is the bytes
// allocated divided by the growth allowed between collections. Collecting
// at 5× the live heap instead of 3× halves it (a 1 GB read json took
// 9–17 % longer at 3×). The soft memory limit (--memory-limit) stops the
// percentage from growing the heap past it once much is live. GOGC in the
// environment still decides when set.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// defaultMemoryLimit is --memory-limit's default: with what is not heap
// (stacks, the collector's own data, pages not yet returned), peak RSS
// stays under the 256 MiB the project promises. From the limit on, the
// limit paces the collector; set lower, it made it run without pause on
// large captures, whose live heap is 45-65 MB (at a busy server, more:
// the open logins; see pressure.go).
const defaultMemoryLimit = 224 << 20

// setMemoryLimit applies --memory-limit, unless GOMEMLIMIT is set.
func (o *options) setMemoryLimit() error {
	if o.memoryLimit < 0 {
		return fmt.Errorf("--memory-limit %d: want a number of bytes, or 0 for none", o.memoryLimit)
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	if o.memoryLimit == 0 {
		debug.SetMemoryLimit(math.MaxInt64)
	} else {
		debug.SetMemoryLimit(o.memoryLimit)
	}
	return nil
}

// run executes the command line and maps the outcome to an exit status.
func run(args []string) int {
	root, o := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if perr := o.prof.stop(); err == nil {
		err = perr
	}
	var ie *inputError
	var fe *findingsError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe):
		return exitFindings
	case errors.As(err, &ie):
		fmt.Fprintln(os.Stderr, "msnsniff:", err)
		return exitInput
	default:
		fmt.Fprintln(os.Stderr, "msnsniff:", err)
		return exitUsage
	}
}

// inputError means some input could not be read in full; everything that
// could be read was analysed and reported.
type inputError struct{ n int }

// Error implements error.
func (e *inputError) Error() string {
	if e.n == 1 {
		return "1 input could not be read in full (see above)"
	}
	return fmt.Sprintf("%d inputs could not be read in full (see above)", e.n)
}
