package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/report"
)

func newChatsCmd(o *options) *cobra.Command {
	var format string
	var chat report.ChatOptions
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
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: want text or json", format)
			}
			var convs []*dissect.Conversation
			sink := dissect.SinkFunc(func(ev *dissect.Event) {
				if ev.Kind == dissect.KindSummary && ev.Summary.Conversation != nil {
					convs = append(convs, ev.Summary.Conversation)
				}
			})
			p, err := newPipeline(o, sink, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			p.run(args)
			sort.SliceStable(convs, func(i, j int) bool { return connNumber(convs[i].Conn) < connNumber(convs[j].Conn) })
			if format == "json" {
				err = report.WriteChatsJSON(cmd.OutOrStdout(), convs, chat)
			} else {
				err = report.WriteChatsText(cmd.OutOrStdout(), convs, chat)
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
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	cmd.Flags().BoolVar(&chat.Typing, "typing", false, "include typing notifications")
	return cmd
}

// connNumber orders connection ids ("c12") numerically.
func connNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "c"))
	return n
}
