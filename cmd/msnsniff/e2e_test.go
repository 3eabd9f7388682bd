package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msnsniff/msnsniff/internal/scenario"
)

const pcaps = "../../testdata/pcaps"

// TestBundledCapturesUpToDate regenerates every bundled capture from its
// script and compares the bytes, so the files and scripts cannot drift.
func TestBundledCapturesUpToDate(t *testing.T) {
	for _, c := range scenario.Bundled() {
		var b bytes.Buffer
		if err := c.Write(&b); err != nil {
			t.Fatal(err)
		}
		have, err := os.ReadFile(filepath.Join(pcaps, c.Name))
		if err != nil {
			t.Fatalf("%v (go run ./internal/scenario/gen writes it)", err)
		}
		if !bytes.Equal(have, b.Bytes()) {
			t.Errorf("%s is stale: go run ./internal/scenario/gen", c.Name)
		}
	}
}

// TestGolden runs every command on every bundled capture and compares the
// output with the golden files.
func TestGolden(t *testing.T) {
	for _, c := range scenario.Bundled() {
		path := filepath.Join(pcaps, c.Name)
		runs := []struct {
			suffix string
			args   []string
		}{
			{"read.txt", []string{"read", path}},
			{"read.ndjson", []string{"read", "--format", "json", path}},
			{"contacts.txt", []string{"contacts", path}},
			{"contacts.json", []string{"contacts", "--format", "json", path}},
			{"chats.txt", []string{"chats", "--typing", path}},
			{"chats.json", []string{"chats", "--format", "json", path}},
		}
		for _, r := range runs {
			t.Run(c.Name+"/"+r.suffix, func(t *testing.T) {
				out, errOut, code := cli(t, nil, r.args...)
				if code != 0 || errOut != "" {
					t.Fatalf("exit %d, stderr %q", code, errOut)
				}
				golden(t, strings.TrimSuffix(c.Name, filepath.Ext(c.Name))+"."+r.suffix, out)
			})
		}
	}
}

// decodeNDJSON parses every line of read --format json output; a line that
// is not a complete JSON object fails the test.
func decodeNDJSON(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", i+1, err, line)
		}
		recs = append(recs, m)
	}
	return recs
}

// TestJSONContract checks the field names and types other tools rely on.
func TestJSONContract(t *testing.T) {
	out, _, code := cli(t, nil, "read", "--format", "json", filepath.Join(pcaps, "msnp8-visit.pcap"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var sawLST, sawNullTrID bool
	for _, r := range decodeNDJSON(t, out) {
		for _, k := range []string{"type", "conn", "ts"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("record without %q: %v", k, r)
			}
		}
		if !strings.HasSuffix(r["ts"].(string), "Z") || !strings.Contains(r["ts"].(string), ".") {
			t.Errorf("ts %q is not UTC RFC 3339 with fractional seconds", r["ts"])
		}
		if r["type"] != "message" {
			continue
		}
		for _, k := range []string{"client", "server", "dir", "cmd", "trid", "args"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("message without %q: %v", k, r)
			}
		}
		if r["trid"] == nil {
			sawNullTrID = true
		}
		if r["cmd"] == "LST" && r["fields"].(map[string]any)["passport"] == "bob@example.com" {
			sawLST = true
			f := r["fields"].(map[string]any)
			if f["nickname"] != "Bob Brown" || f["list_mask"] != 11.0 || len(f["lists"].([]any)) != 3 || len(f["groups"].([]any)) != 2 {
				t.Errorf("LST fields %v", f)
			}
		}
	}
	if !sawLST || !sawNullTrID {
		t.Errorf("LST seen %v, null trid seen %v", sawLST, sawNullTrID)
	}
}

