package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

func newChatsCmd(o *options) *cobra.Command {
	var format string
	var chat report.ChatOptions
	var f filter
	cmd := &cobra.Command{
		Use:   "chats FILE...",
		Short: "Extract every switchboard conversation as a chat log",
		Long: `chats prints every switchboard conversation: its participants with the
nicknames announced for them, and each message in order with time, sender and
text (decoded with its charset), nudges, winks and file-transfer offers.
Typing notifications are left out unless --typing is given.`,
		Example: `  msnsniff chats capture.pcap
  msnsniff chats --format json capture.pcap | jq '.[].messages[] | select(.kind=="text") | .text'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "table", "json"); err != nil {
				return err
			}
			o.keepChats = true
			var convs []*dissect.Conversation
			sink := dissect.SinkFunc(func(ev *dissect.Event) {
				if ev.Kind == dissect.KindSummary && ev.Summary.Conversation != nil &&
					f.conn(ev.Conn.ID, ev.Conn.Session, ev.Summary.User) {
					convs = append(convs, report.ChatsBetween(ev.Summary.Conversation, f.sinceT, f.untilT))
				}
			})
			p, err := analyseWith(cmd, o, &f, args, sink)
			if err != nil {
				return err
			}
			sortByConn(convs, func(c *dissect.Conversation) string { return c.Conn })
			switch format {
			case "json":
				err = report.WriteChatsJSON(cmd.OutOrStdout(), convs, chat)
			case "table":
				err = report.WriteChatsTable(cmd.OutOrStdout(), convs, chat)
			default:
				err = report.WriteChatsText(cmd.OutOrStdout(), convs, chat)
			}
			if err != nil {
				return err
			}
			return p.result()
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text (a chat log), table or json")
	cmd.Flags().BoolVar(&chat.Typing, "typing", false, "include typing notifications")
	f.addFlags(cmd.Flags(), false)
	return cmd
}

// connNumber orders connection ids ("c12") numerically.
func connNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "c"))
	return n
}
