package capture

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"golang.org/x/net/bpf"
)

// The kernel filter of a live capture is a classic BPF program (the kind
// SO_ATTACH_FILTER takes, checked by the kernel, no eBPF privileges needed)
// built here with golang.org/x/net/bpf rather than by libpcap. It passes a
// frame only when it is TCP over IPv4 or IPv6 with a source or destination
// port among the MSNP ports and, when one is given, the Filter expression
// matches. Everything else is dropped in the kernel, so a busy interface
// costs user space nothing.

// kernelLayout is where a packet socket's frames start, as its filter sees
// them.
type kernelLayout uint8

const (
	// layoutEthernet: SOCK_RAW on an Ethernet or loopback interface; the
	// frame starts with the Ethernet header, possibly with 802.1Q/802.1ad
	// tags the hardware did not strip.
	layoutEthernet kernelLayout = iota
	// layoutCooked: SOCK_DGRAM (any other link type, and "any"); the frame
	// starts at the network header and the EtherType is skb->protocol,
	// which a filter reads with the protocol extension load.
	layoutCooked
)

// Constants of the kernel ABI the filter tests.
const (
	// linuxPacketOutgoing is PACKET_OUTGOING, the packet type of a copy of
	// a frame the host sends (linux/if_packet.h).
	linuxPacketOutgoing = 4
	// bpfMaxInstructions is BPF_MAXINSNS, the longest classic program the
	// kernel accepts.
	bpfMaxInstructions = 4096
	// maxIPv6ExtHeaders is how many IPv6 extension headers the filter walks
	// before TCP; deeper chains are dropped. BPF cannot loop, so the walk is
	// unrolled, and real TCP traffic has at most one or two.
	maxIPv6ExtHeaders = 4
)

// vlanEtherTypes are the tags the Ethernet layout looks through, as
// decodeEtherType does.
var vlanEtherTypes = []uint32{etherTypeDot1Q, etherTypeDot1AD, etherTypeQinQOld, etherTypeQinQOld2}

// maxVLANTags is how many VLAN tags the Ethernet layout looks through. The
// kernel usually strips the outer tag into metadata, so two covers QinQ.
const maxVLANTags = 2

// kernelProgram describes the filter of one live capture.
type kernelProgram struct {
	layout kernelLayout
	// ports are the MSNP server ports; a frame passes if either TCP port
	// is one of them.
	ports []uint16
	// filter further restricts what passes; nil passes everything.
	filter *Filter
	// snaplen is how many bytes of a passing frame the kernel keeps.
	snaplen uint32
	// dropOutgoingOn lists interface indexes whose outgoing copies are
	// dropped: on loopback each packet is seen once going out and once
	// coming in, and libpcap likewise keeps only the second.
	dropOutgoingOn []uint32
}

// compile assembles the program.
func (k *kernelProgram) compile() ([]bpf.Instruction, error) {
	if len(k.ports) == 0 {
		return nil, errors.New("capture filter: no MSNP ports")
	}
	if k.snaplen == 0 {
		return nil, errors.New("capture filter: snap length 0 would pass no bytes")
	}
	g := &bpfGen{prog: k}
	g.accept, g.reject, g.ports = g.newLabel(), g.newLabel(), g.newLabel()

	if len(k.dropOutgoingOn) > 0 {
		check, main := g.newLabel(), g.newLabel()
		g.emit(bpf.LoadExtension{Num: bpf.ExtType})
		g.jumpIf(bpf.JumpEqual, linuxPacketOutgoing, check, main)
		g.mark(check)
		g.emit(bpf.LoadExtension{Num: bpf.ExtInterfaceIndex})
		for _, ix := range k.dropOutgoingOn {
			g.jumpIfElseNext(bpf.JumpEqual, ix, g.reject)
		}
		g.mark(main)
	}

	switch k.layout {
	case layoutEthernet:
		g.ethernet()
	case layoutCooked:
		v4, v6 := g.newLabel(), g.newLabel()
		g.emit(bpf.LoadExtension{Num: bpf.ExtProto})
		g.jumpIfElseNext(bpf.JumpEqual, etherTypeIPv4, v4)
		g.jumpIf(bpf.JumpEqual, etherTypeIPv6, v6, g.reject)
		g.mark(v4)
		g.ipv4(0)
		g.mark(v6)
		g.ipv6(0)
	default:
		return nil, fmt.Errorf("capture filter: unknown layout %d", k.layout)
	}

	g.portTest()
	g.mark(g.accept)
	g.emit(bpf.RetConstant{Val: k.snaplen})
	g.mark(g.reject)
	g.emit(bpf.RetConstant{Val: 0})
	return g.assemble()
}

