package capture

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"time"
)

// Why our own pcap and pcapng readers rather than gopacket/pcapgo: errors
// must carry the exact offset of the damaged record or block, and
// pcapgo.NgReader reads through its own bufio.Reader, so bytes counted
// beneath it are not where it stopped. pcapgo.Reader would give offsets,
// but its ReadPacketData allocates per packet and its errors do not say how
// much was missing. Both formats are a few fixed-size headers, so reading
// them straight out of one large bufio.Reader with Peek/Discard gives exact
// offsets, payloads that alias the buffer (no copy, no allocation), and a
// hard cap on what any length field can make us hold.

const (
	// bufferSize is the read buffer. A record or block that is parsed must
	// fit in it whole, because Segment.Payload aliases it.
	bufferSize = 1 << 20
	// maxCaplen is the largest captured frame accepted: libpcap's maximum
	// snap length. Anything longer is a corrupt length field.
	maxCaplen = 256 << 10
	// maxBlock bounds the pcapng blocks that are parsed (packets, interface
	// and section headers); blocks of other types are skipped unread.
	maxBlock = bufferSize
	// maxInterfaces bounds the interfaces of one pcapng section, so a file
	// of empty interface blocks cannot grow memory without limit.
	maxInterfaces = 1 << 16
)

type fileFormat uint8

const (
	formatPCAP fileFormat = iota + 1
	formatPCAPNG
)

// Reader reads the TCP segments of one capture file. It is not safe for
// concurrent use.
type Reader struct {
	// OnWarning, if set before the first call to Next, is called for every
	// problem that costs a frame but not the file. Without it those problems
	// are only counted in Stats.
	OnWarning func(Warning)

	name   string
	br     *bufio.Reader
	gz     *gzip.Reader
	file   *os.File // opened by Open, closed by Close
	format fileFormat
	be     bool  // byte order of the file (pcap) or current section (pcapng)
	off    int64 // offset of the next unread byte in the uncompressed stream
	err    error // once set, returned by every Next
	closed bool
	frame  int
	stats  Stats
	// ifaces are the interfaces of the current pcapng section; a classic
	// pcap file has exactly one.
	ifaces []iface
	// linkFrames counts frames of interfaces from finished sections.
	linkFrames map[LinkType]int
}

// iface is what a packet record needs from its interface.
type iface struct {
	link      LinkType
	supported bool
	warned    bool   // unsupported link type already reported
	snaplen   int    // 0 = unlimited
	unitsPS   uint64 // timestamp units per second
	tsOffset  int64  // seconds added to every timestamp (pcapng if_tsoffset)
	frames    int
}

// record is one packet record as read from the file.
type record struct {
	offset  int64
	data    []byte // captured bytes, aliasing the read buffer
	origLen int
	ts      uint64 // in units of iface.unitsPS
	noTS    bool   // pcapng simple packet blocks carry no time
	ifID    int
	iface   *iface // nil when the packet names an undeclared interface
}

