package reassembly

import (
	"slices"
	"time"
)

// half is the state of one direction of a connection.
//
// Sequence numbers are compared with serial-number arithmetic relative to
// next: an offset seq-next below 2^31 is ahead (future data), anything else
// is behind (already delivered). Every buffered chunk is strictly ahead of
// next, so offsets order the chunks and survive wraparound at 2^32.
type half struct {
	started bool   // next is meaningful: a SYN or a first byte was seen
	synSeen bool   // the stream started at a SYN, whose number is isn
	finSeen bool   // a FIN was accepted at fin; the stream ends there
	ended   bool   // End has been called
	isn     uint32 // sequence number of the SYN
	start   uint32 // sequence number of the first byte of the stream
	next    uint32 // sequence number of the next byte to deliver
	fin     uint32

	chunks   []chunk // out-of-order data, sorted, disjoint, all ahead of next
	buffered int     // payload bytes in chunks
}

// chunk is out-of-order data waiting for the hole before it. ts is when it
// was captured, so its Data call carries its own time, not the time the hole
// was filled (which, for a hole settled by Flush, could be hours later).
type chunk struct {
	seq  uint32
	data []byte
	ts   time.Time
}

// chunkCost is what a buffered chunk is charged against the caps on top of
// its bytes: the chunk record and its allocation. Without it a capture of
// one-byte segments could hold tens of times the cap in bookkeeping.
const chunkCost = 64

// maxChunks bounds the separate out-of-order segments one direction holds.
// Placing a segment costs time linear in the chunks after it, so without a
// bound a crafted capture of tiny segments in reverse order would cost tens
// of microseconds per segment. Real reordering is a few segments; a hole
// still open after thousands of later segments was lost by the capture.
const maxChunks = 4096

// rstWindow is how far from the sender's next sequence number an RST may be
// and still be believed. It only has to reject RSTs meant for an older
// incarnation of the tuple, whose numbers are unrelated to ours.
const rstWindow = 1 << 24

// reusedBy reports whether a SYN numbered seq in this direction can only
// belong to a new connection on the same tuple.
func (h *half) reusedBy(seq uint32) bool {
	switch {
	case !h.started:
		return false // the first SYN of this direction
	case h.synSeen:
		return seq != h.isn // same number: a retransmitted SYN
	default:
		// Picked up mid-stream: a SYN whose next byte lies in what we have
		// seen is this connection's own, captured out of order.
		return seq+1-h.start > h.next-h.start
	}
}

// acceptsRST reports whether an RST numbered seq from this direction is
// believable. Before the direction has a number, any RST is: a refused
// connection's RST carries whatever the refuser chose.
func (h *half) acceptsRST(seq uint32) bool {
	if !h.started {
		return true
	}
	off := int64(int32(seq - h.next))
	return -rstWindow <= off && off <= rstWindow
}

// data applies a payload p at seq to direction d of c.
func (a *Assembler) data(c *conn, d Dir, ts time.Time, seq uint32, p []byte) {
	h := &c.dirs[d]
	if a.observe != nil {
		a.observe(c, d, seq, len(p))
	}
	if !h.started {
		h.started = true
		h.start, h.next = seq, seq
	}
	overlapped := false
	ahead := seq - h.next
	if ahead >= 1<<31 {
		behind := h.next - seq
		if uint64(behind) >= uint64(len(p)) {
			a.stats.Duplicates++
			a.stats.DuplicateBytes += int64(len(p))
			return
		}
		a.stats.DuplicateBytes += int64(behind)
		overlapped = true
		p, ahead = p[behind:], 0
	}
	if h.ended {
		a.stats.Anomalies++
		return
	}
	if h.finSeen {
		limit := h.fin - h.next
		if ahead >= limit {
			a.stats.Anomalies++
			return
		}
		if uint64(ahead)+uint64(len(p)) > uint64(limit) {
			a.stats.Anomalies++
			p = p[:limit-ahead]
		}
	}
	if ahead == 0 {
		overlapped = a.inOrder(c, d, ts, p) || overlapped
	} else {
		added := a.insert(c, d, ts, ahead, p)
		if added < len(p) {
			a.stats.DuplicateBytes += int64(len(p) - added)
			if added == 0 {
				a.stats.Duplicates++
				return
			}
			overlapped = true
		}
		a.enforceCaps(c, d, ts)
	}
	if overlapped {
		a.stats.Overlaps++
	}
}

