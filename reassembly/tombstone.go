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

// tombstones is a FIFO queue of at most max entries, oldest first,
// indexed by tuple, so memory stays bounded however many connections
// close: the oldest makes way for the newest, and tombstones past
// tombstoneTTL are dropped as new ones come (on a long capture the cap
// alone let them pile up to max: 12 MiB of live heap at 2 GB).
type tombstones struct {
	max int
	// q[i] has sequence number first+i; removed entries stay in place,
	// not live, until they reach the front.
	q     []tombstone
	first int
	index map[connKey]int // sequence number of each tuple's tombstone
}

func (t *tombstones) init(max int) {
	t.max = max
	t.index = make(map[connKey]int)
}

func (t *tombstones) len() int { return len(t.index) }

// find returns the sequence number of k's tombstone, for at and remove.
func (t *tombstones) find(k connKey) (int, bool) {
	i, ok := t.index[k]
	return i, ok
}

func (t *tombstones) at(i int) *tombstone { return &t.q[i-t.first] }

// add records c, closed at ts, dropping what has expired by then and, at
// the cap, the oldest. Removed entries waiting to reach the front count
// against a cap of their own, twice max.
func (t *tombstones) add(c *conn, ts time.Time) {
	if old, ok := t.index[c.key()]; ok {
		t.remove(old)
	}
	for len(t.q) > 0 && (len(t.index) >= t.max || len(t.q) >= 2*t.max || !t.q[0].live || ts.Sub(t.q[0].ts) > tombstoneTTL) {
		if old := &t.q[0]; old.live {
			delete(t.index, old.key)
		}
		t.q[0] = tombstone{}
		t.q = t.q[1:]
		t.first++
	}
	e := tombstone{key: c.key(), client: c.Client, ts: ts, live: true}
	for d := range c.dirs {
		e.isn[d], e.syn[d] = c.dirs[d].isn, c.dirs[d].synSeen
	}
	t.index[c.key()] = t.first + len(t.q)
	t.q = append(t.q, e)
}

func (t *tombstones) remove(i int) {
	e := t.at(i)
	delete(t.index, e.key)
	*e = tombstone{}
}
