package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/msnsniff/msnsniff/dissect"
)

// Finding is one conformance problem: an anomaly noted on a message, a
// problem with a rebuilt contact list, a request never answered, a reply
// to nothing, or bytes that were not MSNP.
type Finding struct {
	Conn    string `json:"conn"`
	Session string `json:"session,omitempty"`
	TS      string `json:"ts"`
	Dir     string `json:"dir,omitempty"`
	Line    string `json:"line,omitempty"`
	// Kind is "message", "contact_list", "transaction" or "framing".
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// CheckCollector gathers findings from events.
type CheckCollector struct {
	findings []Finding
}

// Event implements dissect.Sink.
func (c *CheckCollector) Event(ev *dissect.Event) {
	base := Finding{Conn: ev.Conn.ID, Session: ev.Conn.Session, TS: FormatTime(ev.Time)}
	switch ev.Kind {
	case dissect.KindMessage:
		for _, n := range ev.Message.Notes {
			f := base
			f.Dir, f.Line, f.Kind, f.Text = ev.Dir.String(), ev.Message.Line, "message", n
			c.findings = append(c.findings, f)
		}
	case dissect.KindSkip:
		f := base
		f.Dir, f.Kind, f.Text = ev.Dir.String(), "framing", fmt.Sprintf("%d bytes are not MSNP (%s)", ev.Bytes, ev.Reason)
		c.findings = append(c.findings, f)
	case dissect.KindSummary:
		for _, u := range ev.Summary.Unanswered {
			f := base
			f.Kind, f.Text = "transaction", u
			c.findings = append(c.findings, f)
		}
		if l := ev.Summary.ContactList; l != nil {
			noted := map[string]bool{}
			for _, prior := range c.findings {
				if prior.Conn == ev.Conn.ID {
					noted[prior.Text] = true
				}
			}
			for _, p := range l.Problems {
				if !noted[p] {
					f := base
					f.Kind, f.Text = "contact_list", p
					c.findings = append(c.findings, f)
				}
			}
		}
	}
}

// Findings returns what was found, in the order it happened.
func (c *CheckCollector) Findings() []Finding { return c.findings }

// WriteFindingsJSON writes the findings as one JSON array.
func WriteFindingsJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fs); err != nil {
		return fmt.Errorf("writing findings as JSON: %w", err)
	}
	return nil
}

// WriteFindingsText writes one finding per line (nothing when clean), then
// a count.
func WriteFindingsText(w io.Writer, fs []Finding) error {
	bw := bufio.NewWriter(w)
	for _, f := range fs {
		where := f.Conn
		if f.Dir != "" {
			where += " " + f.Dir
		}
		if f.Line != "" {
			fmt.Fprintf(bw, "%s %s %q: %s\n", f.TS, where, clipLine(printable(f.Line)), printable(f.Text))
		} else {
			fmt.Fprintf(bw, "%s %s: %s\n", f.TS, where, printable(f.Text))
		}
	}
	if len(fs) > 0 {
		fmt.Fprintf(bw, "%d findings\n", len(fs))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	return nil
}

func clipLine(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// WriteFindingsTable writes the findings as a table.
func WriteFindingsTable(w io.Writer, fs []Finding) error {
	if len(fs) == 0 {
		return nil
	}
	t := newTable(w, "Time", "Conn", "Dir", "Kind", "Line", "Finding")
	for _, f := range fs {
		if err := t.Append(f.TS, f.Conn, f.Dir, f.Kind, clipLine(printable(f.Line)), printable(f.Text)); err != nil {
			return err
		}
	}
	return t.Render()
}
