//go:build linux

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Why our own AF_PACKET socket rather than gopacket's pcapgo.EthernetHandle
// (gopacket v1.1.19): its reads are blocking recvmsg calls with no timeout
// on a descriptor it does not expose, so nothing could stop a capture on a
// quiet interface at Ctrl-C; it opens only SOCK_RAW, so interfaces without
// an Ethernet header (tunnels, "any") cannot be captured; and it hides the
// packet type and hardware type the kernel reports with every frame, which
// loopback de-duplication and cooked headers need. The socket here is
// non-blocking and registered with the Go runtime's poller, so Close wakes
// a pending read at once.

// sllHeaderLen is the Linux cooked capture (v1) header put in front of
// frames from SOCK_DGRAM sockets
// (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html).
const sllHeaderLen = 16

// headroom is kept free in front of the received bytes for a cooked header
// or a VLAN tag the kernel stripped.
const headroom = sllHeaderLen

// OpenLive opens a live capture on an interface. It fails with an error
// wrapping ErrNoSuchInterface (naming the interfaces there are),
// ErrInterfaceDown or ErrNoPermission when those are the reason.
func OpenLive(cfg LiveConfig) (*Live, error) {
	cfg = cfg.withDefaults()
	name := cfg.Interface
	if name == "" {
		return nil, errors.New("live capture: no interface given")
	}
	hw, hwErr := hardwareTypes()

	k := &kernelProgram{layout: layoutCooked, ports: cfg.Ports, filter: cfg.Filter, snaplen: uint32(cfg.Snaplen)}
	link := LinkLinuxSLL
	ifindex := 0
	if name == AnyInterface {
		// Outgoing copies on loopback would show every packet twice.
		ifs, err := net.Interfaces()
		if err != nil {
			return nil, fmt.Errorf("live capture on %q: listing interfaces: %w", name, err)
		}
		for _, ifi := range ifs {
			if ifi.Flags&net.FlagLoopback != 0 {
				k.dropOutgoingOn = append(k.dropOutgoingOn, uint32(ifi.Index))
			}
		}
	} else {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return nil, fmt.Errorf("live capture on %q: %w (interfaces here: %s)", name, ErrNoSuchInterface, interfaceNames())
		}
		if ifi.Flags&net.FlagUp == 0 {
			return nil, fmt.Errorf("live capture on %q: %w (bring it up with: ip link set %s up)", name, ErrInterfaceDown, name)
		}
		ifindex = ifi.Index
		t, known := hw[ifi.Index]
		if hwErr != nil || !known {
			// Without netlink, go by what the interface looks like.
			switch {
			case ifi.Flags&net.FlagLoopback != 0:
				t, known = unix.ARPHRD_LOOPBACK, true
			case len(ifi.HardwareAddr) == 6:
				t, known = unix.ARPHRD_ETHER, true
			}
		}
		if known && (t == unix.ARPHRD_ETHER || t == unix.ARPHRD_LOOPBACK) {
			k.layout, link = layoutEthernet, LinkEthernet
			if t == unix.ARPHRD_LOOPBACK {
				k.dropOutgoingOn = []uint32{uint32(ifindex)}
			}
		}
	}

	prog, err := k.compile()
	if err != nil {
		return nil, fmt.Errorf("live capture on %q: %w", name, err)
	}
	s, err := openPacketSocket(name, ifindex, k.layout, prog, cfg)
	if err != nil {
		return nil, err
	}
	return newLive(name, link, prog, s), nil
}

// packetSocket is an AF_PACKET socket registered with the runtime poller.
type packetSocket struct {
	file   *os.File
	rc     syscall.RawConn
	layout kernelLayout
	buf    []byte // headroom, then up to snaplen received bytes
	oob    []byte // control messages: auxiliary data and the timestamp
	// stopping is set by stop: from then on recv reads without waiting
	// and reports errDrained when the queue is empty.
	stopping atomic.Bool
}

