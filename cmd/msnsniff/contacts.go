package main

import (
	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

func newContactsCmd(o *options) *cobra.Command {
	var format string
	var f filter
	var decodeAll bool
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
			if err := checkFormat(format, "table", "text", "json"); err != nil {
				return err
			}
			o.listsOnly = !decodeAll
			o.summariesOnly = true
			o.contactRecords = true
			// Lists are written in connection order as connections close,
			// so that neither memory nor the time after the last packet
			// grows with the number of logins.
			out := report.NewContactsStream(cmd.OutOrStdout(), format == "json")
			sink := dissect.SinkFunc(func(ev *dissect.Event) {
				if ev.Kind != dissect.KindSummary {
					return
				}
				l := ev.Summary.ContactList
				if l != nil && !(f.conn(ev.Conn.ID, ev.Conn.Session, ev.Summary.User) && f.inTime(ev.Conn.Start)) {
					l = nil
				}
				out.Add(connNumber(ev.Conn.ID), l)
			})
			p, err := analyseWith(cmd, o, &f, args, sink)
			if err != nil {
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			return p.result()
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table (or text) or json")
	f.addFlags(cmd.Flags(), false)
	// Hidden: decode everything, as the other commands do; the lists must
	// come out the same (a test compares), so this is only for doubt.
	cmd.Flags().BoolVar(&decodeAll, "decode-all", false, "decode chat and presence traffic too")
	cmd.Flags().MarkHidden("decode-all")
	return cmd
}
