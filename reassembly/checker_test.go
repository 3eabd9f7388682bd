package reassembly

import (
	"time"
)

// checker verifies an Assembler against what was fed to it, without a
// full model of its decisions:
//
//   - every Data byte is the byte sent at its sequence number (content is a
//     function of the sequence number, so misplaced or repeated bytes show);
//   - a Gap never covers a byte that had been fed to that direction of that
//     connection before the Gap (it would have been buffered or delivered);
//   - a direction ends exactly at its FIN, or, without one, right after the
//     highest byte fed to it: nothing fed is lost at the end;
//   - after every Add, held bytes are within the caps and the bookkeeping
//     adds up (Assembler.verify).
//
// The recorder it wraps checks the call grammar and the Conn counters.
type checker struct {
	*recorder
	a *Assembler
	// content is the byte a connection's direction carries at seq; false
	// if nothing was ever sent there.
	content func(c *Conn, d Dir, seq uint32) (byte, bool)
	// base and span bound the sequence numbers fed per direction, so fed
	// bytes can be tracked in a bitmap: base(c, d) <= seq < base+span.
	base  func(c *Conn, d Dir) uint32
	span  int
	conns map[*Conn]*checked
}

type checked struct {
	in   *conn
	pos  [2]int64  // bytes delivered or skipped so far
	fed  [2][]bool // by seq-base
	high [2]int64  // end of the highest byte fed, relative to the stream start; -1 if none
}

func newChecker(a *Assembler, r *recorder) *checker {
	k := &checker{recorder: r, a: a, conns: make(map[*Conn]*checked)}
	a.observe = k.observe
	r.onData = k.data
	r.onGap = k.gap
	r.onEnd = k.end
	return k
}

func (k *checker) get(c *Conn) *checked {
	s := k.conns[c]
	if s == nil {
		// Opened just now: the Assembler has already indexed it.
		in := k.a.conns[keyOf(c.Client, c.Server)]
		if in == nil || &in.Conn != c {
			k.errorf("conn %d not found in the Assembler", c.ID)
			in = &conn{}
		}
		s = &checked{in: in, high: [2]int64{-1, -1}}
		for d := range s.fed {
			s.fed[d] = make([]bool, k.span)
		}
		k.conns[c] = s
	}
	return s
}

func (k *checker) observe(in *conn, d Dir, seq uint32, n int) {
	s := k.get(&in.Conn)
	if in.dirs[d].ended {
		return
	}
	base := k.base(&in.Conn, d)
	for i := range n {
		if off := seq + uint32(i) - base; int(off) < k.span && off < 1<<31 {
			s.fed[d][off] = true
		}
	}
	// Relative to the start the direction has, or will have from this very
	// segment if it has not started.
	start := seq
	if in.dirs[d].started {
		start = in.dirs[d].start
	}
	if end := int64(int32(seq + uint32(n) - start)); end > s.high[d] {
		s.high[d] = end
	}
}

func (k *checker) abs(s *checked, d Dir, pos int64) uint32 {
	return s.in.dirs[d].start + uint32(pos)
}

func (k *checker) data(c *Conn, d Dir, _ time.Time, p []byte) {
	s := k.get(c)
	for i, b := range p {
		seq := k.abs(s, d, s.pos[d]+int64(i))
		if want, ok := k.content(c, d, seq); !ok || b != want {
			k.errorf("conn %d %s: byte at seq %d is %#x, sent %#x", c.ID, d, seq, b, want)
			break
		}
	}
	s.pos[d] += int64(len(p))
}

func (k *checker) gap(c *Conn, d Dir, n int) {
	s := k.get(c)
	base := k.base(c, d)
	for i := range n {
		seq := k.abs(s, d, s.pos[d]+int64(i))
		if off := seq - base; int(off) < k.span && off < 1<<31 && s.fed[d][off] {
			k.errorf("conn %d %s: gap of %d covers seq %d, which was fed", c.ID, d, n, seq)
			break
		}
	}
	s.pos[d] += int64(n)
}

func (k *checker) end(c *Conn, d Dir, why EndReason) {
	s := k.get(c)
	h := &s.in.dirs[d]
	want := max(s.high[d], 0)
	if why == EndFIN {
		want = int64(int32(h.fin - h.start))
	}
	if h.started && s.pos[d] != want {
		k.errorf("conn %d %s ended (%s) at %d, want %d", c.ID, d, why, s.pos[d], want)
	}
	if !h.started && s.pos[d] != 0 {
		k.errorf("conn %d %s never started but delivered %d", c.ID, d, s.pos[d])
	}
}

// verify checks the Assembler's bookkeeping between calls to Add.
func (a *Assembler) verify() []string {
	var errs []string
	fail := func(s string) { errs = append(errs, s) }
	if a.held > a.maxTotal {
		fail("total held over the cap")
	}
	if len(a.conns) > a.maxConns || a.tombs.len() > a.maxConns {
		fail("more connections or tombstones than MaxConns")
	}
	held, buffered, listed := 0, 0, 0
	for c := a.newest; c != nil; c = c.older {
		listed++
		if a.conns[c.key()] != c {
			fail("LRU list holds a connection not in the table")
		}
	}
	if listed != len(a.conns) {
		fail("LRU list and table differ in length")
	}
	for _, c := range a.conns {
		if c.held > a.maxPerConn {
			fail("connection held over the cap")
		}
		ch := 0
		for d := range c.dirs {
			h := &c.dirs[d]
			b := 0
			var prevEnd uint32
			for i, k := range h.chunks {
				off := k.seq - h.next
				if off == 0 || off >= 1<<31 || len(k.data) == 0 {
					fail("chunk not strictly ahead of next, or empty")
				}
				if i > 0 && off < prevEnd {
					fail("chunks overlap or are out of order")
				}
				if h.finSeen && off+uint32(len(k.data)) > h.fin-h.next {
					fail("chunk past the FIN")
				}
				prevEnd = off + uint32(len(k.data))
				b += len(k.data)
			}
			if b != h.buffered {
				fail("direction buffered count is off")
			}
			buffered += b
			ch += b + chunkCost*len(h.chunks)
		}
		if ch != c.held {
			fail("connection held count is off")
		}
		held += ch
	}
	if held != a.held || buffered != a.buffered {
		fail("assembler held/buffered counts are off")
	}
	return errs
}
