package dissect

import (
	"time"
)

// Dir is the direction of a byte stream inside a connection.
type Dir uint8

// The two directions of a connection. The server is the endpoint on an MSNP
// port; the client is the other one.
const (
	ClientToServer Dir = iota
	ServerToClient
)

// String returns the JSON spelling of the direction.
func (d Dir) String() string {
	if d == ClientToServer {
		return "c2s"
	}
	return "s2c"
}

// Arrow returns the transcript spelling of the direction.
func (d Dir) Arrow() string {
	if d == ClientToServer {
		return "C->S"
	}
	return "S->C"
}

// MarshalText makes Dir encode as "c2s"/"s2c" in JSON.
func (d Dir) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// ConnInfo identifies one TCP connection for every event it produces.
type ConnInfo struct {
	// ID is the stable connection id shared by all events of the connection.
	ID string
	// Client and Server are "ip:port" (IPv6 in brackets).
	Client, Server string
	// Start is the time of the connection's first segment.
	Start time.Time
	// MidStream is set when the capture started after the TCP handshake.
	MidStream bool
	// Session is the id of the visit (DS → NS → SBs) the connection belongs
	// to, once the Tracker has placed it; "" without a Tracker.
	Session string
}

// EventKind says what an Event reports.
type EventKind uint8

// Kinds of events.
const (
	// KindMessage is one framed MSNP message (Event.Message is set).
	KindMessage EventKind = iota
	// KindGap is a run of bytes missing from the capture (Event.Bytes).
	KindGap
	// KindSkip is a run of bytes the framer could not read as MSNP and
	// skipped while resynchronising (Event.Bytes, Event.Reason).
	KindSkip
	// KindEnd is the end of one direction's stream (Event.Reason).
	KindEnd
	// KindSummary closes a connection once both directions have ended
	// (Event.Summary).
	KindSummary
)

// String names the kind as in the JSON "type" field.
func (k EventKind) String() string {
	switch k {
	case KindMessage:
		return "message"
	case KindGap:
		return "gap"
	case KindSkip:
		return "skip"
	case KindEnd:
		return "end"
	case KindSummary:
		return "connection"
	}
	return "unknown"
}

// Event is one thing that happened on a connection, in stream order.
type Event struct {
	Kind EventKind
	Conn *ConnInfo
	Time time.Time
	Dir  Dir
	// Message is set for KindMessage.
	Message *Message
	// Bytes is the size of a gap or of skipped data.
	Bytes int
	// Offset is the stream offset (bytes since the first byte seen in this
	// direction) where the event starts.
	Offset int64
	// Reason explains a skip or an end.
	Reason string
	// Limit names the limit (as its flag) that caused a skip, if any.
	Limit string
	// Summary is set for KindSummary.
	Summary *Summary
}

// Summary is what one connection amounted to, reported when it closes.
type Summary struct {
	// Protocol is the dialect ("MSNP10", or a range such as "MSNP10-12"
	// when inferred); ProtocolInferred says it was not read from VER.
	Protocol         string `json:"protocol"`
	ProtocolInferred bool   `json:"protocol_inferred"`
	// ProtocolSource says how the dialect was learnt: "VER", "inherited"
	// (from the switchboard's NS) or "line shapes".
	ProtocolSource string `json:"protocol_source"`
	// User is the passport that signed in, when seen.
	User string `json:"user"`
	// Per direction, indexed by Dir: messages framed, bytes framed (lines
	// and payloads), bytes missing from the capture, bytes skipped.
	Messages [2]int `json:"-"`
	Bytes    [2]int `json:"-"`
	GapBytes [2]int `json:"-"`
	Skipped  [2]int `json:"-"`
	// Ends are the reasons each direction ended.
	Ends [2]string `json:"-"`
	// Role is DS, NS or SB ("" when the traffic did not tell); Session the
	// visit it belongs to; Parent the NS connection a switchboard was
	// opened from.
	Role    Role   `json:"-"`
	Session string `json:"-"`
	Parent  string `json:"-"`
	// Unanswered lists requests the server never answered.
	Unanswered []string `json:"-"`
	// NotMSNP is set when nothing on the connection was a known MSNP
	// command (HTTP, TLS or random bytes on an MSNP port).
	NotMSNP bool `json:"-"`
	// Conversation is the chat log of a switchboard connection, and
	// ContactList what a login revealed of its lists; nil when none.
	Conversation *Conversation `json:"-"`
	ContactList  *ContactList  `json:"-"`
}

// Sink receives the events of every connection, in the order they happen.
// A message event lives in its Message (ev == ev.Message.Event()), and
// neither changes once Event returns, so a sink may keep both and read
// them later, from another goroutine; the connection's ConnInfo does
// change (its Session is set when the connection joins one), and other
// events may be reused once Event returns.
type Sink interface {
	Event(ev *Event)
}

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(ev *Event)

// Event calls f(ev).
func (f SinkFunc) Event(ev *Event) { f(ev) }