// Open opens the capture file name ("-" for standard input). gzip
// compression is recognised by content, not by extension. Errors in the
// file header are returned here as a *FormatError.
func Open(name string) (*Reader, error) {
	if name == "-" {
		return NewReader(name, os.Stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	size := bufferSize
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() < bufferSize {
		// No record can be larger than the file: a small file needs no
		// 1 MiB buffer (which matters to tools that open thousands).
		size = max(int(st.Size()), 16)
	}
	r, err := newReader(name, f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewReader reads a capture from in, naming it name in errors, warnings and
// segments. It reads the file header immediately; a damaged or unsupported
// one is reported as a *FormatError.
func NewReader(name string, in io.Reader) (*Reader, error) {
	return newReader(name, in, bufferSize)
}

// newReader is NewReader with the size of the buffer over in (the gzip
// stream, whose size is unknown, always gets the full buffer).
func newReader(name string, in io.Reader, size int) (*Reader, error) {
	r := &Reader{name: name, br: bufio.NewReaderSize(in, size)}
	if b, _ := r.br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		gz, err := gzip.NewReader(r.br)
		if err != nil {
			return nil, r.formatError(0, fmt.Errorf("%w: gzip header: %w", ErrCorrupt, err))
		}
		r.gz = gz
		r.br = bufio.NewReaderSize(gz, bufferSize)
	}
	magic, err := r.br.Peek(4)
	if err != nil {
		if len(magic) == 0 && err == io.EOF {
			return nil, r.formatError(0, fmt.Errorf("%w: file is empty", ErrNotCapture))
		}
		if err == io.EOF {
			return nil, r.formatError(0, fmt.Errorf("%w: file has only %d bytes", ErrNotCapture, len(magic)))
		}
		return nil, r.readError(0, "file header", 4, int64(len(magic)), err)
	}
	switch m := binary.LittleEndian.Uint32(magic); m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		r.format = formatPCAP
		err = r.readPCAPHeader(m)
	case blockSHB:
		r.format = formatPCAPNG
		err = r.readSHB()
	case 0xa1b2cd34, 0x34cdb2a1:
		err = r.formatError(0, fmt.Errorf("%w: modified (Kuznetsov) pcap is not supported", ErrNotCapture))
	default:
		err = r.formatError(0, fmt.Errorf("%w: file starts with % x", ErrNotCapture, magic))
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Next returns the next TCP segment. Frames that carry no TCP are skipped
// and counted in Stats. At the clean end of the file it returns io.EOF; on
// damage it returns a *FormatError, after every segment before the damage.
// Either error is returned again by every later call.
//
// The segment's Payload aliases the Reader's buffer and is valid only until
// the next call to Next.
func (r *Reader) Next() (Segment, error) {
	var rec record
	for r.err == nil {
		var err error
		if r.format == formatPCAP {
			err = r.readPCAPRecord(&rec)
		} else {
			err = r.readNGRecord(&rec)
		}
		if err != nil {
			r.err = err
			break
		}
		r.frame++
		r.stats.Frames++
		f := rec.iface
		if f == nil {
			r.stats.Malformed++
			if r.OnWarning != nil {
				r.warn(rec.offset, fmt.Sprintf("packet for undeclared interface %d", rec.ifID))
			}
			continue
		}
		f.frames++
		if !f.supported {
			r.stats.Unsupported++
			if !f.warned {
				f.warned = true
				if r.OnWarning != nil {
					r.warn(rec.offset, fmt.Sprintf("interface %d: unsupported link type %v; skipping its frames", rec.ifID, f.link))
				}
			}
			continue
		}
		seg := Segment{File: r.name, Frame: r.frame}
		kind, missing, err := decodeFrame(f.link, rec.data, &seg)
		switch {
		case err != nil:
			r.stats.Malformed++
			if r.OnWarning != nil {
				r.warn(rec.offset, err.Error())
			}
		case kind == kindOther:
			r.stats.NonTCP++
		case kind == kindFragment:
			r.stats.Fragments++
		default:
			if missing > 0 {
				r.stats.Truncated++
				if r.OnWarning != nil {
					r.warnTruncated(&rec, len(seg.Payload), missing)
				}
			}
			if !rec.noTS {
				seg.Timestamp = f.time(rec.ts)
			}
			r.stats.Segments++
			return seg, nil
		}
	}
	return Segment{}, r.err
}

// Stats returns the counters so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Bytes = r.off
	s.LinkTypes = make(map[LinkType]int, len(r.linkFrames)+len(r.ifaces))
	for lt, n := range r.linkFrames {
		s.LinkTypes[lt] += n
	}
	for _, f := range r.ifaces {
		if f.frames > 0 {
			s.LinkTypes[f.link] += f.frames
		}
	}
	return s
}

// Close releases the Reader and closes the file if Open opened it.
// Standard input and readers passed to NewReader are left open.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.err = fmt.Errorf("capture %q: %w", r.name, os.ErrClosed)
	r.br = nil
	var err error
	if r.gz != nil {
		err = r.gz.Close()
	}
	if r.file != nil {
		if cerr := r.file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("capture %q: close: %w", r.name, err)
	}
	return nil
}

func (r *Reader) warn(offset int64, msg string) {
	r.OnWarning(Warning{File: r.name, Frame: r.frame, Offset: offset, Msg: msg})
}

func (r *Reader) warnTruncated(rec *record, have, missing int) {
	msg := fmt.Sprintf("TCP payload truncated by snap length: have %d of %d bytes", have, have+missing)
	if rec.origLen <= len(rec.data) {
		msg = fmt.Sprintf("IP length exceeds frame: TCP payload has %d of %d bytes", have, have+missing)
	}
	r.warn(rec.offset, msg)
}

// time converts a timestamp in the interface's units to UTC.
func (f *iface) time(ts uint64) time.Time {
	var sec, nsec uint64
	switch f.unitsPS {
	case 1e6:
		sec, nsec = ts/1e6, ts%1e6*1e3
	case 1e9:
		sec, nsec = ts/1e9, ts%1e9
	default:
		sec = ts / f.unitsPS
		// rem*1e9/unitsPS < 1e9, so the 128-bit division cannot overflow.
		hi, lo := bits.Mul64(ts%f.unitsPS, 1e9)
		nsec, _ = bits.Div64(hi, lo, f.unitsPS)
	}
	return time.Unix(int64(sec)+f.tsOffset, int64(nsec)).UTC()
}

func (r *Reader) u16(b []byte) uint16 {
	if r.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *Reader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *Reader) u64(b []byte) uint64 {
	if r.be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// peek returns the n bytes at the current offset, which is the start of
// the header, record or block named by what, without consuming them.
func (r *Reader) peek(n int, what string) ([]byte, error) {
	b, err := r.br.Peek(n)
	if err != nil {
		return nil, r.readError(r.off, what, int64(n), int64(len(b)), err)
	}
	return b, nil
}

// consume moves past n bytes that have already been peeked.
func (r *Reader) consume(n int) {
	r.br.Discard(n) // cannot fail: the bytes are buffered
	r.off += int64(n)
}

func (r *Reader) formatError(offset int64, err error) error {
	return &FormatError{File: r.name, Offset: offset, Err: err}
}

// readError classifies a failure to read what (need bytes at offset, of
// which have arrived): the stream ending early or a corrupt gzip stream is
// damage to the file; anything else is an I/O error and not a FormatError.
func (r *Reader) readError(offset int64, what string, need, have int64, err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return r.formatError(offset, fmt.Errorf("%w %s: need %d bytes, have %d", ErrTruncated, what, need, have))
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &corrupt):
		return r.formatError(offset, fmt.Errorf("%w: reading %s: %w", ErrCorrupt, what, err))
	}
	return fmt.Errorf("capture %q: offset %d: reading %s: %w", r.name, offset, what, err)
}
