package capture

import (
	"encoding/binary"
	"fmt"
	"io"
)

// pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html):
// a sequence of blocks, each type, total length, body, total length again.
// A section header block fixes the byte order of the blocks after it and
// starts a fresh list of interfaces.
const (
	blockSHB = 0x0a0d0d0a // section header; palindromic, so readable before the byte order is known
	blockIDB = 0x00000001 // interface description
	blockPB  = 0x00000002 // packet (obsolete)
	blockSPB = 0x00000003 // simple packet
	blockEPB = 0x00000006 // enhanced packet

	byteOrderMagic = 0x1a2b3c4d

	// Interface option codes.
	optEndOfOpt  = 0
	optTSResol   = 9
	optTSOffset  = 14
	minBlockLen  = 12 // type, length, length
	minSHBLen    = 28
	minIDBLen    = 20
	minEPBLen    = 32 // also the obsolete packet block
	minSPBLen    = 16
	epbHeaderLen = 20 // interface, timestamp (2 words), captured and original length
)

// readSHB reads a section header block at the current offset.
func (r *Reader) readSHB() error {
	start := r.off
	h, err := r.peek(12, "section header block")
	if err != nil {
		return err
	}
	switch {
	case binary.BigEndian.Uint32(h[8:]) == byteOrderMagic:
		r.be = true
	case binary.LittleEndian.Uint32(h[8:]) == byteOrderMagic:
		r.be = false
	default:
		if start == 0 {
			return r.formatError(start, fmt.Errorf("%w: pcapng byte-order magic is % x", ErrNotCapture, h[8:12]))
		}
		return r.formatError(start, fmt.Errorf("%w: section header block with byte-order magic % x", ErrCorrupt, h[8:12]))
	}
	length := r.u32(h[4:])
	if err := checkBlockLength(length, minSHBLen); err != nil {
		return r.formatError(start, fmt.Errorf("section header block: %w", err))
	}
	b, err := r.peek(int(length), "section header block")
	if err != nil {
		return err
	}
	if err := r.checkTrailer(b, length); err != nil {
		return r.formatError(start, fmt.Errorf("section header block: %w", err))
	}
	if major := r.u16(b[12:]); major != 1 {
		return r.formatError(start, fmt.Errorf("%w: pcapng version %d.%d", ErrCorrupt, major, r.u16(b[14:])))
	}
	r.endSection()
	r.consume(int(length))
	return nil
}

// endSection forgets the current section's interfaces, keeping their
// frame counts for Stats.
func (r *Reader) endSection() {
	for _, f := range r.ifaces {
		if f.frames > 0 {
			if r.linkFrames == nil {
				r.linkFrames = make(map[LinkType]int)
			}
			r.linkFrames[f.link] += f.frames
		}
	}
	r.ifaces = r.ifaces[:0]
}

// checkBlockLength rejects lengths that cannot frame a block of at least
// minLen bytes. Lengths must be multiples of 4; a file that breaks that rule
// cannot be resynchronised anyway.
func checkBlockLength(length uint32, minLen int) error {
	if length < uint32(minLen) || length%4 != 0 {
		return fmt.Errorf("%w: block length %d", ErrBadLength, length)
	}
	if length > maxBlock {
		return fmt.Errorf("%w: block length %d exceeds %d", ErrBadLength, length, maxBlock)
	}
	return nil
}

// checkTrailer compares the length that closes block b with the one that
// opened it; a mismatch means the framing is lost.
func (r *Reader) checkTrailer(b []byte, length uint32) error {
	if t := r.u32(b[length-4:]); t != length {
		return fmt.Errorf("%w: block length %d, trailing length %d", ErrBadLength, length, t)
	}
	return nil
}

// readNGRecord reads blocks up to the next packet, into rec; io.EOF means
// the file ended cleanly between blocks.
func (r *Reader) readNGRecord(rec *record) error {
	for {
		start := r.off
		h, err := r.br.Peek(8)
		if err != nil {
			if len(h) == 0 && err == io.EOF {
				return io.EOF
			}
			return r.readError(start, "block header", 8, int64(len(h)), err)
		}
		typ := r.u32(h)
		length := r.u32(h[4:])
		var minLen int
		switch typ {
		case blockSHB:
			if err := r.readSHB(); err != nil {
				return err
			}
			continue
		case blockEPB, blockPB:
			minLen = minEPBLen
		case blockSPB:
			minLen = minSPBLen
		case blockIDB:
			minLen = minIDBLen
		default:
			if err := r.skipBlock(length); err != nil {
				return err
			}
			continue
		}
		if err := checkBlockLength(length, minLen); err != nil {
			return r.formatError(start, fmt.Errorf("%s: %w", blockName(typ), err))
		}
		b, err := r.peek(int(length), blockName(typ))
		if err != nil {
			return err
		}
		if err := r.checkTrailer(b, length); err != nil {
			return r.formatError(start, fmt.Errorf("%s: %w", blockName(typ), err))
		}
		body := b[8 : length-4]
		switch typ {
		case blockIDB:
			err = r.addInterface(body)
		case blockEPB, blockPB:
			err = r.packetBlock(rec, typ, body)
		case blockSPB:
			err = r.simplePacketBlock(rec, body)
		}
		if err != nil {
			return r.formatError(start, fmt.Errorf("%s: %w", blockName(typ), err))
		}
		r.consume(int(length))
		if typ != blockIDB {
			rec.offset = start
			return nil
		}
	}
}

