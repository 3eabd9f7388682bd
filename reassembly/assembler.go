package reassembly

import (
	"net/netip"
	"slices"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultPort               = 1863
	DefaultMaxBufferedPerConn = 4 << 20
	DefaultMaxBufferedTotal   = 256 << 20
	DefaultMaxConns           = 65536
)

// Config bounds what the Assembler tracks. Zero fields take the defaults.
type Config struct {
	// Ports are the server ports; empty means {1863}. A segment with neither
	// port in the set is ignored. When both ports of a connection are in the
	// set, the sender of its first segment (normally the SYN) is the client.
	Ports []uint16
	// MaxBufferedPerConn caps the out-of-order bytes held for one
	// connection (both directions together). Default 4 MiB. Each held
	// segment is charged 64 bytes on top of its payload, so that memory
	// stays bounded even when the segments are tiny.
	MaxBufferedPerConn int
	// MaxBufferedTotal caps the out-of-order bytes held across all
	// connections, charged the same way. Default 256 MiB.
	MaxBufferedTotal int
	// MaxConns caps the connections tracked at once, and separately the
	// tombstones of closed ones. When a new connection would exceed it, the
	// least recently active one is evicted. Default 65536.
	MaxConns int
	// IdleTimeout ends a connection that has carried no segment for this
	// long in capture time (End with EndIdle). Zero disables it.
	IdleTimeout time.Duration
}

// Stats counts what the Assembler did with its input.
type Stats struct {
	// Segments is every segment passed to Add.
	Segments int
	// Ignored segments had neither port in Config.Ports.
	Ignored int
	// Unmatched segments belonged to no tracked connection and could not
	// open one: pure ACKs, stray FINs and RSTs.
	Unmatched int
	// Late segments belonged to a recently closed connection (they hit its
	// tombstone) and were dropped.
	Late int
	// Duplicates are segments whose whole payload had already been
	// delivered or buffered; Overlaps are segments with only part of it so.
	Duplicates, Overlaps int
	// DuplicateBytes counts the payload bytes dropped because they had been
	// seen before, from both Duplicates and Overlaps.
	DuplicateBytes int64
	// Anomalies are segments that contradicted the connection's state and
	// were dropped in whole or part: data past a FIN, a second FIN at
	// another sequence number, a FIN before delivered data, an RST far
	// outside the sender's window.
	Anomalies int
	// Bytes counts bytes delivered through Handler.Data.
	Bytes int64
	// Gaps and GapBytes count Handler.Gap calls and the bytes they reported.
	Gaps     int
	GapBytes int64
	// ForcedSkips counts holes given up early because a buffer cap was hit,
	// or because one direction held 4096 separate out-of-order segments.
	ForcedSkips int
	// Conns counts connections opened; OpenConns those open now.
	Conns, OpenConns int
	// Evicted counts connections dropped to respect Config.MaxConns.
	Evicted int
	// Reused counts connections ended by a new SYN on their four-tuple.
	Reused int
	// Buffered is the out-of-order bytes held now; PeakBuffered the most
	// ever held, which may exceed MaxBufferedTotal by one segment while
	// that segment is being placed.
	Buffered, PeakBuffered int
	// Tombstones is the number of closed connections remembered now.
	Tombstones int
	// Idle counts connections ended by Config.IdleTimeout.
	Idle int
	// Limits records, per limit hit, how often and where first: keys are
	// "max-buffer-conn", "max-buffer-total", "max-segments", "max-conns"
	// and "idle-timeout".
	Limits map[string]*LimitHit
}

// LimitHit is how often a limit was hit, and its first occurrence.
type LimitHit struct {
	Count int
	First time.Time
	Conn  int
}

// limitHit records a hit of the named limit on connection id at ts.
func (a *Assembler) limitHit(name string, id int, ts time.Time) {
	if a.stats.Limits == nil {
		a.stats.Limits = map[string]*LimitHit{}
	}
	h := a.stats.Limits[name]
	if h == nil {
		h = &LimitHit{First: ts, Conn: id}
		a.stats.Limits[name] = h
	}
	h.Count++
}

