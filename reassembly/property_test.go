package reassembly

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// The property test generates random streams, cuts them into segments,
// then drops, duplicates, re-sends overlapping ranges and reorders them.
//
// In exact mode SYNs come first and FINs last and the caps are never hit,
// so a reference model can say precisely what must come out: every byte
// covered by a segment that was fed, once and in order, and a Gap for each
// maximal uncovered run, with its exact size. In chaos mode FINs, RSTs,
// reused ISNs, small caps and a small MaxConns land anywhere, and the
// checker's invariants must still hold.

type pstream struct {
	isn  uint32
	data []byte
	syn  bool
	fin  bool
}

type pconn struct {
	client netip.AddrPort
	s      [2]pstream
}

type pop struct {
	conn   int
	d      Dir
	off, n int // payload range, relative to isn+1
	syn    bool
	fin    bool
	rst    bool
	seq    uint32 // for syn/fin/rst ops: the sequence number to use
}

func (p pop) segment(c *pconn) Segment {
	st := &c.s[p.d]
	s := Segment{Src: c.client, Dst: srv, SYN: p.syn, FIN: p.fin, RST: p.rst, Seq: p.seq}
	if p.d == ServerToClient {
		s.Src, s.Dst = srv, c.client
	}
	if p.n > 0 {
		s.Seq = st.isn + 1 + uint32(p.off)
		s.Payload = st.data[p.off : p.off+p.n]
	}
	return s
}

type scenario struct {
	cfg   Config
	conns []pconn
	ops   []pop
	kept  [][2][]bool // exact mode: byte offsets covered by some fed segment
}

func genScenario(rng *rand.Rand, exact bool) *scenario {
	sc := &scenario{}
	nconns := 1 + rng.IntN(3)
	var data [][]pop // per stream, in stream order
	var front, back, anywhere []pop
	for i := range nconns {
		c := pconn{client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + i)}), uint16(40000+i))}
		for d := range Dir(2) {
			L := rng.IntN(3000)
			if rng.IntN(8) == 0 {
				L = 0
			}
			st := pstream{isn: rng.Uint32(), data: make([]byte, L), syn: rng.IntN(5) > 0, fin: rng.IntN(10) < 7}
			if rng.IntN(4) == 0 {
				st.isn = -uint32(rng.IntN(2*L + 10)) // wrap inside the stream
			}
			for j := range st.data {
				st.data[j] = byte(rng.Uint32())
			}
			c.s[d] = st

			maxSeg := []int{8, 64, 300, 1460}[rng.IntN(4)]
			pDrop := []int{0, 5, 20}[rng.IntN(3)]
			var segs []pop
			for off := 0; off < L; {
				n := min(1+rng.IntN(maxSeg), L-off)
				p := pop{conn: i, d: d, off: off, n: n}
				off += n
				if rng.IntN(100) < pDrop {
					continue
				}
				segs = append(segs, p)
				if rng.IntN(10) == 0 {
					segs = append(segs, p) // duplicate
				}
			}
			for range rng.IntN(4) { // retransmissions overlapping others
				if L == 0 {
					break
				}
				a := rng.IntN(L)
				segs = append(segs, pop{conn: i, d: d, off: a, n: 1 + rng.IntN(min(400, L-a))})
			}
			data = append(data, segs)

			if st.syn {
				syn := pop{conn: i, d: d, syn: true, seq: st.isn}
				if exact || rng.IntN(4) > 0 {
					front = append(front, syn)
				} else {
					anywhere = append(anywhere, syn)
				}
				if rng.IntN(5) == 0 {
					anywhere = append(anywhere, syn) // retransmitted SYN
				}
			}
			if st.fin {
				fin := pop{conn: i, d: d, fin: true, seq: st.isn + 1 + uint32(L)}
				if exact {
					back = append(back, fin)
				} else {
					anywhere = append(anywhere, fin)
				}
			}
			if !exact {
				if rng.IntN(20) == 0 { // FIN at a wrong place
					anywhere = append(anywhere, pop{conn: i, d: d, fin: true, seq: st.isn + 1 + uint32(rng.IntN(L+1))})
				}
				if rng.IntN(20) == 0 { // the tuple reused with a new ISN
					anywhere = append(anywhere, pop{conn: i, d: d, syn: true, seq: st.isn + 7})
				}
				if rng.IntN(10) == 0 {
					anywhere = append(anywhere, pop{conn: i, d: d, rst: true, seq: st.isn + 1 + uint32(rng.IntN(L+1))})
				}
			}
		}
		sc.conns = append(sc.conns, c)
	}

	// Interleave the streams, keeping each in order, then disorder.
	var mid []pop
	for {
		live := 0
		for _, s := range data {
			if len(s) > 0 {
				live++
			}
		}
		if live == 0 {
			break
		}
		pick := rng.IntN(live)
		for j, s := range data {
			if len(s) == 0 {
				continue
			}
			if pick == 0 {
				mid = append(mid, s[0])
				data[j] = s[1:]
				break
			}
			pick--
		}
	}
	mid = append(mid, anywhere...)
	switch rng.IntN(3) {
	case 0: // local reordering
		w := 1 + rng.IntN(8)
		for j := range mid {
			k := j + rng.IntN(w)
			if k < len(mid) {
				mid[j], mid[k] = mid[k], mid[j]
			}
		}
	case 1:
		rng.Shuffle(len(mid), func(j, k int) { mid[j], mid[k] = mid[k], mid[j] })
	}
	// Retransmitted SYNs among the data are harmless in exact mode: they
	// carry the original ISN.
	sc.ops = slices.Concat(front, mid, back)

	if exact {
		sc.kept = make([][2][]bool, nconns)
		for i := range sc.kept {
			for d := range 2 {
				sc.kept[i][d] = make([]bool, len(sc.conns[i].s[d].data))
			}
		}
		for _, p := range sc.ops {
			for j := p.off; j < p.off+p.n; j++ {
				sc.kept[p.conn][p.d][j] = true
			}
		}
	} else {
		sc.cfg = Config{
			MaxBufferedPerConn: 50 + rng.IntN(3000),
			MaxBufferedTotal:   50 + rng.IntN(5000),
			MaxConns:           1 + rng.IntN(4),
		}
	}
	return sc
}

