package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

func newContactsCmd(o *options) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "contacts FILE...",
		Short: "Rebuild the contact list of every login seen",
		Long: `contacts rebuilds, for every connection that synchronised its lists, what the
server sent: privacy settings, own properties, groups, and every contact with
its lists, groups and properties (SYN burst, MSNP2-12), or what the ADL
traffic reveals (MSNP13+).`,
		Example: `  msnsniff contacts capture.pcap
  msnsniff contacts --format json capture.pcap | jq '.[].contacts[].passport'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "text" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			p, err := newPipeline(o, dissect.SinkFunc(func(*dissect.Event) {}), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			p.run(args)
			lists := p.contactLists()
			if format == "json" {
				err = report.WriteContactsJSON(cmd.OutOrStdout(), lists)
			} else {
				err = report.WriteContactsTable(cmd.OutOrStdout(), lists)
			}
			if err != nil {
				return err
			}
			if p.badInputs > 0 {
				return &inputError{n: p.badInputs}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")
	return cmd
}
