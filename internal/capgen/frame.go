package capgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/msnsniff/msnsniff/capture"
)

// Packet is one TCP segment to write. Src and Dst must be of the same
// address family, which chooses between IPv4 and IPv6.
type Packet struct {
	TS       time.Time
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    capture.Flags
	Payload  []byte
}

// Link is the link layer frames are written with.
type Link int

// Link layers capgen can write.
const (
	Ethernet Link = iota // Ethernet II
	VLAN                 // Ethernet with one 802.1Q tag (VLAN 100)
	QinQ                 // Ethernet with an 802.1ad tag (200) around an 802.1Q tag (100)
	SLL                  // Linux cooked capture v1
	SLL2                 // Linux cooked capture v2
	RawIP                // LINKTYPE_RAW: no link header
	Null                 // BSD loopback, family in the file's byte order (AF_INET6 = 30, macOS)
	Loop                 // OpenBSD loopback, family in network order (AF_INET6 = 24)
)

// Links lists every Link, for tests that try them all.
var Links = []Link{Ethernet, VLAN, QinQ, SLL, SLL2, RawIP, Null, Loop}

var linkNames = [...]string{"Ethernet", "VLAN", "QinQ", "SLL", "SLL2", "RawIP", "Null", "Loop"}

// String names the link as in test names.
func (l Link) String() string {
	if l >= 0 && int(l) < len(linkNames) {
		return linkNames[l]
	}
	return fmt.Sprintf("Link(%d)", int(l))
}

// LinkType is the LINKTYPE_ value written to the file header or interface
// description for l.
func (l Link) LinkType() capture.LinkType {
	switch l {
	case Ethernet, VLAN, QinQ:
		return capture.LinkEthernet
	case SLL:
		return capture.LinkLinuxSLL
	case SLL2:
		return capture.LinkLinuxSLL2
	case RawIP:
		return capture.LinkRaw
	case Null:
		return capture.LinkNull
	case Loop:
		return capture.LinkLoop
	}
	return 0xffff
}

const (
	tcpProto  = 6
	tcpHdrLen = 20
	mssOption = 4 // kind 2, length 4, value: written on SYNs as real stacks do
	mss       = 1460
	// ethernetMinFrame is the shortest Ethernet frame without FCS; shorter
	// ones are padded on the wire, and capture must cut the padding off.
	ethernetMinFrame = 60
)

// Frame returns p as a complete frame of link type l, with the address
// family of a Null header in little-endian order.
func Frame(l Link, p Packet) ([]byte, error) {
	return appendFrame(nil, l, p, binary.LittleEndian)
}

// Datagram returns p as an IPv4 or IPv6 datagram with its TCP segment,
// lengths and checksums filled in.
func Datagram(p Packet) ([]byte, error) {
	return appendDatagram(nil, p)
}

// appendFrame appends the frame for p; order is the byte order of the
// capturing host, which only a Null header shows.
func appendFrame(b []byte, l Link, p Packet, order binary.AppendByteOrder) ([]byte, error) {
	if err := checkAddrs(p); err != nil {
		return nil, err
	}
	v6 := !p.Src.Addr().Is4()
	etherType := uint16(0x0800)
	if v6 {
		etherType = 0x86dd
	}
	start := len(b)
	switch l {
	case Ethernet, VLAN, QinQ:
		b = append(b, mac(p.Dst.Addr())...)
		b = append(b, mac(p.Src.Addr())...)
		switch l {
		case VLAN:
			b = binary.BigEndian.AppendUint16(b, 0x8100)
			b = binary.BigEndian.AppendUint16(b, 100)
		case QinQ:
			b = binary.BigEndian.AppendUint16(b, 0x88a8)
			b = binary.BigEndian.AppendUint16(b, 200)
			b = binary.BigEndian.AppendUint16(b, 0x8100)
			b = binary.BigEndian.AppendUint16(b, 100)
		}
		b = binary.BigEndian.AppendUint16(b, etherType)
	case SLL:
		b = binary.BigEndian.AppendUint16(b, 0) // packet type: to us
		b = binary.BigEndian.AppendUint16(b, 1) // ARPHRD_ETHER
		b = binary.BigEndian.AppendUint16(b, 6) // address length
		b = append(b, mac(p.Src.Addr())...)
		b = append(b, 0, 0)
		b = binary.BigEndian.AppendUint16(b, etherType)
	case SLL2:
		b = binary.BigEndian.AppendUint16(b, etherType)
		b = binary.BigEndian.AppendUint16(b, 0) // reserved
		b = binary.BigEndian.AppendUint32(b, 1) // interface index
		b = binary.BigEndian.AppendUint16(b, 1) // ARPHRD_ETHER
		b = append(b, 0, 6)                     // packet type: to us; address length
		b = append(b, mac(p.Src.Addr())...)
		b = append(b, 0, 0)
	case RawIP:
	case Null:
		af := uint32(2)
		if v6 {
			af = 30
		}
		b = order.AppendUint32(b, af)
	case Loop:
		af := uint32(2)
		if v6 {
			af = 24
		}
		b = binary.BigEndian.AppendUint32(b, af)
	default:
		return nil, fmt.Errorf("capgen: unknown link %v", l)
	}
	b, err := appendDatagram(b, p)
	if err != nil {
		return nil, err
	}
	if l == Ethernet || l == VLAN || l == QinQ {
		for len(b)-start < ethernetMinFrame {
			b = append(b, 0)
		}
	}
	return b, nil
}