// openPacketSocket opens, filters, binds and registers the socket. The
// socket is created with protocol 0, which receives nothing, and only bound
// to ETH_P_ALL once the filter is attached, so no unfiltered frame is ever
// queued.
func openPacketSocket(name string, ifindex int, layout kernelLayout, prog []bpf.Instruction, cfg LiveConfig) (*packetSocket, error) {
	fail := func(op string, err error) error {
		return fmt.Errorf("live capture on %q: %s: %w", name, op, err)
	}
	typ := unix.SOCK_DGRAM
	if layout == layoutEthernet {
		typ = unix.SOCK_RAW
	}
	fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fail("opening a packet socket", fmt.Errorf("%w (%v)", ErrNoPermission, err))
		}
		return nil, fail("opening a packet socket", err)
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()

	if err := attachFilter(fd, prog); err != nil {
		return nil, fail("attaching the kernel filter", err)
	}
	// SO_RCVBUFFORCE may exceed net.core.rmem_max but needs CAP_NET_ADMIN;
	// without it the buffer is what SO_RCVBUF allows, and drops (if any)
	// are reported in the statistics.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, cfg.BufferSize) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, cfg.BufferSize)
	}
	// Auxiliary data gives the frame's original length and any VLAN tag the
	// kernel stripped; kernel timestamps are when the frame arrived, not
	// when it was read. Both are old (2.6) features; without them frames
	// are still captured, only less exactly described.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)

	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
		switch {
		case errors.Is(err, unix.ENETDOWN):
			err = fmt.Errorf("%w (bring it up with: ip link set %s up)", ErrInterfaceDown, name)
		case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
			err = fmt.Errorf("%w (interfaces here: %s)", ErrNoSuchInterface, interfaceNames())
		}
		return nil, fail("binding to the interface", err)
	}
	if cfg.Promiscuous && ifindex != 0 {
		mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return nil, fail("entering promiscuous mode", err)
		}
	}

	// A non-blocking descriptor makes os.NewFile register it with the
	// poller, so reads park the goroutine rather than a thread.
	file := os.NewFile(uintptr(fd), "packet socket on "+name)
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		ok = true // the file owns the descriptor now
		return nil, fail("registering the socket", err)
	}
	ok = true
	return &packetSocket{
		file: file, rc: rc, layout: layout,
		buf: make([]byte, headroom+cfg.Snaplen),
		// Room for the auxiliary data and a struct timespec (at most 16 bytes).
		oob: make([]byte, unix.CmsgSpace(tpacketAuxdataLen)+unix.CmsgSpace(16)),
	}, nil
}

// attachFilter assembles prog and attaches it to the socket fd, where the
// kernel checks it.
func attachFilter(fd int, prog []bpf.Instruction) error {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return fmt.Errorf("assembling: %w", err)
	}
	if len(raw) == 0 {
		return errors.New("empty program")
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, in := range raw {
		filter[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]})
}

// tpacketAuxdataLen is the size of struct tpacket_auxdata: status, len,
// snaplen (u32), mac, net, vlan_tci, vlan_tpid (u16), the same on every
// architecture.
const tpacketAuxdataLen = 20

