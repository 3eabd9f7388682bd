package capture

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/bpf"
)

// Live capture reads frames from a network interface as they happen, through
// an AF_PACKET socket (Linux only, pure Go: no libpcap, no cgo), and returns
// the same Segments as a Reader does from a file. A classic BPF program in
// the kernel passes only TCP to or from the MSNP ports (and whatever else a
// Filter restricts), so user space never sees the rest of the traffic.

// AnyInterface names the pseudo-interface that captures on every interface
// at once, as a Linux cooked capture.
const AnyInterface = "any"

// Defaults for the zero fields of LiveConfig.
const (
	// DefaultSnaplen keeps whole frames, even the 64 KiB ones that
	// segmentation offload produces on the sending host.
	DefaultSnaplen = 262144
	// DefaultLiveBuffer is the socket receive buffer: how much the kernel
	// may hold while msnsniff is busy before it starts dropping.
	DefaultLiveBuffer = 8 << 20
)

// Errors a live capture can fail with, for errors.Is; the errors returned
// wrap them with the interface name and what was being done.
var (
	// ErrLiveUnsupported means this operating system has no live capture.
	ErrLiveUnsupported = errors.New("live capture is only supported on Linux")
	// ErrNoPermission means the process may not open a packet socket.
	ErrNoPermission = errors.New("permission denied: capturing needs the CAP_NET_RAW capability, which this process does not have")
	// ErrNoSuchInterface means no interface has the name given.
	ErrNoSuchInterface = errors.New("no such interface")
	// ErrInterfaceDown means the interface exists but is not up.
	ErrInterfaceDown = errors.New("interface is down")
)

// LiveConfig says what a live capture listens to.
type LiveConfig struct {
	// Interface is an interface name, or AnyInterface.
	Interface string
	// Ports are the MSNP server ports: only TCP with one of them as its
	// source or destination port passes the kernel filter. Empty means 1863.
	Ports []uint16
	// Filter, when not nil, further restricts what passes.
	Filter *Filter
	// Snaplen is the most bytes kept of each frame; 0 (or more than
	// DefaultSnaplen, the most a capture file may hold) means DefaultSnaplen.
	Snaplen int
	// Promiscuous also captures frames addressed to other hosts. It has no
	// effect on AnyInterface.
	Promiscuous bool
	// BufferSize is the socket receive buffer in bytes; 0 means
	// DefaultLiveBuffer.
	BufferSize int
}

// LiveFrame is one frame as the kernel delivered it, with the link-layer
// header of the capture's LinkType.
type LiveFrame struct {
	// Timestamp is when the kernel received the frame (UTC).
	Timestamp time.Time
	// Data is the captured bytes. It aliases a buffer that the next frame
	// overwrites.
	Data []byte
	// OrigLen is the length of the whole frame, which is more than
	// len(Data) when the snap length cut it.
	OrigLen int
}

// LiveStats counts what a live capture has seen.
type LiveStats struct {
	// Received counts the packets the kernel filter passed, including those
	// then Dropped (the socket's PACKET_STATISTICS).
	Received uint64
	// Dropped counts the packets that passed the filter but were dropped
	// because the socket's receive buffer was full.
	Dropped uint64
	// Stats counts the frames read and what they held, as for a file.
	Stats
}

// Interface describes a network interface as live capture sees it.
type Interface struct {
	// Name is what LiveConfig.Interface takes.
	Name string
	// Index is the kernel's interface index (0 for AnyInterface).
	Index int
	// Up reports whether the interface is up; only up interfaces capture.
	Up bool
	// Loopback marks loopback interfaces.
	Loopback bool
	// MTU is the interface's maximum transmission unit.
	MTU int
	// Hardware names the kernel's link type (ARPHRD_*): "ether",
	// "loopback", "none" (tun), "ipip", ...
	Hardware string
	// LinkType is the link type of the frames a capture on it produces.
	LinkType LinkType
	// Addrs are the interface's IP addresses with their prefix lengths.
	Addrs []netip.Prefix
}

// errDrained is what recv returns once stop has been called and every
// frame queued before it has been returned.
var errDrained = errors.New("capture stopped and drained")

// packetConn is the platform's packet socket as Live uses it.
type packetConn interface {
	// recv waits for the next frame. After close it returns an error;
	// after stop it returns the frames already queued, then errDrained.
	recv() (LiveFrame, error)
	// stop makes the kernel queue no more frames and wakes a waiting recv.
	stop() error
	// kernelStats returns the packets passed by the filter and the drops
	// since the previous call (the kernel resets its counters on reading).
	kernelStats() (received, dropped uint64, err error)
	// close releases the socket and makes a pending recv return.
	close() error
}

// Live reads the TCP segments of a live capture. Next must be called from
// one goroutine at a time; Stop, Close and Stats may be called from any
// goroutine, and Stop or Close is how another goroutine (a signal handler,
// a timer) ends a Next that is waiting for traffic.
type Live struct {
	// OnWarning, if set before the first call to Next, is called for every
	// frame that cannot be decoded or was cut short; without it those are
	// only counted in Stats.
	OnWarning func(Warning)
	// OnFrame, if set before the first call to Next, is called with every
	// frame received, before it is decoded (for writing a capture file).
	OnFrame func(LiveFrame)

	name string
	link LinkType
	prog []bpf.Instruction
	conn packetConn

	frame int   // frames received so far; numbers warnings
	err   error // once set, returned by every Next

	mu        sync.Mutex // guards stats, received and dropped; orders Stop and Close
	stats     Stats
	received  uint64
	dropped   uint64
	closed    atomic.Bool
	stopOnce  sync.Once
	stopErr   error
	closeOnce sync.Once
	closeErr  error
}

