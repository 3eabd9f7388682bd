package reassembly

import (
	"net/netip"
	"testing"
	"time"
)

// TestTombstonesExpireAndCap: tombstones past their TTL are dropped as new
// ones come, the cap drops the oldest, a removed or replaced tombstone is
// never found again, and the index always points at its own entry.
func TestTombstonesExpireAndCap(t *testing.T) {
	server := netip.MustParseAddrPort("10.0.0.1:1863")
	closed := func(n int) *conn {
		client := netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), uint16(1024+n))
		return &conn{Conn: Conn{Client: client, Server: server}}
	}
	t0 := time.Date(2006, 3, 1, 9, 0, 0, 0, time.UTC)
	check := func(ts *tombstones) {
		t.Helper()
		for k, i := range ts.index {
			if e := ts.at(i); !e.live || e.key != k {
				t.Fatalf("index of %v points at %+v", k, e)
			}
		}
	}

	var ts tombstones
	ts.init(100)
	// One close a second for an hour: only the last two minutes stay.
	for n := 0; n < 3600; n++ {
		ts.add(closed(n), t0.Add(time.Duration(n)*time.Second))
	}
	check(&ts)
	if got, want := ts.len(), int(tombstoneTTL/time.Second)+1; got > want {
		t.Errorf("%d tombstones after an hour of closes, want at most %d (the TTL's worth)", got, want)
	}
	if _, ok := ts.find(closed(0).key()); ok {
		t.Error("an hour-old tombstone is still there")
	}
	if _, ok := ts.find(closed(3599).key()); !ok {
		t.Error("the newest tombstone is missing")
	}
	if len(ts.q) > 2*ts.max {
		t.Errorf("queue of %d entries for a cap of %d", len(ts.q), ts.max)
	}

	// A burst within the TTL: the cap keeps the newest 100.
	var burst tombstones
	burst.init(100)
	for n := 0; n < 1000; n++ {
		burst.add(closed(n), t0)
	}
	check(&burst)
	if burst.len() != 100 {
		t.Errorf("%d tombstones after a burst of 1000, want the cap (100)", burst.len())
	}
	if _, ok := burst.find(closed(899).key()); ok {
		t.Error("a tombstone beyond the cap is still there")
	}

	// Removing one, and closing a tuple again, leave one entry per tuple.
	i, _ := burst.find(closed(950).key())
	burst.remove(i)
	if _, ok := burst.find(closed(950).key()); ok {
		t.Error("a removed tombstone is found")
	}
	burst.add(closed(999), t0.Add(time.Second))
	check(&burst)
	if burst.len() != 99 {
		t.Errorf("%d tombstones, want 99", burst.len())
	}
}
