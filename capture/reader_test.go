package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

func TestPCAPVariants(t *testing.T) {
	d1 := datagram(t, cli4, srv4, "one")
	d2 := datagram(t, srv6, cli6, "two")
	ts2 := time.Date(2038, 1, 19, 3, 14, 8, 999999999, time.UTC) // past int32 seconds
	for _, tt := range []struct {
		name  string
		order binary.AppendByteOrder
		nano  bool
	}{
		{"micro little-endian", le, false},
		{"micro big-endian", be, false},
		{"nano little-endian", le, true},
		{"nano big-endian", be, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := pcapFile(tt.order, tt.nano, 101, rec{ts: t0, data: d1}, rec{ts: ts2, data: d2})
			segs, warns, st, err := mustRead(t, "v.pcap", file)
			if err != nil || len(warns) > 0 {
				t.Fatalf("error %v, warnings %v", err, warns)
			}
			res := time.Microsecond
			if tt.nano {
				res = time.Nanosecond
			}
			want := []seg{
				{TS: t0.Truncate(res), Src: cli4, Dst: srv4, Seq: 1000, Ack: 2000, Flags: capture.ACK, Payload: "one", Frame: 1},
				{TS: ts2.Truncate(res), Src: srv6, Dst: cli6, Seq: 1000, Ack: 2000, Flags: capture.ACK, Payload: "two", Frame: 2},
			}
			if !slices.Equal(segs, want) {
				t.Errorf("got  %+v\nwant %+v", segs, want)
			}
			if st.Bytes != int64(len(file)) || st.Frames != 2 || st.Segments != 2 {
				t.Errorf("stats %+v, want 2 frames, 2 segments, %d bytes", st, len(file))
			}
		})
	}
}

