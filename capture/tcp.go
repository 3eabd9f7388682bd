package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// decodeTCP decodes a TCP header (RFC 9293) into seg; the payload is
// whatever follows the header and options in b.
func decodeTCP(b []byte, missing int, src, dst netip.Addr, seg *Segment) (frameKind, int, error) {
	if len(b) < 20 {
		return kindOther, 0, fmt.Errorf("truncated TCP header: have %d of 20 bytes", len(b))
	}
	off := int(b[12]>>4) * 4
	if off < 20 {
		return kindOther, 0, fmt.Errorf("TCP data offset %d < 20", off)
	}
	if len(b) < off {
		return kindOther, 0, fmt.Errorf("truncated TCP header: have %d of %d bytes", len(b), off)
	}
	seg.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(b[0:]))
	seg.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[2:]))
	seg.Seq = binary.BigEndian.Uint32(b[4:])
	seg.Ack = binary.BigEndian.Uint32(b[8:])
	// FIN, SYN and RST sit in the same bits as our Flags; ACK is one up.
	f := b[13]
	seg.Flags = Flags(f&0x07) | Flags(f&0x10)>>1
	seg.Payload = b[off:]
	return kindTCP, missing, nil
}