// Assembler turns TCP segments into ordered byte streams, one pair per
// connection, and reports them to a Handler.
//
// It is hand-written rather than built on gopacket/reassembly because we
// need: exact gap accounting (every byte position is either delivered once
// or reported in a Gap, with first-arrival-wins for overlaps), caps on
// buffered bytes per connection and in total that are enforced on every
// segment, a deterministic order of handler calls (so goldens are stable),
// and no per-packet gopacket.Packet or context allocations on the in-order
// path.
//
// An Assembler is not safe for concurrent use.
type Assembler struct {
	h Handler

	ports      [1 << 16 / 64]uint64 // bitset of server ports
	maxPerConn int
	maxTotal   int
	maxConns   int
	idle       time.Duration

	conns map[connKey]*conn
	// last is the connection of the previous segment: a data segment and
	// the ACK answering it, or the segments of one large write, often come
	// in a row, and each map lookup hashes a 64-byte key.
	last   *conn
	newest *conn // most recently active; the LRU list runs via older/newer
	oldest *conn
	lastID int

	tombs tombstones

	buffered int // payload bytes in chunks
	held     int // buffered plus chunkCost per chunk: what the caps limit
	stats    Stats

	// scratch space for placing out-of-order segments, kept to avoid
	// allocating on every one.
	pieces [][2]uint64
	merged []chunk

	// observe, when set (by tests), sees every payload handed to a
	// direction, before any trimming.
	observe func(c *conn, d Dir, seq uint32, n int)
}

// connKey is the four-tuple with the endpoints in a canonical order, so both
// directions of a connection find the same map entry.
type connKey struct {
	lo, hi netip.AddrPort
}

func keyOf(a, b netip.AddrPort) connKey {
	if b.Addr().Less(a.Addr()) || (b.Addr() == a.Addr() && b.Port() < a.Port()) {
		a, b = b, a
	}
	return connKey{a, b}
}

// key is the connection's map key. It is computed rather than kept: a
// busy server's capture holds tens of thousands of connections, and the
// endpoints are in Conn already.
func (c *conn) key() connKey { return keyOf(c.Client, c.Server) }

// between says whether a segment from src to dst belongs to c.
func (c *conn) between(src, dst netip.AddrPort) bool {
	return src == c.Client && dst == c.Server || src == c.Server && dst == c.Client
}

// conn is the Assembler's state for one connection; the embedded Conn is
// what handlers see.
type conn struct {
	Conn
	dirs [2]half
	held int // as Assembler.held, for this connection

	older, newer *conn // LRU list, newest at Assembler.newest
	lastSeen     time.Time
}

// expireIdle ends the connections idle for longer than the timeout. The
// LRU list is ordered by activity, so only expired connections are visited.
func (a *Assembler) expireIdle(now time.Time) {
	for c := a.oldest; c != nil && now.Sub(c.lastSeen) > a.idle; c = a.oldest {
		a.stats.Idle++
		a.limitHit("idle-timeout", c.ID, now)
		a.retire(c, now, EndIdle)
	}
}

func (c *conn) dirOf(src netip.AddrPort) Dir {
	if src == c.Client {
		return ClientToServer
	}
	return ServerToClient
}

// New returns an Assembler that reports to h.
func New(cfg Config, h Handler) *Assembler {
	a := &Assembler{
		h:          h,
		maxPerConn: orDefault(cfg.MaxBufferedPerConn, DefaultMaxBufferedPerConn),
		maxTotal:   orDefault(cfg.MaxBufferedTotal, DefaultMaxBufferedTotal),
		maxConns:   orDefault(cfg.MaxConns, DefaultMaxConns),
		idle:       cfg.IdleTimeout,
		conns:      make(map[connKey]*conn),
	}
	ports := cfg.Ports
	if len(ports) == 0 {
		ports = []uint16{DefaultPort}
	}
	for _, p := range ports {
		a.ports[p/64] |= 1 << (p % 64)
	}
	a.tombs.init(a.maxConns)
	return a
}

// SetHandler replaces the handler that receives the assembler's calls,
// for a caller that moves the later stages elsewhere (another goroutine)
// between two Adds.
func (a *Assembler) SetHandler(h Handler) { a.h = h }

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func (a *Assembler) isPort(p uint16) bool {
	return a.ports[p/64]&(1<<(p%64)) != 0
}

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats {
	s := a.stats
	s.OpenConns = len(a.conns)
	s.Buffered = a.buffered
	s.Tombstones = a.tombs.len()
	return s
}

// Add feeds one segment. Handler calls it causes happen before it returns.
// s and its Payload are not retained.
func (a *Assembler) Add(s *Segment) {
	a.stats.Segments++
	if !a.isPort(s.Src.Port()) && !a.isPort(s.Dst.Port()) {
		a.stats.Ignored++
		return
	}
	if a.idle > 0 {
		a.expireIdle(s.Timestamp)
	}
	c := a.last
	if c == nil || !c.between(s.Src, s.Dst) {
		c = a.conns[keyOf(s.Src, s.Dst)]
	}
	if c != nil {
		a.last = c
		d := c.dirOf(s.Src)
		if !(s.SYN && c.dirs[d].reusedBy(s.Seq)) {
			c.lastSeen = s.Timestamp
			a.touch(c)
			a.segment(c, d, s)
			return
		}
		a.stats.Reused++
		a.retire(c, s.Timestamp, EndReused)
	}
	k := keyOf(s.Src, s.Dst)
	if i, ok := a.tombs.find(k); ok {
		t := a.tombs.at(i)
		switch {
		case s.Timestamp.Sub(t.ts) > tombstoneTTL:
			a.tombs.remove(i)
		case s.SYN && !t.sameSYN(s.Src, s.Seq):
			a.tombs.remove(i)
		default:
			a.stats.Late++
			return
		}
	}
	if s.RST || (!s.SYN && len(s.Payload) == 0) {
		a.stats.Unmatched++
		return
	}
	c = a.open(k, s)
	a.segment(c, c.dirOf(s.Src), s)
}