// inOrder delivers p, which starts exactly at next, straight from the
// caller's buffer. Buffered chunks inside p's range arrived first and win:
// they are delivered in place of p's bytes, which are dropped. It reports
// whether any of p was dropped that way.
func (a *Assembler) inOrder(c *conn, d Dir, ts time.Time, p []byte) (overlapped bool) {
	h := &c.dirs[d]
	for len(p) > 0 {
		if len(h.chunks) == 0 {
			a.deliver(c, d, ts, p)
			break
		}
		off := h.chunks[0].seq - h.next
		if uint64(off) >= uint64(len(p)) {
			a.deliver(c, d, ts, p)
			break
		}
		a.deliver(c, d, ts, p[:off])
		p = p[off:]
		n := min(len(h.chunks[0].data), len(p))
		a.popChunk(c, d)
		a.stats.DuplicateBytes += int64(n)
		overlapped = true
		p = p[n:]
	}
	a.drain(c, d, ts)
	return overlapped
}

// insert buffers copies of the parts of p (which starts ahead bytes after
// next) that no buffered chunk covers yet, and returns how many bytes that
// was. Bytes already buffered win: the first arrival of a byte is the one
// delivered, whether it came first in an original or a retransmission.
func (a *Assembler) insert(c *conn, d Dir, ts time.Time, ahead uint32, p []byte) int {
	h := &c.dirs[d]
	lo := uint64(ahead)
	hi := lo + uint64(len(p))
	offset := func(ch *chunk) uint64 { return uint64(ch.seq - h.next) }

	// First chunk that ends after lo; chunks are disjoint, so ends are
	// sorted too.
	i, j := 0, len(h.chunks)
	for i < j {
		m := int(uint(i+j) >> 1)
		if offset(&h.chunks[m])+uint64(len(h.chunks[m].data)) <= lo {
			i = m + 1
		} else {
			j = m
		}
	}

	// The uncovered pieces of [lo, hi), and the chunks they interleave with.
	a.pieces = a.pieces[:0]
	cur, total := lo, 0
	k := i
	for ; k < len(h.chunks); k++ {
		cs := offset(&h.chunks[k])
		if cs >= hi {
			break
		}
		if cs > cur {
			a.pieces = append(a.pieces, [2]uint64{cur, cs})
			total += int(cs - cur)
		}
		cur = max(cur, cs+uint64(len(h.chunks[k].data)))
	}
	if cur < hi {
		a.pieces = append(a.pieces, [2]uint64{cur, hi})
		total += int(hi - cur)
	}
	if total == 0 {
		return 0
	}

	// One allocation of exactly the new bytes, so memory matches the count.
	buf := make([]byte, total)
	a.merged = a.merged[:0]
	for _, pc := range a.pieces {
		n := copy(buf, p[pc[0]-lo:pc[1]-lo])
		a.merged = append(a.merged, chunk{seq: h.next + uint32(pc[0]), data: buf[:n:n], ts: ts})
		buf = buf[n:]
	}
	// Open room for the new chunks by shifting the tail once, then merge
	// them with the old chunks [i, k) from the back, in place.
	m, n := len(a.merged), len(h.chunks)
	h.chunks = slices.Grow(h.chunks, m)[:n+m]
	copy(h.chunks[k+m:], h.chunks[k:n])
	for w, o, q := k+m-1, k-1, m-1; q >= 0; w-- {
		if o >= i && h.chunks[o].seq-h.next > a.merged[q].seq-h.next {
			h.chunks[w] = h.chunks[o]
			o--
		} else {
			h.chunks[w] = a.merged[q]
			q--
		}
	}
	clear(a.merged)

	h.buffered += total
	a.buffered += total
	cost := total + chunkCost*len(a.pieces)
	c.held += cost
	a.held += cost
	a.stats.PeakBuffered = max(a.stats.PeakBuffered, a.buffered)
	return total
}

// enforceCaps gives up holes, lowest first, until direction d holds at most
// maxChunks chunks and what the connection and the Assembler hold is back
// under their caps. Direction d just grew by no more than any excess, so
// emptying it always suffices; the other direction is only a fallback.
func (a *Assembler) enforceCaps(c *conn, d Dir, ts time.Time) {
	for {
		h := &c.dirs[d]
		switch {
		case len(h.chunks) > maxChunks:
			a.limitHit("max-segments", c.ID, ts)
		case c.held > a.maxPerConn || a.held > a.maxTotal:
			if c.held > a.maxPerConn {
				a.limitHit("max-buffer-conn", c.ID, ts)
			} else {
				a.limitHit("max-buffer-total", c.ID, ts)
			}
			if len(h.chunks) == 0 {
				d = 1 - d
				h = &c.dirs[d]
				if len(h.chunks) == 0 {
					return
				}
			}
		default:
			return
		}
		a.stats.ForcedSkips++
		a.gap(c, d, ts, int(h.chunks[0].seq-h.next))
		a.drain(c, d, ts)
	}
}

