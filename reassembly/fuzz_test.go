package reassembly

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzAssembler reads its input as a header and a list of segment
// operations on one to three connections, runs them, and checks the
// invariants of checker after every Add and at the end.
//
// Header: byte 0 picks the number of connections, MaxConns and whether
// sequence numbers start just below 2^32; byte 1 the two buffer caps.
// Each operation is four bytes: op, a, b, c. op picks the connection
// (op%3, modulo the count), the direction (bit 2) and the kind (op>>3 % 8):
//
//	0-2  data at offset a<<4|b>>4 of length c+1
//	3    data as above, with FIN
//	4    SYN numbered base+(a%4)*1000 (0 is the original ISN), with c%8
//	     payload bytes if b is odd
//	5    bare FIN at offset a<<4|b>>4
//	6    RST at that offset
//	7    by b%4: Flush; three minutes pass; pure ACK; one-byte keepalive
//
// Payload bytes are a function of their sequence number, so the checker
// can tell where every delivered byte came from.
func FuzzAssembler(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		runFuzz(t, in)
	})
}

// fuzzOp encodes one operation for the seed corpus.
func fuzzOp(conn int, d Dir, kind int, a, b, c byte) []byte {
	return []byte{byte(conn) | byte(d)<<2 | byte(kind)<<3, a, b, c}
}

// dataOp encodes data (kind 0, or 3 with FIN) at offset off of length n.
func dataOp(conn int, d Dir, fin bool, off, n int) []byte {
	kind := 0
	if fin {
		kind = 3
	}
	return fuzzOp(conn, d, kind, byte(off>>4), byte(off<<4), byte(n-1))
}

func fuzzSeeds() [][]byte {
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	syn := func(conn int, d Dir) []byte { return fuzzOp(conn, d, 4, 0, 0, 0) }
	return [][]byte{
		// In order both ways, closed by FINs, then a ghost ACK.
		cat([]byte{0, 0xff}, syn(0, c2s), syn(0, s2c), dataOp(0, c2s, false, 0, 10),
			dataOp(0, s2c, false, 0, 20), dataOp(0, c2s, true, 10, 5), dataOp(0, s2c, true, 20, 1),
			fuzzOp(0, c2s, 7, 0, 2, 0)),
		// Out of order, overlapping and duplicated, one hole, near 2^32.
		cat([]byte{0x10, 0x11}, syn(0, c2s), dataOp(0, c2s, false, 30, 20), dataOp(0, c2s, false, 10, 30),
			dataOp(0, c2s, false, 0, 5), dataOp(0, c2s, false, 10, 30), dataOp(0, c2s, true, 100, 3)),
		// Three connections, MaxConns 1, small caps, RST and reuse.
		cat([]byte{0x02, 0x00}, syn(0, c2s), dataOp(0, c2s, false, 40, 200), syn(1, c2s),
			dataOp(1, c2s, false, 5, 100), fuzzOp(1, s2c, 6, 0, 0, 0), fuzzOp(2, c2s, 0, 0, 0, 9),
			fuzzOp(2, c2s, 4, 1, 1, 5), fuzzOp(0, c2s, 7, 0, 1, 0), dataOp(1, c2s, false, 0, 3)),
		// Mid-stream, FIN with a hole settled by the peer's FIN, Flush, more.
		cat([]byte{0x01, 0x44}, dataOp(0, s2c, false, 100, 50), dataOp(0, c2s, false, 0, 10),
			fuzzOp(0, c2s, 5, 2, 0, 0), fuzzOp(0, s2c, 5, 10, 0, 0), fuzzOp(0, c2s, 7, 0, 0, 0),
			dataOp(0, c2s, false, 10, 10), fuzzOp(0, c2s, 7, 0, 3, 0)),
	}
}