// blockName names the packet-related block types for messages.
func blockName(typ uint32) string {
	switch typ {
	case blockIDB:
		return "interface description block"
	case blockPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockEPB:
		return "enhanced packet block"
	}
	return fmt.Sprintf("block of type %#x", typ)
}

// skipBlock passes over a block of a type we do not read, without holding
// it in memory: its length only has to be consistent, not small.
func (r *Reader) skipBlock(length uint32) error {
	start := r.off
	if length < minBlockLen || length%4 != 0 {
		return r.formatError(start, fmt.Errorf("%w: block length %d", ErrBadLength, length))
	}
	// In steps, so that a 4 GiB length stays an int on 32-bit platforms.
	var n int64
	for left := int64(length) - 4; left > 0; {
		step := int(min(left, 1<<30))
		d, err := r.br.Discard(step)
		n += int64(d)
		if err != nil {
			return r.readError(start, "block", int64(length), n, err)
		}
		left -= int64(d)
	}
	t, err := r.br.Peek(4)
	if err != nil {
		return r.readError(start, "block", int64(length), n+int64(len(t)), err)
	}
	if got := r.u32(t); got != length {
		return r.formatError(start, fmt.Errorf("%w: block length %d, trailing length %d", ErrBadLength, length, got))
	}
	r.br.Discard(4)
	r.off += int64(length)
	return nil
}

// addInterface records an interface description block.
func (r *Reader) addInterface(body []byte) error {
	if len(r.ifaces) >= maxInterfaces {
		return fmt.Errorf("%w: more than %d interfaces in one section", ErrCorrupt, maxInterfaces)
	}
	lt := LinkType(r.u16(body[0:]))
	f := iface{
		link:      lt,
		supported: lt.Supported(),
		snaplen:   int(r.u32(body[4:])),
		unitsPS:   1e6,
	}
	r.interfaceOptions(&f, len(r.ifaces), body[8:])
	r.ifaces = append(r.ifaces, f)
	return nil
}

// interfaceOptions applies the options that change how timestamps are
// read. Damaged options only cost the options: the block is framed by its
// lengths, not by them.
func (r *Reader) interfaceOptions(f *iface, id int, opts []byte) {
	for len(opts) >= 4 {
		code, n := r.u16(opts), int(r.u16(opts[2:]))
		if code == optEndOfOpt {
			return
		}
		if 4+n > len(opts) {
			r.warnBlock(fmt.Sprintf("interface %d: option %d overruns the block", id, code))
			return
		}
		v := opts[4 : 4+n]
		switch {
		case code == optTSResol && n == 1:
			if ups, ok := tsResolution(v[0]); ok {
				f.unitsPS = ups
			} else {
				r.warnBlock(fmt.Sprintf("interface %d: if_tsresol %#x out of range; assuming microseconds", id, v[0]))
			}
		case code == optTSOffset && n == 8:
			f.tsOffset = int64(r.u64(v))
		}
		opts = opts[4+(n+3)&^3:]
	}
}

// tsResolution decodes if_tsresol: a power of ten, or of two when the top
// bit is set, giving the negative exponent of the timestamp unit.
func tsResolution(v byte) (uint64, bool) {
	if v&0x80 != 0 {
		e := v & 0x7f
		if e > 63 {
			return 0, false
		}
		return 1 << e, true
	}
	if v > 19 { // 10^20 does not fit in 64 bits
		return 0, false
	}
	ups := uint64(1)
	for range v {
		ups *= 10
	}
	return ups, true
}

// warnBlock reports a problem in a block that holds no packet; Frame is
// then the last frame read.
func (r *Reader) warnBlock(msg string) {
	if r.OnWarning != nil {
		r.warn(r.off, msg)
	}
}

// packetBlock decodes an enhanced packet block or an obsolete packet block;
// they differ only in the width of the interface id.
func (r *Reader) packetBlock(rec *record, typ uint32, body []byte) error {
	var id int
	if typ == blockEPB {
		id = int(r.u32(body))
	} else {
		id = int(r.u16(body))
	}
	caplen := r.u32(body[12:])
	if caplen > maxCaplen {
		return fmt.Errorf("%w: packet captured length %d exceeds %d", ErrBadLength, caplen, maxCaplen)
	}
	if int(caplen) > len(body)-epbHeaderLen {
		return fmt.Errorf("%w: packet captured length %d exceeds its block (%d bytes of data)", ErrBadLength, caplen, len(body)-epbHeaderLen)
	}
	*rec = record{
		data:    body[epbHeaderLen : epbHeaderLen+caplen],
		origLen: int(r.u32(body[16:])),
		ts:      uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:])),
		ifID:    id,
	}
	if id < len(r.ifaces) {
		rec.iface = &r.ifaces[id]
	}
	return nil
}

// simplePacketBlock decodes a simple packet block: interface 0, no
// timestamp, and a captured length implied by the snap length.
func (r *Reader) simplePacketBlock(rec *record, body []byte) error {
	orig := r.u32(body)
	data := body[4:]
	if uint64(len(data)) > uint64(orig) {
		data = data[:orig] // the rest is padding
	}
	*rec = record{origLen: int(orig), noTS: true}
	if len(r.ifaces) > 0 {
		rec.iface = &r.ifaces[0]
		if sl := rec.iface.snaplen; sl > 0 && len(data) > sl {
			data = data[:sl]
		}
	}
	if len(data) > maxCaplen {
		return fmt.Errorf("%w: simple packet of %d bytes exceeds %d", ErrBadLength, len(data), maxCaplen)
	}
	rec.data = data
	return nil
}
