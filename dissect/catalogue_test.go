package dissect

import "testing"

// TestCommandIndex: the packed index finds exactly what the catalogue map
// and the nsOnly set hold, and nothing for other codes.
func TestCommandIndex(t *testing.T) {
	for name, cmd := range catalogue {
		if got := command(name); got != cmd {
			t.Errorf("command(%q) = %v, want the catalogue row", name, got)
		}
	}
	for name := range nsOnly {
		if !isNSOnly(name) {
			t.Errorf("isNSOnly(%q) = false", name)
		}
	}
	for _, tc := range []struct {
		code string
		want *Command
	}{
		{"ZZZ", nil}, {"msg", nil}, {"MS", nil}, {"MSGS", nil}, {"M G", nil}, {"[SG", nil}, {"", nil},
		{"911", errorCommand}, {"0", errorCommand}, {"MSG", catalogue["MSG"]},
	} {
		if got := command(tc.code); got != tc.want {
			t.Errorf("command(%q) = %v, want %v", tc.code, got, tc.want)
		}
	}
	if isNSOnly("MSG") || isNSOnly("usr") || !isNSOnly("SYN") {
		t.Error("isNSOnly disagrees with the nsOnly set")
	}
}