// open starts tracking a connection whose first segment is s, evicting the
// least recently active one if the table is full.
func (a *Assembler) open(k connKey, s *Segment) *conn {
	if len(a.conns) >= a.maxConns && a.oldest != nil {
		a.stats.Evicted++
		a.limitHit("max-conns", a.oldest.ID, s.Timestamp)
		a.retire(a.oldest, s.Timestamp, EndEvicted)
	}
	a.lastID++
	a.stats.Conns++
	c := &conn{}
	c.ID = a.lastID
	c.Start = s.Timestamp
	c.Client, c.Server = a.roles(s)
	c.MidStream = !(s.SYN && s.Src == c.Client)
	c.lastSeen = s.Timestamp
	a.conns[k] = c
	a.touch(c)
	a.h.Open(&c.Conn, s.Timestamp)
	return c
}

// roles picks client and server for a new connection. The server is the
// endpoint on a configured port. When both are, the sender of the first
// segment is taken as the client: right for a SYN, and right for MSNP
// captured mid-stream as long as the client spoke first, as it does (VER).
func (a *Assembler) roles(s *Segment) (client, server netip.AddrPort) {
	if a.isPort(s.Src.Port()) && !a.isPort(s.Dst.Port()) {
		return s.Dst, s.Src
	}
	return s.Src, s.Dst
}

// segment applies s to a tracked connection, in direction d.
func (a *Assembler) segment(c *conn, d Dir, s *Segment) {
	c.Segments[d]++
	h := &c.dirs[d]
	seq := s.Seq
	if s.SYN {
		if !h.started {
			h.started, h.synSeen = true, true
			h.isn = seq
			h.start, h.next = seq+1, seq+1
		}
		seq++ // the SYN itself takes one sequence number
	}
	if s.RST {
		if h.acceptsRST(seq) {
			a.finish(c, ClientToServer, s.Timestamp, EndRST)
			a.finish(c, ServerToClient, s.Timestamp, EndRST)
		} else {
			a.stats.Anomalies++
		}
	} else {
		if len(s.Payload) > 0 {
			a.data(c, d, s.Timestamp, seq, s.Payload)
		}
		if s.FIN {
			a.fin(c, d, s.Timestamp, seq+uint32(len(s.Payload)))
		}
	}
	if c.dirs[ClientToServer].ended && c.dirs[ServerToClient].ended {
		a.close(c, s.Timestamp)
		a.tombs.add(c, s.Timestamp)
	}
}

// retire ends both open directions of c for why and closes it without a
// tombstone: the tuple is either about to be reused or was evicted, and in
// both cases later segments deserve a connection of their own.
func (a *Assembler) retire(c *conn, ts time.Time, why EndReason) {
	a.finish(c, ClientToServer, ts, why)
	a.finish(c, ServerToClient, ts, why)
	a.close(c, ts)
}

func (a *Assembler) close(c *conn, ts time.Time) {
	delete(a.conns, c.key())
	if a.last == c {
		a.last = nil
	}
	a.unlink(c)
	a.h.Close(&c.Conn, ts)
}

// Flush ends the input: every open connection, in order of ID, gets its
// buffered data (with a Gap for each hole), End for each open direction and
// Close. The Assembler is then empty and may take more segments.
func (a *Assembler) Flush(ts time.Time) {
	open := make([]*conn, 0, len(a.conns))
	for _, c := range a.conns {
		open = append(open, c)
	}
	slices.SortFunc(open, func(x, y *conn) int { return x.ID - y.ID })
	for _, c := range open {
		a.retire(c, ts, EndFlush)
	}
}

// touch makes c the most recently active connection.
func (a *Assembler) touch(c *conn) {
	if a.newest == c {
		return
	}
	a.unlink(c)
	c.older = a.newest
	if a.newest != nil {
		a.newest.newer = c
	}
	a.newest = c
	if a.oldest == nil {
		a.oldest = c
	}
}

func (a *Assembler) unlink(c *conn) {
	if c.newer != nil {
		c.newer.older = c.older
	} else if a.newest == c {
		a.newest = c.older
	}
	if c.older != nil {
		c.older.newer = c.newer
	} else if a.oldest == c {
		a.oldest = c.newer
	}
	c.older, c.newer = nil, nil
}
