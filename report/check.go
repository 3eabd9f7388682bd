package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

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
	// noted are the texts already found per open connection, so that a
	// contact-list problem also noted on a message is reported once.
	noted map[string]map[string]bool
}

func (c *CheckCollector) add(f Finding) {
	c.findings = append(c.findings, f)
	if c.noted == nil {
		c.noted = map[string]map[string]bool{}
	}
	if c.noted[f.Conn] == nil {
		c.noted[f.Conn] = map[string]bool{}
	}
	c.noted[f.Conn][f.Text] = true
}

// Event implements dissect.Sink.
func (c *CheckCollector) Event(ev *dissect.Event) {
	base := Finding{Conn: ev.Conn.ID, Session: ev.Conn.Session, TS: FormatTime(ev.Time)}
	switch ev.Kind {
	case dissect.KindMessage:
		for _, n := range ev.Message.Notes {
			f := base
			f.Dir, f.Line, f.Kind, f.Text = ev.Dir.String(), ev.Message.Line, "message", n
			c.add(f)
		}
	case dissect.KindSkip:
		f := base
		f.Dir, f.Kind, f.Text = ev.Dir.String(), "framing", fmt.Sprintf("%d bytes are not MSNP (%s)", ev.Bytes, ev.Reason)
		c.add(f)
	case dissect.KindSummary:
		for _, u := range ev.Summary.Unanswered {
			f := base
			f.Kind, f.Text = "transaction", u
			c.add(f)
		}
		if l := ev.Summary.ContactList; l != nil {
			for _, p := range l.Problems {
				if !c.noted[ev.Conn.ID][p] {
					f := base
					f.Kind, f.Text = "contact_list", p
					c.add(f)
				}
			}
		}
		delete(c.noted, ev.Conn.ID)
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

// clipLine shortens s to 100 characters (never inside a UTF-8 sequence).
func clipLine(s string) string {
	if utf8.RuneCountInString(s) <= 100 {
		return s
	}
	return string([]rune(s)[:100]) + "…"
}

// WriteFindingsTable writes the findings as a table.
func WriteFindingsTable(w io.Writer, fs []Finding) error {
	if len(fs) == 0 {
		return nil
	}
	rows := make([][]string, len(fs))
	for i, f := range fs {
		rows[i] = []string{f.TS, f.Conn, f.Dir, f.Kind, clipLine(printable(f.Line)), printable(f.Text)}
	}
	return writeTable(w, []string{"Time", "Conn", "Dir", "Kind", "Line", "Finding"}, rows)
}
