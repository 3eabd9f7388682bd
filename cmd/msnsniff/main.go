// Command msnsniff analyses MSN Messenger (MSNP) traffic in capture files:
// annotated transcripts, a JSON event stream and rebuilt contact lists.
package main

import (
	"errors"
	"fmt"
	"os"
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
	os.Exit(run(os.Args[1:]))
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
