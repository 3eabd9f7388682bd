package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

func newReadCmd(o *options) *cobra.Command {
	var format string
	var f filter
	cmd := &cobra.Command{
		Use:   "read FILE...",
		Short: "Print an annotated transcript (or JSON events) of every MSNP message",
		Example: `  msnsniff read capture.pcap
  msnsniff read --format json day1.pcapng day2.pcap.gz | jq 'select(.cmd=="LST")'
  msnsniff read --cmd SYN,LSG,LST --user alice@example.com capture.pcap
  tcpdump -w - port 1863 | msnsniff read -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "table", "json"); err != nil {
				return err
			}
			if err := f.prepare(o, args, cmd.ErrOrStderr()); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var sink dissect.Sink
			var flush func() error
			var onProblem func(problem)
			switch format {
			case "text":
				t := report.NewTranscript(out)
				t.Color = o.colorFor(out)
				o.keepPayloads = true
				sink, flush = t, t.Flush
				onProblem = func(p problem) { t.Problem(p.Msg) }
			case "table":
				t := report.NewMessageTable(out)
				sink, flush = t, t.Close
			default:
				j := report.NewJSONStream(out, false)
				if o.parallel {
					j.Concurrent()
				}
				sink, flush = j, j.Flush
				onProblem = func(p problem) {
					if p.Limit != "" {
						j.Limit(p.Limit, p.Count, p.Conn, p.When)
						return
					}
					j.Problem(p.File, p.Offset, p.Frame, p.Msg, p.Fatal)
				}
			}
			p, err := newPipeline(o, f.sink(sink), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			p.problems = onProblem
			p.run(args)
			if err := flush(); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			return p.result()
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, table or json (one JSON object per line)")
	f.addFlags(cmd.Flags(), true)
	return cmd
}

// checkFormat validates --format.
func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return fmt.Errorf("--format %q: want one of %v", format, allowed)
}