func TestPCAPNG(t *testing.T) {
	d := func(payload string) []byte { return datagram(t, cli4, srv4, payload) }
	d6 := func(payload string) []byte { return datagram(t, cli6, srv6, payload) }
	eth := func(dg []byte) []byte { return slices.Concat(hexBytes(t, "020000000001 020000000002 0800"), dg) }
	sec := time.Date(2005, 6, 1, 12, 0, 0, 0, time.UTC)
	unix := uint64(sec.Unix())

	var file []byte
	add := func(b ...[]byte) { file = append(file, slices.Concat(b...)...) }
	// Section 1, little-endian, four interfaces with different link types
	// and resolutions, and blocks we must skip.
	add(ngSHB(le, ngOpt(le, 4, []byte("test")), []byte{0, 0, 0, 0}))
	add(ngIDB(le, 1, 0))                                                          // 0: Ethernet, microseconds
	add(ngIDB(le, 101, 0, ngOpt(le, 2, []byte("raw0")), ngOpt(le, 9, []byte{9}))) // 1: raw, nanoseconds
	add(ngIDB(le, 276, 0, ngOpt(le, 9, []byte{0x80 | 10})))                       // 2: SLL2, 2^-10 s
	add(ngIDB(le, 147, 0))                                                        // 3: unsupported
	add(ngBlock(le, 4, le.AppendUint32(nil, 0)))                                  // name resolution
	add(ngBlock(le, 0x40000bad, []byte("custom block, copyable")))                // custom
	add(ngEPB(le, 0, unix*1e6+123456, eth(d("a")), 0))
	add(ngEPB(le, 1, unix*1e9+123456789, d6("b"), 0))
	add(ngEPB(le, 3, 0, []byte("whatever"), 0))
	add(ngEPB(le, 2, unix<<10|512, slices.Concat(hexBytes(t, "0800 0000 00000001 0001 00 06 020000000001 0000"), d("c")), 0))
	add(ngEPB(le, 3, 0, []byte("skipped silently"), 0))
	add(ngBlock(le, 5, make([]byte, 20))) // interface statistics
	add(ngPB(le, 0, unix*1e6+7, eth(d("d"))))
	add(ngSPB(le, eth(d("e"))))
	add(ngEPB(le, 9, 0, d("x"), 0)) // undeclared interface
	// Section 2, big-endian: interfaces start again from 0.
	add(ngSHB(be))
	add(ngIDB(be, 0, 0, ngOpt(be, 9, []byte{3}), ngOpt(be, 14, be.AppendUint64(nil, 3600)))) // NULL, ms, +1h
	add(ngEPB(be, 0, unix*1e3+5, slices.Concat(hexBytes(t, "1e000000"), d6("f")), 0))

	segs, warns, st, err := mustRead(t, "multi.pcapng", file)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	want := []struct {
		payload string
		ts      time.Time
		frame   int
	}{
		{"a", sec.Add(123456 * time.Microsecond), 1},
		{"b", sec.Add(123456789), 2},
		{"c", sec.Add(500 * time.Millisecond), 4},
		{"d", sec.Add(7 * time.Microsecond), 6},
		{"e", time.Time{}, 7},
		{"f", sec.Add(time.Hour + 5*time.Millisecond), 9},
	}
	if len(segs) != len(want) {
		t.Fatalf("got %d segments %+v, want %d", len(segs), segs, len(want))
	}
	for i, w := range want {
		if s := segs[i]; s.Payload != w.payload || !s.TS.Equal(w.ts) || s.Frame != w.frame {
			t.Errorf("segment %d: payload %q, time %v, frame %d; want %q, %v, %d", i, s.Payload, s.TS, s.Frame, w.payload, w.ts, w.frame)
		}
	}
	if len(warns) != 2 || !strings.Contains(warns[0].Msg, "interface 3: unsupported link type LinkType(147)") ||
		warns[0].Frame != 3 || !strings.Contains(warns[1].Msg, "undeclared interface 9") || warns[1].Frame != 8 {
		t.Errorf("warnings %+v: want interface 3 unsupported once (frame 3) and undeclared interface 9 (frame 8)", warns)
	}
	wantStats := capture.Stats{Frames: 9, Segments: 6, Unsupported: 2, Malformed: 1, Bytes: int64(len(file)),
		LinkTypes: map[capture.LinkType]int{1: 3, 101: 1, 276: 1, 147: 2, 0: 1}}
	if st.Frames != wantStats.Frames || st.Segments != wantStats.Segments || st.Unsupported != wantStats.Unsupported ||
		st.Malformed != wantStats.Malformed || st.Bytes != wantStats.Bytes || !mapsEqual(st.LinkTypes, wantStats.LinkTypes) {
		t.Errorf("stats %+v\nwant  %+v", st, wantStats)
	}
}

