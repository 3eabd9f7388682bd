package capture

import (
	"errors"
	"fmt"
)

// Sentinel errors carried inside a FormatError, so callers can tell kinds of
// damage apart with errors.Is without parsing messages.
var (
	// ErrNotCapture means the input is neither classic pcap nor pcapng.
	ErrNotCapture = errors.New("not a pcap or pcapng capture")
	// ErrTruncated means the input ended inside a header, record or block.
	ErrTruncated = errors.New("truncated")
	// ErrUnsupportedLinkType means a classic pcap file uses a link type this
	// package cannot decode; pcapng interfaces with one are only warned about.
	ErrUnsupportedLinkType = errors.New("unsupported link type")
	// ErrBadLength means a length field is impossible or absurd, so the
	// framing of the rest of the file cannot be trusted.
	ErrBadLength = errors.New("bad length")
	// ErrCorrupt means the structure is inconsistent in a way that is not
	// about a length: an unknown byte-order mark, an unsupported pcapng
	// version, a corrupt gzip stream.
	ErrCorrupt = errors.New("corrupt")
)

// FormatError reports damage that stops reading a capture: the file is not a
// capture, uses an unsupported link type, or its framing is broken at Offset.
// Offset is the start of the bad header, record or block, counted in the
// uncompressed stream, so it can be found with a hex dump of the gunzipped
// file.
type FormatError struct {
	File   string // the name given to Open or NewReader
	Offset int64  // where the damaged unit starts
	Err    error  // what is wrong; wraps one of the Err* sentinels
}

// Error formats the error as `capture "name": offset N: problem`.
func (e *FormatError) Error() string {
	return fmt.Sprintf("capture %q: offset %d: %v", e.File, e.Offset, e.Err)
}

// Unwrap returns Err, so errors.Is finds the sentinel.
func (e *FormatError) Unwrap() error { return e.Err }

// Warning describes a problem that costs one frame (or one interface's
// frames) but not the rest of the file, such as a malformed IP header or a
// payload cut short by the snap length.
type Warning struct {
	// File is the name given to Open or NewReader.
	File string
	// Frame is the 1-based number of the frame concerned, as Wireshark
	// counts; for a problem in a block that holds no packet (a pcapng
	// interface description) it is the last frame read before it.
	Frame int
	// Offset is the start of the record or block in the uncompressed stream.
	Offset int64
	// Msg says what is wrong, in words for a person.
	Msg string
}

// String formats the warning for a log line.
func (w Warning) String() string {
	return fmt.Sprintf("capture %q: frame %d (offset %d): %s", w.File, w.Frame, w.Offset, w.Msg)
}
