package reassembly

import (
	"net/netip"
	"time"
)

// tombstoneTTL is how long, in capture time, a closed connection's tuple
// keeps swallowing segments. Retransmissions of a closed connection stop
// within a maximum segment lifetime (two minutes in RFC 9293); after that a
// segment without a SYN is more likely a reused tuple whose SYN we missed.
const tombstoneTTL = 2 * time.Minute

// tombstone remembers a closed connection so that its late retransmissions
// and final ACKs are dropped instead of opening a mid-stream connection.
type tombstone struct {
	key    connKey
	client netip.AddrPort
	isn    [2]uint32
	syn    [2]bool // isn is known
	ts     time.Time
	live   bool
}

// sameSYN reports whether a SYN from src numbered seq is a late copy of the
// closed connection's own SYN rather than the start of a new one.
func (t *tombstone) sameSYN(src netip.AddrPort, seq uint32) bool {
	d := ServerToClient
	if src == t.client {
		d = ClientToServer
	}
	return t.syn[d] && t.isn[d] == seq
}

// tombstones is a FIFO ring of at most max entries, indexed by tuple, so
// memory stays bounded however many connections close; the oldest
// tombstone makes way for the newest.
type tombstones struct {
	max   int
	ring  []tombstone
	next  int // slot to overwrite once the ring is full
	index map[connKey]int
}

func (t *tombstones) init(max int) {
	t.max = max
	t.index = make(map[connKey]int)
}

func (t *tombstones) len() int { return len(t.index) }

func (t *tombstones) find(k connKey) (int, bool) {
	i, ok := t.index[k]
	return i, ok
}

func (t *tombstones) add(c *conn, ts time.Time) {
	e := tombstone{key: c.key, client: c.Client, ts: ts, live: true}
	for d := range c.dirs {
		e.isn[d], e.syn[d] = c.dirs[d].isn, c.dirs[d].synSeen
	}
	if len(t.ring) < t.max {
		t.index[c.key] = len(t.ring)
		t.ring = append(t.ring, e)
		return
	}
	if old := &t.ring[t.next]; old.live {
		delete(t.index, old.key)
	}
	t.ring[t.next] = e
	t.index[c.key] = t.next
	t.next = (t.next + 1) % t.max
}

func (t *tombstones) remove(i int) {
	delete(t.index, t.ring[i].key)
	t.ring[i] = tombstone{}
}
