package capgen_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// TestConversationShape pins down the packets of an undisturbed
// conversation: handshake, data with PSH-free flags, the receiver's ACK
// after each message, and the closing exchange.
func TestConversationShape(t *testing.T) {
	c := capgen.Conversation{Client: cli4, Server: srv4, Handshake: true, Close: true, ClientISN: 100, ServerISN: 500}
	c.ClientSends([]byte("VER 1 MSNP8\r\n")) // 13 bytes, cut in 10 + 3
	c.ServerSends([]byte("VER 1\r\n"))       // 7 bytes
	got := c.Packets(capgen.Options{MaxSegment: 10})
	const C, S = true, false
	A, SA, FA := capture.ACK, capture.SYN|capture.ACK, capture.FIN|capture.ACK
	want := []struct {
		client   bool
		seq, ack uint32
		flags    capture.Flags
		payload  string
	}{
		{C, 100, 0, capture.SYN, ""},
		{S, 500, 101, SA, ""},
		{C, 101, 501, A, ""},
		{C, 101, 501, A, "VER 1 MSNP"},
		{C, 111, 501, A, "8\r\n"},
		{S, 501, 114, A, ""},
		{S, 501, 114, A, "VER 1\r\n"},
		{C, 114, 508, A, ""},
		{C, 114, 508, FA, ""},
		{S, 508, 115, FA, ""},
		{C, 115, 509, A, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		src, dst := srv4, cli4
		if w.client {
			src, dst = cli4, srv4
		}
		if p.Src != src || p.Dst != dst || p.Seq != w.seq || p.Ack != w.ack || p.Flags != w.flags || string(p.Payload) != w.payload {
			t.Errorf("packet %d: %v->%v seq %d ack %d flags %v %q; want seq %d ack %d flags %v %q",
				i, p.Src, p.Dst, p.Seq, p.Ack, p.Flags, p.Payload, w.seq, w.ack, w.flags, w.payload)
		}
		if i > 0 && !p.TS.After(got[i-1].TS) {
			t.Errorf("packet %d: time %v not after %v", i, p.TS, got[i-1].TS)
		}
	}
}

// messages returns the client's and server's scripted bytes for the
// recoverability tests.
func messages() (cli, srv [][]byte) {
	for i := range 6 {
		cli = append(cli, fmt.Appendf(nil, "MSG %d N %d\r\n%s", i+1, 20+i, bytes.Repeat([]byte{'a' + byte(i)}, 20+i)))
		srv = append(srv, fmt.Appendf(nil, "ACK %d\r\n", i+1))
	}
	return cli, srv
}

// coverage reads a capture back and marks, per direction, which stream
// bytes some segment carries, failing on any byte that differs from what
// was sent or any acknowledgement beyond what the peer sent.
func coverage(t *testing.T, c *capgen.Conversation, segs []capture.Segment, cStream, sStream []byte) (cSeen, sSeen []int) {
	t.Helper()
	cSeen, sSeen = make([]int, len(cStream)), make([]int, len(sStream))
	for _, s := range segs {
		stream, seen, isn, peerISN, peerLen := sStream, sSeen, c.ServerISN, c.ClientISN, len(cStream)
		if s.Src == c.Client {
			stream, seen, isn, peerISN, peerLen = cStream, cSeen, c.ClientISN, c.ServerISN, len(sStream)
		}
		if s.Flags&capture.ACK != 0 {
			// +1 for the SYN, and +1 more once the peer's FIN is in.
			if acked := s.Ack - (peerISN + 1); int(acked) > peerLen+1 {
				t.Fatalf("frame %d acknowledges %d bytes, peer sent %d", s.Frame, acked, peerLen)
			}
		}
		if len(s.Payload) == 0 {
			continue
		}
		off := int(s.Seq - (isn + 1)) // wraps correctly through 2^32
		if off < 0 || off+len(s.Payload) > len(stream) {
			t.Fatalf("frame %d: bytes %d..%d outside the stream of %d", s.Frame, off, off+len(s.Payload), len(stream))
		}
		if !bytes.Equal(s.Payload, stream[off:off+len(s.Payload)]) {
			t.Fatalf("frame %d: payload %q, stream has %q", s.Frame, s.Payload, stream[off:off+len(s.Payload)])
		}
		for i := range s.Payload {
			seen[off+i]++
		}
	}
	return cSeen, sSeen
}

// TestConversationRecoverable cuts a conversation into 1-byte segments,
// reorders, duplicates and overlaps them, with sequence numbers wrapping,
// and checks that every byte is still in the capture.
func TestConversationRecoverable(t *testing.T) {
	cli, srv := messages()
	c := &capgen.Conversation{Client: cli6, Server: srv6, Handshake: true, Close: true,
		ClientISN: 0xffffffe0, ServerISN: 0xfffffffa}
	for i := range cli {
		c.ClientSends(cli[i])
		c.ServerSends(srv[i])
	}
	cStream, sStream := bytes.Join(cli, nil), bytes.Join(srv, nil)
	for _, opt := range []capgen.Options{
		{MaxSegment: 1, Reorder: 0.5, Duplicate: 0.3, Overlap: 0.2, Seed: 1},
		{MaxSegment: 1, Reorder: 1, Duplicate: 1, Overlap: 1, Seed: 2},
		{MaxSegment: 5, RandomSegments: true, Reorder: 0.3, Duplicate: 0.1, Overlap: 0.3, Seed: 3},
	} {
		t.Run(fmt.Sprintf("seed%d", opt.Seed), func(t *testing.T) {
			pkts := c.Packets(opt)
			var buf bytes.Buffer
			if err := capgen.Write(&buf, capgen.PCAPNG, capgen.Ethernet, pkts); err != nil {
				t.Fatal(err)
			}
			segs, _ := readBack(t, buf.Bytes())
			cSeen, sSeen := coverage(t, c, segs, cStream, sStream)
			for dir, seen := range [][]int{cSeen, sSeen} {
				if i := slices.Index(seen, 0); i >= 0 {
					t.Errorf("direction %d: byte %d missing", dir, i)
				}
			}
			// The options must have had an effect: some byte twice, and
			// some segment before an earlier part of its stream.
			if slices.Max(cSeen) < 2 {
				t.Error("no client byte captured twice")
			}
			reordered := false
			last := map[bool]uint32{}
			for _, s := range segs {
				if len(s.Payload) == 0 {
					continue
				}
				client := s.Src == c.Client
				if prev, ok := last[client]; ok && int32(s.Seq-prev) < 0 {
					reordered = true
				}
				last[client] = s.Seq
			}
			if !reordered {
				t.Error("no segment arrived out of order")
			}
			// SYNs first, FINs after all data of their direction was sent.
			if segs[0].Flags != capture.SYN || segs[len(segs)-1].Flags != capture.ACK || segs[len(segs)-2].Flags&capture.FIN == 0 {
				t.Errorf("handshake or close out of place: first %v, last %v", segs[0].Flags, segs[len(segs)-1].Flags)
			}
		})
	}
}

// TestConversationDrop checks that dropped segments' bytes, and only
// those, are missing, even when overlapping retransmissions abound.
func TestConversationDrop(t *testing.T) {
	cli, srv := messages()
	c := &capgen.Conversation{Client: cli4, Server: srv4, ClientISN: 1000, ServerISN: 9000}
	for i := range cli {
		c.ClientSends(cli[i])
		c.ServerSends(srv[i])
	}
	cStream, sStream := bytes.Join(cli, nil), bytes.Join(srv, nil)
	// With MaxSegment 4 data segment k covers a known range; work out
	// which bytes each dropped index takes away by replaying the split.
	const seg = 4
	drop := []int{0, 3, 4, 11, 12, 13, 40}
	type span struct {
		client   bool
		from, to int
	}
	var spans []span
	co, so := 0, 0
	for i := range cli {
		for _, m := range []struct {
			client bool
			data   []byte
		}{{true, cli[i]}, {false, srv[i]}} {
			for d := 0; d < len(m.data); d += seg {
				n := min(seg, len(m.data)-d)
				if m.client {
					spans = append(spans, span{true, co, co + n})
					co += n
				} else {
					spans = append(spans, span{false, so, so + n})
					so += n
				}
			}
		}
	}
	pkts := c.Packets(capgen.Options{MaxSegment: seg, Overlap: 1, Duplicate: 0.5, Reorder: 0.5, Drop: drop, Seed: 9})
	var buf bytes.Buffer
	if err := capgen.Write(&buf, capgen.PCAP, capgen.RawIP, pkts); err != nil {
		t.Fatal(err)
	}
	segs, _ := readBack(t, buf.Bytes())
	cSeen, sSeen := coverage(t, c, segs, cStream, sStream)
	cWant, sWant := make([]bool, len(cStream)), make([]bool, len(sStream))
	for i := range cWant {
		cWant[i] = true
	}
	for i := range sWant {
		sWant[i] = true
	}
	for _, d := range drop {
		s := spans[d]
		for b := s.from; b < s.to; b++ {
			if s.client {
				cWant[b] = false
			} else {
				sWant[b] = false
			}
		}
	}
	for dir, pair := range []struct {
		seen []int
		want []bool
	}{{cSeen, cWant}, {sSeen, sWant}} {
		for i := range pair.seen {
			if (pair.seen[i] > 0) != pair.want[i] {
				t.Errorf("direction %d byte %d: captured %d times, want present=%v", dir, i, pair.seen[i], pair.want[i])
			}
		}
	}
}

func TestConversationDeterministic(t *testing.T) {
	cli, srv := messages()
	c := &capgen.Conversation{Client: cli4, Server: srv4, Handshake: true}
	for i := range cli {
		c.ClientSends(cli[i])
		c.ServerSends(srv[i])
	}
	opt := capgen.Options{MaxSegment: 3, RandomSegments: true, Reorder: 0.4, Duplicate: 0.2, Overlap: 0.2, Seed: 42}
	a, b := c.Packets(opt), c.Packets(opt)
	opt.Seed = 43
	other := c.Packets(opt)
	eq := func(x, y []capgen.Packet) bool {
		return slices.EqualFunc(x, y, func(p, q capgen.Packet) bool {
			return p.TS.Equal(q.TS) && p.Src == q.Src && p.Seq == q.Seq && p.Ack == q.Ack && p.Flags == q.Flags && bytes.Equal(p.Payload, q.Payload)
		})
	}
	if !eq(a, b) {
		t.Error("same seed, different packets")
	}
	if eq(a, other) {
		t.Error("different seeds, same packets")
	}
}
