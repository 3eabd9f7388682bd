package main

import (
	"strings"
	"testing"
)

// TestLiveUsageErrors: bad flags are usage errors (exit 1), found before
// any capture is attempted, so they need no privilege.
func TestLiveUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--format", "xml"}, `--format "xml"`},
		{[]string{"--format", "table"}, `--format "table"`},
		{[]string{"-c", "-1"}, "-c -1"},
		{[]string{"--duration", "-1s"}, "--duration"},
		{[]string{"-w", "-"}, "standard output"},
		{[]string{"-i", ""}, "no interface"},
		{[]string{"-f", "udp port 53"}, `"udp" is outside the supported filter subset`},
		{[]string{"-f", "host 10.0.0.1 and"}, "expression ends"},
		{[]string{"--port", "70000"}, "not a TCP port"},
		{[]string{"stray-argument"}, "unknown command"},
	} {
		_, errOut, code := cli(t, nil, append([]string{"live"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("live %v: exit %d, stderr %q; want 1 and %q", c.args, code, errOut, c.msg)
		}
	}
}
