package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/report"
)

// findingsError makes check exit with status 3 when it found anything.
type findingsError struct{ n int }

// Error implements error.
func (e *findingsError) Error() string { return fmt.Sprintf("%d findings", e.n) }

func newCheckCmd(o *options) *cobra.Command {
	var format string
	var f filter
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Lint the traffic: print protocol findings only, exit 3 when there are any",
		Long: `check is a linter for people writing MSN revival servers and clients. It
prints only the findings: anomalies on messages (wrong shapes, commands outside
their dialect or from the wrong side, wrong challenge responses, error replies
carrying what should not be there, ...), contact-list findings of sync.md §4
(SYN counts that do not match what followed, LSTs pointing at unknown groups,
group columns without FL, contacts on both AL and BL, BPR before any LST, a
second SYN, broken MSNP2-7 index sequences), replies to no request, requests
never answered, and bytes that are not MSNP. It prints nothing and exits 0 on
a clean capture, and exits 3 when it found something.`,
		Example: `  msnsniff check my-server.pcap && echo conformant`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "table", "json"); err != nil {
				return err
			}
			// Text and JSON are written as the findings come; a table
			// needs them all for its column widths.
			c := &report.CheckCollector{}
			var fw *report.FindingsWriter
			if format != "table" {
				fw = report.NewFindingsWriter(cmd.OutOrStdout(), format)
				c.Emit = fw.Write
			}
			p, err := analyseWith(cmd, o, &f, args, f.sink(c))
			if err != nil {
				if fw != nil && c.Count() > 0 {
					fw.Close() // what was written stays a whole document
				}
				return err
			}
			if fw != nil {
				err = fw.Close()
			} else {
				err = report.WriteFindingsTable(cmd.OutOrStdout(), c.Findings())
			}
			if err != nil {
				return err
			}
			if err := p.result(); err != nil {
				return err
			}
			if n := c.Count(); n > 0 {
				return &findingsError{n: n}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, table or json")
	f.addFlags(cmd.Flags(), true)
	return cmd
}
