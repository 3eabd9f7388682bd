package reassembly

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// feed adds segs to a new Assembler, one second apart unless a segment
// carries its own timestamp, then flushes if asked. Payloads are passed in
// a scratch buffer that is scribbled over after each Add, so anything the
// Assembler kept without copying shows up as garbage.
func feed(t *testing.T, cfg Config, segs []Segment, flush bool) (*recorder, *Assembler) {
	t.Helper()
	r := newRecorder()
	a := New(cfg, r)
	var scratch []byte
	ts := t0
	for i := range segs {
		s := segs[i]
		if s.Timestamp.IsZero() {
			s.Timestamp = t0.Add(time.Duration(i) * time.Second)
		}
		ts = s.Timestamp
		scratch = append(scratch[:0], s.Payload...)
		if s.Payload != nil {
			s.Payload = scratch
		}
		a.Add(&s)
		for j := range scratch {
			scratch[j] = '#'
		}
	}
	if flush {
		a.Flush(ts.Add(time.Second))
		r.allClosed()
		if st := a.Stats(); st.OpenConns != 0 || st.Buffered != 0 || a.held != 0 {
			t.Errorf("after Flush: %d open, %d buffered, %d held", st.OpenConns, st.Buffered, a.held)
		}
	}
	for _, e := range r.errs {
		t.Error(e)
	}
	return r, a
}

const (
	open1 = "open 1 10.0.0.1:40000>10.0.0.2:1863"
	flush = "end 1 c2s capture end|end 1 s2c capture end|close 1"
)

// lines splits expected logs; "|" separates lines inside one string so
// common tails can be shared.
func lines(ss ...string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.Split(s, "|")...)
	}
	return out
}

