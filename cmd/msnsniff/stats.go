package main

import (
	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/report"
)

func newStatsCmd(o *options) *cobra.Command {
	var format string
	var f filter
	cmd := &cobra.Command{
		Use:   "stats FILE...",
		Short: "Count commands per direction and dialect, errors, bytes and connections",
		Example: `  msnsniff stats capture.pcap
  msnsniff stats --format json capture.pcap | jq '.errors'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "text", "json"); err != nil {
				return err
			}
			c := report.NewStatsCollector()
			p, err := analyseWith(cmd, o, &f, args, f.sink(c))
			if err != nil {
				return err
			}
			if format == "json" {
				err = report.WriteStatsJSON(cmd.OutOrStdout(), c.Stats())
			} else {
				err = report.WriteStatsTable(cmd.OutOrStdout(), c.Stats())
			}
			if err != nil {
				return err
			}
			return p.result()
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table (or text) or json")
	f.addFlags(cmd.Flags(), true)
	return cmd
}
