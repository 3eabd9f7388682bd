package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
)

// ChatOptions shape the chat logs.
type ChatOptions struct {
	// Typing keeps typing notifications, which are dropped by default.
	Typing bool
}

// filterChat returns the conversation's messages the options keep.
func filterChat(c *dissect.Conversation, o ChatOptions) []dissect.ChatMessage {
	out := make([]dissect.ChatMessage, 0, len(c.Messages))
	for _, m := range c.Messages {
		if m.Kind == "typing" && !o.Typing {
			continue
		}
		out = append(out, m)
	}
	return out
}

// WriteChatsJSON writes the conversations as one JSON array.
func WriteChatsJSON(w io.Writer, convs []*dissect.Conversation, o ChatOptions) error {
	out := make([]dissect.Conversation, 0, len(convs))
	for _, c := range convs {
		cp := *c
		cp.Messages = filterChat(c, o)
		out = append(out, cp)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing chats as JSON: %w", err)
	}
	return nil
}

// WriteChatsText writes each conversation as a chat log.
func WriteChatsText(w io.Writer, convs []*dissect.Conversation, o ChatOptions) error {
	bw := bufio.NewWriter(w)
	if len(convs) == 0 {
		fmt.Fprintln(bw, "No switchboard conversation in this capture.")
	}
	for i, c := range convs {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		writeChat(bw, c, o)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing chats: %w", err)
	}
	return nil
}

func writeChat(w io.Writer, c *dissect.Conversation, o ChatOptions) {
	fmt.Fprintf(w, "=== Conversation %s  %s -> %s  %s to %s\n", c.Conn, c.Client, c.Server,
		c.Start.UTC().Format("2006-01-02 15:04:05"), c.End.UTC().Format("15:04:05"))
	var ps []string
	for _, p := range c.Participants {
		s := p.Passport
		if p.Nickname != "" {
			s = fmt.Sprintf("%s (%s)", printable(p.Nickname), p.Passport)
		}
		if strings.EqualFold(p.Passport, c.User) {
			s += " [this client]"
		}
		ps = append(ps, s)
	}
	if len(ps) == 0 {
		ps = append(ps, "(participants not seen)")
	}
	fmt.Fprintf(w, "    with %s\n", strings.Join(ps, ", "))
	for _, m := range filterChat(c, o) {
		who := m.From
		if who == "" {
			who = "(this client)"
		}
		if m.Nickname != "" {
			who = printable(m.Nickname)
		}
		stamp := "[" + m.Time.UTC().Format("15:04:05") + "] "
		lost := ""
		if m.Incomplete {
			lost = " [part of this message was lost]"
		}
		switch m.Kind {
		case "text":
			lines := strings.Split(strings.TrimRight(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n"), "\n")
			fmt.Fprintf(w, "%s%s: %s%s\n", stamp, who, printable(lines[0]), lost)
			pad := strings.Repeat(" ", len(stamp)+len([]rune(who))+2)
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "%s%s\n", pad, printable(l))
			}
		case "typing":
			fmt.Fprintf(w, "%s*** %s is typing\n", stamp, who)
		case "join":
			fmt.Fprintf(w, "%s*** %s (%s) joined\n", stamp, who, m.From)
		case "leave":
			fmt.Fprintf(w, "%s*** %s left\n", stamp, who)
		case "file":
			fmt.Fprintf(w, "%s*** %s offers file %q (%d bytes)%s\n", stamp, who, printable(m.FileName), m.FileSize, lost)
		case "action":
			fmt.Fprintf(w, "%s* %s %s\n", stamp, who, printable(m.Text))
		case "invite":
			fmt.Fprintf(w, "%s*** %s sends an invitation: %s\n", stamp, who, printable(m.Text))
		default:
			fmt.Fprintf(w, "%s*** %s sent a %s\n", stamp, who, strings.ReplaceAll(m.Kind, "_", " "))
		}
	}
}

// ChatsBetween returns the conversation with only the messages inside
// [since, until] (zero times are open ends).
func ChatsBetween(c *dissect.Conversation, since, until time.Time) *dissect.Conversation {
	if since.IsZero() && until.IsZero() {
		return c
	}
	cp := *c
	cp.Messages = nil
	for _, m := range c.Messages {
		if (since.IsZero() || !m.Time.Before(since)) && (until.IsZero() || !m.Time.After(until)) {
			cp.Messages = append(cp.Messages, m)
		}
	}
	return &cp
}

// WriteChatsTable writes every chat message as a table row.
func WriteChatsTable(w io.Writer, convs []*dissect.Conversation, o ChatOptions) error {
	var rows [][]string
	for _, c := range convs {
		for _, m := range filterChat(c, o) {
			text := m.Text
			if m.Kind == "file" {
				text = fmt.Sprintf("%s (%d bytes)", m.FileName, m.FileSize)
			}
			text = strings.Join(strings.Fields(strings.ReplaceAll(text, "\r\n", " ")), " ")
			rows = append(rows, []string{m.Time.UTC().Format(TimeLayout), c.Conn, m.From, printable(m.Nickname), m.Kind, clipLine(printable(text))})
		}
	}
	return writeTable(w, []string{"Time", "Conn", "From", "Nickname", "Kind", "Text"}, rows)
}