// TestChatBodyIsNotCommands: a chat text containing "LST N=…" and "OUT"
// lines must never be reported as commands.
func TestChatBodyIsNotCommands(t *testing.T) {
	for _, name := range []string{"msnp8-visit.pcap", "msnp8-lossy.pcap"} {
		out, _, _ := cli(t, nil, "read", "--format", "json", filepath.Join(pcaps, name))
		for _, r := range decodeNDJSON(t, out) {
			if r["type"] == "message" && strings.Contains(strings.Join(toStrings(r["args"]), " "), "mallory") {
				t.Errorf("%s: chat body reported as a command: %v", name, r)
			}
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestStdinGzipAndSeveralFiles: "-" reads standard input, gzip is
// recognised by content, and several files are read in order.
func TestStdinGzipAndSeveralFiles(t *testing.T) {
	path := filepath.Join(pcaps, "msnp10-login.pcapng")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(raw)
	w.Close()
	want, _, _ := cli(t, nil, "contacts", "--format", "json", path)
	got, errOut, code := cli(t, gz.Bytes(), "contacts", "--format", "json", "-")
	if code != 0 || got != want {
		t.Errorf("gzip on stdin: exit %d, stderr %q, output differs: %v", code, errOut, got != want)
	}
	gzPath := filepath.Join(t.TempDir(), "capture.pcapng.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	both, _, code := cli(t, nil, "contacts", "--format", "json", gzPath, filepath.Join(pcaps, "msnp12-login.pcap"))
	var lists []map[string]any
	if err := json.Unmarshal([]byte(both), &lists); err != nil || code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	if len(lists) != 2 || lists[0]["protocol"] != "MSNP10" || lists[1]["protocol"] != "MSNP12" {
		t.Errorf("lists from two files: %v", lists)
	}
}

// TestDamagedInput: a capture cut in the middle of a record gives exit
// status 2 and a message naming the file and offset; everything before the
// damage is still reported, as complete NDJSON lines.
func TestDamagedInput(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(pcaps, "msnp8-visit.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, raw[:len(raw)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, nil, "read", "--format", "json", cut)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut, "cut.pcap") || !strings.Contains(errOut, "offset") {
		t.Errorf("stderr does not name the file and offset: %q", errOut)
	}
	recs := decodeNDJSON(t, out)
	var msgs int
	var inputErr bool
	for _, r := range recs {
		switch r["type"] {
		case "message":
			msgs++
		case "input_error":
			inputErr = true
		}
	}
	if msgs < 30 || !inputErr {
		t.Errorf("%d messages before the damage, input_error record %v", msgs, inputErr)
	}

	_, errOut, code = cli(t, nil, "contacts", filepath.Join(t.TempDir(), "missing.pcap"))
	if code != 2 || !strings.Contains(errOut, "missing.pcap") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
	notCapture := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notCapture, []byte("VER 1 MSNP8 CVR0\r\n"), 0o644)
	_, errOut, code = cli(t, nil, "read", notCapture)
	if code != 2 || !strings.Contains(errOut, "notes.txt") {
		t.Errorf("not a capture: exit %d, stderr %q", code, errOut)
	}
}

// TestUsageErrors: bad flags and arguments exit 1.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"read"},
		{"read", "--format", "xml", filepath.Join(pcaps, "msnp8-visit.pcap")},
		{"contacts", "--port", "70000", filepath.Join(pcaps, "msnp8-visit.pcap")},
		{"frobnicate"},
	} {
		if _, _, code := cli(t, nil, args...); code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
	}
	out, _, code := cli(t, nil, "--version")
	if code != 0 || !strings.Contains(out, "msnsniff") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

// TestPortFlag: traffic on other ports is ignored unless --port names it.
func TestPortFlag(t *testing.T) {
	path := filepath.Join(pcaps, "msnp8-visit.pcap")
	out, _, _ := cli(t, nil, "contacts", "--format", "json", "--port", "1864", path)
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("--port 1864 still found lists: %s", out)
	}
	out, _, _ = cli(t, nil, "contacts", "--format", "json", "--port", "1864", "--port", "1863", path)
	if !strings.Contains(out, "alice@example.com") {
		t.Errorf("--port 1864 --port 1863 lost the list: %s", out)
	}
}