// drain delivers the chunks that have become contiguous with next, and ends
// the direction if that reached its FIN.
func (a *Assembler) drain(c *conn, d Dir, ts time.Time) {
	h := &c.dirs[d]
	for len(h.chunks) > 0 && h.chunks[0].seq == h.next {
		a.popChunk(c, d)
	}
	if h.finSeen && h.next == h.fin && !h.ended {
		a.end(c, d, ts, EndFIN)
	}
}

// popChunk delivers the first chunk, which must start at next.
func (a *Assembler) popChunk(c *conn, d Dir) {
	h := &c.dirs[d]
	ch := h.chunks[0]
	h.chunks[0] = chunk{} // let the collector have the bytes
	h.chunks = h.chunks[1:]
	a.release(c, d, len(ch.data), 1)
	a.deliver(c, d, ch.ts, ch.data)
}

// fin applies a FIN at seq (the number after the last data byte).
func (a *Assembler) fin(c *conn, d Dir, ts time.Time, seq uint32) {
	h := &c.dirs[d]
	if h.ended {
		return // a retransmitted FIN
	}
	if !h.started {
		h.started = true
		h.start, h.next = seq, seq
	}
	if h.finSeen {
		if seq != h.fin {
			a.stats.Anomalies++
		}
		return
	}
	if seq-h.next >= 1<<31 {
		// Bytes past this FIN were already delivered: the stream cannot end
		// before them, so it ends where it is.
		a.stats.Anomalies++
		seq = h.next
	}
	h.finSeen, h.fin = true, seq
	a.dropPast(c, d, seq)
	a.drain(c, d, ts)

	// A hole before the FIN is held, since a retransmission may still fill
	// it. Once the peer has closed too, the peer has read everything it was
	// ever going to, so an earlier pending FIN's hole is final.
	if p := 1 - d; c.dirs[p].finSeen {
		a.finish(c, p, ts, EndFIN)
	}
}

// dropPast discards buffered bytes at or after seq, which a FIN has shown
// cannot be part of the stream.
func (a *Assembler) dropPast(c *conn, d Dir, seq uint32) {
	h := &c.dirs[d]
	limit := seq - h.next
	for i := len(h.chunks) - 1; i >= 0; i-- {
		ch := &h.chunks[i]
		off := ch.seq - h.next
		if off+uint32(len(ch.data)) <= limit {
			break
		}
		a.stats.Anomalies++
		if off < limit {
			a.release(c, d, int(off+uint32(len(ch.data))-limit), 0)
			ch.data = ch.data[:limit-off]
			break
		}
		a.release(c, d, len(ch.data), 1)
		h.chunks[i] = chunk{}
		h.chunks = h.chunks[:i]
	}
}

// release accounts for n bytes in chunks chunks leaving direction d's buffer.
func (a *Assembler) release(c *conn, d Dir, n, chunks int) {
	c.dirs[d].buffered -= n
	a.buffered -= n
	cost := n + chunkCost*chunks
	c.held -= cost
	a.held -= cost
}

// finish settles direction d: buffered data is delivered with a Gap for each
// hole (and for any hole before a FIN), then End. A direction whose FIN was
// seen ends with EndFIN whatever the why.
func (a *Assembler) finish(c *conn, d Dir, ts time.Time, why EndReason) {
	h := &c.dirs[d]
	if h.ended {
		return
	}
	for len(h.chunks) > 0 {
		if n := h.chunks[0].seq - h.next; n > 0 {
			a.gap(c, d, ts, int(n))
		}
		a.popChunk(c, d)
	}
	if h.finSeen {
		if n := h.fin - h.next; n > 0 {
			a.gap(c, d, ts, int(n))
		}
		why = EndFIN
	}
	a.end(c, d, ts, why)
}

func (a *Assembler) end(c *conn, d Dir, ts time.Time, why EndReason) {
	h := &c.dirs[d]
	h.ended = true
	for _, ch := range h.chunks { // none by now; keep the counts honest anyway
		a.release(c, d, len(ch.data), 1)
	}
	h.chunks = nil
	a.h.End(&c.Conn, d, ts, why)
}

// deliver passes in-order bytes to the handler and advances next.
func (a *Assembler) deliver(c *conn, d Dir, ts time.Time, p []byte) {
	if len(p) == 0 {
		return
	}
	c.dirs[d].next += uint32(len(p))
	c.Bytes[d] += int64(len(p))
	a.stats.Bytes += int64(len(p))
	a.h.Data(&c.Conn, d, ts, p)
}

// gap reports n missing bytes at next and moves past them.
func (a *Assembler) gap(c *conn, d Dir, ts time.Time, n int) {
	c.dirs[d].next += uint32(n)
	c.Gaps[d]++
	c.GapBytes[d] += int64(n)
	a.stats.Gaps++
	a.stats.GapBytes += int64(n)
	a.h.Gap(&c.Conn, d, ts, n)
}
