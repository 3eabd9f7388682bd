// Package workload generates large, realistic MSNP captures for
// benchmarks: many concurrent user visits (dispatch server, notification
// server with a full contact list, switchboard chats with text and P2P
// transfers), interleaved in time, cut into TCP segments, optionally
// impaired by reordering, duplication and loss. The output is streamed:
// memory depends on the number of concurrent visits, never on the size of
// the capture, and the same Config always yields the same bytes.
package workload

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// Config chooses what to generate.
type Config struct {
	// Seed makes the capture reproducible: the same Config gives the same
	// bytes.
	Seed uint64
	// Size is the capture size to reach, in bytes; generation stops at the
	// first packet boundary at or beyond it (connections still open are cut
	// off, as in any capture).
	Size int64
	// Sessions is the number of user visits in progress at any time;
	// zero means 200.
	Sessions int
	// Reorder, Duplicate and Loss are the probabilities that a data
	// segment is swapped with the next one of its connection, captured
	// twice, or missing from the capture.
	Reorder, Duplicate, Loss float64
	// Format and Link choose the file format (classic pcap variants only)
	// and link layer; the zero values are little-endian pcap over Ethernet.
	Format capgen.Format
	Link   capgen.Link
	// Start is the time of the first packet; zero means 2006-03-01 09:00 UTC.
	Start time.Time
	// Logins is the share of the first visits that begin by logging in;
	// the others are already under way (seen mid-stream). Zero makes the
	// capture stationary from its first packet: visits then end, and new
	// ones log in, at the steady rate, so a small capture has the same mix
	// as a large one. Tests that want many logins raise it.
	Logins float64
	// Duration, when set, also ends the capture: at the first packet at
	// or after Start+Duration (whichever of it and Size comes first).
	Duration time.Duration
	// Hold gives the capture the shape of one taken at a busy server:
	// every one of the Sessions visits logs in near the start (the logins
	// spread over LoginWindow) and stays signed in until the capture ends,
	// so all of them are open at once, each with its whole contact list.
	// Logins is then ignored.
	Hold bool
	// Visit, with Hold, ends every visit that long after its login (OUT,
	// then the connections close) and logs a new user in at once in its
	// place: the number of logins open stays Sessions, and the capture
	// is a login storm at Sessions/Visit logins a second. Zero: visits
	// stay until the capture ends. It makes a capture of few concurrent
	// logins with the content of one of many (the benchmark's baseline).
	Visit time.Duration
	// LoginWindow is how long the logins of Hold take, from Start; zero
	// means Visit if that is set, else 5 ms of capture time per visit
	// (200 logins a second), at least 10 seconds.
	LoginWindow time.Duration
	// MinContacts and MaxContacts bound the size of each user's contact
	// list (drawn uniformly between them); zero means 100 to 599.
	MinContacts, MaxContacts int
	// OnList, when set, learns each contact list a login is about to
	// receive (user, number of contacts, of groups), so tests can check
	// what the dissector rebuilds.
	OnList func(user string, contacts, groups int)
}

// Stats describes a generated capture.
type Stats struct {
	Bytes, Packets            int64
	Visits, Connections       int64
	Messages                  int64 // MSNP commands and payload messages sent
	Lost, Duplicated, Swapped int64
	// Last is the time of the last packet.
	Last time.Time
}

// step is one application write: bytes one side sends after a pause.
type step struct {
	fromClient bool
	delay      time.Duration
	data       []byte
}

// script yields the writes of one connection; it may spawn further
// connections through the generator it was made with.
type script = iter.Seq[step]

// conn is one TCP connection being generated.
type conn struct {
	id             int64
	client, server netip.AddrPort
	mss            int
	cseq, sseq     uint32 // next sequence number of each side
	next           func() (step, bool)
	stop           func()
	// pending holds packets scheduled but not yet written, in time order.
	pending []capgen.Packet
	held    *capgen.Packet // a segment swapped behind its successor
	clock   time.Time      // when the last scheduled packet goes out
	ended   bool
	visit   *visit
}

// visit is one user's stay: its connections; when the last one closes a
// new visit starts, so the number of concurrent visits stays constant.
type visit struct {
	open int
}

type generator struct {
	cfg   Config
	rng   *rand.Rand
	w     *capgen.Writer
	q     connHeap
	stats Stats
	ids   int64
	users int
	err   error
}

