package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestFindingsWriterJSON checks that findings written one at a time make
// the document encoding/json writes for the whole slice, indented.
func TestFindingsWriterJSON(t *testing.T) {
	var all []Finding
	for i, s := range trickyStrings {
		all = append(all, Finding{Conn: s, Session: s, TS: s, Dir: s, Line: s, Kind: "message", Text: s})
		if i%2 == 0 {
			all = append(all, Finding{Conn: "c1", TS: "t", Kind: "transaction", Text: s})
		}
	}
	for _, fs := range [][]Finding{nil, all[:1], all[:3], all} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		v := fs
		if v == nil {
			v = []Finding{}
		}
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		fw := NewFindingsWriter(&got, "json")
		for _, f := range fs {
			fw.Write(f)
		}
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d findings:\n got %s\nwant %s", len(fs), got.String(), want.String())
		}
	}
}

// TestCheckCollectorEmit checks that a collector with Emit keeps nothing
// and passes on what it would have kept, in order, counted.
func TestCheckCollectorEmit(t *testing.T) {
	kept := &CheckCollector{}
	var emitted []Finding
	streamed := &CheckCollector{Emit: func(f Finding) { emitted = append(emitted, f) }}
	for _, f := range []Finding{{Conn: "c1", Kind: "message", Text: "a"}, {Conn: "c2", Kind: "framing", Text: "b"}, {Conn: "c1", Kind: "transaction", Text: "c"}} {
		kept.add(f)
		streamed.add(f)
	}
	if len(streamed.Findings()) != 0 {
		t.Errorf("a collector with Emit kept %d findings", len(streamed.Findings()))
	}
	if streamed.Count() != 3 || kept.Count() != 3 {
		t.Errorf("counts %d and %d, want 3", streamed.Count(), kept.Count())
	}
	for i := range emitted {
		if emitted[i] != kept.Findings()[i] {
			t.Errorf("finding %d: emitted %+v, kept %+v", i, emitted[i], kept.Findings()[i])
		}
	}
	if len(emitted) != len(kept.Findings()) {
		t.Errorf("emitted %d, kept %d", len(emitted), len(kept.Findings()))
	}
	var text bytes.Buffer
	fw := NewFindingsWriter(&text, "text")
	for _, f := range emitted {
		fw.Write(f)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if want := " c1: a\n c2: b\n c1: c\n3 findings\n"; text.String() != want {
		t.Errorf("text:\n got %q\nwant %q", text.String(), want)
	}
}
