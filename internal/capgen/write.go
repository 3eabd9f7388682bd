package capgen

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Format is the capture file format to write.
type Format int

// File formats capgen can write.
const (
	PCAP          Format = iota // classic pcap, little-endian, microseconds
	PCAPNano                    // classic pcap, little-endian, nanoseconds
	PCAPBigEndian               // classic pcap, big-endian, microseconds
	PCAPNG                      // pcapng, little-endian, one interface
)

// Formats lists every Format, for tests that try them all.
var Formats = []Format{PCAP, PCAPNano, PCAPBigEndian, PCAPNG}

var formatNames = [...]string{"PCAP", "PCAPNano", "PCAPBigEndian", "PCAPNG"}

// String names the format as in test names.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Resolution is the timestamp resolution f stores, so a test can truncate
// the times it expects to read back. For PCAPNG it is that of interface 0.
func (f Format) Resolution() time.Duration {
	if f == PCAPNano {
		return time.Nanosecond
	}
	return time.Microsecond
}

// snaplen is the snap length declared in headers: libpcap's maximum, so no
// frame written is ever "truncated".
const snaplen = 262144

// Write writes pkts as a capture of format f with link layer l.
func Write(w io.Writer, f Format, l Link, pkts []Packet) error {
	if f == PCAPNG {
		return WriteMulti(w, []Link{l}, pkts, nil)
	}
	pw, err := NewWriter(w, f, l)
	if err != nil {
		return err
	}
	for i, p := range pkts {
		if err := pw.WritePacket(p); err != nil {
			return fmt.Errorf("capgen: packet %d: %w", i, err)
		}
	}
	return pw.Flush()
}

// Writer writes a classic pcap file one packet at a time, so a capture of
// any size can be generated without holding it in memory.
type Writer struct {
	bw    *bufio.Writer
	order binary.AppendByteOrder
	res   time.Duration
	link  Link
	frame []byte
	hdr   []byte
	// Bytes counts what has been written so far, headers included.
	Bytes int64
}

// NewWriter writes the file header of a classic pcap capture (f must not
// be PCAPNG) with link layer l and returns a writer for its packets.
func NewWriter(w io.Writer, f Format, l Link) (*Writer, error) {
	pw := &Writer{bw: bufio.NewWriterSize(w, 1<<20), order: binary.LittleEndian, res: time.Microsecond, link: l}
	magic := uint32(0xa1b2c3d4)
	switch f {
	case PCAP:
	case PCAPNano:
		magic, pw.res = 0xa1b23c4d, time.Nanosecond
	case PCAPBigEndian:
		pw.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("capgen: no streaming writer for format %v", f)
	}
	b := pw.order.AppendUint32(nil, magic)
	b = pw.order.AppendUint16(b, 2)
	b = pw.order.AppendUint16(b, 4)
	b = pw.order.AppendUint32(b, 0) // thiszone
	b = pw.order.AppendUint32(b, 0) // sigfigs
	b = pw.order.AppendUint32(b, snaplen)
	b = pw.order.AppendUint32(b, uint32(l.LinkType()))
	pw.bw.Write(b)
	pw.Bytes = int64(len(b))
	return pw, nil
}

// WritePacket appends one packet. Write errors surface at Flush.
func (pw *Writer) WritePacket(p Packet) error {
	var err error
	pw.frame, err = appendFrame(pw.frame[:0], pw.link, p, pw.order)
	if err != nil {
		return err
	}
	sec := p.TS.Unix()
	if sec < 0 || sec > 0xffffffff {
		return fmt.Errorf("time %v outside the range of classic pcap", p.TS)
	}
	b := pw.order.AppendUint32(pw.hdr[:0], uint32(sec))
	b = pw.order.AppendUint32(b, uint32(time.Duration(p.TS.Nanosecond())/pw.res))
	b = pw.order.AppendUint32(b, uint32(len(pw.frame)))
	b = pw.order.AppendUint32(b, uint32(len(pw.frame)))
	pw.hdr = b
	pw.bw.Write(b)
	pw.bw.Write(pw.frame)
	pw.Bytes += int64(len(b) + len(pw.frame))
	return nil
}

