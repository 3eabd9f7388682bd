package capture

import (
	"net/netip"
	"time"
)

// Segment is one TCP segment taken from one captured frame.
type Segment struct {
	// Timestamp is when the frame was captured (UTC).
	Timestamp time.Time
	// Src and Dst are the IP endpoints of the segment.
	Src, Dst netip.AddrPort
	// Seq and Ack are the raw TCP sequence and acknowledgement numbers.
	Seq, Ack uint32
	// Flags holds the TCP control bits.
	Flags Flags
	// Payload is the TCP payload. It aliases the reader's buffer and is only
	// valid until the next call to Reader.Next.
	Payload []byte
	// File is the name of the capture the segment came from, Frame its
	// 1-based frame number inside that file.
	File  string
	Frame int
}

// Flags is the set of TCP control bits the reassembler cares about.
type Flags uint8

// TCP control bits.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	ACK
)
