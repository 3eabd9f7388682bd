package workload

import (
	"bytes"
	"crypto/sha256"
	"testing"

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
