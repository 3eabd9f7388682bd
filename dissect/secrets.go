package dissect

import (
	"fmt"
	"sort"
)

// Credentials on the wire — Passport tickets, MD5 answers, SSO tokens,
// switchboard auth cookies — are redacted from every output unless the
// connection was created with ShowSecrets. Decoders call secret for each
// credential parameter; finish rewrites Args and Line before the message
// leaves the package, so no report can print the raw value.

// secretSpan is one credential parameter of a message.
type secretSpan struct {
	arg        int
	raw, shown string
}

// secret marks parameter i of m as a credential and returns what may be
// shown of it: the value itself with ShowSecrets, else "[redacted N B]".
func (c *Conn) secret(m *Message, i int) string {
	if i < 0 || i >= len(m.Args) {
		return ""
	}
	v := m.Args[i]
	if c.showSecrets {
		return v
	}
	shown := fmt.Sprintf("[redacted %d B]", len(v))
	m.secrets = append(m.secrets, secretSpan{arg: i, raw: v, shown: shown})
	return shown
}

// redact replaces the marked credentials in Args and, at their exact
// positions, in Line (a search would find the same text elsewhere first,
// e.g. a CTP password equal to the TrID).
func (m *Message) redact() {
	if len(m.secrets) == 0 {
		return
	}
	sort.Slice(m.secrets, func(i, j int) bool { return m.secrets[i].arg > m.secrets[j].arg })
	// Offsets are found again here rather than kept for every line: few
	// lines carry credentials. Args are the last tokens of the line.
	offs := tokenOffsets(m.Line)
	argOff := offs[max(0, len(offs)-len(m.Args)):]
	for _, s := range m.secrets {
		if s.arg >= len(m.Args) || m.Args[s.arg] != s.raw {
			continue
		}
		m.Args[s.arg] = s.shown
		if s.arg < len(argOff) {
			off := argOff[s.arg]
			if off+len(s.raw) <= len(m.Line) && m.Line[off:off+len(s.raw)] == s.raw {
				m.Line = m.Line[:off] + s.shown + m.Line[off+len(s.raw):]
			}
		}
	}
	m.secrets = nil
}

// tokenOffsets returns where each token of line starts, with tokenize's
// separators.
func tokenOffsets(line string) []int {
	var offs []int
	for i := 0; i < len(line); i++ {
		if line[i] != ' ' && line[i] != '\t' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			offs = append(offs, i)
		}
	}
	return offs
}