func runFuzz(t *testing.T, in []byte) {
	if len(in) < 2 {
		return
	}
	nconns := 1 + int(in[0]%3)
	wrap := in[0]&0x10 != 0
	cfg := Config{
		MaxConns:           1 + int(in[0]>>2)%3,
		MaxBufferedPerConn: 64 + int(in[1]&0x0f)*64,
		MaxBufferedTotal:   64 + int(in[1]>>4)*128,
	}
	in = in[2:]

	clients := make([]netip.AddrPort, nconns)
	idx := make(map[netip.AddrPort]int)
	for i := range clients {
		clients[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + i)}), uint16(40000+i))
		idx[clients[i]] = i
	}
	base := func(conn int, d Dir) uint32 {
		if wrap {
			return -uint32(2000 + 37*conn + 11*int(d))
		}
		return uint32(1000 + 100000*conn + 50000*int(d))
	}
	content := func(conn int, d Dir, seq uint32) byte {
		x := uint64(seq)*0x9e3779b97f4a7c15 ^ uint64(conn)<<40 ^ uint64(d)<<48
		x ^= x >> 29
		x *= 0xbf58476d1ce4e5b9
		return byte(x >> 32)
	}

	r := newRecorder()
	r.quiet = true
	a := New(cfg, r)
	k := newChecker(a, r)
	k.span = 16384
	k.base = func(c *Conn, d Dir) uint32 { return base(idx[c.Client], d) }
	k.content = func(c *Conn, d Dir, seq uint32) (byte, bool) { return content(idx[c.Client], d, seq), true }

	ts := t0
	var buf []byte
	adds := 0
	fill := func(conn int, d Dir, seq uint32, n int) []byte {
		buf = buf[:0]
		for i := range n {
			buf = append(buf, content(conn, d, seq+uint32(i)))
		}
		return buf
	}
	for ; len(in) >= 4; in = in[4:] {
		op, x, y, z := in[0], in[1], in[2], in[3]
		conn := int(op%4) % nconns
		d := Dir(op >> 2 & 1)
		kind := int(op>>3) % 8
		off := uint32(x)<<4 | uint32(y>>4)
		s := Segment{Src: clients[conn], Dst: srv}
		if d == ServerToClient {
			s.Src, s.Dst = srv, clients[conn]
		}
		first := base(conn, d) + 1
		switch kind {
		case 0, 1, 2, 3:
			s.Seq = first + off
			s.Payload = fill(conn, d, s.Seq, int(z)+1)
			s.FIN = kind == 3
		case 4:
			s.SYN = true
			s.Seq = base(conn, d) + uint32(x%4)*1000
			if y&1 != 0 {
				s.Payload = fill(conn, d, s.Seq+1, int(z%8))
			}
		case 5:
			s.FIN = true
			s.Seq = first + off
		case 6:
			s.RST = true
			s.Seq = first + off
		case 7:
			switch y % 4 {
			case 0:
				a.Flush(ts)
				continue
			case 1:
				ts = ts.Add(3 * time.Minute)
				continue
			case 2:
				s.Seq = first + off
			case 3:
				s.Seq = first + off - 1
				s.Payload = fill(conn, d, s.Seq, 1)
			}
		}
		ts = ts.Add(time.Millisecond)
		s.Timestamp = ts
		a.Add(&s)
		adds++
		for i := range buf {
			buf[i] ^= 0xa5 // the Assembler must have copied what it kept
		}
		for _, e := range a.verify() {
			r.errorf("after segment %d: %s", adds, e)
		}
		if len(r.errs) > 0 {
			break
		}
	}
	a.Flush(ts)
	r.allClosed()
	st := a.Stats()
	if st.OpenConns != 0 || st.Buffered != 0 || a.held != 0 || st.Segments != adds {
		r.errorf("after Flush: %+v, held %d, %d segments added", st, a.held, adds)
	}
	if st.PeakBuffered > cfg.MaxBufferedTotal+256 {
		r.errorf("peak buffered %d over the cap %d plus one segment", st.PeakBuffered, cfg.MaxBufferedTotal)
	}
	for _, e := range r.errs {
		t.Error(e)
	}
}