// Flush writes out what is buffered and reports the first write error.
func (pw *Writer) Flush() error {
	if err := pw.bw.Flush(); err != nil {
		return fmt.Errorf("capgen: %w", err)
	}
	return nil
}

// pcapng block types and option codes used by WriteMulti.
const (
	blockSHB     = 0x0a0d0d0a
	blockIDB     = 1
	blockEPB     = 6
	optShbAppl   = 4
	optIfName    = 2
	optIfTSResol = 9
)

// WriteMulti writes pkts as a little-endian pcapng file with one interface
// per entry of ifaces; packet i goes to interface ifaceOf(i), or to
// interface 0 when ifaceOf is nil. Even interfaces keep the default
// microsecond timestamps and odd ones declare nanoseconds (if_tsresol 9),
// so a multi-interface file also mixes timestamp resolutions.
func WriteMulti(w io.Writer, ifaces []Link, pkts []Packet, ifaceOf func(i int) int) error {
	if len(ifaces) == 0 {
		return errors.New("capgen: pcapng needs at least one interface")
	}
	bw := bufio.NewWriter(w)
	le := binary.LittleEndian

	var body []byte
	body = le.AppendUint32(body, 0x1a2b3c4d)
	body = le.AppendUint16(body, 1)
	body = le.AppendUint16(body, 0)
	body = le.AppendUint64(body, 0xffffffffffffffff) // section length unknown
	body = appendOption(body, optShbAppl, []byte("msnsniff capgen"))
	body = appendOption(body, 0, nil)
	bw.Write(block(blockSHB, body))

	for i, l := range ifaces {
		if l.LinkType() == 0xffff {
			return fmt.Errorf("capgen: interface %d: unknown link %v", i, l)
		}
		body = le.AppendUint16(body[:0], uint16(l.LinkType()))
		body = le.AppendUint16(body, 0)
		body = le.AppendUint32(body, snaplen)
		body = appendOption(body, optIfName, fmt.Appendf(nil, "capgen%d", i))
		if i%2 == 1 {
			body = appendOption(body, optIfTSResol, []byte{9})
		}
		body = appendOption(body, 0, nil)
		bw.Write(block(blockIDB, body))
	}

	var frame []byte
	for i, p := range pkts {
		id := 0
		if ifaceOf != nil {
			id = ifaceOf(i)
		}
		if id < 0 || id >= len(ifaces) {
			return fmt.Errorf("capgen: packet %d: interface %d of %d", i, id, len(ifaces))
		}
		var err error
		frame, err = appendFrame(frame[:0], ifaces[id], p, le)
		if err != nil {
			return fmt.Errorf("capgen: packet %d: %w", i, err)
		}
		ts := p.TS.UnixMicro()
		if id%2 == 1 {
			ts = p.TS.UnixNano()
		}
		if ts < 0 {
			return fmt.Errorf("capgen: packet %d: time %v before 1970", i, p.TS)
		}
		body = le.AppendUint32(body[:0], uint32(id))
		body = le.AppendUint32(body, uint32(uint64(ts)>>32))
		body = le.AppendUint32(body, uint32(ts))
		body = le.AppendUint32(body, uint32(len(frame)))
		body = le.AppendUint32(body, uint32(len(frame)))
		body = append(body, frame...)
		bw.Write(block(blockEPB, body))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("capgen: %w", err)
	}
	return nil
}

// block frames a pcapng block body (padding it to 32 bits) with its type
// and both copies of the total length.
func block(typ uint32, body []byte) []byte {
	le := binary.LittleEndian
	n := 12 + (len(body)+3)&^3
	b := make([]byte, 0, n)
	b = le.AppendUint32(b, typ)
	b = le.AppendUint32(b, uint32(n))
	b = append(b, body...)
	b = append(b, make([]byte, n-4-len(b))...)
	return le.AppendUint32(b, uint32(n))
}

// appendOption appends a pcapng option padded to 32 bits.
func appendOption(b []byte, code uint16, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, -len(v)&3)...)
}
