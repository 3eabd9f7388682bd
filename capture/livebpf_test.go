package capture_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// frameMeta is what the kernel knows about a frame besides its bytes, and
// the filter reads with extension loads, which x/net/bpf's VM lacks.
type frameMeta struct {
	proto   uint16 // skb->protocol (cooked layout)
	pktType uint32 // PACKET_HOST, PACKET_OUTGOING, ...
	ifindex uint32
}

const snaplen = 262144

// runFilter runs prog on frame in x/net/bpf's VM, with every extension
// load replaced by a constant load of the value from m (one instruction for
// one, so no jump moves), and reports whether the frame passes.
func runFilter(t *testing.T, prog []bpf.Instruction, frame []byte, m frameMeta) bool {
	t.Helper()
	return newFilterVM(prog).run(t, frame, m)
}

// filterVM runs one program on many frames, with a VM per distinct
// metadata (building a VM assembles and checks the whole program).
type filterVM struct {
	prog []bpf.Instruction
	vms  map[frameMeta]*bpf.VM
}

func newFilterVM(prog []bpf.Instruction) *filterVM {
	return &filterVM{prog: prog, vms: map[frameMeta]*bpf.VM{}}
}

func (f *filterVM) run(t *testing.T, frame []byte, m frameMeta) bool {
	t.Helper()
	vm := f.vms[m]
	if vm == nil {
		p := slices.Clone(f.prog)
		for i, in := range p {
			ext, ok := in.(bpf.LoadExtension)
			if !ok {
				continue
			}
			switch ext.Num {
			case bpf.ExtProto:
				p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: uint32(m.proto)}
			case bpf.ExtType:
				p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: m.pktType}
			case bpf.ExtInterfaceIndex:
				p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: m.ifindex}
			default:
				t.Fatalf("instruction %d: unexpected extension %v", i, in)
			}
		}
		var err error
		if vm, err = bpf.NewVM(p); err != nil {
			t.Fatalf("VM rejects the program: %v", err)
		}
		f.vms[m] = vm
	}
	n, err := vm.Run(frame)
	if err != nil {
		t.Fatalf("VM: %v", err)
	}
	return n > 0
}

// wire is a frame as one kernel layout presents it.
type wire struct {
	name   string
	cooked bool
	frame  func(p capgen.Packet) []byte
}

