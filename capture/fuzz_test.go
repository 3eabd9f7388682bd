package capture_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// FuzzReader feeds arbitrary bytes (seeded with pcap, pcapng and gzip
// files) to the Reader: it must not panic, must end with io.EOF or a
// *FormatError at the offset it stopped, and its counters must add up.
func FuzzReader(f *testing.F) {
	pkts := samplePackets()
	for i, link := range capgen.Links {
		format := capgen.Formats[i%len(capgen.Formats)]
		file := writeCapture(f, format, link, pkts[:4])
		f.Add(file)
		f.Add(file[:len(file)-7])
	}
	var multi bytes.Buffer
	if err := capgen.WriteMulti(&multi, []capgen.Link{capgen.Ethernet, capgen.SLL2, capgen.Null}, pkts[:6], func(i int) int { return i % 3 }); err != nil {
		f.Fatal(err)
	}
	f.Add(multi.Bytes())
	f.Add(gzipped(f, writeCapture(f, capgen.PCAP, capgen.VLAN, pkts[:3])))
	f.Add(pcapFile(be, true, 108))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := capture.NewReader("fuzz", bytes.NewReader(data))
		if err != nil {
			var fe *capture.FormatError
			if !errors.As(err, &fe) || fe.Offset != 0 || fe.File != "fuzz" {
				t.Fatalf("NewReader: %v (%T), want a FormatError at offset 0", err, err)
			}
			return
		}
		gz := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
		frame := 0
		var last error
		for n := 0; ; n++ {
			s, err := r.Next()
			if err != nil {
				last = err
				break
			}
			if s.Frame <= frame || s.File != "fuzz" {
				t.Fatalf("segment frame %d after frame %d, file %q", s.Frame, frame, s.File)
			}
			frame = s.Frame
			if len(s.Payload) > 256<<10 {
				t.Fatalf("payload of %d bytes", len(s.Payload))
			}
			// Every segment costs at least a 16-byte record or block.
			if !gz && 16*(n+1) > len(data) {
				t.Fatalf("%d segments from %d bytes", n+1, len(data))
			}
		}
		if _, err := r.Next(); err != last {
			t.Fatalf("Next after %v returned %v", last, err)
		}
		st := r.Stats()
		if !errors.Is(last, io.EOF) {
			var fe *capture.FormatError
			if !errors.As(last, &fe) {
				t.Fatalf("Next: %v (%T), want io.EOF or a FormatError", last, last)
			}
			if fe.Offset != st.Bytes {
				t.Fatalf("error at offset %d, but %d bytes consumed", fe.Offset, st.Bytes)
			}
		}
		if !gz && st.Bytes > int64(len(data)) {
			t.Fatalf("consumed %d bytes of %d", st.Bytes, len(data))
		}
		if st.Segments+st.NonTCP+st.Malformed+st.Fragments+st.Unsupported != st.Frames {
			t.Fatalf("stats do not add up: %+v", st)
		}
		sum := 0
		for _, n := range st.LinkTypes {
			sum += n
		}
		// Only packets naming an undeclared interface (malformed) lack one.
		if sum > st.Frames || sum < st.Frames-st.Malformed {
			t.Fatalf("link-type counts %v do not add up to %d frames", st.LinkTypes, st.Frames)
		}
	})
}
