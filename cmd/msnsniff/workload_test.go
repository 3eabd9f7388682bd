package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/msnsniff/msnsniff/internal/workload"
)

// TestWorkloadDissectsCleanly checks the benchmark workload against the
// dissector: a generated capture must frame without a skipped byte, and
// every complete contact list must be rebuilt with the size the generator
// sent. Otherwise the benchmarks would measure error paths.
func TestWorkloadDissectsCleanly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workload.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	type list struct{ contacts, groups int }
	sent := map[string]list{}
	_, err = workload.Generate(f, workload.Config{Seed: 3, Size: 6 << 20, Sessions: 120, Logins: 0.3,
		OnList: func(user string, contacts, groups int) { sent[user] = list{contacts, groups} }})
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	out, stderr, code := cli(t, nil, "stats", "--format", "json", path)
	if code != 0 || stderr != "" {
		t.Fatalf("stats: exit %d, stderr %q", code, stderr)
	}
	var st struct {
		Skipped map[string]int64 `json:"skipped_bytes"`
		Gaps    map[string]int64 `json:"gap_bytes"`
		Roles   map[string]int   `json:"connections_by_role"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]int64{st.Skipped, st.Gaps} {
		if m["c2s"] != 0 || m["s2c"] != 0 {
			t.Errorf("skipped %v, gaps %v in a clean capture", st.Skipped, st.Gaps)
		}
	}
	if st.Roles["NS"] == 0 || st.Roles["SB"] == 0 || st.Roles["DS"] == 0 {
		t.Errorf("roles %v: want DS, NS and SB connections", st.Roles)
	}

	out, _, code = cli(t, nil, "contacts", "--format", "json", path)
	if code != 0 {
		t.Fatalf("contacts: exit %d", code)
	}
	var lists []struct {
		User     string            `json:"user"`
		Complete bool              `json:"complete"`
		Groups   []json.RawMessage `json:"groups"`
		Contacts []json.RawMessage `json:"contacts"`
	}
	if err := json.Unmarshal([]byte(out), &lists); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, l := range lists {
		want, ok := sent[l.User]
		if !ok || !l.Complete {
			continue
		}
		checked++
		if len(l.Contacts) != want.contacts {
			t.Errorf("%s: rebuilt %d contacts, the generator sent %d", l.User, len(l.Contacts), want.contacts)
		}
	}
	if checked < 3 {
		t.Fatalf("only %d complete lists of %d sent; the test checks too little", checked, len(sent))
	}
}

// TestContactsListsOnlyMatchesFullDecode: contacts skips decoding chat
// and presence traffic (dissect.Options.ListsOnly); its output must be
// exactly what full decoding gives, on the bundled captures, an impaired
// generated one, and the real ones when ../shared is there.
func TestContactsListsOnlyMatchesFullDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", "*"))
	gen := filepath.Join(t.TempDir(), "impaired.pcap")
	f, err := os.Create(gen)
	if err != nil {
		t.Fatal(err)
	}
	_, err = workload.Generate(f, workload.Config{Seed: 5, Size: 4 << 20, Sessions: 100, Logins: 0.2, Reorder: 0.01, Duplicate: 0.01, Loss: 0.002})
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, gen)
	if dirExists(filepath.Join(sharedDirNoSkip(), "pcaps")) {
		for _, pat := range []string{"pcaps/*.pcap*", "peer/*.pcap*"} {
			more, _ := filepath.Glob(filepath.Join(sharedDirNoSkip(), pat))
			files = append(files, more...)
		}
	}
	if len(files) < 5 {
		t.Fatalf("only %d captures found", len(files))
	}
	t.Logf("comparing %d captures", len(files))
	for _, name := range files {
		fast, _, code1 := cli(t, nil, "contacts", "--format", "json", name)
		full, _, code2 := cli(t, nil, "contacts", "--format", "json", "--decode-all", name)
		if code1 != code2 || fast != full {
			t.Errorf("%s: contacts (exit %d) and contacts --decode-all (exit %d) differ:\n%s\n----\n%s", name, code1, code2, fast, full)
		}
	}
}

// TestParallelOutputIdentical: with --parallel the reading stage runs on
// its own goroutine and dissection on one or several (connections split
// by client address, their events merged back in order); every report
// must be byte for byte what the sequential run writes, on clean,
// impaired and damaged input (the damaged file's warnings and error must
// come out at the same place).
func TestParallelOutputIdentical(t *testing.T) {
	dir := t.TempDir()
	gen := func(name string, cfg workload.Config) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := workload.Generate(f, cfg); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	clean := gen("clean.pcap", workload.Config{Seed: 11, Size: 3 << 20, Sessions: 80, Logins: 0.2})
	impaired := gen("impaired.pcap", workload.Config{Seed: 12, Size: 3 << 20, Sessions: 80, Logins: 0.2, Reorder: 0.02, Duplicate: 0.01, Loss: 0.005})
	// Damage: flip bytes in record headers and cut the file short.
	data, err := os.ReadFile(impaired)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 30; i++ {
		data[len(data)*i/40] ^= 0xff
	}
	damaged := filepath.Join(dir, "damaged.pcap")
	if err := os.WriteFile(damaged, data[:len(data)-1000], 0o644); err != nil {
		t.Fatal(err)
	}
	bundled, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", "*"))
	inputs := [][]string{{clean}, {impaired}, {damaged}, bundled, {clean, damaged, impaired}}
	for _, args := range [][]string{
		{"read", "--format", "json"}, {"read", "--format", "text", "--color", "never"},
		{"contacts", "--format", "json"}, {"sessions", "--format", "json"}, {"stats", "--format", "json"}, {"check"},
		{"chats", "--format", "json"},
	} {
		for _, in := range inputs {
			full := append(append([]string{}, args...), in...)
			seq, seqErr, seqCode := cli(t, nil, append([]string{"--parallel=false"}, full...)...)
			if len(seq) == 0 {
				t.Errorf("msnsniff %v: no output", full)
			}
			for _, n := range []string{"1", "2", "3", "5"} {
				par, parErr, parCode := cli(t, nil, append([]string{"--parallel", "--dissectors", n}, full...)...)
				if par != seq || parErr != seqErr || parCode != seqCode {
					t.Errorf("msnsniff --dissectors %s %v: parallel and sequential runs differ (exit %d vs %d, %d vs %d output bytes, stderr %q vs %q)",
						n, full, parCode, seqCode, len(par), len(seq), parErr, seqErr)
				}
			}
		}
	}
}