// ethernet dispatches on the EtherType, through up to maxVLANTags tags, to
// the IPv4 and IPv6 code for each header offset.
func (g *bpfGen) ethernet() {
	type block struct {
		l    label
		base uint32
	}
	var v4s, v6s []block
	for tags := 0; tags <= maxVLANTags; tags++ {
		etOff := uint32(12 + 4*tags)
		v4, v6 := block{g.newLabel(), etOff + 2}, block{g.newLabel(), etOff + 2}
		v4s, v6s = append(v4s, v4), append(v6s, v6)
		g.emit(bpf.LoadAbsolute{Off: etOff, Size: 2})
		g.jumpIfElseNext(bpf.JumpEqual, etherTypeIPv4, v4.l)
		if tags == maxVLANTags {
			g.jumpIf(bpf.JumpEqual, etherTypeIPv6, v6.l, g.reject)
			break
		}
		g.jumpIfElseNext(bpf.JumpEqual, etherTypeIPv6, v6.l)
		level := g.newLabel()
		for i, et := range vlanEtherTypes {
			if i == len(vlanEtherTypes)-1 {
				g.jumpIf(bpf.JumpEqual, et, level, g.reject)
			} else {
				g.jumpIfElseNext(bpf.JumpEqual, et, level)
			}
		}
		g.mark(level)
	}
	for i := range v4s {
		g.mark(v4s[i].l)
		g.ipv4(v4s[i].base)
		g.mark(v6s[i].l)
		g.ipv6(v6s[i].base)
	}
}

// ipv4 checks the IPv4 header at base and locates TCP: X is set to the
// offset of the TCP header (base plus the header length). Fragments other than the first
// carry no TCP header and are dropped, as tcpdump's "port" does.
func (g *bpfGen) ipv4(base uint32) {
	g.emit(bpf.LoadAbsolute{Off: base + 9, Size: 1})
	g.jumpIfElseNext(bpf.JumpNotEqual, ipProtoTCP, g.reject)
	g.emit(bpf.LoadAbsolute{Off: base + 6, Size: 2})
	g.jumpIfElseNext(bpf.JumpBitsSet, 0x1fff, g.reject)
	g.emit(bpf.LoadMemShift{Off: base}, bpf.TXA{}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: base}, bpf.TAX{})
	g.tcp(ipContext{v6: false, ipBase: base})
}

// ipv6 walks the extension headers after the IPv6 header at base (as
// decodeIPv6 does, up to maxIPv6ExtHeaders of them) and sets X to the
// offset of the TCP header. A fragment header with a non-zero offset
// ends the walk with a drop.
func (g *bpfGen) ipv6(base uint32) {
	ext := base + 40 // the first byte after the fixed header
	tcp := g.newLabel()
	g.emit(bpf.LoadAbsolute{Off: base + 6, Size: 1}, bpf.LoadConstant{Dst: bpf.RegX, Val: 0})
	for i := 0; ; i++ {
		// A holds the next-header value; X the extension bytes so far.
		if i == maxIPv6ExtHeaders {
			g.jumpIf(bpf.JumpEqual, ipProtoTCP, tcp, g.reject)
			break
		}
		opts, frag, ah, next := g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel()
		g.jumpIfElseNext(bpf.JumpEqual, ipProtoTCP, tcp)
		g.jumpIfElseNext(bpf.JumpEqual, ipProtoHopByHop, opts)
		g.jumpIfElseNext(bpf.JumpEqual, ipProtoRouting, opts)
		g.jumpIfElseNext(bpf.JumpEqual, ipProtoDestOpts, opts)
		g.jumpIfElseNext(bpf.JumpEqual, ipProtoFragment, frag)
		g.jumpIf(bpf.JumpEqual, ipProtoAH, ah, g.reject)

		// Options headers: length in 8-byte units, not counting the first.
		g.mark(opts)
		g.emit(
			bpf.LoadIndirect{Off: ext, Size: 1}, bpf.StoreScratch{Src: bpf.RegA, N: 0},
			bpf.LoadIndirect{Off: ext + 1, Size: 1},
			bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 3},
			bpf.ALUOpX{Op: bpf.ALUOpAdd}, bpf.TAX{}, bpf.LoadScratch{Dst: bpf.RegA, N: 0},
		)
		g.jump(next)

		// Fragment header: 8 bytes; only the first fragment has TCP's ports.
		g.mark(frag)
		g.emit(bpf.LoadIndirect{Off: ext + 2, Size: 2})
		g.jumpIfElseNext(bpf.JumpBitsSet, 0xfff8, g.reject)
		g.emit(
			bpf.LoadIndirect{Off: ext, Size: 1}, bpf.StoreScratch{Src: bpf.RegA, N: 0},
			bpf.TXA{}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 8}, bpf.TAX{},
			bpf.LoadScratch{Dst: bpf.RegA, N: 0},
		)
		g.jump(next)

		// Authentication header: length in 4-byte units, minus two.
		g.mark(ah)
		g.emit(
			bpf.LoadIndirect{Off: ext, Size: 1}, bpf.StoreScratch{Src: bpf.RegA, N: 0},
			bpf.LoadIndirect{Off: ext + 1, Size: 1},
			bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 2}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2},
			bpf.ALUOpX{Op: bpf.ALUOpAdd}, bpf.TAX{}, bpf.LoadScratch{Dst: bpf.RegA, N: 0},
		)
		g.mark(next)
	}
	g.mark(tcp)
	g.emit(bpf.TXA{}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: ext}, bpf.TAX{})
	g.tcp(ipContext{v6: true, ipBase: base})
}

