package reassembly

import (
	"fmt"
	"net/netip"
	"time"
)

// recorder is a Handler that logs every call as a line and checks the
// call grammar: Open first; per direction Data/Gap then one End; Close once
// after both Ends; nothing after Close.
type recorder struct {
	log    []string
	errs   []string
	state  map[*Conn]*connLog
	closed int
	quiet  bool // keep no log, for speed
	// onData and onGap, when set, see the calls too (property and fuzz
	// tests check content through them).
	onData func(c *Conn, d Dir, ts time.Time, p []byte)
	onGap  func(c *Conn, d Dir, n int)
	onEnd  func(c *Conn, d Dir, why EndReason)
}

type connLog struct {
	ended  [2]bool
	closed bool
	bytes  [2]int64
	gaps   [2]int
	gapped [2]int64
}

func newRecorder() *recorder { return &recorder{state: make(map[*Conn]*connLog)} }

func (r *recorder) errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) logf(format string, args ...any) {
	if !r.quiet {
		r.log = append(r.log, fmt.Sprintf(format, args...))
	}
}

func (r *recorder) live(c *Conn, what string) *connLog {
	s := r.state[c]
	switch {
	case s == nil:
		r.errorf("%s on conn %d before Open", what, c.ID)
		s = &connLog{}
		r.state[c] = s
	case s.closed:
		r.errorf("%s on conn %d after Close", what, c.ID)
	}
	return s
}

func (r *recorder) Open(c *Conn, ts time.Time) {
	if r.state[c] != nil {
		r.errorf("Open twice for conn %d", c.ID)
	}
	r.state[c] = &connLog{}
	mid := ""
	if c.MidStream {
		mid = " mid"
	}
	r.logf("open %d %s>%s%s", c.ID, c.Client, c.Server, mid)
}

func (r *recorder) Data(c *Conn, d Dir, ts time.Time, p []byte) {
	s := r.live(c, "Data")
	if len(p) == 0 {
		r.errorf("empty Data on conn %d %s", c.ID, d)
	}
	if s.ended[d] {
		r.errorf("Data on conn %d %s after End", c.ID, d)
	}
	s.bytes[d] += int64(len(p))
	r.logf("data %d %s %q", c.ID, d, p)
	if r.onData != nil {
		r.onData(c, d, ts, p)
	}
}

func (r *recorder) Gap(c *Conn, d Dir, ts time.Time, n int) {
	s := r.live(c, "Gap")
	if n <= 0 {
		r.errorf("Gap of %d on conn %d %s", n, c.ID, d)
	}
	if s.ended[d] {
		r.errorf("Gap on conn %d %s after End", c.ID, d)
	}
	s.gaps[d]++
	s.gapped[d] += int64(n)
	r.logf("gap %d %s %d", c.ID, d, n)
	if r.onGap != nil {
		r.onGap(c, d, n)
	}
}

func (r *recorder) End(c *Conn, d Dir, ts time.Time, why EndReason) {
	s := r.live(c, "End")
	if s.ended[d] {
		r.errorf("End twice on conn %d %s", c.ID, d)
	}
	s.ended[d] = true
	r.logf("end %d %s %s", c.ID, d, why)
	if r.onEnd != nil {
		r.onEnd(c, d, why)
	}
}

func (r *recorder) Close(c *Conn, ts time.Time) {
	s := r.live(c, "Close")
	if !s.ended[0] || !s.ended[1] {
		r.errorf("Close on conn %d before both Ends", c.ID)
	}
	for d := range 2 {
		if c.Bytes[d] != s.bytes[d] || c.Gaps[d] != s.gaps[d] || c.GapBytes[d] != s.gapped[d] {
			r.errorf("conn %d %s counters %d/%d/%d, calls %d/%d/%d", c.ID, Dir(d),
				c.Bytes[d], c.Gaps[d], c.GapBytes[d], s.bytes[d], s.gaps[d], s.gapped[d])
		}
	}
	s.closed = true
	r.closed++
	r.logf("close %d", c.ID)
}

// allClosed reports conns that were opened and never closed.
func (r *recorder) allClosed() {
	for c, s := range r.state {
		if !s.closed {
			r.errorf("conn %d never closed", c.ID)
		}
	}
}

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:1863")
	t0  = time.Date(2005, 3, 1, 12, 0, 0, 0, time.UTC)
)

// seg builds a segment between cli and srv. flags holds any of "S", "F",
// "R".
func seg(d Dir, seq uint32, flags, payload string) Segment {
	return segBetween(cli, srv, d, seq, flags, payload)
}

func segBetween(client, server netip.AddrPort, d Dir, seq uint32, flags, payload string) Segment {
	s := Segment{Src: client, Dst: server, Seq: seq}
	if d == ServerToClient {
		s.Src, s.Dst = server, client
	}
	for _, f := range flags {
		switch f {
		case 'S':
			s.SYN = true
		case 'F':
			s.FIN = true
		case 'R':
			s.RST = true
		default:
			panic("unknown flag " + string(f))
		}
	}
	if payload != "" {
		s.Payload = []byte(payload)
	}
	return s
}

const (
	c2s = ClientToServer
	s2c = ServerToClient
)
