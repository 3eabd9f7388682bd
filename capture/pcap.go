package capture

import (
	"fmt"
	"io"
)

// Classic pcap (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html):
// a 24-byte file header, then records of a 16-byte header and the frame.
const (
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
)

// readPCAPHeader reads the file header whose magic (read little-endian) is
// magic; it fixes byte order, timestamp resolution and link type.
func (r *Reader) readPCAPHeader(magic uint32) error {
	h, err := r.peek(pcapFileHeaderLen, "pcap file header")
	if err != nil {
		return err
	}
	r.be = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1
	ups := uint64(1e6)
	if magic == 0xa1b23c4d || magic == 0x4d3cb2a1 {
		ups = 1e9
	}
	// The upper 16 bits of the link-type field hold FCS information
	// (draft-ietf-opsawg-pcap, section 4), not the link type.
	lt := LinkType(r.u32(h[20:]))
	if !lt.Supported() {
		return r.formatError(0, fmt.Errorf("%w %v in pcap file header", ErrUnsupportedLinkType, lt))
	}
	r.ifaces = []iface{{
		link:      lt,
		supported: true,
		snaplen:   int(r.u32(h[16:])),
		unitsPS:   ups,
	}}
	r.consume(pcapFileHeaderLen)
	return nil
}

// readPCAPRecord reads the next record into rec; io.EOF means the file ended cleanly
// between records.
func (r *Reader) readPCAPRecord(rec *record) error {
	h, err := r.br.Peek(pcapRecordHeaderLen)
	if err != nil {
		if len(h) == 0 && err == io.EOF {
			return io.EOF
		}
		return r.readError(r.off, "record header", pcapRecordHeaderLen, int64(len(h)), err)
	}
	caplen := r.u32(h[8:])
	if caplen > maxCaplen {
		return r.formatError(r.off, fmt.Errorf("%w: record captured length %d exceeds %d", ErrBadLength, caplen, maxCaplen))
	}
	n := pcapRecordHeaderLen + int(caplen)
	b, err := r.peek(n, "record")
	if err != nil {
		return err
	}
	f := &r.ifaces[0]
	*rec = record{
		offset:  r.off,
		data:    b[pcapRecordHeaderLen:n],
		origLen: int(r.u32(b[12:])),
		// Seconds are unsigned (good until 2106) and at most 2^32, so even
		// in nanoseconds the sum cannot overflow.
		ts:    uint64(r.u32(b[0:]))*f.unitsPS + uint64(r.u32(b[4:])),
		iface: f,
	}
	r.consume(n)
	return nil
}