// newLive wraps an open packet socket.
func newLive(name string, link LinkType, prog []bpf.Instruction, conn packetConn) *Live {
	return &Live{name: name, link: link, prog: prog, conn: conn,
		stats: Stats{LinkTypes: map[LinkType]int{}}}
}

// Interface returns the name of the interface being captured.
func (l *Live) Interface() string { return l.name }

// LinkType returns the link type of the frames (and of a file written
// from them): Ethernet for Ethernet and loopback interfaces, Linux cooked
// capture for every other kind and for AnyInterface.
func (l *Live) LinkType() LinkType { return l.link }

// Next waits for the next TCP segment. Frames that carry no TCP are skipped
// and counted in Stats. After Stop it returns what was captured before the
// stop, then io.EOF; after Close, io.EOF at once. If the capture fails (the
// interface goes away) it returns that error. The error is returned again
// by every later call.
//
// The segment's Payload aliases the capture buffer and is valid only until
// the next call to Next.
func (l *Live) Next() (Segment, error) {
	for l.err == nil {
		f, err := l.conn.recv()
		if err != nil {
			if l.closed.Load() || errors.Is(err, errDrained) {
				l.err = io.EOF
			} else {
				l.err = fmt.Errorf("live capture on %q: %w", l.name, err)
			}
			break
		}
		l.frame++
		if l.OnFrame != nil {
			l.OnFrame(f)
		}
		seg := Segment{Timestamp: f.Timestamp.UTC(), File: l.name, Frame: l.frame}
		kind, missing, derr := decodeFrame(l.link, f.Data, &seg)

		l.mu.Lock()
		l.stats.Frames++
		l.stats.LinkTypes[l.link]++
		l.stats.Bytes += int64(len(f.Data))
		switch {
		case derr != nil:
			l.stats.Malformed++
		case kind == kindOther:
			l.stats.NonTCP++
		case kind == kindFragment:
			l.stats.Fragments++
		default:
			l.stats.Segments++
			if missing > 0 {
				l.stats.Truncated++
			}
		}
		l.mu.Unlock()

		switch {
		case derr != nil:
			l.warn(derr.Error())
		case kind == kindTCP:
			if missing > 0 {
				have := len(seg.Payload)
				l.warn(fmt.Sprintf("TCP payload truncated by snap length: have %d of %d bytes", have, have+missing))
			}
			return seg, nil
		}
	}
	return Segment{}, l.err
}

func (l *Live) warn(msg string) {
	if l.OnWarning != nil {
		l.OnWarning(Warning{File: l.name, Frame: l.frame, Msg: msg})
	}
}

// pollKernel adds the kernel's counters since the last poll; l.mu is held.
func (l *Live) pollKernel() {
	// The counters only feed the summary, and a socket that cannot report
	// them still captures, so a failure here is not worth stopping for.
	if r, d, err := l.conn.kernelStats(); err == nil {
		l.received += r
		l.dropped += d
	}
}

// Stats returns the counters so far, the kernel's included.
func (l *Live) Stats() LiveStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed.Load() {
		l.pollKernel()
	}
	s := LiveStats{Received: l.received, Dropped: l.dropped, Stats: l.stats}
	s.LinkTypes = make(map[LinkType]int, len(l.stats.LinkTypes))
	for lt, n := range l.stats.LinkTypes {
		s.LinkTypes[lt] = n
	}
	return s
}

// Stop ends the capture gracefully: the kernel queues no more frames, and
// Next returns the ones already queued, then io.EOF. Frames that arrived
// before the stop are thus all analysed. Call Close afterwards. It is safe
// to call more than once and from another goroutine.
func (l *Live) Stop() error {
	l.stopOnce.Do(func() {
		// Under mu, so that a Close from another goroutine either comes
		// after the stop or has already marked the socket closed.
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closed.Load() {
			return
		}
		if err := l.conn.stop(); err != nil {
			l.stopErr = fmt.Errorf("live capture on %q: stop: %w", l.name, err)
		}
	})
	return l.stopErr
}

// Close ends the capture at once: it reads the kernel's counters one last time,
// closes the socket, and makes a Next that is waiting return io.EOF. It is
// safe to call more than once and from another goroutine.
func (l *Live) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.pollKernel()
		l.closed.Store(true)
		l.mu.Unlock()
		if err := l.conn.close(); err != nil {
			l.closeErr = fmt.Errorf("live capture on %q: close: %w", l.name, err)
		}
	})
	return l.closeErr
}

// withDefaults fills in the zero fields of c.
func (c LiveConfig) withDefaults() LiveConfig {
	if len(c.Ports) == 0 {
		c.Ports = []uint16{1863}
	}
	if c.Snaplen <= 0 || c.Snaplen > maxCaplen {
		// Larger frames could not be read back from a file written from
		// the capture, so maxCaplen is also the ceiling.
		c.Snaplen = DefaultSnaplen
	}
	if c.BufferSize <= 0 {
		c.BufferSize = DefaultLiveBuffer
	}
	return c
}
