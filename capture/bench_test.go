package capture_test

import (
	"bytes"
	"testing"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// loopReader plays a file header once, then its records over and over, so
// a benchmark can call Next b.N times on one Reader.
type loopReader struct {
	head, body []byte
	off        int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.head) > 0 {
			c := copy(p[n:], l.head)
			l.head = l.head[c:]
			n += c
			continue
		}
		c := copy(p[n:], l.body[l.off:])
		l.off = (l.off + c) % len(l.body)
		n += c
	}
	return n, nil
}

// BenchmarkReaderNext measures Next on Ethernet/IPv4 captures; MB/s is
// capture bytes (headers included) read per second.
func BenchmarkReaderNext(b *testing.B) {
	for _, bc := range []struct {
		name    string
		format  capgen.Format
		payload int
	}{
		{"pcap/msnp-sized", capgen.PCAP, 120},
		{"pcapng/msnp-sized", capgen.PCAPNG, 120},
		{"pcap/full-sized", capgen.PCAP, 1460},
		{"pcapng/full-sized", capgen.PCAPNG, 1460},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := capgen.Conversation{Client: cli4, Server: srv4}
			for range 100 {
				c.ClientSends(bytes.Repeat([]byte("MSG 12 N 93\r\n"), bc.payload/13+1)[:bc.payload])
			}
			pkts := c.Packets(capgen.Options{MaxSegment: bc.payload})
			var buf bytes.Buffer
			if err := capgen.Write(&buf, bc.format, capgen.Ethernet, pkts); err != nil {
				b.Fatal(err)
			}
			file := buf.Bytes()
			// The pcapng interface block is part of the head, not the loop.
			_, us := units(b, file)
			first := us[0].start
			if !us[0].packet {
				first = us[1].start
			}
			body := file[first:]
			r, err := capture.NewReader("bench", &loopReader{head: file[:first], body: body})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body) / len(pkts)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s, err := r.Next()
				// Half the segments are the receiver's pure ACKs.
				if err != nil || len(s.Payload) != bc.payload && len(s.Payload) != 0 {
					b.Fatalf("segment of %d bytes, error %v", len(s.Payload), err)
				}
			}
		})
	}
}
