package dissect

// Message is one framed MSNP command: its line, its payload if the command
// carries one, and what the dissector made of it.
type Message struct {
	// Dir is the direction the message was sent in.
	Dir Dir
	// Cmd is the three-character command ("LST") or error code ("911").
	Cmd string
	// TrID is the transaction id; valid only when HasTrID is set.
	TrID    uint32
	HasTrID bool
	// Args are the raw parameters after the command and the TrID.
	Args []string
	// Line is the command line as sent, without its terminator.
	Line string
	// Payload holds the bytes after the line for payload commands.
	Payload []byte
	// PayloadLen is the length the line declared; HasPayload says whether
	// the command carries a payload at all (zero-length payloads exist).
	PayloadLen int
	HasPayload bool
	// PayloadMissing counts declared payload bytes that never arrived (a gap
	// inside the payload, or a stream that ended early).
	PayloadMissing int
	// Fields is the decoded meaning, nil when the command has no decoder.
	Fields Fields
	// Notes lists anomalies found while framing or decoding.
	Notes []string
	// Meaning is a one-line plain-words description.
	Meaning string
	// Offset is the stream offset of the first byte of the line.
	Offset int64
	// WireLen is the number of stream bytes the line took, terminator
	// included (payload bytes not counted).
	WireLen int

	// Limit names the limit (as its flag) this message hit, if any:
	// "max-payload" or "max-pending-total".
	Limit string

	// secrets are credential parameters still to be redacted.
	secrets []secretSpan
	// payloadRead counts the payload bytes framed, kept or not.
	payloadRead int

	// event and tokens are the storage of the message's Event and of the
	// tokens of short lines, allocated with it: one allocation per message
	// instead of three.
	event  Event
	tokens [maxInlineTokens]string
}

// Event is the event that announced m: the same pointer a Sink received.
func (m *Message) Event() *Event { return &m.event }

// maxInlineTokens covers the lines of almost every command (MSG U 123 is
// three tokens with the TrID, ILN eight).
const maxInlineTokens = 8

// Note records an anomaly on the message.
func (m *Message) Note(s string) { m.Notes = append(m.Notes, s) }

// Fields is the decoded content of a message. Each command with a decoder
// has its own struct; they marshal to the documented JSON field names.
type Fields interface {
	// Describe returns the decoded meaning in plain words.
	Describe() string
}
