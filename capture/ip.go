package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// frameKind says what a decoded frame carried.
type frameKind uint8

const (
	kindTCP      frameKind = iota // a TCP segment, now in the Segment
	kindOther                     // well formed, but not TCP over IP
	kindFragment                  // an IP fragment of a TCP datagram
)

// IP protocol numbers (https://www.iana.org/assignments/protocol-numbers).
const (
	ipProtoHopByHop = 0
	ipProtoTCP      = 6
	ipProtoRouting  = 43
	ipProtoFragment = 44
	ipProtoAH       = 51
	ipProtoDestOpts = 60
)

// decodeFrame fills seg from the TCP segment in frame. missing is how many
// payload bytes the IP header announces beyond the end of the frame (the
// snap length cut them, or the header lies); the payload returned is what
// is there. An error means the frame's headers are malformed.
func decodeFrame(lt LinkType, frame []byte, seg *Segment) (kind frameKind, missing int, err error) {
	proto, pkt, err := decodeLink(lt, frame)
	if err != nil {
		return kindOther, 0, err
	}
	switch proto {
	case netIPv4:
		return decodeIPv4(pkt, seg)
	case netIPv6:
		return decodeIPv6(pkt, seg)
	}
	return kindOther, 0, nil
}

// decodeIPv4 decodes an IPv4 header (RFC 791), options included.
func decodeIPv4(b []byte, seg *Segment) (frameKind, int, error) {
	if len(b) < 20 {
		return kindOther, 0, fmt.Errorf("truncated IPv4 header: have %d of 20 bytes", len(b))
	}
	if v := b[0] >> 4; v != 4 {
		return kindOther, 0, fmt.Errorf("IPv4 frame with IP version %d", v)
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 {
		return kindOther, 0, fmt.Errorf("IPv4 header length %d < 20", ihl)
	}
	if len(b) < ihl {
		return kindOther, 0, fmt.Errorf("truncated IPv4 header: have %d of %d bytes", len(b), ihl)
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 {
		// Captured on the sending host with segmentation offload: the NIC
		// fills in the length later, so the frame is all there is.
		total = len(b)
	}
	if total < ihl {
		return kindOther, 0, fmt.Errorf("IPv4 total length %d < header length %d", total, ihl)
	}
	if b[9] != ipProtoTCP {
		return kindOther, 0, nil
	}
	// More-fragments flag or a fragment offset: only a piece of the
	// datagram, which we do not reassemble.
	if binary.BigEndian.Uint16(b[6:])&0x3fff != 0 {
		return kindFragment, 0, nil
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	l4, missing := clip(b[ihl:], total-ihl)
	return decodeTCP(l4, missing, src, dst, seg)
}

// decodeIPv6 decodes an IPv6 header (RFC 8200) and walks the extension
// headers that may precede TCP.
func decodeIPv6(b []byte, seg *Segment) (frameKind, int, error) {
	if len(b) < 40 {
		return kindOther, 0, fmt.Errorf("truncated IPv6 header: have %d of 40 bytes", len(b))
	}
	if v := b[0] >> 4; v != 6 {
		return kindOther, 0, fmt.Errorf("IPv6 frame with IP version %d", v)
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	if plen == 0 {
		// A jumbogram or segmentation offload: trust the frame.
		plen = len(b) - 40
	}
	next := b[6]
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	rest, missing := clip(b[40:], plen)
	// Every extension header is at least 8 bytes, so the walk ends.
	for {
		switch next {
		case ipProtoTCP:
			return decodeTCP(rest, missing, src, dst, seg)
		case ipProtoHopByHop, ipProtoRouting, ipProtoDestOpts, ipProtoAH:
			if len(rest) < 2 {
				return kindOther, 0, fmt.Errorf("truncated IPv6 extension header %d", next)
			}
			n := (int(rest[1]) + 1) * 8
			if next == ipProtoAH {
				// AH counts its length in 4-byte words, minus two (RFC 4302).
				n = (int(rest[1]) + 2) * 4
			}
			if len(rest) < n {
				return kindOther, 0, fmt.Errorf("truncated IPv6 extension header %d: have %d of %d bytes", next, len(rest), n)
			}
			next, rest = rest[0], rest[n:]
		case ipProtoFragment:
			if len(rest) < 8 {
				return kindOther, 0, fmt.Errorf("truncated IPv6 fragment header: have %d of 8 bytes", len(rest))
			}
			// An "atomic" fragment (offset 0, no more fragments) is a
			// whole datagram and decodes like one (RFC 6946).
			if binary.BigEndian.Uint16(rest[2:])&0xfff9 != 0 {
				if rest[0] == ipProtoTCP {
					return kindFragment, 0, nil
				}
				return kindOther, 0, nil
			}
			next, rest = rest[0], rest[8:]
		default:
			return kindOther, 0, nil
		}
	}
}

// clip trims b to the length n announced by an IP header (dropping link
// padding) and reports how many of those n bytes the frame lacks.
func clip(b []byte, n int) ([]byte, int) {
	if len(b) >= n {
		return b[:n], 0
	}
	return b, n - len(b)
}