// ipContext is what the code for one IP header layout knows: the IP
// version and where the IP header starts. The TCP header is at X.
type ipContext struct {
	v6     bool
	ipBase uint32
}

// Offsets of the addresses in the IP headers.
func (c ipContext) srcAddr() uint32 {
	if c.v6 {
		return c.ipBase + 8
	}
	return c.ipBase + 12
}

func (c ipContext) dstAddr() uint32 {
	if c.v6 {
		return c.ipBase + 24
	}
	return c.ipBase + 16
}

// tcp tests the filter expression, if there is one, for a packet of this
// IP layout, and goes on to the port test (shared by every layout) when it
// holds.
func (g *bpfGen) tcp(c ipContext) {
	if g.prog.filter == nil {
		g.jump(g.ports)
		return
	}
	g.cond(g.prog.filter.root, c, g.ports, g.reject)
}

// portTest passes TCP with a source or destination port among the MSNP
// ports; X holds the offset of the TCP header. Runs of consecutive ports
// are tested as ranges.
func (g *bpfGen) portTest() {
	ports := slices.Clone(g.prog.ports)
	slices.Sort(ports)
	ports = slices.Compact(ports)
	type span struct{ lo, hi uint16 }
	var spans []span
	for _, p := range ports {
		if n := len(spans); n > 0 && spans[n-1].hi+1 == p {
			spans[n-1].hi = p
		} else {
			spans = append(spans, span{p, p})
		}
	}
	g.mark(g.ports)
	for off := uint32(0); off <= 2; off += 2 {
		g.emit(bpf.LoadIndirect{Off: off, Size: 2})
		for i, sp := range spans {
			miss := g.newLabel()
			if off == 2 && i == len(spans)-1 {
				miss = g.reject
			}
			if sp.lo == sp.hi {
				g.jumpIf(bpf.JumpEqual, uint32(sp.lo), g.accept, miss)
			} else {
				in := g.newLabel()
				g.jumpIf(bpf.JumpGreaterOrEqual, uint32(sp.lo), in, miss)
				g.mark(in)
				g.jumpIf(bpf.JumpGreaterThan, uint32(sp.hi), miss, g.accept)
			}
			if miss != g.reject {
				g.mark(miss)
			}
		}
	}
}

// cond compiles n as a branch to t when it holds and to f otherwise.
func (g *bpfGen) cond(n *filterNode, c ipContext, t, f label) {
	switch n.op {
	case opAnd:
		m := g.newLabel()
		g.cond(n.l, c, m, f)
		g.mark(m)
		g.cond(n.r, c, t, f)
	case opOr:
		m := g.newLabel()
		g.cond(n.l, c, t, m)
		g.mark(m)
		g.cond(n.r, c, t, f)
	case opNot:
		g.cond(n.l, c, f, t)
	default:
		g.primitive(&n.prim, c, t, f)
	}
}