// mac makes a stable, locally administered MAC address from an IP address,
// so each host keeps one address across frames.
func mac(a netip.Addr) []byte {
	s := a.AsSlice()
	return append([]byte{0x02, 0x00}, s[len(s)-4:]...)
}

// checkAddrs rejects packets whose addresses cannot make one IP header.
func checkAddrs(p Packet) error {
	src, dst := p.Src.Addr(), p.Dst.Addr()
	if !src.IsValid() || !dst.IsValid() {
		return errors.New("capgen: packet without source or destination address")
	}
	if src.Is4() != dst.Is4() {
		return fmt.Errorf("capgen: packet from %v to %v mixes address families", src, dst)
	}
	return nil
}

func appendDatagram(b []byte, p Packet) ([]byte, error) {
	if err := checkAddrs(p); err != nil {
		return nil, err
	}
	src, dst := p.Src.Addr(), p.Dst.Addr()
	tcpLen := tcpHdrLen + len(p.Payload)
	if p.Flags&capture.SYN != 0 {
		tcpLen += mssOption
	}
	ipStart := len(b)
	if src.Is4() {
		total := 20 + tcpLen
		if total > 0xffff {
			return nil, fmt.Errorf("capgen: IPv4 datagram of %d bytes", total)
		}
		b = append(b, 0x45, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(total))
		b = binary.BigEndian.AppendUint16(b, uint16(p.Seq)) // identification
		b = binary.BigEndian.AppendUint16(b, 0x4000)        // don't fragment
		b = append(b, 64, tcpProto, 0, 0)
		b = append(b, src.AsSlice()...)
		b = append(b, dst.AsSlice()...)
		binary.BigEndian.PutUint16(b[ipStart+10:], checksum(0, b[ipStart:]))
	} else {
		if tcpLen > 0xffff {
			return nil, fmt.Errorf("capgen: IPv6 payload of %d bytes", tcpLen)
		}
		b = binary.BigEndian.AppendUint32(b, 0x60000000)
		b = binary.BigEndian.AppendUint16(b, uint16(tcpLen))
		b = append(b, tcpProto, 64)
		b = append(b, src.AsSlice()...)
		b = append(b, dst.AsSlice()...)
	}
	tcpStart := len(b)
	b = binary.BigEndian.AppendUint16(b, p.Src.Port())
	b = binary.BigEndian.AppendUint16(b, p.Dst.Port())
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	b = binary.BigEndian.AppendUint32(b, p.Ack)
	hdrLen := tcpHdrLen
	if p.Flags&capture.SYN != 0 {
		hdrLen += mssOption
	}
	b = append(b, byte(hdrLen/4)<<4, tcpFlags(p))
	b = binary.BigEndian.AppendUint16(b, 65535) // window
	b = append(b, 0, 0, 0, 0)                   // checksum, urgent pointer
	if p.Flags&capture.SYN != 0 {
		b = append(b, 2, 4)
		b = binary.BigEndian.AppendUint16(b, mss)
	}
	b = append(b, p.Payload...)
	binary.BigEndian.PutUint16(b[tcpStart+16:], checksum(pseudoHeaderSum(src, dst, len(b)-tcpStart), b[tcpStart:]))
	return b, nil
}

// tcpFlags maps capture.Flags to the TCP header's bits, adding PSH on
// segments with data as senders do.
func tcpFlags(p Packet) byte {
	var f byte
	if p.Flags&capture.FIN != 0 {
		f |= 0x01
	}
	if p.Flags&capture.SYN != 0 {
		f |= 0x02
	}
	if p.Flags&capture.RST != 0 {
		f |= 0x04
	}
	if len(p.Payload) > 0 {
		f |= 0x08
	}
	if p.Flags&capture.ACK != 0 {
		f |= 0x10
	}
	return f
}

// pseudoHeaderSum is the one's-complement sum of the pseudo-header the TCP
// checksum covers (RFC 9293 section 3.1, RFC 8200 section 8.1).
func pseudoHeaderSum(src, dst netip.Addr, tcpLen int) uint32 {
	var sum uint32
	for _, a := range [][]byte{src.AsSlice(), dst.AsSlice()} {
		for i := 0; i < len(a); i += 2 {
			sum += uint32(a[i])<<8 | uint32(a[i+1])
		}
	}
	return sum + tcpProto + uint32(tcpLen)
}

// checksum is the Internet checksum (RFC 1071) of b, starting from sum.
func checksum(sum uint32, b []byte) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