func mapsEqual(a, b map[capture.LinkType]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestTSResolution covers if_tsresol values beyond the common ones,
// including the 64-bit extremes.
func TestTSResolution(t *testing.T) {
	dg := datagram(t, cli4, srv4, "x")
	for _, tt := range []struct {
		resol byte
		ts    uint64
		want  time.Time
	}{
		{0, 1117627200, time.Unix(1117627200, 0)},
		{1, 11176272005, time.Unix(1117627200, 5e8)},
		{6, 1117627200_000001, time.Unix(1117627200, 1000)},
		{12, 5e12 + 1000, time.Unix(5, 1)},
		{19, 1<<63 + 5, time.Unix(0, 922337203)}, // the remainder times 1e9 needs 128 bits
		{0x80, 1117627200, time.Unix(1117627200, 0)},
		{0x80 | 1, 3, time.Unix(1, 5e8)},
		{0x80 | 63, 1<<63 | 1<<62, time.Unix(1, 5e8)},
	} {
		file := slices.Concat(ngSHB(le), ngIDB(le, 101, 0, ngOpt(le, 9, []byte{tt.resol})), ngEPB(le, 0, tt.ts, dg, 0))
		segs, warns, _, err := mustRead(t, "res.pcapng", file)
		if err != nil || len(warns) > 0 || len(segs) != 1 {
			t.Fatalf("resol %#x: segments %v, warnings %v, error %v", tt.resol, segs, warns, err)
		}
		if !segs[0].TS.Equal(tt.want) {
			t.Errorf("resol %#x, ts %d: time %v, want %v", tt.resol, tt.ts, segs[0].TS, tt.want.UTC())
		}
	}
	// Out-of-range resolutions fall back to microseconds, with a warning.
	for _, resol := range []byte{20, 0x80 | 64} {
		file := slices.Concat(ngSHB(le), ngIDB(le, 101, 0, ngOpt(le, 9, []byte{resol})), ngEPB(le, 0, 5e6, dg, 0))
		segs, warns, _, err := mustRead(t, "res.pcapng", file)
		if err != nil || len(segs) != 1 || len(warns) != 1 || !strings.Contains(warns[0].Msg, "if_tsresol") {
			t.Fatalf("resol %#x: segments %v, warnings %v, error %v", resol, segs, warns, err)
		}
		if !segs[0].TS.Equal(time.Unix(5, 0)) {
			t.Errorf("resol %#x: time %v, want 5s after the epoch", resol, segs[0].TS)
		}
	}
}

// samplePackets is a short exchange for tests that need a real file.
func samplePackets() []capgen.Packet {
	c := capgen.Conversation{Client: cli4, Server: srv4, Handshake: true, Close: true}
	c.ClientSends([]byte("VER 1 MSNP8 CVR0\r\n"))
	c.ServerSends([]byte("VER 1 MSNP8\r\n"))
	c.ClientSends([]byte("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS alice@example.com\r\n"))
	return c.Packets(capgen.Options{MaxSegment: 32})
}

func writeCapture(t testing.TB, f capgen.Format, l capgen.Link, pkts []capgen.Packet) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := capgen.Write(&buf, f, l, pkts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unit is a record (pcap) or block (pcapng) of a capture file.
type unit struct {
	start, end int64
	packet     bool
}

// units walks a little-endian capture written by capgen and returns the
// length of what NewReader reads (file header or first section header) and
// the records or blocks after it.
func units(t testing.TB, file []byte) (header int64, us []unit) {
	t.Helper()
	if bytes.HasPrefix(file, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		header = int64(le.Uint32(file[4:]))
		for off := header; off < int64(len(file)); {
			typ, n := le.Uint32(file[off:]), int64(le.Uint32(file[off+4:]))
			us = append(us, unit{off, off + n, typ == 6})
			off += n
		}
		return header, us
	}
	for off := int64(24); off < int64(len(file)); {
		n := 16 + int64(le.Uint32(file[off+8:]))
		us = append(us, unit{off, off + n, true})
		off += n
	}
	return 24, us
}

func wantFormatError(t testing.TB, err error, file string, offset int64, kind error) {
	t.Helper()
	var fe *capture.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *capture.FormatError", err, err)
	}
	if fe.File != file || fe.Offset != offset || !errors.Is(err, kind) {
		t.Fatalf("error %q: want file %q, offset %d, kind %q", err, file, offset, kind)
	}
}

// TestTruncation cuts files at every byte and checks that each cut is
// reported at the start of the record or block it falls in, after all the
// segments before it.
func TestTruncation(t *testing.T) {
	pkts := samplePackets()
	for _, f := range []capgen.Format{capgen.PCAP, capgen.PCAPNG} {
		t.Run(f.String(), func(t *testing.T) {
			file := writeCapture(t, f, capgen.Ethernet, pkts)
			header, us := units(t, file)
			full, _, _, err := mustRead(t, "full", file)
			if err != nil || len(full) != len(pkts) {
				t.Fatalf("full file: %d segments, error %v", len(full), err)
			}
			for n := range int64(len(file)) {
				r, err := capture.NewReader("cut", bytes.NewReader(file[:n]))
				switch {
				case n < 4:
					wantFormatError(t, err, "cut", 0, capture.ErrNotCapture)
					continue
				case n < header:
					wantFormatError(t, err, "cut", 0, capture.ErrTruncated)
					continue
				case err != nil:
					t.Fatalf("cut at %d: %v", n, err)
				}
				segs, err := readAll(t, r)
				complete, boundary, damaged := 0, n == header, int64(-1)
				for _, u := range us {
					if u.end <= n && u.packet {
						complete++
					}
					if u.end == n {
						boundary = true
					}
					if u.start < n && n < u.end {
						damaged = u.start
					}
				}
				if !slices.Equal(segs, full[:complete]) {
					t.Fatalf("cut at %d: got %d segments, want the first %d", n, len(segs), complete)
				}
				if boundary {
					if err != nil {
						t.Fatalf("cut at boundary %d: %v", n, err)
					}
					continue
				}
				wantFormatError(t, err, "cut", damaged, capture.ErrTruncated)
				if got := r.Stats().Bytes; got != damaged {
					t.Errorf("cut at %d: Stats.Bytes = %d, want %d", n, got, damaged)
				}
			}
		})
	}
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzip(t *testing.T) {
	pkts := samplePackets()
	for _, f := range capgen.Formats {
		t.Run(f.String(), func(t *testing.T) {
			plain := writeCapture(t, f, capgen.Ethernet, pkts)
			want, _, _, err := mustRead(t, "c", plain)
			if err != nil {
				t.Fatal(err)
			}
			// The name says nothing about compression: detection is by content.
			got, _, st, err := mustRead(t, "c", gzipped(t, plain))
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("gzip: %d segments, error %v; want %d", len(got), err, len(want))
			}
			if st.Bytes != int64(len(plain)) {
				t.Errorf("Stats.Bytes = %d, want the uncompressed size %d", st.Bytes, len(plain))
			}
		})
	}
}

// TestGzipTruncation cuts the compressed stream at every byte: the error
// must name an offset in the uncompressed stream at a record boundary, after
// exactly the segments before it.
func TestGzipTruncation(t *testing.T) {
	plain := writeCapture(t, capgen.PCAP, capgen.Ethernet, samplePackets())
	full, _, _, _ := mustRead(t, "c", plain)
	header, us := units(t, plain)
	gz := gzipped(t, plain)
	for n := range len(gz) {
		r, err := capture.NewReader("c.gz", bytes.NewReader(gz[:n]))
		if err != nil {
			var fe *capture.FormatError
			if !errors.As(err, &fe) || fe.Offset != 0 {
				t.Fatalf("cut at %d: %v, want a FormatError at offset 0", n, err)
			}
			continue
		}
		segs, err := readAll(t, r)
		var fe *capture.FormatError
		if !errors.As(err, &fe) || fe.File != "c.gz" || !errors.Is(err, capture.ErrTruncated) {
			t.Fatalf("cut at %d: error %v, want a truncation FormatError", n, err)
		}
		complete := 0
		ok := fe.Offset == header && len(segs) == 0
		for _, u := range us {
			if u.end <= fe.Offset {
				complete++
			}
			ok = ok || u.start == fe.Offset || u.end == fe.Offset
		}
		if !ok || !slices.Equal(segs, full[:complete]) {
			t.Fatalf("cut at %d: error at offset %d after %d segments: not a record boundary, or segments missing", n, fe.Offset, len(segs))
		}
	}
}

func TestNotCapture(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
		kind error
		msg  string
	}{
		{"empty", nil, capture.ErrNotCapture, "empty"},
		{"two bytes", []byte("ab"), capture.ErrNotCapture, "only 2 bytes"},
		{"text", []byte("hello, this is not a capture"), capture.ErrNotCapture, "68 65 6c 6c"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), capture.ErrNotCapture, "89 50 4e 47"},
		{"modified pcap", le.AppendUint32(make([]byte, 0, 24), 0xa1b2cd34), capture.ErrNotCapture, "Kuznetsov"},
		{"pcapng bad byte-order magic", hexBytes(t, "0a0d0d0a 1c000000 12345678"), capture.ErrNotCapture, "byte-order magic"},
		{"pcapng short", hexBytes(t, "0a0d0d0a 1c000000"), capture.ErrTruncated, "need 12 bytes, have 8"},
		{"pcapng tiny section header", slices.Concat(hexBytes(t, "0a0d0d0a 10000000 4d3c2b1a 01000000"), le.AppendUint32(nil, 16)), capture.ErrBadLength, "block length 16"},
		{"pcapng version 2", hexBytes(t, "0a0d0d0a 1c000000 4d3c2b1a 0200 0000 ffffffffffffffff 1c000000"), capture.ErrCorrupt, "version 2.0"},
		{"pcap short header", pcapFile(le, false, 1)[:20], capture.ErrTruncated, "truncated pcap file header: need 24 bytes, have 20"},
		{"gzipped text", gzipped(t, []byte("not a capture either")), capture.ErrNotCapture, "6e 6f 74 20"},
		{"bad gzip", []byte("\x1f\x8b\x09garbage"), capture.ErrCorrupt, "gzip"},
		{"unsupported link type", pcapFile(le, false, 147), capture.ErrUnsupportedLinkType, "LinkType(147)"},
		{"unsupported link type big-endian", pcapFile(be, true, 9), capture.ErrUnsupportedLinkType, "LinkType(9)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := capture.NewReader("x.pcap", bytes.NewReader(tt.data))
			if r != nil {
				t.Errorf("got a Reader with error %v", err)
			}
			wantFormatError(t, err, "x.pcap", 0, tt.kind)
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), `capture "x.pcap": offset 0: `) {
				t.Errorf("error %q, want it to start with the file and offset and contain %q", err, tt.msg)
			}
		})
	}
}