// recv reads one frame and gives it the link-layer header of the capture's
// link type.
func (s *packetSocket) recv() (LiveFrame, error) {
	var (
		n, oobn int
		from    unix.Sockaddr
		rerr    error
	)
	read := func(fd uintptr) {
		for {
			// MSG_TRUNC: n is the frame's length even if the buffer is shorter.
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), s.buf[headroom:], s.oob, unix.MSG_TRUNC)
			if rerr != unix.EINTR {
				return
			}
		}
	}
	for {
		if s.stopping.Load() {
			// Drain: the descriptor is non-blocking, so an empty queue is
			// EAGAIN rather than a wait.
			if err := s.rc.Control(read); err != nil {
				return LiveFrame{}, err
			}
			if rerr == unix.EAGAIN {
				return LiveFrame{}, errDrained
			}
			break
		}
		err := s.rc.Read(func(fd uintptr) bool {
			read(fd)
			// Returning false waits for the socket to become readable.
			return rerr != unix.EAGAIN
		})
		if err == nil {
			break
		}
		// stop wakes a waiting read with an expired deadline.
		if !(s.stopping.Load() && errors.Is(err, os.ErrDeadlineExceeded)) {
			return LiveFrame{}, err
		}
	}
	if rerr != nil {
		if errors.Is(rerr, unix.ENETDOWN) {
			return LiveFrame{}, fmt.Errorf("reading: %w (%v)", ErrInterfaceDown, rerr)
		}
		return LiveFrame{}, fmt.Errorf("reading: %w", rerr)
	}
	capLen := min(n, len(s.buf)-headroom)
	f := LiveFrame{OrigLen: n}
	var vlan struct {
		valid     bool
		tci, tpid uint16
	}
	if msgs, err := unix.ParseSocketControlMessage(s.oob[:oobn]); err == nil {
		for _, m := range msgs {
			switch {
			case m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS:
				f.Timestamp = timespec(m.Data)
			case m.Header.Level == unix.SOL_PACKET && m.Header.Type == unix.PACKET_AUXDATA && len(m.Data) >= tpacketAuxdataLen:
				status := binary.NativeEndian.Uint32(m.Data[0:])
				// tp_len is the length before the filter's snap length
				// cut the frame, which n is not.
				f.OrigLen = int(binary.NativeEndian.Uint32(m.Data[4:]))
				if status&unix.TP_STATUS_VLAN_VALID != 0 {
					vlan.valid = true
					vlan.tci = binary.NativeEndian.Uint16(m.Data[16:])
					vlan.tpid = etherTypeDot1Q
					if status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
						vlan.tpid = binary.NativeEndian.Uint16(m.Data[18:])
					}
				}
			}
		}
	}
	if f.Timestamp.IsZero() {
		f.Timestamp = time.Now()
	}
	f.Timestamp = f.Timestamp.UTC()

	switch s.layout {
	case layoutEthernet:
		f.Data = s.buf[headroom : headroom+capLen]
		if vlan.valid && capLen >= 12 {
			// Put back the tag the kernel (or the NIC) stripped, as
			// libpcap does, so a written file shows the frame as it was.
			start := headroom - 4
			copy(s.buf[start:start+12], s.buf[headroom:headroom+12])
			binary.BigEndian.PutUint16(s.buf[start+12:], vlan.tpid)
			binary.BigEndian.PutUint16(s.buf[start+14:], vlan.tci)
			f.Data = s.buf[start : headroom+capLen]
			f.OrigLen += 4
		}
	case layoutCooked:
		h := s.buf[headroom-sllHeaderLen : headroom]
		clear(h)
		if sll, ok := from.(*unix.SockaddrLinklayer); ok {
			binary.BigEndian.PutUint16(h[0:], uint16(sll.Pkttype))
			binary.BigEndian.PutUint16(h[2:], sll.Hatype)
			binary.BigEndian.PutUint16(h[4:], uint16(sll.Halen))
			copy(h[6:14], sll.Addr[:min(int(sll.Halen), len(sll.Addr))])
			// sll_protocol is already in network byte order in memory.
			binary.NativeEndian.PutUint16(h[14:], sll.Protocol)
		}
		f.Data = s.buf[headroom-sllHeaderLen : headroom+capLen]
		f.OrigLen += sllHeaderLen
	}
	return f, nil
}

// timespec decodes a struct timespec in the kernel's layout for this
// architecture: two longs, 64 or 32 bits wide.
func timespec(b []byte) time.Time {
	if bits.UintSize == 64 && len(b) >= 16 {
		return time.Unix(int64(binary.NativeEndian.Uint64(b)), int64(binary.NativeEndian.Uint64(b[8:])))
	}
	if len(b) >= 8 {
		return time.Unix(int64(int32(binary.NativeEndian.Uint32(b))), int64(int32(binary.NativeEndian.Uint32(b[4:]))))
	}
	return time.Time{}
}

// kernelStats reads (and so resets) the socket's PACKET_STATISTICS. The
// kernel already counts drops in tp_packets.
func (s *packetSocket) kernelStats() (uint64, uint64, error) {
	var st *unix.TpacketStats
	var gerr error
	if err := s.rc.Control(func(fd uintptr) {
		st, gerr = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	}); err != nil {
		return 0, 0, err
	}
	if gerr != nil {
		return 0, 0, gerr
	}
	return uint64(st.Packets), uint64(st.Drops), nil
}

