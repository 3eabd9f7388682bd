package reassembly

import (
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// endRecorder records End reasons.
type endRecorder struct{ ends []EndReason }

func (r *endRecorder) Open(*Conn, time.Time)                          {}
func (r *endRecorder) Data(*Conn, Dir, time.Time, []byte)             {}
func (r *endRecorder) Gap(*Conn, Dir, time.Time, int)                 {}
func (r *endRecorder) End(_ *Conn, _ Dir, _ time.Time, why EndReason) { r.ends = append(r.ends, why) }
func (r *endRecorder) Close(*Conn, time.Time)                         {}

func TestIdleTimeoutAndLimitHits(t *testing.T) {
	rec := &endRecorder{}
	a := New(Config{IdleTimeout: time.Minute, MaxConns: 2}, rec)
	t0 := time.Date(2005, 6, 1, 12, 0, 0, 0, time.UTC)
	seg := func(port uint16, at time.Duration) {
		a.Add(&Segment{Timestamp: t0.Add(at), Src: netip.MustParseAddrPort("10.0.0.1:" + strconv.Itoa(int(port))),
			Dst: netip.MustParseAddrPort("10.0.0.2:1863"), Seq: 1, Payload: []byte("PNG\r\n")})
	}
	seg(1000, 0)
	seg(1001, time.Second)
	seg(1002, 2*time.Second) // evicts 1000: MaxConns 2
	seg(1003, 5*time.Minute) // 1001 and 1002 idle for over a minute
	st := a.Stats()
	if st.Evicted != 1 || st.Idle != 2 {
		t.Errorf("evicted %d idle %d", st.Evicted, st.Idle)
	}
	if h := st.Limits["max-conns"]; h == nil || h.Count != 1 || h.Conn != 1 || !h.First.Equal(t0.Add(2*time.Second)) {
		t.Errorf("max-conns hit %+v", h)
	}
	if h := st.Limits["idle-timeout"]; h == nil || h.Count != 2 || h.Conn != 2 {
		t.Errorf("idle-timeout hit %+v", h)
	}
	idle := 0
	for _, e := range rec.ends {
		if e == EndIdle {
			idle++
		}
	}
	if idle != 4 || EndIdle.String() != "idle" {
		t.Errorf("%d idle ends (%v)", idle, rec.ends)
	}
}
