package capture_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msnsniff/msnsniff/capture"
)

func TestParseFilter(t *testing.T) {
	for _, c := range []struct{ expr, tree string }{
		{"host 10.0.0.5", "host 10.0.0.5/32"},
		{"src host 10.0.0.5", "src host 10.0.0.5/32"},
		{"dst 10.0.0.5", "dst host 10.0.0.5/32"},
		{"10.0.0.5", "host 10.0.0.5/32"},
		{"host 2001:db8::1", "host 2001:db8::1/128"},
		{"host fe80::1%eth0", "host fe80::1/128"},
		{"net 10.0.0.0/8", "net 10.0.0.0/8"},
		{"net 10.1.0.0 mask 255.255.0.0", "net 10.1.0.0/16"},
		{"net 192.0.2.7", "net 192.0.2.7/32"},
		{"ip6 net 2001:db8::/32", "ip6 net 2001:db8::/32"},
		{"port 1863", "port 1863"},
		{"tcp dst port 1863", "tcp dst port 1863"},
		{"portrange 1000-2000", "portrange 1000-2000"},
		{"ip", "ip"},
		{"ip6 or tcp", "(or ip6 tcp)"},
		{"src or dst host 10.0.0.5", "host 10.0.0.5/32"},
		{"dst and src host 10.0.0.5", "src-and-dst host 10.0.0.5/32"},
		{"src host 10.0.0.5 or dst host 10.0.0.6", "(or src host 10.0.0.5/32 dst host 10.0.0.6/32)"},
		{"host 10.0.0.5 and not port 1863", "(and host 10.0.0.5/32 (not port 1863))"},
		{"host 10.0.0.5 && !port 1863 || net 10.0.0.0/8", "(or (and host 10.0.0.5/32 (not port 1863)) net 10.0.0.0/8)"},
		{"host 10.0.0.5 and (port 1863 or port 1864)", "(and host 10.0.0.5/32 (or port 1863 port 1864))"},
		{"not not ip", "(not (not ip))"},
		// tcpdump's abbreviation: a bare value repeats the last qualifiers.
		{"src host 10.0.0.5 or 10.0.0.6", "(or src host 10.0.0.5/32 src host 10.0.0.6/32)"},
		{"port 1863 or 1864 and not 1865", "(or port 1863 (and port 1864 (not port 1865)))"},
		{"HOST 10.0.0.5 AND Port 1863", "(and host 10.0.0.5/32 port 1863)"},
		{"host localhost", "host 127.0.0.1/32"},
		{"  ", "<nil>"},
	} {
		f, err := capture.ParseFilter(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		got := f.Tree()
		if c.expr == "host localhost" && strings.HasPrefix(got, "host ") && strings.Contains(got, "127.0.0.1/32") {
			continue // the resolver may also return ::1
		}
		if got != c.tree {
			t.Errorf("%q parsed as %s, want %s", c.expr, got, c.tree)
		}
		if f != nil && f.String() != c.expr {
			t.Errorf("%q: String() = %q", c.expr, f.String())
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, c := range []struct{ expr, msg string }{
		{"host", "value for \"host\""},
		{"port", "value for \"port\""},
		{"port 70000", "out of range"},
		{"port ftp", "want a number"},
		{"portrange 2000-1000", "2000 is above 1000"},
		{"portrange 2000", "want N-M"},
		{"net 10.0.0.1/8", "host bits set; did you mean 10.0.0.0/8"},
		{"net 10.0", "want a network"},
		{"net 10.0.0.0 mask 255.0.255.0", "not contiguous"},
		{"net 10.0.0.0 mask ffff::", "IPv4 netmask"},
		{"host 10.0.0.0/8", "write net 10.0.0.0/8"},
		{"host 1863", "write port 1863"},
		{"ip6 host 10.0.0.1", "not an IPv6 address"},
		{"ip host ::1", "not an IPv4 address"},
		{"udp port 53", `"udp" is outside the supported filter subset`},
		{"host 10.0.0.1 and vlan", `"vlan" is outside`},
		{"host 10.0.0.1 and", "expression ends"},
		{"(host 10.0.0.1", `missing ")"`},
		{"host 10.0.0.1)", `unexpected ")"`},
		{"host 10.0.0.1 & port 1", `did you mean "&&"`},
		{"and port 1", `unexpected "and"`},
		{"host port", `unexpected "port" where a value was expected`},
		{"host 10.0.0.1 port 1863", `unexpected "port"`},
	} {
		_, err := capture.ParseFilter(c.expr)
		var se *capture.FilterSyntaxError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want a FilterSyntaxError containing %q", c.expr, err, c.msg)
		}
	}
	// A name that does not resolve is an error from the resolver, not a
	// syntax error, and says which host.
	_, err := capture.ParseFilter("host no-such-host.invalid")
	if err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Errorf("unresolvable host: %v", err)
	}
}