// stop swaps the filter for one that passes nothing, so that no frame is
// queued after this point, and wakes a waiting recv (with a deadline in
// the past; recv then drains without the poller).
func (s *packetSocket) stop() error {
	var aerr error
	if err := s.rc.Control(func(fd uintptr) {
		aerr = attachFilter(int(fd), []bpf.Instruction{bpf.RetConstant{Val: 0}})
	}); err != nil {
		return err
	}
	if aerr != nil {
		return fmt.Errorf("attaching the drop-all filter: %w", aerr)
	}
	s.stopping.Store(true)
	return s.file.SetReadDeadline(time.Now())
}

func (s *packetSocket) close() error { return s.file.Close() }

// htons converts a 16-bit value to network byte order, as the sockaddr_ll
// protocol field wants it.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// LiveInterfaces lists the interfaces a live capture can open, followed by
// AnyInterface.
func LiveInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	// The hardware type only adds detail; the list stands without it.
	hw, _ := hardwareTypes()
	out := make([]Interface, 0, len(ifs)+1)
	for _, ifi := range ifs {
		it := Interface{
			Name: ifi.Name, Index: ifi.Index, MTU: ifi.MTU,
			Up: ifi.Flags&net.FlagUp != 0, Loopback: ifi.Flags&net.FlagLoopback != 0,
			LinkType: LinkLinuxSLL,
		}
		t, known := hw[ifi.Index]
		if !known && it.Loopback {
			t, known = unix.ARPHRD_LOOPBACK, true
		}
		if known {
			it.Hardware = arphrdName(t)
			if t == unix.ARPHRD_ETHER || t == unix.ARPHRD_LOOPBACK {
				it.LinkType = LinkEthernet
			}
		}
		if addrs, err := ifi.Addrs(); err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
						ones, _ := ipn.Mask.Size()
						it.Addrs = append(it.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
					}
				}
			}
		}
		out = append(out, it)
	}
	out = append(out, Interface{Name: AnyInterface, Up: true, Hardware: "all interfaces", LinkType: LinkLinuxSLL})
	return out, nil
}

// interfaceNames lists the interface names for an error message.
func interfaceNames() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	names := make([]string, 0, len(ifs)+1)
	for _, ifi := range ifs {
		names = append(names, ifi.Name)
	}
	return strings.Join(append(names, AnyInterface), ", ")
}

// hardwareTypes maps interface indexes to their ARPHRD_* type, read from
// netlink (RTM_GETLINK, which needs no privilege). net.Interface does not
// carry it, and /sys/class/net may belong to another network namespace.
func hardwareTypes() (map[int]uint16, error) {
	tab, err := syscall.NetlinkRIB(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return nil, fmt.Errorf("netlink RTM_GETLINK: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(tab)
	if err != nil {
		return nil, fmt.Errorf("netlink RTM_GETLINK: %w", err)
	}
	out := map[int]uint16{}
	for _, m := range msgs {
		// struct ifinfomsg: family, pad (u8), type (u16), index (i32), ...
		if m.Header.Type == syscall.RTM_NEWLINK && len(m.Data) >= syscall.SizeofIfInfomsg {
			out[int(int32(binary.NativeEndian.Uint32(m.Data[4:])))] = binary.NativeEndian.Uint16(m.Data[2:])
		}
	}
	return out, nil
}

// arphrdNames are the hardware types (linux/if_arp.h) worth naming.
var arphrdNames = map[uint16]string{
	unix.ARPHRD_ETHER:              "ether",
	unix.ARPHRD_LOOPBACK:           "loopback",
	unix.ARPHRD_NONE:               "none (tun)",
	unix.ARPHRD_RAWIP:              "raw IP",
	unix.ARPHRD_PPP:                "ppp",
	unix.ARPHRD_TUNNEL:             "ipip",
	unix.ARPHRD_TUNNEL6:            "ip6tnl",
	unix.ARPHRD_SIT:                "sit",
	unix.ARPHRD_IPGRE:              "gre",
	unix.ARPHRD_IP6GRE:             "ip6gre",
	unix.ARPHRD_INFINIBAND:         "infiniband",
	unix.ARPHRD_IEEE80211:          "802.11",
	unix.ARPHRD_IEEE80211_RADIOTAP: "802.11 radiotap",
	unix.ARPHRD_CAN:                "can",
	unix.ARPHRD_VOID:               "void",
}

func arphrdName(t uint16) string {
	if s, ok := arphrdNames[t]; ok {
		return s
	}
	return fmt.Sprintf("arphrd %d", t)
}
