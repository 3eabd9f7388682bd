package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// pcapMagicNano is the classic pcap magic number for nanosecond
// timestamps, which tcpdump, Wireshark and Reader all read.
const pcapMagicNano = 0xa1b23c4d

// PcapWriter writes frames to a classic pcap file (little-endian,
// nanosecond timestamps), for saving what a live capture received. Every
// frame is flushed to the underlying writer as it is written, so the file
// is whole up to the last frame however the program stops.
type PcapWriter struct {
	w       *bufio.Writer
	snaplen int
	frames  int
	err     error
}

// NewPcapWriter writes the file header for frames of link type lt, at most
// snaplen bytes each, and returns a writer for the frames.
func NewPcapWriter(w io.Writer, lt LinkType, snaplen int) (*PcapWriter, error) {
	if snaplen <= 0 || snaplen > maxCaplen {
		return nil, fmt.Errorf("pcap writer: snap length %d outside 1-%d", snaplen, maxCaplen)
	}
	pw := &PcapWriter{w: bufio.NewWriterSize(w, 64<<10), snaplen: snaplen}
	h := binary.LittleEndian.AppendUint32(nil, pcapMagicNano)
	h = binary.LittleEndian.AppendUint16(h, 2) // version 2.4
	h = binary.LittleEndian.AppendUint16(h, 4)
	h = binary.LittleEndian.AppendUint32(h, 0) // thiszone: timestamps are UTC
	h = binary.LittleEndian.AppendUint32(h, 0) // sigfigs
	h = binary.LittleEndian.AppendUint32(h, uint32(snaplen))
	h = binary.LittleEndian.AppendUint32(h, uint32(lt))
	if _, err := pw.w.Write(h); err != nil {
		return nil, fmt.Errorf("pcap writer: file header: %w", err)
	}
	if err := pw.w.Flush(); err != nil {
		return nil, fmt.Errorf("pcap writer: file header: %w", err)
	}
	return pw, nil
}

// WriteFrame appends one frame, cut to the snap length, and flushes it.
// After a failure every later call returns the same error.
func (pw *PcapWriter) WriteFrame(f LiveFrame) error {
	if pw.err != nil {
		return pw.err
	}
	data := f.Data[:min(len(f.Data), pw.snaplen)]
	orig := max(f.OrigLen, len(f.Data))
	ts := f.Timestamp
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(h[4:], uint32(ts.Nanosecond()))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[12:], uint32(orig))
	if _, err := pw.w.Write(h[:]); err != nil {
		pw.err = fmt.Errorf("pcap writer: frame %d: %w", pw.frames+1, err)
		return pw.err
	}
	if _, err := pw.w.Write(data); err != nil {
		pw.err = fmt.Errorf("pcap writer: frame %d: %w", pw.frames+1, err)
		return pw.err
	}
	if err := pw.w.Flush(); err != nil {
		pw.err = fmt.Errorf("pcap writer: frame %d: %w", pw.frames+1, err)
		return pw.err
	}
	pw.frames++
	return nil
}

// Frames returns how many frames have been written.
func (pw *PcapWriter) Frames() int { return pw.frames }
