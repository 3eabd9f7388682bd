package capture

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/bpf"
)

// This file exposes internals to the external live-capture tests, which
// cannot be internal tests: they build frames with internal/capgen, and
// capgen imports this package.

// KernelFilter is a kernelProgram as the tests describe it.
type KernelFilter struct {
	Cooked         bool // SOCK_DGRAM layout instead of Ethernet
	Ports          []uint16
	Filter         *Filter
	Snaplen        uint32
	DropOutgoingOn []uint32
}

// Compile assembles the kernel program.
func (k KernelFilter) Compile() ([]bpf.Instruction, error) {
	p := &kernelProgram{layout: layoutEthernet, ports: k.Ports, filter: k.Filter, snaplen: k.Snaplen, dropOutgoingOn: k.DropOutgoingOn}
	if k.Cooked {
		p.layout = layoutCooked
	}
	return p.compile()
}

// DecodeFrame is decodeFrame, reporting whether the frame held a TCP
// segment.
func DecodeFrame(lt LinkType, frame []byte) (Segment, bool) {
	var seg Segment
	kind, _, err := decodeFrame(lt, frame, &seg)
	return seg, err == nil && kind == kindTCP
}

// Tree renders the parsed expression with explicit structure, for tests
// of the parser.
func (f *Filter) Tree() string {
	if f == nil {
		return "<nil>"
	}
	return f.root.tree()
}

func (n *filterNode) tree() string {
	switch n.op {
	case opAnd:
		return "(and " + n.l.tree() + " " + n.r.tree() + ")"
	case opOr:
		return "(or " + n.l.tree() + " " + n.r.tree() + ")"
	case opNot:
		return "(not " + n.l.tree() + ")"
	}
	p := n.prim
	var b strings.Builder
	b.WriteString([]string{"", "ip ", "ip6 ", "tcp "}[p.proto])
	b.WriteString([]string{"", "src ", "dst ", "src-and-dst "}[p.dir])
	switch p.kind {
	case kindProto:
		return strings.TrimSpace(b.String())
	case kindHost, kindNet:
		b.WriteString([]string{"host", "net"}[p.kind])
		for _, pfx := range p.prefixes {
			b.WriteString(" " + pfx.String())
		}
	case kindPort:
		fmt.Fprintf(&b, "port %d", p.lo)
	case kindPortRange:
		fmt.Fprintf(&b, "portrange %d-%d", p.lo, p.hi)
	}
	return b.String()
}

// Match is the reference semantics of the expression for a TCP segment
// between src and dst, written independently of the BPF code generator.
func (f *Filter) Match(src, dst netip.AddrPort) bool {
	return f == nil || f.root.match(src, dst)
}

func (n *filterNode) match(src, dst netip.AddrPort) bool {
	switch n.op {
	case opAnd:
		return n.l.match(src, dst) && n.r.match(src, dst)
	case opOr:
		return n.l.match(src, dst) || n.r.match(src, dst)
	case opNot:
		return !n.l.match(src, dst)
	}
	p := n.prim
	v6 := src.Addr().Is6()
	if (p.proto == protoIPv4 && v6) || (p.proto == protoIPv6 && !v6) {
		return false
	}
	var test func(netip.AddrPort) bool
	switch p.kind {
	case kindProto:
		return true
	case kindHost, kindNet:
		test = func(ap netip.AddrPort) bool {
			for _, pfx := range p.prefixes {
				if pfx.Contains(ap.Addr()) {
					return true
				}
			}
			return false
		}
	default:
		test = func(ap netip.AddrPort) bool { return ap.Port() >= p.lo && ap.Port() <= p.hi }
	}
	switch p.dir {
	case dirSrc:
		return test(src)
	case dirDst:
		return test(dst)
	case dirSrcAndDst:
		return test(src) && test(dst)
	}
	return test(src) || test(dst)
}

// fakeConn replays frames as a packet socket would deliver them. Frames
// sent on more arrive one at a time, as on a real interface.
type fakeConn struct {
	frames   []LiveFrame
	more     chan LiveFrame
	received uint64
	dropped  uint64
	stopped  chan struct{}
	closed   chan struct{}
}

func (c *fakeConn) recv() (LiveFrame, error) {
	if len(c.frames) > 0 {
		f := c.frames[0]
		c.frames = c.frames[1:]
		return f, nil
	}
	select {
	case f := <-c.more:
		return f, nil
	case <-c.stopped:
		return LiveFrame{}, errDrained
	case <-c.closed:
		return LiveFrame{}, io.ErrClosedPipe
	}
}

func (c *fakeConn) stop() error {
	close(c.stopped)
	return nil
}

func (c *fakeConn) kernelStats() (uint64, uint64, error) {
	r, d := c.received, c.dropped
	c.received, c.dropped = 0, 0
	return r, d, nil
}

func (c *fakeConn) close() error {
	close(c.closed)
	return nil
}

// NewFakeLive returns a Live that delivers frames of link type lt, then
// those sent on the channel returned, with the kernel counters given.
func NewFakeLive(name string, lt LinkType, received, dropped uint64, frames ...LiveFrame) (*Live, chan<- LiveFrame) {
	more := make(chan LiveFrame)
	return newLive(name, lt, nil, &fakeConn{frames: frames, more: more, received: received, dropped: dropped,
		stopped: make(chan struct{}), closed: make(chan struct{})}), more
}

// FrameAt makes a LiveFrame of data at ts.
func FrameAt(ts time.Time, data []byte) LiveFrame {
	return LiveFrame{Timestamp: ts, Data: data, OrigLen: len(data)}
}
