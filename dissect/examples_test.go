package dissect

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// exampleConn is one connection of ../shared/msnp/examples.md, as the
// steps each side sent, with the payloads the document gives byte-exact.
type exampleConn struct {
	section  string
	steps    []step
	payloads map[int][]byte // message index → payload
}

var byteExact = regexp.MustCompile("^\\* `([CS]: [^`]*)` → (\\d+) bytes: `(\".*\")`$")

// parseExamples reads the annotated sessions of examples.md.
func parseExamples(t *testing.T, path string) []*exampleConn {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("protocol reference not available: %v", err)
	}
	defer f.Close()
	type block struct {
		section string
		lines   []string
	}
	var blocks []*block
	exact := map[*block]map[string]string{}
	var cur *block
	var last *block
	section := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			section = line[3:]
		case line == "```" && cur == nil:
			cur = &block{section: section}
		case line == "```":
			blocks = append(blocks, cur)
			last, cur = cur, nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		default:
			if m := byteExact.FindStringSubmatch(line); m != nil && last != nil {
				s, err := strconv.Unquote(m[3])
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				if exact[last] == nil {
					exact[last] = map[string]string{}
				}
				exact[last][m[1]] = s
			}
		}
	}
	var conns []*exampleConn
	for _, b := range blocks {
		c := &exampleConn{section: b.section, payloads: map[int][]byte{}}
		skipping := false
		n := 0
		for _, line := range b.lines {
			switch {
			case strings.HasPrefix(line, "# ---") && len(c.steps) > 0:
				conns = append(conns, c)
				c = &exampleConn{section: b.section, payloads: map[int][]byte{}}
				n = 0
				skipping = false
			case strings.HasPrefix(line, "#"):
				skipping = false
			case strings.HasPrefix(line, "C: ") || strings.HasPrefix(line, "S: "):
				skipping = false
				data := line[3:] + "\r\n"
				if p, ok := exact[b][line]; ok {
					data += p
					c.payloads[n] = []byte(p)
					skipping = true
				}
				if line[0] == 'C' {
					c.steps = append(c.steps, c2s(data))
				} else {
					c.steps = append(c.steps, s2c(data))
				}
				n++
			case skipping:
			default:
				if strings.TrimSpace(line) != "" {
					t.Fatalf("%s: unexpected line %q", b.section, line)
				}
			}
		}
		if len(c.steps) > 0 {
			conns = append(conns, c)
		}
	}
	return conns
}

// TestReferenceExamples frames and decodes every session of the protocol
// reference's examples.md: every command known, no byte skipped, every
// payload exactly the document's, and no anomaly noted.
func TestReferenceExamples(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "msnp", "examples.md")
	if d := os.Getenv("MSNSNIFF_SHARED"); d != "" {
		path = filepath.Join(d, "msnp", "examples.md")
	}
	conns := parseExamples(t, path)
	if len(conns) < 7 {
		t.Fatalf("parsed %d connections from examples.md", len(conns))
	}
	lists := 0
	for _, ex := range conns {
		// Feed in order, one direction at a time, as the document shows.
		c, col := run(t, ex.steps, 0, false)
		msgs := col.messages()
		// Messages come out per direction in order; pair them with steps.
		var want [2][]int
		for i, s := range ex.steps {
			want[s.dir] = append(want[s.dir], i)
		}
		var got [2][]*Message
		for _, m := range msgs {
			got[m.Dir] = append(got[m.Dir], m)
		}
		for d := range 2 {
			if len(got[d]) != len(want[d]) {
				t.Errorf("%s: %d messages in %s, want %d", ex.section, len(got[d]), Dir(d), len(want[d]))
				continue
			}
			for k, m := range got[d] {
				idx := want[d][k]
				if p, ok := ex.payloads[idx]; ok && string(m.Payload) != string(p) {
					t.Errorf("%s: %q payload %q, want %q", ex.section, m.Line, m.Payload, p)
				}
				if !isDigits(m.Cmd) && Lookup(m.Cmd) == nil {
					t.Errorf("%s: unknown command %q", ex.section, m.Line)
				}
				if len(m.Notes) > 0 {
					t.Errorf("%s: %q: notes %q", ex.section, m.Line, m.Notes)
				}
				if m.Fields == nil {
					t.Errorf("%s: %q has no decoded fields", ex.section, m.Line)
				}
			}
		}
		for _, ev := range col.events {
			if ev.Kind == KindSkip || ev.Kind == KindGap {
				t.Errorf("%s: %s of %d bytes (%s)", ex.section, ev.Kind, ev.Bytes, ev.Reason)
			}
		}
		if l := c.ContactList(); l != nil {
			lists++
			// The MSNP15 session has a client ADL the server rightly rejects.
			expected := len(l.Problems) == 1 && strings.Contains(l.Problems[0], "ADL 11 rejected with error 241")
			if !l.Complete || len(l.Problems) > 0 && !expected || len(l.Contacts) == 0 {
				t.Errorf("%s: contact list complete=%v contacts=%d problems %q", ex.section, l.Complete, len(l.Contacts), l.Problems)
			}
		}
	}
	if lists != 5 {
		t.Errorf("%d contact lists rebuilt, want 5 (MSNP7, 8, 10, 12 by SYN, 15 by ADL)", lists)
	}
}
