package report

import (
	"bufio"
	"bytes"
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
	// Emit, when set, receives each finding as it is found, and the
	// collector keeps none: a capture can hold a finding on every line, so
	// the reports that can be written as they go (text and JSON) are.
	Emit func(Finding)
	// n counts the findings, kept or emitted.
	n        int
	findings []Finding
	// noted are the texts already found per open connection, so that a
	// contact-list problem also noted on a message is reported once.
	noted map[string]map[string]bool
}

// Count returns the number of findings so far.
func (c *CheckCollector) Count() int { return c.n }

func (c *CheckCollector) add(f Finding) {
	c.n++
	if c.Emit != nil {
		c.Emit(f)
	} else {
		c.findings = append(c.findings, f)
	}
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

// FindingsWriter writes findings one at a time, so that check keeps none
// in memory: as text, one per line then a count (nothing when clean), or
// as one JSON array laid out as encoding/json indents the whole slice.
type FindingsWriter struct {
	bw   *bufio.Writer
	json bool
	n    int
	enc  *json.Encoder
	buf  bytes.Buffer
	err  error
}

// NewFindingsWriter returns a writer of format "text" or "json" to w.
func NewFindingsWriter(w io.Writer, format string) *FindingsWriter {
	fw := &FindingsWriter{bw: bufio.NewWriter(w), json: format == "json"}
	if fw.json {
		// The layout of json.Encoder with SetIndent("", "  ") on the
		// whole array: each element indented one level.
		fw.enc = json.NewEncoder(&fw.buf)
		fw.enc.SetEscapeHTML(false)
		fw.enc.SetIndent("  ", "  ")
	}
	return fw
}

// Write writes one finding; an error is kept for Close.
func (fw *FindingsWriter) Write(f Finding) {
	if fw.err != nil {
		return
	}
	fw.n++
	if fw.json {
		fw.buf.Reset()
		if fw.err = fw.enc.Encode(&f); fw.err != nil {
			return
		}
		if fw.n == 1 {
			fw.bw.WriteString("[\n  ")
		} else {
			fw.bw.WriteString(",\n  ")
		}
		fw.bw.Write(bytes.TrimSuffix(fw.buf.Bytes(), []byte("\n")))
		return
	}
	where := f.Conn
	if f.Dir != "" {
		where += " " + f.Dir
	}
	if f.Line != "" {
		fmt.Fprintf(fw.bw, "%s %s %q: %s\n", f.TS, where, clipLine(printable(f.Line)), printable(f.Text))
	} else {
		fmt.Fprintf(fw.bw, "%s %s: %s\n", f.TS, where, printable(f.Text))
	}
}

// Close ends the report (the JSON array's end, or the text's count) and
// flushes it.
func (fw *FindingsWriter) Close() error {
	if fw.err != nil {
		return fmt.Errorf("writing findings: %w", fw.err)
	}
	switch {
	case fw.json && fw.n == 0:
		fw.bw.WriteString("[]\n")
	case fw.json:
		fw.bw.WriteString("\n]\n")
	case fw.n > 0:
		fmt.Fprintf(fw.bw, "%d findings\n", fw.n)
	}
	if err := fw.bw.Flush(); err != nil {
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