// piece is one Data or Gap call as seen by the exact-mode comparison.
type piece struct {
	gap  int
	data []byte
}

func runScenario(t *testing.T, sc *scenario, exact bool) {
	r := newRecorder()
	r.quiet = true
	a := New(sc.cfg, r)
	byClient := make(map[netip.AddrPort]int)
	for i, c := range sc.conns {
		byClient[c.client] = i
	}
	k := newChecker(a, r)
	k.span = 4096
	k.base = func(c *Conn, d Dir) uint32 { return sc.conns[byClient[c.Client]].s[d].isn + 1 }
	k.content = func(c *Conn, d Dir, seq uint32) (byte, bool) {
		st := &sc.conns[byClient[c.Client]].s[d]
		off := seq - st.isn - 1
		if int(off) >= len(st.data) || off >= 1<<31 {
			return 0, false
		}
		return st.data[off], true
	}

	// Exact mode collects what came out per connection and direction.
	got := make(map[int]*[2][]piece)
	ends := make(map[int]*[2]EndReason)
	mids := make(map[int]bool)
	if exact {
		onData, onGap, onEnd := r.onData, r.onGap, r.onEnd
		r.onData = func(c *Conn, d Dir, ts time.Time, p []byte) {
			onData(c, d, ts, p)
			i := byClient[c.Client]
			if got[i] == nil {
				got[i] = new([2][]piece)
			}
			got[i][d] = append(got[i][d], piece{data: slices.Clone(p)})
		}
		r.onGap = func(c *Conn, d Dir, n int) {
			onGap(c, d, n)
			i := byClient[c.Client]
			if got[i] == nil {
				got[i] = new([2][]piece)
			}
			got[i][d] = append(got[i][d], piece{gap: n})
		}
		r.onEnd = func(c *Conn, d Dir, why EndReason) {
			onEnd(c, d, why)
			i := byClient[c.Client]
			if ends[i] == nil {
				ends[i] = new([2]EndReason)
			}
			ends[i][d] = why
			mids[i] = c.MidStream
		}
	}

	for j, p := range sc.ops {
		s := p.segment(&sc.conns[p.conn])
		s.Timestamp = t0.Add(time.Duration(j) * time.Millisecond)
		a.Add(&s)
		for _, e := range a.verify() {
			r.errorf("after op %d: %s", j, e)
		}
	}
	a.Flush(t0.Add(time.Hour))
	r.allClosed()
	if st := a.Stats(); st.OpenConns != 0 || st.Buffered != 0 || a.held != 0 {
		r.errorf("after Flush: %+v, held %d", st, a.held)
	}
	if exact {
		compareExact(r, sc, got, ends, mids)
	}
	if len(r.errs) > 0 {
		t.Fatalf("%d errors, first: %s", len(r.errs), r.errs[0])
	}
}

