package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
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
			{"sessions.txt", []string{"sessions", path}},
			{"sessions.json", []string{"sessions", "--format", "json", path}},
			{"stats.txt", []string{"stats", path}},
			{"stats.json", []string{"stats", "--format", "json", path}},
			{"check.txt", []string{"check", path}},
			{"check.json", []string{"check", "--format", "json", path}},
		}
		for _, r := range runs {
			t.Run(c.Name+"/"+r.suffix, func(t *testing.T) {
				out, errOut, code := cli(t, nil, r.args...)
				if (code != 0 && !(code == 3 && r.args[0] == "check")) || errOut != "" {
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

// TestCheck: check is silent and exits 0 on clean captures, and flags a
// SYN whose counts don't match, an LST naming an unknown group and a reply
// to no request, exiting 3.
func TestCheck(t *testing.T) {
	for _, name := range []string{"msnp8-visit.pcap", "msnp7-login.pcap", "msnp10-login.pcapng", "msnp12-login.pcap"} {
		out, errOut, code := cli(t, nil, "check", filepath.Join(pcaps, name))
		if code != 0 || out != "" || errOut != "" {
			t.Errorf("%s: exit %d, output %q %q", name, code, out, errOut)
		}
	}
	out, _, code := cli(t, nil, "check", "--format", "json", filepath.Join(pcaps, "msnp8-nonconformant.pcap"))
	if code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"carol@example.com is in group 5, which no LSG announced",
		"SYN announced 3 contacts but 2 LST lines followed",
		"reply to no request: no client command used TrID 14 (BLP 14 AL)",
	}
	var got []string
	for _, f := range fs {
		got = append(got, f["text"].(string))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n%s", strings.Join(got, "\n"))
	}
}

// TestFilters narrows read, contacts and sessions down.
func TestFilters(t *testing.T) {
	visit := filepath.Join(pcaps, "msnp8-visit.pcap")
	conns := func(args ...string) map[string]int {
		out, errOut, code := cli(t, nil, append([]string{"read", "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errOut)
		}
		m := map[string]int{}
		for _, r := range decodeNDJSON(t, out) {
			key := r["conn"].(string)
			if r["type"] == "message" {
				key += " " + r["cmd"].(string)
			}
			m[key]++
		}
		return m
	}
	if m := conns("--conn", "c3", visit); len(m) == 0 || m["c2 SYN"] != 0 || m["c3 MSG"] != 3 {
		t.Errorf("--conn c3: %v", m)
	}
	if m := conns("--cmd", "SYN,lst", visit); len(m) != 2 || m["c2 SYN"] != 2 || m["c2 LST"] != 5 {
		t.Errorf("--cmd SYN,lst: %v", m)
	}
	if m := conns("--user", "alice@example.com", visit); m["c1 VER"] != 2 || m["c3 USR"] != 2 {
		t.Errorf("--user: %v", m)
	}
	if m := conns("--user", "nobody@example.com", visit); len(m) != 0 {
		t.Errorf("--user nobody: %v", m)
	}
	if m := conns("--since", "2005-06-01 12:00:09", visit); m["c1 VER"] != 0 || m["c3 OUT"] != 1 {
		t.Errorf("--since: %v", m)
	}
	if m := conns("--until", "2005-06-01T12:00:01Z", visit); m["c1 VER"] != 2 || m["c2 VER"] != 0 {
		t.Errorf("--until: %v", m)
	}
	out, _, _ := cli(t, nil, "sessions", "--format", "json", "--session", "s1", visit, filepath.Join(pcaps, "msnp10-login.pcapng"))
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 3 {
		t.Errorf("--session s1: %d records %v", len(recs), err)
	}
	out, _, _ = cli(t, nil, "contacts", "--format", "json", "--conn", "c4", visit, filepath.Join(pcaps, "msnp10-login.pcapng"))
	if !strings.Contains(out, `"conn": "c4"`) || strings.Contains(out, `"conn": "c2"`) {
		t.Errorf("contacts --conn c4: %s", out)
	}
	if _, errOut, code := cli(t, []byte{}, "read", "--user", "a@b", "-"); code != 1 || !strings.Contains(errOut, "standard input") {
		t.Errorf("--user on stdin: exit %d %q", code, errOut)
	}
	if _, _, code := cli(t, nil, "read", "--since", "yesterday", visit); code != 1 {
		t.Errorf("bad --since: exit %d", code)
	}
}

// TestSessionsLinkConnections: the DS → NS → SB chain of the bundled visit
// is one session.
func TestSessionsLinkConnections(t *testing.T) {
	out, _, _ := cli(t, nil, "sessions", "--format", "json", filepath.Join(pcaps, "msnp8-visit.pcap"))
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprint(r["conn"], " ", r["session"], " ", r["role"], " ", r["parent"], " ", r["user"], " ", r["protocol"]))
	}
	want := "c1 s1 DS <nil> alice@example.com MSNP8|c2 s1 NS <nil> alice@example.com MSNP8|c3 s1 SB c2 alice@example.com MSNP8"
	if strings.Join(got, "|") != want {
		t.Errorf("sessions\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
}

// TestColor: --color always paints, never and non-terminals do not,
// NO_COLOR is honoured in auto mode.
func TestColor(t *testing.T) {
	path := filepath.Join(pcaps, "msnp8-visit.pcap")
	out, _, _ := cli(t, nil, "read", "--color", "always", path)
	if !strings.Contains(out, "\x1b[") {
		t.Error("--color always: no ANSI colours")
	}
	for _, args := range [][]string{{"read", path}, {"read", "--color", "never", path}} {
		if out, _, _ := cli(t, nil, args...); strings.Contains(out, "\x1b[") {
			t.Errorf("%v: colours written to a pipe", args)
		}
	}
	if _, _, code := cli(t, nil, "read", "--color", "rainbow", path); code != 1 {
		t.Errorf("--color rainbow: exit %d", code)
	}
}

// TestTableFormats: every command accepts --format table.
func TestTableFormats(t *testing.T) {
	path := filepath.Join(pcaps, "msnp8-visit.pcap")
	for _, c := range []string{"read", "contacts", "chats", "sessions", "stats", "check"} {
		out, errOut, code := cli(t, nil, c, "--format", "table", path)
		if code != 0 || errOut != "" || (c != "check" && !strings.Contains(out, "+---")) {
			t.Errorf("%s --format table: exit %d %q\n%s", c, code, errOut, out)
		}
	}
}
