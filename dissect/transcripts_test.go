package dissect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMockServerExchanges replays the exact bytes of the campos02/msnp11-sdk
// mock servers (../shared/transcripts): every line frames as a known
// command, nothing is skipped, and the NS sync burst rebuilds its list.
func TestMockServerExchanges(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "transcripts")
	if d := os.Getenv("MSNSNIFF_SHARED"); d != "" {
		dir = filepath.Join(d, "transcripts")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "campos02-msnp11-sdk__mock_exchanges.json"))
	if err != nil {
		t.Skipf("transcripts not available: %v", err)
	}
	var doc struct {
		Files map[string][]struct {
			Client string   `json:"client"`
			Server []string `json:"server"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Files) == 0 {
		t.Fatal("no exchanges")
	}
	for file, exchanges := range doc.Files {
		var steps []step
		for _, ex := range exchanges {
			steps = append(steps, c2s(ex.Client))
			for _, s := range ex.Server {
				steps = append(steps, s2c(s))
			}
		}
		c, col := run(t, steps, 0, false)
		for _, ev := range col.events {
			if ev.Kind == KindSkip || ev.Kind == KindGap {
				t.Errorf("%s: %s %d bytes (%s)", file, ev.Kind, ev.Bytes, ev.Reason)
			}
		}
		for _, m := range col.messages() {
			if !isDigits(m.Cmd) && Lookup(m.Cmd) == nil {
				t.Errorf("%s: unknown command %q", file, m.Line)
			}
			if m.Fields == nil {
				t.Errorf("%s: %q has no decoded fields", file, m.Line)
			}
			for _, n := range m.Notes {
				// The mock abuses "GTC 7 ReceiveRNG" as a test trigger, sends
				// a truncated Shields.xml and a JOI without a friendly name:
				// reporting them is right.
				explained := m.Line == "GTC 7 ReceiveRNG" || m.Cmd == "GCF" && strings.Contains(n, "not well-formed XML") ||
					m.Cmd == "JOI" && n == "JOI without a friendly name"
				if !explained {
					t.Errorf("%s: %q: unexplained note %q", file, m.Line, n)
				}
			}
		}
		if l := c.ContactList(); l != nil {
			if !l.Complete || len(l.Contacts) != 2 || len(l.Groups) != 1 || l.Protocol != "MSNP11" {
				t.Errorf("%s: list %s complete=%v contacts=%d groups=%d", file, l.Protocol, l.Complete, len(l.Contacts), len(l.Groups))
			}
		}
	}
}

// transcriptLine finds a protocol line in the text transcripts: "C: …",
// "S: …", or emesene/papyon's ">>> …" and "<<< …".
var transcriptLine = regexp.MustCompile(`^(?:\[[^\]]*\] )?(?:[a-z.]+\] )?(C: |S: |>>> |<<< )(.+)$`)

// TestTranscriptLinesDecoded: every command line quoted in the text
// transcripts of other implementations decodes with named fields.
func TestTranscriptLinesDecoded(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "transcripts")
	if d := os.Getenv("MSNSNIFF_SHARED"); d != "" {
		dir = filepath.Join(d, "transcripts")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		t.Skip("transcripts not available")
	}
	n := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			mm := transcriptLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
			if mm == nil || len(mm[2]) < 3 || !isCmdPrefix([]byte(mm[2][:3])) {
				continue
			}
			text := strings.TrimSuffix(mm[2], `\n`)
			dir := ServerToClient
			if mm[1] == "C: " || mm[1] == ">>> " {
				dir = ClientToServer
			}
			_, col := run(t, []step{{dir, text + "\r\n"}}, 0, false)
			for _, m := range col.messages() {
				n++
				if !isDigits(m.Cmd) && Lookup(m.Cmd) == nil {
					t.Errorf("%s: unknown command %q", filepath.Base(file), m.Line)
				}
				if m.Fields == nil {
					t.Errorf("%s: %q has no decoded fields", filepath.Base(file), m.Line)
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d transcript lines found", n)
	}
}
