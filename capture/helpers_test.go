package capture_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// The helpers below build capture files byte by byte, independently of
// capgen's writers, so that a shared misreading of a format cannot make the
// writer and the reader agree with each other.

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

type rec struct {
	ts   time.Time
	data []byte
	orig int // original length; 0 means len(data)
}

// pcapFile builds a classic pcap file.
func pcapFile(order binary.AppendByteOrder, nano bool, lt uint32, recs ...rec) []byte {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 65535)
	b = order.AppendUint32(b, lt)
	for _, r := range recs {
		frac := r.ts.Nanosecond() / 1000
		if nano {
			frac = r.ts.Nanosecond()
		}
		orig := r.orig
		if orig == 0 {
			orig = len(r.data)
		}
		b = order.AppendUint32(b, uint32(r.ts.Unix()))
		b = order.AppendUint32(b, uint32(frac))
		b = order.AppendUint32(b, uint32(len(r.data)))
		b = order.AppendUint32(b, uint32(orig))
		b = append(b, r.data...)
	}
	return b
}

// ngBlock builds a pcapng block, padding the body.
func ngBlock(order binary.AppendByteOrder, typ uint32, body []byte) []byte {
	n := 12 + (len(body)+3)&^3
	b := order.AppendUint32(nil, typ)
	b = order.AppendUint32(b, uint32(n))
	b = append(b, body...)
	b = append(b, make([]byte, n-4-len(b))...)
	return order.AppendUint32(b, uint32(n))
}

func ngSHB(order binary.AppendByteOrder, opts ...[]byte) []byte {
	b := order.AppendUint32(nil, 0x1a2b3c4d)
	b = order.AppendUint16(b, 1)
	b = order.AppendUint16(b, 0)
	b = order.AppendUint64(b, ^uint64(0))
	return ngBlock(order, 0x0a0d0d0a, append(b, slices.Concat(opts...)...))
}

func ngOpt(order binary.AppendByteOrder, code uint16, v []byte) []byte {
	b := order.AppendUint16(nil, code)
	b = order.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, -len(v)&3)...)
}

func ngIDB(order binary.AppendByteOrder, lt uint16, snaplen uint32, opts ...[]byte) []byte {
	b := order.AppendUint16(nil, lt)
	b = order.AppendUint16(b, 0)
	b = order.AppendUint32(b, snaplen)
	if len(opts) > 0 {
		b = append(b, slices.Concat(opts...)...)
		b = append(b, 0, 0, 0, 0) // opt_endofopt
	}
	return ngBlock(order, 1, b)
}

func ngEPB(order binary.AppendByteOrder, id uint32, ts uint64, data []byte, orig int) []byte {
	if orig == 0 {
		orig = len(data)
	}
	b := order.AppendUint32(nil, id)
	b = order.AppendUint32(b, uint32(ts>>32))
	b = order.AppendUint32(b, uint32(ts))
	b = order.AppendUint32(b, uint32(len(data)))
	b = order.AppendUint32(b, uint32(orig))
	return ngBlock(order, 6, append(b, data...))
}

// ngPB builds an obsolete packet block (type 2): 16-bit interface id and
// drop count in place of the EPB's 32-bit interface id.
func ngPB(order binary.AppendByteOrder, id uint16, ts uint64, data []byte) []byte {
	b := order.AppendUint16(nil, id)
	b = order.AppendUint16(b, 0)
	b = order.AppendUint32(b, uint32(ts>>32))
	b = order.AppendUint32(b, uint32(ts))
	b = order.AppendUint32(b, uint32(len(data)))
	b = order.AppendUint32(b, uint32(len(data)))
	return ngBlock(order, 2, append(b, data...))
}

func ngSPB(order binary.AppendByteOrder, data []byte) []byte {
	return ngBlock(order, 3, append(order.AppendUint32(nil, uint32(len(data))), data...))
}

// seg is the comparable part of a capture.Segment, payload copied.
type seg struct {
	TS       time.Time
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    capture.Flags
	Payload  string
	Frame    int
}

func toSeg(s capture.Segment) seg {
	return seg{s.Timestamp, s.Src, s.Dst, s.Seq, s.Ack, s.Flags, string(s.Payload), s.Frame}
}

// readAll reads segments until an error, which is returned unless io.EOF.
// It also checks that the error is sticky.
func readAll(t testing.TB, r *capture.Reader) ([]seg, error) {
	t.Helper()
	var out []seg
	for {
		s, err := r.Next()
		if err != nil {
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("Next after %v returned %v; want the same error again", err, err2)
			}
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		if s.Timestamp.Location() != time.UTC {
			t.Errorf("frame %d: timestamp location %v, want UTC", s.Frame, s.Timestamp.Location())
		}
		out = append(out, toSeg(s))
	}
}

// mustRead opens data as a capture and reads it to the end, collecting
// warnings.
func mustRead(t testing.TB, name string, data []byte) ([]seg, []capture.Warning, capture.Stats, error) {
	t.Helper()
	r, err := capture.NewReader(name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var warns []capture.Warning
	r.OnWarning = func(w capture.Warning) { warns = append(warns, w) }
	segs, err := readAll(t, r)
	return segs, warns, r.Stats(), err
}

var (
	cli4 = netip.MustParseAddrPort("192.168.1.10:1025")
	srv4 = netip.MustParseAddrPort("207.46.104.20:1863")
	cli6 = netip.MustParseAddrPort("[2001:db8::10]:1025")
	srv6 = netip.MustParseAddrPort("[2001:db8:1::1863]:1863")
	t0   = time.Date(2005, 6, 1, 12, 0, 0, 123456789, time.UTC)
)

// datagram builds an IP+TCP datagram with capgen (whose output is checked
// against gopacket in capgen's own tests).
func datagram(t testing.TB, src, dst netip.AddrPort, payload string) []byte {
	t.Helper()
	d, err := capgen.Datagram(capgen.Packet{Src: src, Dst: dst, Seq: 1000, Ack: 2000, Flags: capture.ACK, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("hexBytes(%q): %v", s, err)
	}
	return b
}