// primitive compiles one test. Tests that cannot hold for this IP version
// (an IPv6 host in IPv4 code, "ip6" in IPv4 code) become a jump to f.
func (g *bpfGen) primitive(p *primitive, c ipContext, t, f label) {
	if (p.proto == protoIPv4 && c.v6) || (p.proto == protoIPv6 && !c.v6) {
		g.jump(f)
		return
	}
	switch p.kind {
	case kindProto:
		g.jump(t)
	case kindHost, kindNet:
		var prefixes []netip.Prefix
		for _, pfx := range p.prefixes {
			if pfx.Addr().Is6() == c.v6 {
				prefixes = append(prefixes, pfx)
			}
		}
		if len(prefixes) == 0 {
			g.jump(f)
			return
		}
		g.either(p.dir,
			func(t, f label) { g.anyPrefix(prefixes, c.srcAddr(), t, f) },
			func(t, f label) { g.anyPrefix(prefixes, c.dstAddr(), t, f) },
			t, f)
	case kindPort, kindPortRange:
		test := func(off uint32) func(t, f label) {
			return func(t, f label) {
				g.emit(bpf.LoadIndirect{Off: off, Size: 2})
				if p.lo == p.hi {
					g.jumpIf(bpf.JumpEqual, uint32(p.lo), t, f)
					return
				}
				m := g.newLabel()
				g.jumpIf(bpf.JumpGreaterOrEqual, uint32(p.lo), m, f)
				g.mark(m)
				g.jumpIf(bpf.JumpGreaterThan, uint32(p.hi), f, t)
			}
		}
		g.either(p.dir, test(0), test(2), t, f)
	}
}

// either combines a source test and a destination test by direction.
func (g *bpfGen) either(d dirQual, src, dst func(t, f label), t, f label) {
	switch d {
	case dirSrc:
		src(t, f)
	case dirDst:
		dst(t, f)
	case dirSrcAndDst:
		m := g.newLabel()
		src(m, f)
		g.mark(m)
		dst(t, f)
	default:
		m := g.newLabel()
		src(t, m)
		g.mark(m)
		dst(t, f)
	}
}

// anyPrefix branches to t when the address at off is in one of prefixes.
func (g *bpfGen) anyPrefix(prefixes []netip.Prefix, off uint32, t, f label) {
	for i, pfx := range prefixes {
		if i == len(prefixes)-1 {
			g.prefix(pfx, off, t, f)
			return
		}
		next := g.newLabel()
		g.prefix(pfx, off, t, next)
		g.mark(next)
	}
}

// prefix compares the address at off with pfx a 32-bit word at a time,
// masking the word the prefix ends in.
func (g *bpfGen) prefix(pfx netip.Prefix, off uint32, t, f label) {
	addr := pfx.Addr().AsSlice()
	n := pfx.Bits()
	if n == 0 {
		g.jump(t)
		return
	}
	words := (n + 31) / 32
	for w := 0; w < words; w++ {
		val := uint32(addr[4*w])<<24 | uint32(addr[4*w+1])<<16 | uint32(addr[4*w+2])<<8 | uint32(addr[4*w+3])
		g.emit(bpf.LoadAbsolute{Off: off + uint32(4*w), Size: 4})
		if ones := n - 32*w; ones < 32 {
			mask := ^uint32(0) << (32 - ones)
			g.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
			val &= mask
		}
		if w == words-1 {
			g.jumpIf(bpf.JumpEqual, val, t, f)
		} else {
			g.jumpIfElseNext(bpf.JumpNotEqual, val, f)
		}
	}
}

// label names a position in the program being generated.
type label int

// bpfOpKind says what a bpfOp is.
type bpfOpKind uint8

const (
	bpfPlain bpfOpKind = iota // an instruction that does not jump
	bpfCond                   // a conditional jump to two labels
	bpfJump                   // an unconditional jump to a label
	bpfMark                   // a label's position; no instruction
)

// bpfOp is one step of the program before jump offsets are known.
type bpfOp struct {
	kind bpfOpKind
	ins  bpf.Instruction
	cond bpf.JumpTest
	val  uint32
	t, f label
	// farT and farF are set by assemble when that target of a conditional
	// jump is further than the 255 instructions an 8-bit offset reaches;
	// the jump then goes through an unconditional jump (32-bit offset)
	// placed right after it.
	farT, farF bool
}

// width is the number of instructions the op assembles to.
func (op *bpfOp) width() int {
	switch {
	case op.kind == bpfMark:
		return 0
	case op.kind != bpfCond:
		return 1
	case op.farT && op.farF:
		return 3
	case op.farT || op.farF:
		return 2
	}
	return 1
}

// bpfGen generates a program with symbolic labels, then assembles it.
type bpfGen struct {
	prog   *kernelProgram
	ops    []bpfOp
	labels int
	// accept and reject end the program; ports starts the port test.
	accept, reject, ports label
}

func (g *bpfGen) newLabel() label {
	g.labels++
	return label(g.labels - 1)
}

func (g *bpfGen) mark(l label) { g.ops = append(g.ops, bpfOp{kind: bpfMark, t: l}) }