// Generate writes a capture described by cfg to w.
func Generate(w io.Writer, cfg Config) (Stats, error) {
	if cfg.Sessions <= 0 {
		cfg.Sessions = 200
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2006, 3, 1, 9, 0, 0, 0, time.UTC)
	}
	if cfg.Size <= 0 {
		return Stats{}, errors.New("workload: Size must be positive")
	}
	if cfg.Visit < 0 || cfg.Visit > 0 && !cfg.Hold {
		return Stats{}, errors.New("workload: Visit must be positive and wants Hold")
	}
	if cfg.MinContacts == 0 && cfg.MaxContacts == 0 {
		cfg.MinContacts, cfg.MaxContacts = 100, 599
	}
	if cfg.MinContacts < 1 || cfg.MaxContacts < cfg.MinContacts || cfg.MaxContacts > 100000 {
		return Stats{}, fmt.Errorf("workload: contact list sizes %d to %d: want 1 <= min <= max <= 100000", cfg.MinContacts, cfg.MaxContacts)
	}
	pw, err := capgen.NewWriter(w, cfg.Format, cfg.Link)
	if err != nil {
		return Stats{}, fmt.Errorf("workload: %w", err)
	}
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6d736e736e696666)), w: pw}
	// A capture of a busy network starts in the middle of things: the
	// visits are under way (their connections seen mid-stream), with the
	// time they have left spread evenly, so that logins happen at the
	// steady rate from the start and the mix of traffic is the same at
	// 10 MB as at 10 GB.
	window := 10 * time.Second
	if cfg.Hold {
		window = cfg.LoginWindow
		switch {
		case window > 0:
		case cfg.Visit > 0:
			window = cfg.Visit // the storm's rate from the start
		default:
			window = max(10*time.Second, time.Duration(cfg.Sessions)*5*time.Millisecond)
		}
	}
	for i := 0; i < cfg.Sessions; i++ {
		at := cfg.Start.Add(time.Duration(g.rng.Int64N(int64(window))))
		if cfg.Hold || g.rng.Float64() < cfg.Logins {
			g.startVisit(at)
		} else {
			g.resumeVisit(at)
		}
	}
	end := time.Time{}
	if cfg.Duration > 0 {
		end = cfg.Start.Add(cfg.Duration)
	}
	for g.err == nil && pw.Bytes < cfg.Size && len(g.q) > 0 {
		if !end.IsZero() && !g.q[0].pending[0].TS.Before(end) {
			break
		}
		// c leaves the heap while its script runs: the script may open
		// connections, and c has no next packet to be ordered by.
		c := heap.Pop(&g.q).(*conn)
		g.emit(c)
		if len(c.pending) == 0 && !g.refill(c) {
			g.closed(c)
			continue
		}
		heap.Push(&g.q, c)
	}
	for _, c := range g.q {
		c.stop()
	}
	if g.err != nil {
		return g.stats, g.err
	}
	if err := pw.Flush(); err != nil {
		return g.stats, fmt.Errorf("workload: %w", err)
	}
	g.stats.Bytes = pw.Bytes
	return g.stats, nil
}

// open makes a connection that will run s from time at; launch starts it.
func (g *generator) open(v *visit, client, server netip.AddrPort, at time.Time, s script) *conn {
	g.ids++
	g.stats.Connections++
	next, stop := iter.Pull(s)
	mss := []int{1460, 1460, 1460, 1448, 1380, 536}[g.rng.IntN(6)]
	v.open++
	return &conn{id: g.ids, client: client, server: server, mss: mss,
		cseq: g.rng.Uint32(), sseq: g.rng.Uint32(), next: next, stop: stop, visit: v, clock: at}
}

// launch schedules c: from its handshake, or, for a connection already
// open when the capture starts, from its first write.
func (g *generator) launch(c *conn, midstream bool) {
	if midstream {
		if !g.refill(c) {
			g.closed(c)
			return
		}
		heap.Push(&g.q, c)
		return
	}
	// The handshake: SYN, SYN-ACK, ACK, one round trip apart.
	at, rtt := c.clock, g.rtt()
	c.push(capgen.Packet{TS: at, Src: c.client, Dst: c.server, Seq: c.cseq, Flags: capture.SYN})
	c.push(capgen.Packet{TS: at.Add(rtt / 2), Src: c.server, Dst: c.client, Seq: c.sseq, Ack: c.cseq + 1, Flags: capture.SYN | capture.ACK})
	c.cseq++
	c.sseq++
	c.push(capgen.Packet{TS: at.Add(rtt), Src: c.client, Dst: c.server, Seq: c.cseq, Ack: c.sseq, Flags: capture.ACK})
	heap.Push(&g.q, c)
}

func (g *generator) rtt() time.Duration {
	return time.Duration(20+g.rng.IntN(180)) * time.Millisecond
}

func (c *conn) push(p capgen.Packet) {
	c.pending = append(c.pending, p)
	if p.TS.After(c.clock) {
		c.clock = p.TS
	}
}

