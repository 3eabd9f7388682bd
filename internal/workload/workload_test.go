package workload

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/internal/capgen"
)

func generate(t *testing.T, cfg Config) ([]byte, Stats) {
	t.Helper()
	var b bytes.Buffer
	st, err := Generate(&b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), st
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 7, Size: 1 << 20, Sessions: 40, Reorder: 0.01, Duplicate: 0.01, Loss: 0.001}
	a, sa := generate(t, cfg)
	b, sb := generate(t, cfg)
	if sha256.Sum256(a) != sha256.Sum256(b) || sa != sb {
		t.Fatalf("the same config gave different captures (%+v, %+v)", sa, sb)
	}
	cfg.Seed = 8
	c, _ := generate(t, cfg)
	if bytes.Equal(a, c) {
		t.Fatal("another seed gave the same capture")
	}
}

func TestSizeAndImpairments(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"clean", Config{Seed: 1, Size: 2 << 20, Sessions: 50}},
		{"impaired", Config{Seed: 1, Size: 2 << 20, Sessions: 50, Reorder: 0.02, Duplicate: 0.02, Loss: 0.01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, st := generate(t, tc.cfg)
			if int64(len(data)) != st.Bytes || st.Bytes < tc.cfg.Size || st.Bytes > tc.cfg.Size+70000 {
				t.Fatalf("wrote %d bytes (stats say %d) for a target of %d", len(data), st.Bytes, tc.cfg.Size)
			}
			if st.Packets == 0 || st.Connections <= int64(tc.cfg.Sessions) || st.Messages == 0 {
				t.Fatalf("implausible stats %+v", st)
			}
			impaired := st.Lost > 0 && st.Duplicated > 0 && st.Swapped > 0
			if impaired != (tc.cfg.Loss > 0) {
				t.Fatalf("impairments %+v with config %+v", st, tc.cfg)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	var b bytes.Buffer
	if _, err := Generate(&b, Config{}); err == nil {
		t.Error("no error for a zero size")
	}
	if _, err := Generate(&b, Config{Size: 1000, Format: capgen.PCAPNG}); err == nil {
		t.Error("no error for pcapng, which the streaming writer does not write")
	}
}

// TestHoldVisit: held visits stay for the whole capture unless Visit is
// set; then each place is taken by a new login when its visit ends, so a
// capture of few concurrent logins holds many (the benchmark's baseline
// for the content of a busy server).
func TestHoldVisit(t *testing.T) {
	base := Config{Seed: 3, Size: 1 << 40, Duration: 2 * time.Minute, Sessions: 10, Hold: true, MinContacts: 5, MaxContacts: 10}
	_, held := generate(t, base)
	if held.Visits != int64(base.Sessions) {
		t.Fatalf("held: %d visits, want %d", held.Visits, base.Sessions)
	}
	storm := base
	storm.Visit = 5 * time.Second
	_, st := generate(t, storm)
	// A visit is its login (a few seconds with the list), Visit, and its
	// conversations winding down (up to a minute or so): in two minutes
	// each place sees at least two.
	if st.Visits < 2*int64(base.Sessions) {
		t.Fatalf("with Visit %v: %d visits in %v, want at least %d", storm.Visit, st.Visits, base.Duration, 2*base.Sessions)
	}
	var b bytes.Buffer
	if _, err := Generate(&b, Config{Size: 1000, Visit: time.Second}); err == nil {
		t.Error("no error for Visit without Hold")
	}
}
