package main

import (
	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

func newSessionsCmd(o *options) *cobra.Command {
	var format string
	var f filter
	cmd := &cobra.Command{
		Use:   "sessions FILE...",
		Short: "List every connection with its role and the session (visit) it belongs to",
		Long: `sessions prints one row per connection: its id, the session it belongs to, its
role (DS, NS or SB, told from what is said on it), client, server, user,
dialect, start, duration, messages and bytes each way, gaps and how it ended.
A session is one user's visit: the dispatch connection, the notification
connection its XFR pointed to, and every switchboard that NS opened (linked by
the XFR SB / RNG cookie).`,
		Example: `  msnsniff sessions capture.pcap
  msnsniff sessions --format json --user alice@example.com capture.pcap`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "text", "json"); err != nil {
				return err
			}
			var recs []report.ConnRecord
			sink := dissect.SinkFunc(func(ev *dissect.Event) {
				if ev.Kind == dissect.KindSummary && f.conn(ev.Conn.ID, ev.Conn.Session, ev.Summary.User) &&
					f.inTime(ev.Conn.Start) {
					recs = append(recs, report.NewConnRecord(ev))
				}
			})
			p, err := analyseWith(cmd, o, &f, args, sink)
			if err != nil {
				return err
			}
			sortByConn(recs, func(r report.ConnRecord) string { return r.Conn })
			if format == "json" {
				err = report.WriteSessionsJSON(cmd.OutOrStdout(), recs)
			} else {
				err = report.WriteSessionsTable(cmd.OutOrStdout(), recs)
			}
			if err != nil {
				return err
			}
			return p.result()
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table (or text) or json")
	f.addFlags(cmd.Flags(), false)
	return cmd
}
