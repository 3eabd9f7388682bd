package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/msnsniff/msnsniff/dissect"
)

// MessageTable writes events as table rows while they happen (tablewriter
// streaming mode with fixed column widths, so nothing is held back).
type MessageTable struct {
	t       *tablewriter.Table
	started bool
	err     error
}

// messageColumns are the table's columns and widths.
var messageColumns = []struct {
	name  string
	width int
}{{"Time", 26}, {"Conn", 5}, {"Dir", 4}, {"Cmd", 4}, {"TrID", 6}, {"Meaning", 60}, {"Notes", 40}}

// NewMessageTable returns a MessageTable writing to w; call Close at the end.
func NewMessageTable(w io.Writer) *MessageTable {
	widths := tw.NewMapper[int, int]()
	for i, c := range messageColumns {
		widths.Set(i, c.width)
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithStreaming(tw.StreamConfig{Enable: true}),
		tablewriter.WithColumnWidths(widths),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapTruncate),
	)
	hdr := make([]any, len(messageColumns))
	for i, c := range messageColumns {
		hdr[i] = c.name
	}
	t.Header(hdr...)
	return &MessageTable{t: t}
}

// Event implements dissect.Sink.
func (m *MessageTable) Event(ev *dissect.Event) {
	if m.err != nil || ev.Kind == dissect.KindSummary {
		return
	}
	if !m.started {
		if m.err = m.t.Start(); m.err != nil {
			return
		}
		m.started = true
	}
	row := []any{ev.Time.UTC().Format(TimeLayout), ev.Conn.ID, ev.Dir.Arrow(), "", "", "", ""}
	switch ev.Kind {
	case dissect.KindMessage:
		msg := ev.Message
		row[3], row[5], row[6] = msg.Cmd, printable(msg.Meaning), printable(strings.Join(msg.Notes, "; "))
		if msg.HasTrID {
			row[4] = fmt.Sprint(msg.TrID)
		}
	case dissect.KindGap:
		row[5] = fmt.Sprintf("[gap: %d bytes missing]", ev.Bytes)
	case dissect.KindSkip:
		row[5] = fmt.Sprintf("[skipped %d bytes: %s]", ev.Bytes, ev.Reason)
	case dissect.KindEnd:
		row[5] = "[stream ends: " + ev.Reason + "]"
	}
	m.err = m.t.Append(row...)
}

// Close ends the table and returns the first error.
func (m *MessageTable) Close() error {
	if m.err != nil {
		return m.err
	}
	if !m.started {
		return nil
	}
	return m.t.Close()
}
