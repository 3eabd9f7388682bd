package reassembly

import (
	"fmt"
	"net/netip"
	"time"
)

// Segment is one TCP segment as the reassembler needs it: endpoints, the
// sequence number, the control bits that move a stream, and the payload.
type Segment struct {
	// Timestamp is when the segment was captured.
	Timestamp time.Time
	// Src and Dst are the sending and receiving endpoints.
	Src, Dst netip.AddrPort
	// Seq is the raw TCP sequence number.
	Seq uint32
	// SYN, FIN and RST are the TCP control bits of the same names.
	SYN, FIN, RST bool
	// Payload is owned by the caller and may be reused after Add returns:
	// the Assembler copies whatever it has to hold.
	Payload []byte
}

// Dir is the direction of one byte stream of a connection. It indexes the
// per-direction counters of Conn.
type Dir uint8

// The two directions of a connection, named from the client's point of view.
const (
	ClientToServer Dir = iota
	ServerToClient
)

// String returns "c2s" or "s2c", the short forms used in logs and tests.
func (d Dir) String() string {
	switch d {
	case ClientToServer:
		return "c2s"
	case ServerToClient:
		return "s2c"
	}
	return fmt.Sprintf("Dir(%d)", uint8(d))
}

// Conn is one tracked TCP connection. The Assembler owns it and updates its
// counters; handlers read it and may keep the pointer after Close (it is
// never reused), but must not modify it.
type Conn struct {
	// ID numbers connections from 1 in order of first appearance; it is
	// never reused during the Assembler's life, so it can name the
	// connection in every later record.
	ID int
	// Client and Server are the two endpoints; Server is the one on a
	// configured port (see Config.Ports for when both are).
	Client, Server netip.AddrPort
	// Start is the timestamp of the first segment of the connection.
	Start time.Time
	// MidStream reports that the client's SYN was not seen, so the client
	// stream starts at its first captured byte rather than at the true
	// beginning of the connection.
	MidStream bool

	// Bytes counts bytes delivered through Handler.Data, per direction.
	Bytes [2]int64
	// Gaps and GapBytes count Handler.Gap calls and the bytes they reported.
	Gaps     [2]int
	GapBytes [2]int64
	// Segments counts the segments seen, including duplicates and pure ACKs.
	Segments [2]int
}

// EndReason says why a direction of a connection ended.
type EndReason uint8

// Reasons a direction ends.
const (
	// EndFIN: the sender closed the stream. A direction whose FIN was seen
	// always ends with EndFIN, whatever event finally settled its holes,
	// because its stream is known to be complete up to the FIN.
	EndFIN EndReason = iota
	// EndRST: the connection was reset.
	EndRST
	// EndFlush: the input ended with the direction still open.
	EndFlush
	// EndEvicted: the connection was dropped to respect Config.MaxConns.
	EndEvicted
	// EndReused: a SYN with a new initial sequence number arrived on the
	// same four-tuple, so the old connection must be gone even though its
	// end was never captured.
	EndReused
	// EndIdle: the connection carried nothing for Config.IdleTimeout.
	EndIdle
)

// String returns the reason as shown in reports.
func (r EndReason) String() string {
	switch r {
	case EndFIN:
		return "FIN"
	case EndRST:
		return "RST"
	case EndFlush:
		return "capture end"
	case EndEvicted:
		return "evicted"
	case EndReused:
		return "reused"
	case EndIdle:
		return "idle"
	}
	return fmt.Sprintf("EndReason(%d)", uint8(r))
}

// Handler receives the reassembled streams. The Assembler calls it
// synchronously from Add and Flush, in a deterministic order; a Handler must
// not call back into the Assembler.
//
// For each connection the calls are: Open; then, per direction, Data and Gap
// in stream order followed by exactly one End; then Close once both
// directions have ended. Calls for different directions interleave as the
// segments arrive.
type Handler interface {
	// Open announces a new connection before any of its data.
	Open(c *Conn, ts time.Time)
	// Data delivers the next in-order bytes of one direction. data is only
	// valid during the call. ts is when the bytes were captured, so it can be
	// earlier than the ts of a previous call when a hole was filled late.
	Data(c *Conn, d Dir, ts time.Time, data []byte)
	// Gap reports that the next missing bytes of one direction will never
	// be delivered; the stream continues after them.
	Gap(c *Conn, d Dir, ts time.Time, missing int)
	// End reports that a direction is complete; it comes exactly once per
	// direction, after all of that direction's Data and Gap calls.
	End(c *Conn, d Dir, ts time.Time, why EndReason)
	// Close comes once both directions have ended; the Assembler then
	// forgets the connection.
	Close(c *Conn, ts time.Time)
}
