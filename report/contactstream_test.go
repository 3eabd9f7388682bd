package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/msnsniff/msnsniff/dissect"
)

// streamLists is n lists on connections 1..n, every third connection
// without one; lists[seq] is nil for those.
func streamLists(n int) map[int]*dissect.ContactList {
	base := sampleLists()
	out := map[int]*dissect.ContactList{}
	for seq := 1; seq <= n; seq++ {
		if seq%3 == 0 {
			out[seq] = nil
			continue
		}
		l := *base[seq%2]
		l.Conn = fmt.Sprintf("c%d", seq)
		l.User = fmt.Sprintf("user%d@example.com", seq)
		out[seq] = &l
	}
	return out
}

// TestContactsStreamMatchesSortedReport: whatever order connections close
// in, and wherever held lists wait, the stream writes exactly what the
// whole-report writers write for the lists sorted by connection.
func TestContactsStreamMatchesSortedReport(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int
		hold     int  // bytes held in memory before spilling
		withhold bool // never add connection 1: everything waits for Close
	}{
		{"in order", 12, defaultHoldInMemory, false},
		{"shuffled", 40, defaultHoldInMemory, false},
		{"shuffled, spilled to a file", 40, 0, false},
		{"shuffled, some spilled", 40, 3000, false},
		{"first never closes", 25, 2000, true},
		{"only connections without lists", 2, defaultHoldInMemory, false},
		{"nothing at all", 0, defaultHoldInMemory, false},
	} {
		for _, asJSON := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s json=%v", tc.name, asJSON), func(t *testing.T) {
				lists := streamLists(tc.n)
				if tc.name == "only connections without lists" {
					lists = map[int]*dissect.ContactList{1: nil, 2: nil}
				}
				var sorted []*dissect.ContactList
				order := make([]int, 0, tc.n)
				for seq := 1; seq <= tc.n; seq++ {
					if tc.withhold && seq == 1 {
						continue
					}
					if lists[seq] != nil {
						sorted = append(sorted, lists[seq])
					}
					order = append(order, seq)
				}
				if tc.name != "in order" {
					rand.New(rand.NewPCG(uint64(tc.n), 7)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				}
				// The reference: encoding/json on the whole sorted array, or
				// each list's table after a blank line.
				var want, got bytes.Buffer
				if asJSON {
					if sorted == nil {
						sorted = []*dissect.ContactList{}
					}
					enc := json.NewEncoder(&want)
					enc.SetEscapeHTML(false)
					enc.SetIndent("", "  ")
					if err := enc.Encode(sorted); err != nil {
						t.Fatal(err)
					}
				} else if len(sorted) == 0 {
					want.WriteString("No contact list was synchronised in this capture.\n")
				}
				for i, l := range sorted {
					if asJSON {
						break
					}
					if i > 0 {
						want.WriteString("\n")
					}
					if err := writeOneList(&want, l); err != nil {
						t.Fatal(err)
					}
				}
				s := NewContactsStream(&got, asJSON)
				s.holdInMemory = tc.hold
				for _, seq := range order {
					s.Add(seq, lists[seq])
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Errorf("stream wrote\n%s\nwant\n%s", got.String(), want.String())
				}
			})
		}
	}
}

// TestContactsStreamSpillIsRemoved: the temporary file of held lists does
// not outlive the report.
func TestContactsStreamSpillIsRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	var got bytes.Buffer
	s := NewContactsStream(&got, false)
	s.holdInMemory = 0
	lists := streamLists(10)
	for seq := 10; seq >= 1; seq-- {
		s.Add(seq, lists[seq])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.spill == nil {
		t.Fatal("nothing was spilled: the test does not exercise the file")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if !bytes.Contains(got.Bytes(), []byte("user1@example.com")) || !bytes.Contains(got.Bytes(), []byte("user10@example.com")) {
		t.Errorf("lists missing from the output:\n%s", got.String())
	}
}

func TestContactsStreamWriteError(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		s := NewContactsStream(failWriter{}, asJSON)
		s.Add(1, sampleLists()[0])
		if err := s.Close(); err == nil || !bytes.Contains([]byte(err.Error()), []byte(os.ErrClosed.Error())) {
			t.Errorf("json=%v: write error not reported: %v", asJSON, err)
		}
	}
}
