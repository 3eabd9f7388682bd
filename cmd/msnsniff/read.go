package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

func newReadCmd(o *options) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "read FILE...",
		Short: "Print an annotated transcript (or JSON events) of every MSNP message",
		Example: `  msnsniff read capture.pcap
  msnsniff read --format json day1.pcapng day2.pcap.gz | jq 'select(.cmd=="LST")'
  tcpdump -w - port 1863 | msnsniff read -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			var sink dissect.Sink
			var flush func() error
			var onProblem func(problem)
			switch format {
			case "text":
				t := report.NewTranscript(out)
				sink, flush = t, t.Flush
				onProblem = func(p problem) { t.Problem(p.Msg) }
			case "json":
				j := report.NewJSONStream(out, false)
				sink, flush = j, j.Flush
				onProblem = func(p problem) { j.Problem(p.File, p.Offset, p.Frame, p.Msg, p.Fatal) }
			default:
				return fmt.Errorf("--format %q: want text or json", format)
			}
			p, err := newPipeline(o, sink, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			p.problems = onProblem
			p.run(args)
			if err := flush(); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			if p.badInputs > 0 {
				return &inputError{n: p.badInputs}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json (one JSON object per line)")
	return cmd
}