// compareExact checks exact-mode output against the reference model.
func compareExact(r *recorder, sc *scenario, got map[int]*[2][]piece, ends map[int]*[2]EndReason, mids map[int]bool) {
	for i, c := range sc.conns {
		// Where does each direction's stream start? At the SYN, or at the
		// first byte fed.
		start := [2]int{-1, -1}
		for d := range 2 {
			if c.s[d].syn {
				start[d] = 0
			}
		}
		for _, p := range sc.ops {
			if p.conn == i && p.n > 0 && start[p.d] < 0 {
				start[p.d] = p.off
			}
		}
		if start[0] < 0 && start[1] < 0 && !c.s[0].syn && !c.s[1].syn {
			if got[i] != nil || ends[i] != nil {
				r.errorf("conn %d: output without anything able to open it", i)
			}
			continue
		}
		if ends[i] == nil {
			r.errorf("conn %d: never ended", i)
			continue
		}
		if mids[i] != !c.s[0].syn {
			r.errorf("conn %d: MidStream %v, client SYN %v", i, mids[i], c.s[0].syn)
		}
		for d := range Dir(2) {
			st := &c.s[d]
			L := len(st.data)
			from, to := start[d], 0
			if from < 0 {
				from = L
			}
			if st.fin {
				to = L
			} else {
				to = from
				for j := from; j < L; j++ {
					if sc.kept[i][d][j] {
						to = j + 1
					}
				}
			}
			var want []piece
			for j := from; j < to; {
				k := j
				for k < to && sc.kept[i][d][k] == sc.kept[i][d][j] {
					k++
				}
				if sc.kept[i][d][j] {
					want = append(want, piece{data: st.data[j:k]})
				} else {
					want = append(want, piece{gap: k - j})
				}
				j = k
			}
			var have []piece
			if got[i] != nil {
				have = got[i][d]
			}
			// Data calls may be split anywhere; join adjacent ones.
			var joined []piece
			for _, p := range have {
				if n := len(joined); p.gap == 0 && n > 0 && joined[n-1].gap == 0 {
					joined[n-1].data = append(joined[n-1].data, p.data...)
				} else {
					joined = append(joined, p)
				}
			}
			if msg := diffPieces(joined, want); msg != "" {
				r.errorf("conn %d %s: %s", i, d, msg)
			}
			wantEnd := EndFlush
			if st.fin {
				wantEnd = EndFIN
			}
			if ends[i][d] != wantEnd {
				r.errorf("conn %d %s: ended %s, want %s", i, d, ends[i][d], wantEnd)
			}
		}
	}
}

func diffPieces(have, want []piece) string {
	for j := range max(len(have), len(want)) {
		if j >= len(have) || j >= len(want) {
			return fmt.Sprintf("%d pieces, want %d", len(have), len(want))
		}
		h, w := have[j], want[j]
		if h.gap != w.gap || string(h.data) != string(w.data) {
			return fmt.Sprintf("piece %d: gap %d/%d bytes, want gap %d/%d bytes", j, h.gap, len(h.data), w.gap, len(w.data))
		}
	}
	return ""
}

func TestPropertyExact(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		sc := genScenario(rng, true)
		if !t.Run(fmt.Sprint(i), func(t *testing.T) { runScenario(t, sc, true) }) {
			break
		}
	}
}

func TestPropertyChaos(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		rng := rand.New(rand.NewPCG(uint64(i), 2))
		sc := genScenario(rng, false)
		if !t.Run(fmt.Sprint(i), func(t *testing.T) { runScenario(t, sc, false) }) {
			break
		}
	}
}