// TestLinkTypeFCSBits checks that the FCS bits in the upper half of the
// link-type field do not hide the link type.
func TestLinkTypeFCSBits(t *testing.T) {
	file := pcapFile(le, false, 0x1000_0000|101, rec{ts: t0, data: datagram(t, cli4, srv4, "x")})
	segs, _, _, err := mustRead(t, "fcs.pcap", file)
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v, error %v", segs, err)
	}
}

// TestBadLength damages length fields after two good packets: reading must
// stop at the damaged record or block with both packets returned, without
// trusting the length.
func TestBadLength(t *testing.T) {
	d := datagram(t, cli4, srv4, "good")
	good := []rec{{ts: t0, data: d}, {ts: t0, data: d}}
	pcapGood := pcapFile(le, false, 101, good...)
	ngGood := slices.Concat(ngSHB(le), ngIDB(le, 101, 0), ngEPB(le, 0, 1, d, 0), ngEPB(le, 0, 2, d, 0))
	patch := func(b []byte, off int, v uint32) []byte {
		b = slices.Clone(b)
		le.PutUint32(b[off:], v)
		return b
	}
	epb := ngEPB(le, 0, 3, d, 0)
	huge := slices.Concat(le.AppendUint32(nil, 0xbad), le.AppendUint32(nil, 0xfffffff0), make([]byte, 64))
	bigEPB := ngEPB(le, 0, 3, make([]byte, 300000), 0)
	// A record header claiming 300000 bytes, followed by far fewer.
	pcapHuge := slices.Concat(make([]byte, 8), le.AppendUint32(nil, 300000), le.AppendUint32(nil, 300000), make([]byte, 100))
	for _, tt := range []struct {
		name string
		good []byte
		bad  []byte
		kind error
		msg  string
	}{
		{"pcap caplen 300000", pcapGood, pcapHuge, capture.ErrBadLength, "record captured length 300000 exceeds 262144"},
		{"pcapng caplen beyond block", ngGood, patch(epb, 20, uint32(len(d)+4)), capture.ErrBadLength, "exceeds its block"},
		{"pcapng caplen 300000", ngGood, bigEPB, capture.ErrBadLength, "captured length 300000 exceeds 262144"},
		{"pcapng length not a multiple of 4", ngGood, patch(patch(epb, 4, uint32(len(epb)-2)), len(epb)-4, uint32(len(epb)-2)), capture.ErrBadLength, "block length"},
		{"pcapng length below minimum", ngGood, patch(patch(epb, 4, 24), len(epb)-4, 24), capture.ErrBadLength, "block length 24"},
		{"pcapng trailer mismatch", ngGood, patch(epb, len(epb)-4, 12), capture.ErrBadLength, "trailing length 12"},
		{"pcapng packet block over the limit", ngGood, patch(epb, 4, 2<<20), capture.ErrBadLength, "exceeds 1048576"},
		{"pcapng unknown block of 4 GiB", ngGood, huge, capture.ErrTruncated, "need 4294967280 bytes, have 72"},
		{"pcapng unknown block too short", ngGood, hexBytes(t, "ad0b0000 08000000"), capture.ErrBadLength, "block length 8"},
		{"pcapng unknown block trailer", ngGood, patch(ngBlock(le, 0xbad, []byte("abcd")), 12, 20), capture.ErrBadLength, "trailing length 20"},
		{"pcapng new section bad byte-order magic", ngGood, hexBytes(t, "0a0d0d0a 1c000000 00000000"), capture.ErrCorrupt, "byte-order magic"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := slices.Concat(tt.good, tt.bad)
			segs, _, _, err := mustRead(t, "bad", file)
			if len(segs) != 2 {
				t.Errorf("got %d segments before the damage, want 2", len(segs))
			}
			wantFormatError(t, err, "bad", int64(len(tt.good)), tt.kind)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestReadError checks that an I/O error is passed on, wrapped, after the
// segments read before it, and is not mistaken for damage to the file.
func TestReadError(t *testing.T) {
	file := writeCapture(t, capgen.PCAP, capgen.Ethernet, samplePackets())
	_, us := units(t, file)
	cut := us[3].start + 5
	errDisk := errors.New("disk on fire")
	r, err := capture.NewReader("io.pcap", &failingReader{file[:cut], errDisk})
	if err != nil {
		t.Fatal(err)
	}
	segs, err := readAll(t, r)
	if len(segs) != 3 || !errors.Is(err, errDisk) {
		t.Fatalf("%d segments, error %v; want 3 and the I/O error", len(segs), err)
	}
	var fe *capture.FormatError
	if errors.As(err, &fe) {
		t.Errorf("I/O error reported as a FormatError: %v", err)
	}
	if !strings.Contains(err.Error(), `"io.pcap"`) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	plain := writeCapture(t, capgen.PCAPNG, capgen.SLL2, samplePackets())
	want, _, _, _ := mustRead(t, "c", plain)
	path := filepath.Join(dir, "trace.pcap") // gzip inside, whatever the name says
	if err := os.WriteFile(path, gzipped(t, plain), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, r)
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d segments, error %v; want %d", len(got), err, len(want))
	}
	for i := range got {
		if got[i].Payload != want[i].Payload || got[i].Seq != want[i].Seq {
			t.Fatalf("segment %d differs: %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Next(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Next after Close: %v, want os.ErrClosed", err)
	}

	if _, err := capture.Open(filepath.Join(dir, "missing.pcap")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, []byte("GET / HTTP/1.0\r\n"), 0o600)
	if _, err := capture.Open(bad); !errors.Is(err, capture.ErrNotCapture) {
		t.Errorf("Open of a non-capture: %v, want ErrNotCapture", err)
	}
}

func TestOpenStdin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(path, writeCapture(t, capgen.PCAP, capgen.RawIP, samplePackets()), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	r, err := capture.Open("-")
	if err != nil {
		t.Fatal(err)
	}
	segs, err := readAll(t, r)
	if err != nil || len(segs) != len(samplePackets()) {
		t.Fatalf("%d segments, error %v", len(segs), err)
	}
	if segs[0].Frame != 1 {
		t.Errorf("first frame %d, want 1", segs[0].Frame)
	}
	r.Close()
	// Close must leave standard input open.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Errorf("standard input closed by Close: %v", err)
	}
}

func TestFormatErrorMessage(t *testing.T) {
	err := &capture.FormatError{File: "x.pcap", Offset: 1234, Err: errors.New("truncated record: need 60 bytes, have 12")}
	if got, want := err.Error(), `capture "x.pcap": offset 1234: truncated record: need 60 bytes, have 12`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	w := capture.Warning{File: "x.pcap", Frame: 3, Offset: 99, Msg: "TCP header truncated"}
	if got, want := w.String(), `capture "x.pcap": frame 3 (offset 99): TCP header truncated`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestGzipCorrupt damages the compressed stream: reading stops with a
// FormatError after a prefix of the segments, never with garbage.
func TestGzipCorrupt(t *testing.T) {
	plain := writeCapture(t, capgen.PCAP, capgen.Ethernet, samplePackets())
	full, _, _, _ := mustRead(t, "c", plain)
	gz := gzipped(t, plain)
	// The CRC in the trailer: every segment comes out, then the checksum
	// fails where the next record would start.
	crc := slices.Clone(gz)
	crc[len(crc)-8] ^= 0xff
	segs, _, _, err := mustRead(t, "crc.gz", crc)
	wantFormatError(t, err, "crc.gz", int64(len(plain)), capture.ErrCorrupt)
	if !slices.Equal(segs, full) {
		t.Errorf("got %d segments before the checksum error, want %d", len(segs), len(full))
	}
	for i := 10; i < len(gz)-8; i += 7 {
		bad := slices.Clone(gz)
		bad[i] ^= 0x55
		r, err := capture.NewReader("bad.gz", bytes.NewReader(bad))
		if err != nil {
			continue
		}
		segs, err := readAll(t, r)
		var fe *capture.FormatError
		// Deflate may turn a damaged stream into other bytes, so any kind
		// of damage can be reported; it must still be a FormatError.
		if !errors.As(err, &fe) {
			t.Fatalf("byte %d flipped: error %v", i, err)
		}
		if len(segs) > len(full) {
			t.Fatalf("byte %d flipped: %d segments from a file of %d", i, len(segs), len(full))
		}
	}
}

// TestSimplePacketSnaplen checks that a simple packet block takes its
// captured length from the interface's snap length, and that the IDB's
// damaged options cost only a warning.
func TestSimplePacketSnaplen(t *testing.T) {
	d := datagram(t, cli4, srv4, "0123456789")
	badOpt := le.AppendUint16(le.AppendUint16(nil, 2), 200) // if_name claiming 200 bytes
	file := slices.Concat(ngSHB(le), ngIDB(le, 101, 45, badOpt), ngSPB(le, d))
	segs, warns, st, err := mustRead(t, "spb.pcapng", file)
	if err != nil || len(segs) != 1 || segs[0].Payload != "01234" {
		t.Fatalf("segments %+v, error %v; want one with payload %q", segs, err, "01234")
	}
	if len(warns) != 2 || !strings.Contains(warns[0].Msg, "option 2 overruns") || !strings.Contains(warns[1].Msg, "snap length: have 5 of 10") {
		t.Errorf("warnings %v", warns)
	}
	if st.Truncated != 1 {
		t.Errorf("Stats.Truncated = %d, want 1", st.Truncated)
	}
}
