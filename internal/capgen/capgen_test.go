package capgen_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

var (
	cli4 = netip.MustParseAddrPort("192.168.1.10:1025")
	srv4 = netip.MustParseAddrPort("207.46.104.20:1863")
	cli6 = netip.MustParseAddrPort("[2001:db8::10]:1025")
	srv6 = netip.MustParseAddrPort("[2001:db8:1::1863]:1863")
)

// conversation is a short MSNP-like exchange with handshake and close.
func conversation(cli, srv netip.AddrPort) *capgen.Conversation {
	c := &capgen.Conversation{Client: cli, Server: srv, Handshake: true, Close: true,
		Start: time.Date(2005, 6, 1, 12, 0, 0, 0, time.UTC), Step: 1234567 * time.Nanosecond}
	c.ClientSends([]byte("VER 1 MSNP8 CVR0\r\n"))
	c.ServerSends([]byte("VER 1 MSNP8\r\n"))
	c.ClientSends([]byte("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS alice@example.com\r\n"))
	c.ServerSends([]byte("CVR 2 6.0.0602 6.0.0602 1.0.0000 http://example.com/ http://example.com/\r\n"))
	return c
}

// readBack reads a capture with package capture and fails on any warning.
func readBack(t *testing.T, file []byte) ([]capture.Segment, capture.Stats) {
	t.Helper()
	r, err := capture.NewReader("capgen", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	r.OnWarning = func(w capture.Warning) { t.Errorf("warning: %v", w) }
	var segs []capture.Segment
	for {
		s, err := r.Next()
		if errors.Is(err, io.EOF) {
			return segs, r.Stats()
		}
		if err != nil {
			t.Fatal(err)
		}
		s.Payload = slices.Clone(s.Payload)
		segs = append(segs, s)
	}
}

// sameSegment compares what was written with what was read, at the
// timestamp resolution of the file.
func sameSegment(t *testing.T, i int, got capture.Segment, want capgen.Packet, res time.Duration) {
	t.Helper()
	if got.Src != want.Src || got.Dst != want.Dst || got.Seq != want.Seq || got.Ack != want.Ack ||
		got.Flags != want.Flags || !bytes.Equal(got.Payload, want.Payload) || !got.Timestamp.Equal(want.TS.Truncate(res)) {
		t.Fatalf("packet %d:\n got %v %v->%v seq %d ack %d flags %v %q\nwant %v %v->%v seq %d ack %d flags %v %q", i,
			got.Timestamp, got.Src, got.Dst, got.Seq, got.Ack, got.Flags, got.Payload,
			want.TS.Truncate(res), want.Src, want.Dst, want.Seq, want.Ack, want.Flags, want.Payload)
	}
}

// TestRoundTrip writes every format with every link, over IPv4 and IPv6,
// and reads it back through package capture.
func TestRoundTrip(t *testing.T) {
	for _, family := range []struct {
		name     string
		cli, srv netip.AddrPort
	}{{"ipv4", cli4, srv4}, {"ipv6", cli6, srv6}} {
		pkts := conversation(family.cli, family.srv).Packets(capgen.Options{MaxSegment: 20})
		for _, f := range capgen.Formats {
			for _, l := range capgen.Links {
				t.Run(family.name+"/"+f.String()+"/"+l.String(), func(t *testing.T) {
					var buf bytes.Buffer
					if err := capgen.Write(&buf, f, l, pkts); err != nil {
						t.Fatal(err)
					}
					segs, st := readBack(t, buf.Bytes())
					if len(segs) != len(pkts) {
						t.Fatalf("read %d segments, wrote %d", len(segs), len(pkts))
					}
					for i := range pkts {
						sameSegment(t, i, segs[i], pkts[i], f.Resolution())
					}
					if st.Frames != len(pkts) || st.Bytes != int64(buf.Len()) || st.LinkTypes[l.LinkType()] != len(pkts) {
						t.Errorf("stats %+v", st)
					}
				})
			}
		}
	}
}

// TestWriteMulti spreads two interleaved conversations (IPv4 and IPv6) over
// interfaces of every link type, alternating microsecond and nanosecond
// timestamps.
func TestWriteMulti(t *testing.T) {
	pkts := capgen.Interleave(
		conversation(cli4, srv4).Packets(capgen.Options{MaxSegment: 7}),
		conversation(cli6, srv6).Packets(capgen.Options{MaxSegment: 9, RandomSegments: true, Seed: 3}))
	links := capgen.Links
	ifaceOf := func(i int) int { return i * 7 % len(links) }
	var buf bytes.Buffer
	if err := capgen.WriteMulti(&buf, links, pkts, ifaceOf); err != nil {
		t.Fatal(err)
	}
	segs, st := readBack(t, buf.Bytes())
	if len(segs) != len(pkts) {
		t.Fatalf("read %d segments, wrote %d", len(segs), len(pkts))
	}
	for i := range pkts {
		res := time.Microsecond
		if ifaceOf(i)%2 == 1 {
			res = time.Nanosecond
		}
		sameSegment(t, i, segs[i], pkts[i], res)
	}
	// Ethernet, VLAN and QinQ share a link type.
	if st.LinkTypes[capture.LinkEthernet] == 0 || st.LinkTypes[capture.LinkLinuxSLL2] == 0 || len(st.LinkTypes) != 6 {
		t.Errorf("link types %v", st.LinkTypes)
	}
}

func TestWriteErrors(t *testing.T) {
	ok := capgen.Packet{TS: time.Unix(1e9, 0), Src: cli4, Dst: srv4}
	mixed := ok
	mixed.Dst = srv6
	early := ok
	early.TS = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	big := ok
	big.Payload = make([]byte, 70000)
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"mixed families", capgen.Write(io.Discard, capgen.PCAP, capgen.Ethernet, []capgen.Packet{mixed})},
		{"no address", capgen.Write(io.Discard, capgen.PCAP, capgen.Ethernet, []capgen.Packet{{}})},
		{"before 1970 pcap", capgen.Write(io.Discard, capgen.PCAP, capgen.Ethernet, []capgen.Packet{early})},
		{"before 1970 pcapng", capgen.Write(io.Discard, capgen.PCAPNG, capgen.Ethernet, []capgen.Packet{early})},
		{"too big", capgen.Write(io.Discard, capgen.PCAP, capgen.RawIP, []capgen.Packet{big})},
		{"unknown format", capgen.Write(io.Discard, capgen.Format(9), capgen.Ethernet, nil)},
		{"unknown link", capgen.Write(io.Discard, capgen.PCAP, capgen.Link(42), []capgen.Packet{ok})},
		{"no interfaces", capgen.WriteMulti(io.Discard, nil, nil, nil)},
		{"bad interface", capgen.WriteMulti(io.Discard, capgen.Links[:2], []capgen.Packet{ok}, func(int) int { return 2 })},
	} {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestInterleave(t *testing.T) {
	at := func(sec int, port uint16) capgen.Packet {
		return capgen.Packet{TS: time.Unix(int64(sec), 0), Src: netip.AddrPortFrom(cli4.Addr(), port)}
	}
	a := []capgen.Packet{at(1, 1), at(3, 2), at(3, 3), at(5, 4)}
	b := []capgen.Packet{at(0, 10), at(3, 11), at(4, 12)}
	c := []capgen.Packet{at(9, 20), at(2, 21)} // out of order: kept as given
	var got []uint16
	for _, p := range capgen.Interleave(a, b, c) {
		got = append(got, p.Src.Port())
	}
	want := []uint16{10, 1, 2, 3, 11, 12, 4, 20, 21}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if len(capgen.Interleave()) != 0 {
		t.Error("Interleave() not empty")
	}
}
