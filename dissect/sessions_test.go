package dissect

import (
	"fmt"
	"testing"
	"time"
)

// TestTrackerLinksSwitchboardsOfTheSameClient: a switchboard joins the
// session of the NS that handed out its cookie only when it comes from
// that NS's client address; sessions are named after the connection that
// starts them.
func TestTrackerLinksSwitchboardsOfTheSameClient(t *testing.T) {
	tr := NewTracker()
	t0 := time.Date(2006, 3, 1, 9, 0, 0, 0, time.UTC)
	conn := func(id, client string) *Conn {
		return NewConn(ConnInfo{ID: id, Client: client, Server: "207.46.108.1:1863", Start: t0}, Options{Tracker: tr}, SinkFunc(func(*Event) {}))
	}
	ns := conn("c7", "10.0.0.1:5000")
	ns.Data(ClientToServer, t0, []byte("VER 1 MSNP8 CVR0\r\nUSR 2 MD5 I alice@hotmail.com\r\nXFR 3 SB\r\n"))
	ns.Data(ServerToClient, t0, []byte("VER 1 MSNP8\r\nXFR 3 SB 207.46.108.1:1863 CKI 12345.678\r\n"))
	same := conn("c8", "10.0.0.1:5001")
	same.Data(ClientToServer, t0, []byte("USR 1 alice@hotmail.com 12345.678\r\n"))
	// Another client whose address shares the Tracker bucket, the case
	// only the address check keeps apart.
	otherAddr := ""
	for i := 2; otherAddr == ""; i++ {
		a := fmt.Sprintf("10.0.%d.%d", i>>8, i&255)
		if bucketOf(clientAddrOf(a+":1")) == bucketOf(clientAddrOf("10.0.0.1:1")) {
			otherAddr = a
		}
	}
	other := conn("c9", otherAddr+":5002")
	other.Data(ClientToServer, t0, []byte("USR 1 alice@hotmail.com 12345.678\r\n"))
	for _, tc := range []struct {
		c    *Conn
		want string
	}{{ns, "s7"}, {same, "s7"}, {other, "s9"}} {
		if got := tc.c.Info.Session; got != tc.want {
			t.Errorf("%s (client %s): session %q, want %q", tc.c.Info.ID, tc.c.Info.Client, got, tc.want)
		}
	}
	if same.parentConn != ns || other.parentConn != nil {
		t.Errorf("parents: same %v other %v", same.parentConn, other.parentConn)
	}
}

// TestPartition: all connections of a client address fall into one
// partition, whatever the port, and addresses spread over the partitions.
func TestPartition(t *testing.T) {
	for n := 1; n <= 8; n++ {
		counts := make([]int, n)
		for i := range 2000 {
			a := fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)
			p := Partition(a+":1000", n)
			if p < 0 || p >= n {
				t.Fatalf("Partition(%s, %d) = %d", a, n, p)
			}
			if q := Partition(a+":2000", n); q != p {
				t.Fatalf("Partition(%s, %d): port 1000 in %d, port 2000 in %d", a, n, p, q)
			}
			counts[p]++
		}
		for p, c := range counts {
			if c < 2000/n/2 {
				t.Errorf("n=%d: partition %d holds %d of 2000 addresses", n, p, c)
			}
		}
	}
	if got := Partition("[2001:db8::1]:1863", 4); got != Partition("[2001:db8::1]:5000", 4) {
		t.Error("IPv6 client split by port")
	}
}