func (g *bpfGen) emit(ins ...bpf.Instruction) {
	for _, in := range ins {
		g.ops = append(g.ops, bpfOp{kind: bpfPlain, ins: in})
	}
}

func (g *bpfGen) jump(t label) { g.ops = append(g.ops, bpfOp{kind: bpfJump, t: t}) }

// jumpIf branches to t when "A cond val" holds, to f otherwise.
func (g *bpfGen) jumpIf(cond bpf.JumpTest, val uint32, t, f label) {
	// Keep to tests with a machine encoding of their own; the others are
	// the same tests with the targets swapped.
	switch cond {
	case bpf.JumpNotEqual:
		cond, t, f = bpf.JumpEqual, f, t
	case bpf.JumpLessThan:
		cond, t, f = bpf.JumpGreaterOrEqual, f, t
	case bpf.JumpLessOrEqual:
		cond, t, f = bpf.JumpGreaterThan, f, t
	}
	g.ops = append(g.ops, bpfOp{kind: bpfCond, cond: cond, val: val, t: t, f: f})
}

// jumpIfElseNext branches to t when the test holds and falls through
// otherwise.
func (g *bpfGen) jumpIfElseNext(cond bpf.JumpTest, val uint32, t label) {
	next := g.newLabel()
	g.jumpIf(cond, val, t, next)
	g.mark(next)
}

// assemble resolves labels into jump offsets. Classic BPF only jumps
// forward, a conditional jump by at most 255 instructions; a target further
// away is reached through an unconditional jump (32-bit offset) placed
// after the conditional one. That moves code, so the layout is redone
// until no more targets become far; targets only ever become far, never
// near again, so this ends.
func (g *bpfGen) assemble() ([]bpf.Instruction, error) {
	pos := make([]int, len(g.ops))
	at := make([]int, g.labels)
	var pc int
	for {
		for i := range at {
			at[i] = -1
		}
		pc = 0
		for i := range g.ops {
			pos[i] = pc
			if g.ops[i].kind == bpfMark {
				at[g.ops[i].t] = pc
			}
			pc += g.ops[i].width()
		}
		grew := false
		for i := range g.ops {
			op := &g.ops[i]
			if op.kind != bpfCond {
				continue
			}
			if !op.farT && at[op.t]-pos[i]-1 > 255 {
				op.farT, grew = true, true
			}
			if !op.farF && at[op.f]-pos[i]-1 > 255 {
				op.farF, grew = true, true
			}
		}
		if !grew {
			break
		}
	}
	if pc > bpfMaxInstructions {
		return nil, fmt.Errorf("capture filter: %d instructions, more than the kernel's limit of %d; use fewer ports or a simpler filter expression", pc, bpfMaxInstructions)
	}

	// skip is the offset of label l for a jump at pc from.
	skip := func(from int, l label) (uint32, error) {
		if at[l] < 0 {
			return 0, fmt.Errorf("capture filter: internal error: label %d never placed", l)
		}
		d := at[l] - from - 1
		if d < 0 {
			return 0, fmt.Errorf("capture filter: internal error: backward jump to label %d", l)
		}
		return uint32(d), nil
	}
	out := make([]bpf.Instruction, 0, pc)
	for i, op := range g.ops {
		switch op.kind {
		case bpfPlain:
			out = append(out, op.ins)
		case bpfJump:
			d, err := skip(pos[i], op.t)
			if err != nil {
				return nil, err
			}
			out = append(out, bpf.Jump{Skip: d})
		case bpfCond:
			// A far target is reached through an unconditional jump placed
			// after the conditional one: the true side's first, if both.
			p := pos[i]
			ins := bpf.JumpIf{Cond: op.cond, Val: op.val}
			var far []bpf.Instruction
			target := func(l label, isFar bool) (uint8, error) {
				if !isFar {
					d, err := skip(p, l)
					if err == nil && d > 255 {
						err = fmt.Errorf("capture filter: internal error: jump of %d to label %d", d, l)
					}
					return uint8(d), err
				}
				landing := p + 1 + len(far)
				d, err := skip(landing, l)
				far = append(far, bpf.Jump{Skip: d})
				return uint8(landing - p - 1), err
			}
			var err error
			if ins.SkipTrue, err = target(op.t, op.farT); err != nil {
				return nil, err
			}
			if ins.SkipFalse, err = target(op.f, op.farF); err != nil {
				return nil, err
			}
			out = append(out, ins)
			out = append(out, far...)
		}
	}
	return out, nil
}