// refill turns the script's next write into packets; at the end of the
// script it schedules the close. It reports false when nothing is left.
func (g *generator) refill(c *conn) bool {
	c.pending = c.pending[:0]
	if c.ended {
		return false
	}
	st, ok := c.next()
	if !ok {
		c.ended = true
		t := c.clock.Add(50 * time.Millisecond)
		rtt := g.rtt()
		c.push(capgen.Packet{TS: t, Src: c.client, Dst: c.server, Seq: c.cseq, Ack: c.sseq, Flags: capture.FIN | capture.ACK})
		c.push(capgen.Packet{TS: t.Add(rtt / 2), Src: c.server, Dst: c.client, Seq: c.sseq, Ack: c.cseq + 1, Flags: capture.FIN | capture.ACK})
		c.push(capgen.Packet{TS: t.Add(rtt), Src: c.client, Dst: c.server, Seq: c.cseq + 1, Ack: c.sseq + 1, Flags: capture.ACK})
		return true
	}
	g.stats.Messages++
	src, dst, seq, ack := c.client, c.server, &c.cseq, &c.sseq
	if !st.fromClient {
		src, dst, seq, ack = c.server, c.client, &c.sseq, &c.cseq
	}
	t := c.clock.Add(st.delay)
	data := st.data
	n := 0
	for len(data) > 0 {
		size := min(len(data), c.mss)
		// Applications often write a message in pieces, and stacks split
		// and merge writes: cut one segment in ten short.
		if size > 1 && g.rng.IntN(10) == 0 {
			size = 1 + g.rng.IntN(size-1)
		}
		c.push(capgen.Packet{TS: t, Src: src, Dst: dst, Seq: *seq, Ack: *ack, Flags: capture.ACK, Payload: data[:size]})
		*seq += uint32(size)
		data = data[size:]
		t = t.Add(time.Duration(30+g.rng.IntN(200)) * time.Microsecond)
		// Delayed ACK: the receiver acknowledges every second segment and
		// the end of the write.
		if n++; n%2 == 0 || len(data) == 0 {
			c.push(capgen.Packet{TS: t.Add(time.Duration(g.rng.IntN(2000)) * time.Microsecond), Src: dst, Dst: src, Seq: *ack, Ack: *seq, Flags: capture.ACK})
		}
	}
	sortPending(c.pending)
	return true
}

// sortPending keeps packets in time order (ACKs may have been scheduled
// after the next segment); insertion sort, as the slice is nearly sorted.
func sortPending(ps []capgen.Packet) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].TS.Before(ps[j-1].TS); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// emit writes the first pending packet of c, applying the impairments.
func (g *generator) emit(c *conn) {
	p := c.pending[0]
	c.pending = c.pending[1:]
	lost := false
	if len(p.Payload) > 0 {
		switch r := g.rng.Float64(); {
		case r < g.cfg.Loss:
			g.stats.Lost++
			lost = true
		case r < g.cfg.Loss+g.cfg.Reorder && c.held == nil && len(c.pending) > 0:
			g.stats.Swapped++
			c.held = &p
			return
		case r < g.cfg.Loss+g.cfg.Reorder+g.cfg.Duplicate:
			g.stats.Duplicated++
			g.write(p)
		}
	}
	if !lost {
		g.write(p)
	}
	if c.held != nil {
		h := *c.held
		c.held = nil
		h.TS = p.TS.Add(time.Microsecond)
		g.write(h)
	}
}

func (g *generator) write(p capgen.Packet) {
	if g.err != nil {
		return
	}
	if err := g.w.WritePacket(p); err != nil {
		g.err = fmt.Errorf("workload: packet %d: %w", g.stats.Packets, err)
		return
	}
	g.stats.Packets++
	g.stats.Last = p.TS
}

// closed forgets a finished connection; the last of a visit starts a new
// visit after a pause.
func (g *generator) closed(c *conn) {
	c.stop()
	c.visit.open--
	if c.visit.open == 0 {
		pause := time.Duration(1+g.rng.IntN(30)) * time.Second
		if g.cfg.Hold {
			pause = 0 // the place is taken at once
		}
		g.startVisit(c.clock.Add(pause))
	}
}

// connHeap orders connections by the time of their next packet (then by
// id, so equal times cannot make the output depend on heap history).
type connHeap []*conn

func (h connHeap) Len() int { return len(h) }
func (h connHeap) Less(i, j int) bool {
	a, b := h[i].pending[0].TS, h[j].pending[0].TS
	if a.Equal(b) {
		return h[i].id < h[j].id
	}
	return a.Before(b)
}
func (h connHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *connHeap) Push(x any)   { *h = append(*h, x.(*conn)) }
func (h *connHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