func TestAssembler(t *testing.T) {
	cli2 := netip.MustParseAddrPort("10.0.0.3:40001")
	cli3 := netip.MustParseAddrPort("10.0.0.4:40002")
	x20, y20 := strings.Repeat("x", 20), strings.Repeat("y", 20)
	const wrapISN = 0xFFFFFFFA
	late := func(s Segment, after time.Duration) Segment {
		s.Timestamp = t0.Add(after)
		return s
	}

	tests := []struct {
		name  string
		cfg   Config
		segs  []Segment
		flush bool
		want  []string
		stats func(t *testing.T, s Stats)
	}{
		{
			name: "in order",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(s2c, 5000, "S", ""),
				seg(c2s, 1001, "", "VER 1 MSNP8\r\n"), seg(s2c, 5001, "", "VER 1 MSNP8\r\n"),
				seg(c2s, 1014, "F", ""), seg(s2c, 5014, "F", ""),
			},
			want: lines(open1,
				`data 1 c2s "VER 1 MSNP8\r\n"`, `data 1 s2c "VER 1 MSNP8\r\n"`,
				"end 1 c2s FIN", "end 1 s2c FIN", "close 1"),
			stats: func(t *testing.T, s Stats) {
				if s.Conns != 1 || s.OpenConns != 0 || s.Bytes != 26 || s.Tombstones != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name:  "out of order",
			segs:  []Segment{seg(c2s, 1000, "S", ""), seg(c2s, 1006, "", "world"), seg(c2s, 1001, "", "hello")},
			flush: true,
			want:  lines(open1, `data 1 c2s "hello"`, `data 1 c2s "world"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.PeakBuffered != 5 || s.Duplicates != 0 || s.Overlaps != 0 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "retransmission",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "hello"), seg(c2s, 1001, "", "hello"),
				seg(c2s, 1006, "F", ""), seg(c2s, 1006, "F", ""), seg(s2c, 5000, "F", ""),
			},
			want: lines(open1, `data 1 c2s "hello"`, "end 1 c2s FIN", "end 1 s2c FIN", "close 1"),
			stats: func(t *testing.T, s Stats) {
				if s.Duplicates != 1 || s.DuplicateBytes != 5 || s.Anomalies != 0 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name:  "overlap trims the delivered front",
			segs:  []Segment{seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "hello"), seg(c2s, 1004, "", "LOworld")},
			flush: true,
			want:  lines(open1, `data 1 c2s "hello"`, `data 1 c2s "world"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.Overlaps != 1 || s.DuplicateBytes != 2 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name:  "overlap: retransmission with other bytes loses to delivered data",
			segs:  []Segment{seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "hello"), seg(c2s, 1001, "", "HELLO world")},
			flush: true,
			want:  lines(open1, `data 1 c2s "hello"`, `data 1 c2s " world"`, flush),
		},
		{
			name:  "overlap: buffered data wins over a later in-order segment",
			segs:  []Segment{seg(c2s, 1000, "S", ""), seg(c2s, 1006, "", "world"), seg(c2s, 1001, "", "helloWORLD!")},
			flush: true,
			want:  lines(open1, `data 1 c2s "hello"`, `data 1 c2s "world"`, `data 1 c2s "!"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.Overlaps != 1 || s.DuplicateBytes != 5 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "overlap: buffered data wins over a later out-of-order segment",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1006, "", "world"),
				seg(c2s, 1004, "", "abCDEFGh"), seg(c2s, 1001, "", "hel"),
			},
			flush: true,
			want: lines(open1, `data 1 c2s "hel"`, `data 1 c2s "ab"`, `data 1 c2s "world"`,
				`data 1 c2s "h"`, flush),
		},
		{
			name: "duplicates and keepalives",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(s2c, 5000, "S", ""), seg(c2s, 1001, "", "hello"),
				seg(c2s, 1005, "", "x"), // keepalive: one old byte
				seg(c2s, 1006, "", ""),  // keepalive: no byte
				seg(s2c, 5001, "", ""),  // pure ACK
				seg(c2s, 1001, "", "hello"),
			},
			flush: true,
			want:  lines(open1, `data 1 c2s "hello"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.Duplicates != 2 || s.DuplicateBytes != 6 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name:  "gap in the middle, settled by Flush",
			segs:  []Segment{seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "abc"), seg(c2s, 1010, "", "xyz")},
			flush: true,
			want:  lines(open1, `data 1 c2s "abc"`, "gap 1 c2s 6", `data 1 c2s "xyz"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.Gaps != 1 || s.GapBytes != 6 || s.ForcedSkips != 0 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "gap at FIN, settled when the peer closes",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(s2c, 5000, "S", ""), seg(c2s, 1001, "", "abc"),
				seg(c2s, 1010, "F", ""), seg(s2c, 5001, "F", ""),
			},
			want: lines(open1, `data 1 c2s "abc"`, "end 1 s2c FIN", "gap 1 c2s 6", "end 1 c2s FIN", "close 1"),
		},
		{
			name: "hole before FIN filled by a retransmission",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "abc"), seg(c2s, 1010, "F", ""),
				seg(c2s, 1004, "", "defghi"),
			},
			flush: true,
			want: lines(open1, `data 1 c2s "abc"`, `data 1 c2s "defghi"`, "end 1 c2s FIN",
				"end 1 s2c capture end", "close 1"),
		},
		{
			name:  "gap at Flush before buffered data and a FIN",
			segs:  []Segment{seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "ab"), seg(c2s, 1005, "F", "ef")},
			flush: true,
			want: lines(open1, `data 1 c2s "ab"`, "gap 1 c2s 2", `data 1 c2s "ef"`, "end 1 c2s FIN",
				"end 1 s2c capture end", "close 1"),
		},
		{
			name:  "gap at Flush before a bare FIN",
			segs:  []Segment{seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "ab"), seg(c2s, 1009, "F", "")},
			flush: true,
			want: lines(open1, `data 1 c2s "ab"`, "gap 1 c2s 6", "end 1 c2s FIN",
				"end 1 s2c capture end", "close 1"),
		},
		{
			name: "mid-stream start; segments that cannot open a connection",
			segs: []Segment{
				seg(s2c, 5001, "", ""), seg(c2s, 1001, "F", ""), seg(c2s, 1001, "R", ""),
				seg(c2s, 1001, "R", "connection reset"),
				seg(c2s, 70000, "", "PNG\r\n"), seg(s2c, 90000, "", "QNG 50\r\n"),
				seg(c2s, 69990, "", "0123456789"), // before the first byte seen
			},
			flush: true,
			want:  lines(open1+" mid", `data 1 c2s "PNG\r\n"`, `data 1 s2c "QNG 50\r\n"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.Unmatched != 4 || s.Conns != 1 || s.Duplicates != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name:  "server speaks first mid-stream",
			segs:  []Segment{seg(s2c, 90000, "", "CHL 0 123\r\n")},
			flush: true,
			want:  lines(open1+" mid", `data 1 s2c "CHL 0 123\r\n"`, flush),
		},
		{
			name: "RST settles holes and ends both directions; late segments dropped",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(s2c, 5000, "S", ""), seg(c2s, 1001, "", "abc"),
				seg(c2s, 1010, "", "xyz"), seg(s2c, 5001, "", "OK"), seg(s2c, 5003, "R", ""),
				seg(c2s, 1004, "", "defghi"), seg(c2s, 1013, "", ""),
			},
			want: lines(open1, `data 1 c2s "abc"`, `data 1 s2c "OK"`, "gap 1 c2s 6", `data 1 c2s "xyz"`,
				"end 1 c2s RST", "end 1 s2c RST", "close 1"),
			stats: func(t *testing.T, s Stats) {
				if s.Late != 2 || s.Conns != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "RST after a FIN keeps EndFIN for the closed direction",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "F", "bye"), seg(s2c, 5000, "R", ""),
			},
			want: lines(open1, `data 1 c2s "bye"`, "end 1 c2s FIN", "end 1 s2c RST", "close 1"),
		},
		{
			name: "RST far outside the window is ignored",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "abc"), seg(c2s, 1004+1<<25, "R", ""),
				seg(c2s, 1004, "", "def"),
			},
			flush: true,
			want:  lines(open1, `data 1 c2s "abc"`, `data 1 c2s "def"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.Anomalies != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "FIN both ways, then the ghost ACK and a late retransmission open nothing",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(s2c, 5000, "S", ""), seg(c2s, 1001, "", "OUT\r\n"),
				seg(c2s, 1006, "F", ""), seg(s2c, 5001, "F", ""),
				seg(c2s, 1007, "", ""), seg(c2s, 1001, "", "OUT\r\n"), seg(c2s, 1006, "F", ""),
			},
			want: lines(open1, `data 1 c2s "OUT\r\n"`, "end 1 c2s FIN", "end 1 s2c FIN", "close 1"),
			stats: func(t *testing.T, s Stats) {
				if s.Conns != 1 || s.Late != 3 || s.Tombstones != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "port reuse after close: a late copy of the old SYN is dropped, a new ISN opens",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "F", "a"), seg(s2c, 5000, "F", ""),
				seg(c2s, 1000, "S", ""),
				seg(c2s, 777, "S", ""), seg(c2s, 778, "", "b"),
			},
			flush: true,
			want: lines(open1, `data 1 c2s "a"`, "end 1 c2s FIN", "end 1 s2c FIN", "close 1",
				"open 2 10.0.0.1:40000>10.0.0.2:1863", `data 2 c2s "b"`,
				"end 2 c2s capture end", "end 2 s2c capture end", "close 2"),
			stats: func(t *testing.T, s Stats) {
				if s.Late != 1 || s.Tombstones != 0 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "port reuse on a connection whose end was not captured",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "abc"), seg(c2s, 1010, "", "xyz"),
				seg(c2s, 2000, "S", ""), seg(c2s, 2001, "", "new"),
			},
			flush: true,
			want: lines(open1, `data 1 c2s "abc"`, "gap 1 c2s 6", `data 1 c2s "xyz"`,
				"end 1 c2s reused", "end 1 s2c reused", "close 1",
				"open 2 10.0.0.1:40000>10.0.0.2:1863", `data 2 c2s "new"`,
				"end 2 c2s capture end", "end 2 s2c capture end", "close 2"),
			stats: func(t *testing.T, s Stats) {
				if s.Reused != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "retransmitted SYN and SYN payload",
			segs: []Segment{
				seg(c2s, 1000, "S", "hi"), seg(c2s, 1000, "S", ""), seg(c2s, 1000, "S", "hi"),
				seg(c2s, 1003, "", " there"),
			},
			flush: true,
			want:  lines(open1, `data 1 c2s "hi"`, `data 1 c2s " there"`, flush),
		},
		{
			name: "SYN captured after the first data is not a reuse",
			segs: []Segment{
				seg(c2s, 1001, "", "abc"), seg(c2s, 1000, "S", ""), seg(s2c, 5000, "S", ""),
				seg(c2s, 1004, "", "def"), seg(s2c, 5001, "", "ok"),
			},
			flush: true,
			want:  lines(open1+" mid", `data 1 c2s "abc"`, `data 1 c2s "def"`, `data 1 s2c "ok"`, flush),
		},
		{
			name: "a SYN far from a mid-stream connection's bytes is a reuse",
			segs: []Segment{
				seg(c2s, 1001, "", "abc"), seg(c2s, 5000, "S", ""), seg(c2s, 5001, "", "new"),
			},
			flush: true,
			want: lines(open1+" mid", `data 1 c2s "abc"`, "end 1 c2s reused", "end 1 s2c reused", "close 1",
				"open 2 10.0.0.1:40000>10.0.0.2:1863", `data 2 c2s "new"`,
				"end 2 c2s capture end", "end 2 s2c capture end", "close 2"),
		},
		{
			name: "sequence numbers wrap",
			segs: []Segment{
				seg(c2s, wrapISN, "S", ""),
				seg(c2s, 3, "", "ijkl"), seg(c2s, 0xFFFFFFFF, "", "efgh"), seg(c2s, 0xFFFFFFFB, "", "abcd"),
				seg(c2s, 0xFFFFFFFB, "", "abcdefg"), seg(c2s, 7, "F", ""),
			},
			flush: true,
			want: lines(open1, `data 1 c2s "abcd"`, `data 1 c2s "efgh"`, `data 1 c2s "ijkl"`,
				"end 1 c2s FIN", "end 1 s2c capture end", "close 1"),
			stats: func(t *testing.T, s Stats) {
				if s.Duplicates != 1 || s.Gaps != 0 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "both ports configured: the first sender is the client",
			segs: []Segment{
				segBetween(netip.MustParseAddrPort("10.0.0.2:1863"), netip.MustParseAddrPort("10.0.0.1:1863"), c2s, 1, "S", ""),
				segBetween(netip.MustParseAddrPort("10.0.0.2:1863"), netip.MustParseAddrPort("10.0.0.1:1863"), s2c, 9, "S", ""),
				segBetween(netip.MustParseAddrPort("10.0.0.3:1863"), netip.MustParseAddrPort("10.0.0.4:1863"), s2c, 9, "", "data"),
			},
			flush: true,
			want: lines("open 1 10.0.0.2:1863>10.0.0.1:1863", "open 2 10.0.0.4:1863>10.0.0.3:1863 mid",
				`data 2 c2s "data"`, flush,
				"end 2 c2s capture end", "end 2 s2c capture end", "close 2"),
		},
		{
			name:  "SYN-ACK seen without its SYN: the port decides, not the SYN",
			segs:  []Segment{seg(s2c, 5000, "S", ""), seg(s2c, 5001, "", "x")},
			flush: true,
			want:  lines(open1+" mid", `data 1 s2c "x"`, flush),
		},
		{
			name: "cap per connection forces a skip",
			cfg:  Config{MaxBufferedPerConn: 100},
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "a"),
				seg(c2s, 1010, "", x20), // held 20+64
				seg(c2s, 1040, "", y20), // held 168 > 100: give up the first hole
			},
			flush: true,
			want: lines(open1, `data 1 c2s "a"`, "gap 1 c2s 8", `data 1 c2s "`+x20+`"`,
				"gap 1 c2s 10", `data 1 c2s "`+y20+`"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.ForcedSkips != 1 || s.Gaps != 2 || s.GapBytes != 18 || s.PeakBuffered != 40 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "total cap forces a skip in the connection that grew",
			cfg:  Config{MaxBufferedTotal: 150},
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1010, "", x20),
				segBetween(cli2, srv, c2s, 3000, "S", ""), segBetween(cli2, srv, c2s, 3010, "", y20),
			},
			flush: true,
			want: lines(open1, "open 2 10.0.0.3:40001>10.0.0.2:1863",
				"gap 2 c2s 9", `data 2 c2s "`+y20+`"`,
				"gap 1 c2s 9", `data 1 c2s "`+x20+`"`, flush,
				"end 2 c2s capture end", "end 2 s2c capture end", "close 2"),
			stats: func(t *testing.T, s Stats) {
				if s.ForcedSkips != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "MaxConns evicts the least recently active",
			cfg:  Config{MaxConns: 2},
			segs: []Segment{
				seg(c2s, 1000, "S", ""), segBetween(cli2, srv, c2s, 3000, "S", ""),
				seg(c2s, 1001, "", "a"),
				segBetween(cli3, srv, c2s, 7000, "S", ""),
			},
			flush: true,
			want: lines(open1, "open 2 10.0.0.3:40001>10.0.0.2:1863", `data 1 c2s "a"`,
				"end 2 c2s evicted", "end 2 s2c evicted", "close 2",
				"open 3 10.0.0.4:40002>10.0.0.2:1863", flush,
				"end 3 c2s capture end", "end 3 s2c capture end", "close 3"),
			stats: func(t *testing.T, s Stats) {
				if s.Evicted != 1 || s.Conns != 3 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "segments off the configured ports are ignored",
			cfg:  Config{Ports: []uint16{1863, 443}},
			segs: []Segment{
				segBetween(cli, netip.MustParseAddrPort("10.0.0.2:80"), c2s, 1, "S", ""),
				segBetween(cli, netip.MustParseAddrPort("10.0.0.2:80"), c2s, 2, "", "GET /"),
				segBetween(cli, netip.MustParseAddrPort("10.0.0.2:443"), c2s, 2, "", "x"),
			},
			flush: true,
			want:  lines("open 1 10.0.0.1:40000>10.0.0.2:443 mid", `data 1 c2s "x"`, flush),
			stats: func(t *testing.T, s Stats) {
				if s.Ignored != 2 || s.Segments != 3 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "data past a FIN is dropped, buffered or not",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1010, "", "zzz"), seg(c2s, 1001, "F", "abcd"),
				seg(c2s, 1005, "", "zzz"), seg(c2s, 1002, "", "bc"),
			},
			flush: true,
			want:  lines(open1, `data 1 c2s "abcd"`, "end 1 c2s FIN", "end 1 s2c capture end", "close 1"),
			stats: func(t *testing.T, s Stats) {
				if s.Anomalies != 2 || s.Duplicates != 1 || s.Buffered != 0 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "a FIN before delivered data ends the direction where it is",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "", "abcd"), seg(c2s, 1003, "F", ""),
			},
			flush: true,
			want:  lines(open1, `data 1 c2s "abcd"`, "end 1 c2s FIN", "end 1 s2c capture end", "close 1"),
		},
		{
			name: "tombstone expires: a much later segment opens a new connection",
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "R", ""),
				late(seg(c2s, 1001, "", "early"), time.Minute),
				late(seg(c2s, 9001, "", "later"), time.Hour),
			},
			flush: true,
			want: lines(open1, "end 1 c2s RST", "end 1 s2c RST", "close 1",
				"open 2 10.0.0.1:40000>10.0.0.2:1863 mid", `data 2 c2s "later"`,
				"end 2 c2s capture end", "end 2 s2c capture end", "close 2"),
		},
		{
			name: "tombstones are bounded by MaxConns",
			cfg:  Config{MaxConns: 1},
			segs: []Segment{
				seg(c2s, 1000, "S", ""), seg(c2s, 1001, "R", ""),
				segBetween(cli2, srv, c2s, 3000, "S", ""), segBetween(cli2, srv, c2s, 3001, "R", ""),
				seg(c2s, 1001, "", "x"), // its tombstone made way for conn 2's
			},
			flush: true,
			want: lines(open1, "end 1 c2s RST", "end 1 s2c RST", "close 1",
				"open 2 10.0.0.3:40001>10.0.0.2:1863", "end 2 c2s RST", "end 2 s2c RST", "close 2",
				"open 3 10.0.0.1:40000>10.0.0.2:1863 mid", `data 3 c2s "x"`,
				"end 3 c2s capture end", "end 3 s2c capture end", "close 3"),
			stats: func(t *testing.T, s Stats) {
				if s.Tombstones != 1 {
					t.Errorf("stats %+v", s)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, a := feed(t, tt.cfg, tt.segs, tt.flush)
			if !slices.Equal(r.log, tt.want) {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(r.log, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.stats != nil {
				tt.stats(t, a.Stats())
			}
		})
	}
}

// TestDataTimestamps checks that buffered bytes carry the time they were
// captured, and Gap and End the time of the event that settled them.
func TestDataTimestamps(t *testing.T) {
	type call struct {
		what string
		ts   time.Time
	}
	var got []call
	h := &funcHandler{
		data: func(d Dir, ts time.Time, p []byte) { got = append(got, call{string(p), ts}) },
		gap:  func(d Dir, ts time.Time, n int) { got = append(got, call{"gap", ts}) },
		end:  func(d Dir, ts time.Time) { got = append(got, call{"end " + d.String(), ts}) },
	}
	a := New(Config{}, h)
	at := func(s Segment, sec int) *Segment {
		s.Timestamp = t0.Add(time.Duration(sec) * time.Second)
		return &s
	}
	a.Add(at(seg(c2s, 1000, "S", ""), 0))
	a.Add(at(seg(c2s, 1010, "", "late"), 10))
	a.Add(at(seg(c2s, 1001, "", "abc"), 20))
	a.Flush(t0.Add(30 * time.Second))
	want := []call{
		{"abc", t0.Add(20 * time.Second)},
		{"gap", t0.Add(30 * time.Second)},
		{"late", t0.Add(10 * time.Second)},
		{"end c2s", t0.Add(30 * time.Second)},
		{"end s2c", t0.Add(30 * time.Second)},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

type funcHandler struct {
	data func(d Dir, ts time.Time, p []byte)
	gap  func(d Dir, ts time.Time, n int)
	end  func(d Dir, ts time.Time)
}

func (f *funcHandler) Open(*Conn, time.Time) {}
func (f *funcHandler) Data(_ *Conn, d Dir, ts time.Time, p []byte) {
	f.data(d, ts, p)
}
func (f *funcHandler) Gap(_ *Conn, d Dir, ts time.Time, n int) { f.gap(d, ts, n) }
func (f *funcHandler) End(_ *Conn, d Dir, ts time.Time, _ EndReason) {
	f.end(d, ts)
}
func (f *funcHandler) Close(*Conn, time.Time) {}

func TestStrings(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{ClientToServer.String(), "c2s"},
		{ServerToClient.String(), "s2c"},
		{Dir(7).String(), "Dir(7)"},
		{EndFIN.String(), "FIN"},
		{EndRST.String(), "RST"},
		{EndFlush.String(), "capture end"},
		{EndEvicted.String(), "evicted"},
		{EndReused.String(), "reused"},
		{EndReason(9).String(), "EndReason(9)"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestInOrderDoesNotAllocate guards the promise that in-order data goes
// straight from the caller's buffer to the Handler.
func TestInOrderDoesNotAllocate(t *testing.T) {
	a := New(Config{}, nopHandler{})
	s := seg(c2s, 1000, "S", "")
	a.Add(&s)
	s = seg(c2s, 1001, "", strings.Repeat("m", 1400))
	allocs := testing.AllocsPerRun(1000, func() {
		a.Add(&s)
		s.Seq += uint32(len(s.Payload))
	})
	if allocs != 0 {
		t.Errorf("%v allocations per in-order segment", allocs)
	}
}

type nopHandler struct{}

func (nopHandler) Open(*Conn, time.Time)                {}
func (nopHandler) Data(*Conn, Dir, time.Time, []byte)   {}
func (nopHandler) Gap(*Conn, Dir, time.Time, int)       {}
func (nopHandler) End(*Conn, Dir, time.Time, EndReason) {}
func (nopHandler) Close(*Conn, time.Time)               {}

// TestChunkCap checks that one direction holding more than maxChunks
// separate segments gives up its lowest hole, like a byte cap.
func TestChunkCap(t *testing.T) {
	segs := []Segment{seg(c2s, 1000, "S", "")}
	for i := range maxChunks + 1 {
		segs = append(segs, seg(c2s, 1003+uint32(2*i), "", "x")) // holes of one byte
	}
	r, a := feed(t, Config{}, segs, false)
	if s := a.Stats(); s.ForcedSkips != 1 || s.Gaps != 1 || s.GapBytes != 2 || s.Bytes != 1 {
		t.Errorf("stats %+v", s)
	}
	if got := r.log[1:]; !slices.Equal(got, []string{"gap 1 c2s 2", `data 1 c2s "x"`}) {
		t.Errorf("events %q", got)
	}
}
