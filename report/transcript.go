package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/msnsniff/msnsniff/dissect"
)

// TimeLayout is the transcript's timestamp format (UTC, microseconds).
const TimeLayout = "2006-01-02 15:04:05.000000"

// Transcript writes an annotated, human-readable transcript: one entry per
// message with its time, connection, direction, raw line and decoded
// meaning; gaps, skipped bytes and stream ends inline where they happen.
type Transcript struct {
	// Color adds ANSI colours (for terminals).
	Color bool

	w    *bufio.Writer
	seen map[string]bool
	err  error
}

// ANSI styles.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
)

// paint wraps s in a style when colour is on.
func (t *Transcript) paint(style, s string) string {
	if !t.Color || s == "" {
		return s
	}
	return style + s + ansiReset
}

// NewTranscript returns a Transcript writing to w. Call Flush at the end.
func NewTranscript(w io.Writer) *Transcript {
	return &Transcript{w: bufio.NewWriterSize(w, 64<<10), seen: map[string]bool{}}
}

// Event implements dissect.Sink.
func (t *Transcript) Event(ev *dissect.Event) {
	if t.err != nil {
		return
	}
	id := ev.Conn.ID
	if !t.seen[id] {
		t.seen[id] = true
		mid := ""
		if ev.Conn.MidStream {
			mid = " (capture starts mid-connection)"
		}
		t.printf("%s\n", t.paint(ansiBold, fmt.Sprintf("# %s  %s -> %s%s", id, ev.Conn.Client, ev.Conn.Server, mid)))
	}
	arrow := t.paint(ansiGreen, ev.Dir.Arrow())
	if ev.Dir == dissect.ServerToClient {
		arrow = t.paint(ansiBlue, ev.Dir.Arrow())
	}
	prefix := fmt.Sprintf("%s %s %s ", t.paint(ansiDim, ev.Time.UTC().Format(TimeLayout)), t.paint(ansiCyan, fmt.Sprintf("%-4s", id)), arrow)
	switch ev.Kind {
	case dissect.KindMessage:
		t.message(prefix, ev.Message)
	case dissect.KindGap:
		t.printf("%s%s\n", prefix, t.paint(ansiRed, fmt.Sprintf("[gap: %d bytes missing from the capture]", ev.Bytes)))
	case dissect.KindSkip:
		t.printf("%s%s\n", prefix, t.paint(ansiRed, fmt.Sprintf("[skipped %d bytes: %s]", ev.Bytes, ev.Reason)))
	case dissect.KindEnd:
		t.printf("%s%s\n", prefix, t.paint(ansiDim, "[stream ends: "+ev.Reason+"]"))
	case dissect.KindSummary:
		t.summary(id, ev.Summary)
		delete(t.seen, id) // a long live capture must not remember every connection
	}
}

const indent = "      "

func (t *Transcript) message(prefix string, m *dissect.Message) {
	line := printable(m.Line)
	if t.Color && len(line) >= 3 {
		line = t.paint(ansiBold, line[:3]) + line[3:]
	}
	if m.HasPayload {
		line += "  " + t.paint(ansiDim, payloadSummary(m))
	}
	t.printf("%s%s\n", prefix, line)
	if m.Meaning != "" {
		t.printf("%s= %s\n", indent, printable(m.Meaning))
	}
	for _, n := range m.Notes {
		t.printf("%s%s\n", indent, t.paint(ansiYellow, "! "+printable(n)))
	}
}

// payloadSummary describes a payload by size and content type instead of
// printing it.
func payloadSummary(m *dissect.Message) string {
	var parts []string
	parts = append(parts, strconv.Itoa(len(m.Payload))+" B")
	if ct := contentType(m); ct != "" {
		parts = append(parts, ct)
	}
	if m.PayloadMissing > 0 {
		parts = append(parts, fmt.Sprintf("%d B missing", m.PayloadMissing))
	}
	return "[payload " + strings.Join(parts, ", ") + "]"
}

// contentType names what a payload is: the MIME type of a MSG, or the
// root element of an XML payload.
func contentType(m *dissect.Message) string {
	if f, ok := m.Fields.(*dissect.MSGFields); ok && f.ContentType != "" {
		return f.ContentType
	}
	p := m.Payload
	if len(p) > 0 && p[0] == '<' {
		end := strings.IndexAny(string(p[:min(len(p), 64)]), " >/")
		if end > 1 {
			return "XML <" + string(p[1:end]) + ">"
		}
	}
	return ""
}

// printable escapes control characters and invalid UTF-8 so that hostile
// bytes cannot drive the terminal.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

func (t *Transcript) printf(format string, a ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, a...)
	}
}

// Flush writes buffered output and returns the first write error.
func (t *Transcript) Flush() error {
	if t.err != nil {
		return t.err
	}
	return t.w.Flush()
}

// Problem prints a run-level finding about an input (a damaged capture, a
// frame that could not be decoded) where it happened in the transcript.
func (t *Transcript) Problem(msg string) {
	t.printf("# ! %s\n", printable(msg))
}

// summary closes a connection's part of the transcript with what it
// amounted to.
func (t *Transcript) summary(id string, s *dissect.Summary) {
	proto := s.Protocol
	switch {
	case proto == "":
		proto = "dialect unknown"
	case s.ProtocolSource == "inherited":
		proto += " (inherited from its NS: switchboards never state it)"
	case s.ProtocolInferred:
		proto += " (inferred from line shapes: VER not captured)"
	default:
		proto += " (from VER)"
	}
	user := s.User
	if user == "" {
		user = "user not seen"
	}
	role := string(s.Role)
	if role == "" {
		role = "role unknown"
	}
	link := ""
	if s.Session != "" {
		link = ", session " + s.Session
	}
	if s.Parent != "" {
		link += ", opened from " + s.Parent
	}
	if s.NotMSNP {
		role = "NOT MSNP"
	}
	t.printf("# %s closed: %s, %s, %s%s\n", id, role, proto, user, link)
	for _, d := range []dissect.Dir{dissect.ClientToServer, dissect.ServerToClient} {
		extra := ""
		if s.GapBytes[d] > 0 {
			extra += fmt.Sprintf(", %d B missing", s.GapBytes[d])
		}
		if s.Skipped[d] > 0 {
			extra += fmt.Sprintf(", %d B skipped", s.Skipped[d])
		}
		t.printf("#   %s %d messages, %d B%s, ended by %s\n", d.Arrow(), s.Messages[d], s.Bytes[d], extra, s.Ends[d])
	}
	for _, u := range s.Unanswered {
		t.printf("#   ! %s\n", printable(u))
	}
}
