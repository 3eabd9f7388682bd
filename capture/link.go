package capture

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// netProto is the network-layer protocol a link header announces.
type netProto uint8

const (
	netOther netProto = iota // anything but IP: ARP, LLDP, STP, ...
	netIPv4
	netIPv6
)

// EtherTypes (IEEE 802 numbers) that lead to IP.
const (
	etherTypeIPv4     = 0x0800
	etherTypeIPv6     = 0x86dd
	etherTypeDot1Q    = 0x8100 // 802.1Q VLAN tag
	etherTypeDot1AD   = 0x88a8 // 802.1ad service tag (QinQ outer)
	etherTypeQinQOld  = 0x9100 // pre-standard QinQ outer tag
	etherTypeQinQOld2 = 0x9200
	etherTypePPPoE    = 0x8864 // PPPoE session stage (RFC 2516)
)

// BSD address families as they appear in NULL and LOOP headers. AF_INET6
// differs between the BSDs, and a capture may come from any of them.
const (
	afInet         = 2
	afInet6NetBSD  = 24 // also OpenBSD
	afInet6FreeBSD = 28
	afInet6Darwin  = 30
)

// decodeLink strips the link-layer header of frame and reports which
// network protocol follows. An error means the frame is too short for the
// header it claims to have.
func decodeLink(lt LinkType, frame []byte) (netProto, []byte, error) {
	switch lt {
	case LinkEthernet:
		if len(frame) < 14 {
			return netOther, nil, fmt.Errorf("truncated Ethernet header: have %d of 14 bytes", len(frame))
		}
		return decodeEtherType(binary.BigEndian.Uint16(frame[12:]), frame[14:])
	case LinkLinuxSLL:
		// packet type, ARPHRD type, address length, 8-byte address, protocol.
		if len(frame) < 16 {
			return netOther, nil, fmt.Errorf("truncated Linux SLL header: have %d of 16 bytes", len(frame))
		}
		return decodeEtherType(binary.BigEndian.Uint16(frame[14:]), frame[16:])
	case LinkLinuxSLL2:
		// protocol, reserved, interface index, ARPHRD type, packet type,
		// address length, 8-byte address
		// (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html).
		if len(frame) < 20 {
			return netOther, nil, fmt.Errorf("truncated Linux SLL2 header: have %d of 20 bytes", len(frame))
		}
		return decodeEtherType(binary.BigEndian.Uint16(frame[0:]), frame[20:])
	case LinkRaw, LinkRawDLT12, LinkRawDLT14:
		if len(frame) == 0 {
			return netOther, nil, fmt.Errorf("raw IP frame is empty")
		}
		switch frame[0] >> 4 {
		case 4:
			return netIPv4, frame, nil
		case 6:
			return netIPv6, frame, nil
		}
		return netOther, nil, fmt.Errorf("raw IP frame with IP version %d", frame[0]>>4)
	case LinkIPv4:
		return netIPv4, frame, nil
	case LinkIPv6:
		return netIPv6, frame, nil
	case LinkNull, LinkLoop:
		if len(frame) < 4 {
			return netOther, nil, fmt.Errorf("truncated loopback header: have %d of 4 bytes", len(frame))
		}
		// NULL stores the family in the capturing host's byte order and
		// LOOP in network order, but files from the wrong-endian host exist
		// for both; families are small, so a value with high bits set is
		// simply byte-swapped (as Wireshark does).
		af := binary.BigEndian.Uint32(frame)
		if lt == LinkNull {
			af = binary.LittleEndian.Uint32(frame)
		}
		if af&0xffff0000 != 0 {
			af = bits.ReverseBytes32(af)
		}
		switch af {
		case afInet:
			return netIPv4, frame[4:], nil
		case afInet6NetBSD, afInet6FreeBSD, afInet6Darwin:
			return netIPv6, frame[4:], nil
		}
		return netOther, nil, nil
	}
	return netOther, nil, fmt.Errorf("unsupported link type %v", lt)
}

// decodeEtherType follows an EtherType through any number of VLAN tags and
// a PPPoE session header to IP.
func decodeEtherType(et uint16, b []byte) (netProto, []byte, error) {
	// Each pass consumes at least 4 bytes, so the loop ends.
	for {
		switch et {
		case etherTypeIPv4:
			return netIPv4, b, nil
		case etherTypeIPv6:
			return netIPv6, b, nil
		case etherTypeDot1Q, etherTypeDot1AD, etherTypeQinQOld, etherTypeQinQOld2:
			// TCI, then the EtherType of what the tag encloses.
			if len(b) < 4 {
				return netOther, nil, fmt.Errorf("truncated VLAN tag: have %d of 4 bytes", len(b))
			}
			et = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		case etherTypePPPoE:
			// ver/type, code, session id, length, then the PPP protocol.
			if len(b) < 8 {
				return netOther, nil, fmt.Errorf("truncated PPPoE header: have %d of 8 bytes", len(b))
			}
			switch binary.BigEndian.Uint16(b[6:]) {
			case 0x0021:
				return netIPv4, b[8:], nil
			case 0x0057:
				return netIPv6, b[8:], nil
			}
			return netOther, nil, nil
		default:
			return netOther, nil, nil
		}
	}
}