// wires are the layouts and link framings the filter must see through.
func wires(t *testing.T) []wire {
	mk := func(l capgen.Link) func(capgen.Packet) []byte {
		return func(p capgen.Packet) []byte {
			b, err := capgen.Frame(l, p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	return []wire{
		{"Ethernet", false, mk(capgen.Ethernet)},
		{"VLAN", false, mk(capgen.VLAN)},
		{"QinQ", false, mk(capgen.QinQ)},
		{"cooked", true, mk(capgen.RawIP)},
	}
}

// metaFor is the metadata of a frame received from the outside.
func metaFor(frame []byte) frameMeta {
	m := frameMeta{proto: 0x0800, ifindex: 2}
	if len(frame) > 0 && frame[0]>>4 == 6 {
		m.proto = 0x86dd
	}
	return m
}

// packet is a TCP segment between two endpoints.
func packet(src, dst string, payload string) capgen.Packet {
	return capgen.Packet{Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		Seq: 1, Ack: 1, Flags: capture.ACK, Payload: []byte(payload)}
}

func compile(t *testing.T, k capture.KernelFilter) []bpf.Instruction {
	t.Helper()
	if k.Snaplen == 0 {
		k.Snaplen = snaplen
	}
	prog, err := k.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// ipHeader returns the IP part of a frame of layout w.
func ipHeader(w wire, frame []byte) []byte {
	if w.cooked {
		return frame
	}
	off := 12
	for binary.BigEndian.Uint16(frame[off:]) != 0x0800 && binary.BigEndian.Uint16(frame[off:]) != 0x86dd {
		off += 4
	}
	return frame[off+2:]
}

// TestKernelFilterPorts: TCP to or from an MSNP port passes, in every
// layout, over IPv4 and IPv6; anything else is dropped.
func TestKernelFilterPorts(t *testing.T) {
	ports := []uint16{1863, 7001}
	for _, w := range wires(t) {
		prog := compile(t, capture.KernelFilter{Cooked: w.cooked, Ports: ports})
		for _, c := range []struct {
			name string
			p    capgen.Packet
			want bool
		}{
			{"v4 to server", packet("192.0.2.10:3001", "198.51.100.20:1863", "VER 1 MSNP8\r\n"), true},
			{"v4 from server", packet("198.51.100.20:1863", "192.0.2.10:3001", "VER 1 MSNP8\r\n"), true},
			{"v4 second port", packet("192.0.2.10:3001", "198.51.100.20:7001", ""), true},
			{"v4 other port", packet("192.0.2.10:3001", "198.51.100.20:443", "GET"), false},
			{"v4 port as sequence", packet("192.0.2.10:3001", "198.51.100.20:1864", ""), false},
			{"v6 to server", packet("[2001:db8::10]:3001", "[2001:db8:1::20]:1863", "VER"), true},
			{"v6 from server", packet("[2001:db8:1::20]:1863", "[2001:db8::10]:3001", ""), true},
			{"v6 other port", packet("[2001:db8::10]:3001", "[2001:db8:1::20]:80", ""), false},
		} {
			frame := w.frame(c.p)
			if got := runFilter(t, prog, frame, metaFor(ipHeader(w, frame))); got != c.want {
				t.Errorf("%s/%s: passes %v, want %v", w.name, c.name, got, c.want)
			}
		}
	}
}

// TestKernelFilterNotTCP: other protocols, other EtherTypes and
// non-first fragments are dropped even on the MSNP port; IPv4 options and
// first fragments still pass.
func TestKernelFilterNotTCP(t *testing.T) {
	for _, w := range wires(t) {
		prog := compile(t, capture.KernelFilter{Cooked: w.cooked, Ports: []uint16{1863}})
		v4 := packet("192.0.2.10:3001", "198.51.100.20:1863", "VER")
		v6 := packet("[2001:db8::10]:3001", "[2001:db8:1::20]:1863", "VER")
		for _, c := range []struct {
			name   string
			p      capgen.Packet
			mutate func(ip []byte) []byte // returns the frame's new IP part
			meta   func(m *frameMeta)
			want   bool
		}{
			{"v4 UDP", v4, func(ip []byte) []byte { ip[9] = 17; return ip }, nil, false},
			{"v6 UDP", v6, func(ip []byte) []byte { ip[6] = 17; return ip }, nil, false},
			{"v4 later fragment", v4, func(ip []byte) []byte { binary.BigEndian.PutUint16(ip[6:], 0x0010); return ip }, nil, false},
			{"v4 first fragment", v4, func(ip []byte) []byte { binary.BigEndian.PutUint16(ip[6:], 0x2000); return ip }, nil, true},
			{"v4 options", v4, func(ip []byte) []byte { return withIPv4Options(ip, []byte{1, 1, 1, 0}) }, nil, true},
			{"v4 truncated", v4, func(ip []byte) []byte { return ip[:22] }, nil, false},
			{"v6 hop-by-hop", v6, func(ip []byte) []byte { return withIPv6Ext(ip, []byte{0}, []byte{0, 1, 4, 0, 0, 0, 0}) }, nil, true},
			{"v6 routing+destopts", v6, func(ip []byte) []byte {
				return withIPv6Ext(ip, []byte{43, 60}, make([]byte, 15), make([]byte, 7))
			}, nil, true},
			{"v6 AH", v6, func(ip []byte) []byte { return withIPv6Ext(ip, []byte{51}, append([]byte{2}, make([]byte, 14)...)) }, nil, true},
			{"v6 atomic fragment", v6, func(ip []byte) []byte { return withIPv6Ext(ip, []byte{44}, make([]byte, 7)) }, nil, true},
			{"v6 later fragment", v6, func(ip []byte) []byte {
				return withIPv6Ext(ip, []byte{44}, []byte{0, 0, 0x10, 0, 0, 0, 1})
			}, nil, false},
			{"v6 four extension headers", v6, func(ip []byte) []byte {
				return withIPv6Ext(ip, []byte{0, 60, 43, 60}, make([]byte, 7), make([]byte, 7), make([]byte, 7), make([]byte, 7))
			}, nil, true},
			{"v6 five extension headers", v6, func(ip []byte) []byte {
				return withIPv6Ext(ip, []byte{0, 60, 43, 60, 60}, make([]byte, 7), make([]byte, 7), make([]byte, 7), make([]byte, 7), make([]byte, 7))
			}, nil, false},
			{"ARP", v4, nil, func(m *frameMeta) { m.proto = 0x0806 }, false},
		} {
			frame := w.frame(c.p)
			ip := ipHeader(w, frame)
			link := frame[:len(frame)-len(ip)]
			if c.mutate != nil {
				ip = c.mutate(slices.Clone(ip))
			}
			m := metaFor(ip)
			if c.meta != nil {
				if !w.cooked {
					// On Ethernet the EtherType is in the frame.
					binary.BigEndian.PutUint16(link[len(link)-2:], 0x0806)
				}
				c.meta(&m)
			}
			frame = slices.Concat(link, ip)
			if got := runFilter(t, prog, frame, m); got != c.want {
				t.Errorf("%s/%s: passes %v, want %v", w.name, c.name, got, c.want)
			}
		}
	}
}

// TestKernelFilterLoopbackOutgoing: the copy of an outgoing packet on a
// loopback interface is dropped, the incoming copy passes, and other
// interfaces keep both.
func TestKernelFilterLoopbackOutgoing(t *testing.T) {
	for _, w := range wires(t) {
		prog := compile(t, capture.KernelFilter{Cooked: w.cooked, Ports: []uint16{1863}, DropOutgoingOn: []uint32{1, 7}})
		frame := w.frame(packet("127.0.0.1:3001", "127.0.0.1:1863", "VER"))
		m := metaFor(ipHeader(w, frame))
		for _, c := range []struct {
			pktType, ifindex uint32
			want             bool
		}{
			{0, 1, true},  // PACKET_HOST on lo
			{4, 1, false}, // PACKET_OUTGOING on lo
			{4, 7, false}, // PACKET_OUTGOING on another loopback
			{4, 2, true},  // PACKET_OUTGOING on eth0
		} {
			m.pktType, m.ifindex = c.pktType, c.ifindex
			if got := runFilter(t, prog, frame, m); got != c.want {
				t.Errorf("%s: packet type %d on interface %d passes %v, want %v", w.name, c.pktType, c.ifindex, got, c.want)
			}
		}
	}
}

// TestKernelFilterManyPorts: with enough ports that the conditional jumps
// outgrow their 8-bit offsets, the assembler widens them and the program
// still decides right for the first, middle and last port.
func TestKernelFilterManyPorts(t *testing.T) {
	// Every other port, so that no two make a range.
	var ports []uint16
	for p := uint16(20000); p < 20800; p += 2 {
		ports = append(ports, p)
	}
	for _, w := range wires(t) {
		prog := compile(t, capture.KernelFilter{Cooked: w.cooked, Ports: ports})
		if len(prog) < 300 {
			t.Fatalf("%s: program of %d instructions cannot need wide jumps", w.name, len(prog))
		}
		for _, c := range []struct {
			port uint16
			want bool
		}{{20000, true}, {20400, true}, {20798, true}, {20401, false}, {20800, false}, {19998, false}} {
			for _, v6 := range []bool{false, true} {
				src, dst := "192.0.2.10:3001", fmt.Sprintf("198.51.100.20:%d", c.port)
				if v6 {
					src, dst = "[2001:db8::10]:3001", fmt.Sprintf("[2001:db8::20]:%d", c.port)
				}
				frame := w.frame(packet(src, dst, ""))
				if got := runFilter(t, prog, frame, metaFor(ipHeader(w, frame))); got != c.want {
					t.Errorf("%s: port %d (v6 %v) passes %v, want %v", w.name, c.port, v6, got, c.want)
				}
			}
		}
	}
	ports = ports[:0]
	for p := range 3000 {
		ports = append(ports, uint16(10000+2*p))
	}
	if _, err := (capture.KernelFilter{Ports: ports, Snaplen: snaplen}).Compile(); err == nil {
		t.Error("a program over the kernel's 4096 instructions compiled")
	}
}

// TestKernelFilterExpressions compares the compiled filter with the
// reference semantics (Filter.Match after decoding the frame as user space
// does) on random packets, for a set of expressions in every layout.
func TestKernelFilterExpressions(t *testing.T) {
	exprs := []string{
		"host 10.0.0.5",
		"src host 10.0.0.5",
		"dst host 10.0.0.5 or dst host 2001:db8::5",
		"src and dst net 10.0.0.0/24",
		"net 10.0.0.4/31",
		"net 10.0.0.0 mask 255.255.255.0 and not host 10.0.0.5",
		"net 2001:db8::/125",
		"net 2001:db8::4/126 or net 0.0.0.0/0",
		"net ::/0",
		"ip",
		"ip6",
		"tcp",
		"ip and port 1863",
		"ip6 and src port 3001",
		"not ip6 or dst port 3002",
		"portrange 3000-3002",
		"src portrange 1863-1863 and dst portrange 3001-65535",
		"(host 10.0.0.4 or host 10.0.0.5) and not (src port 1863 and dst host 10.0.0.6)",
		"ip host 10.0.0.5 or ip6 host 2001:db8::6",
		"host 10.0.0.5 or 10.0.0.6 or 2001:db8::4",
		"src or dst port 3003 || ! src and dst net 2001:db8::/64",
		"not (port 1863 or port 1864)",
	}
	addrs4 := []string{"10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.1.5", "192.0.2.1"}
	addrs6 := []string{"2001:db8::4", "2001:db8::5", "2001:db8::6", "2001:db8:1::5", "fe80::1"}
	portsPool := []uint16{1863, 1864, 3001, 3002, 3003, 2999, 65535}
	rng := rand.New(rand.NewPCG(1, 2))
	var pkts []capgen.Packet
	for range 300 {
		pool := addrs4
		if rng.IntN(2) == 1 {
			pool = addrs6
		}
		src := netip.AddrPortFrom(netip.MustParseAddr(pool[rng.IntN(len(pool))]), portsPool[rng.IntN(len(portsPool))])
		dst := netip.AddrPortFrom(netip.MustParseAddr(pool[rng.IntN(len(pool))]), portsPool[rng.IntN(len(portsPool))])
		pkts = append(pkts, capgen.Packet{Src: src, Dst: dst, Seq: 1, Flags: capture.ACK, Payload: []byte("x")})
	}
	msnp := []uint16{1863, 1864}
	for _, expr := range exprs {
		f, err := capture.ParseFilter(expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		for _, w := range wires(t) {
			vm := newFilterVM(compile(t, capture.KernelFilter{Cooked: w.cooked, Ports: msnp, Filter: f}))
			lt := capture.LinkEthernet
			if w.cooked {
				lt = capture.LinkRaw
			}
			passed := 0
			for _, p := range pkts {
				frame := w.frame(p)
				seg, ok := capture.DecodeFrame(lt, frame)
				if !ok {
					t.Fatalf("capgen frame does not decode")
				}
				want := (slices.Contains(msnp, seg.Src.Port()) || slices.Contains(msnp, seg.Dst.Port())) && f.Match(seg.Src, seg.Dst)
				if got := vm.run(t, frame, metaFor(ipHeader(w, frame))); got != want {
					t.Errorf("%q/%s: %v -> %v passes %v, want %v", expr, w.name, seg.Src, seg.Dst, got, want)
				}
				if want {
					passed++
				}
			}
			if passed == 0 && expr != "not (port 1863 or port 1864)" {
				t.Errorf("%q/%s: no packet passed; the test packets miss the expression", expr, w.name)
			}
		}
	}
}
