package capture_test

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/msnsniff/msnsniff/capture"
)

// withIPv4Options inserts IPv4 options (a multiple of 4 bytes) after the
// fixed header of datagram d.
func withIPv4Options(d, opts []byte) []byte {
	out := slices.Concat(d[:20], opts, d[20:])
	out[0] = 0x40 | byte((20+len(opts))/4)
	binary.BigEndian.PutUint16(out[2:], uint16(len(out)))
	return out
}

// withIPv6Ext inserts extension headers between the fixed IPv6 header of d
// and its TCP segment. Each header is given without its next-header byte,
// which is filled in to chain them; types are the headers' protocol numbers.
func withIPv6Ext(d []byte, types []byte, hdrs ...[]byte) []byte {
	out := slices.Clone(d[:40])
	out[6] = types[0]
	for i, h := range hdrs {
		next := byte(6)
		if i+1 < len(types) {
			next = types[i+1]
		}
		out = append(out, next)
		out = append(out, h...)
	}
	out = append(out, d[40:]...)
	binary.BigEndian.PutUint16(out[4:], uint16(len(out)-40))
	return out
}

func TestLinkTypes(t *testing.T) {
	v4 := datagram(t, cli4, srv4, "VER 1 MSNP8 CVR0\r\n")
	v6 := datagram(t, cli6, srv6, "VER 1 MSNP8 CVR0\r\n")
	const macs = "020000000001 020000000002"
	h := func(s string) []byte { return hexBytes(t, s) }
	cat := func(parts ...[]byte) []byte { return slices.Concat(parts...) }
	// mutate returns a copy of d with byte i set to v.
	mutate := func(d []byte, i int, v byte) []byte { d = slices.Clone(d); d[i] = v; return d }
	setU16 := func(d []byte, i int, v uint16) []byte {
		d = slices.Clone(d)
		binary.BigEndian.PutUint16(d[i:], v)
		return d
	}
	pppoe := cat(h(macs+"8864 1100 0001"), binary.BigEndian.AppendUint16(nil, uint16(len(v4)+2)), h("0021"), v4)

	const (
		tcp = iota
		other
		malformed
		fragment
	)
	tests := []struct {
		name  string
		lt    uint32
		frame []byte
		orig  int // wire length when the frame is cut short by the snap length
		want  int
		v6    bool
		// payload, when set, is the expected payload instead of the full one.
		payload string
		warn    string // expected substring of the one warning
	}{
		{name: "ethernet/ipv4", lt: 1, frame: cat(h(macs+"0800"), v4)},
		{name: "ethernet/ipv6", lt: 1, frame: cat(h(macs+"86dd"), v6), v6: true},
		{name: "ethernet/padding", lt: 1, frame: cat(h(macs+"0800"), datagram(t, cli4, srv4, "ab"), make([]byte, 6)), payload: "ab"},
		{name: "802.1Q", lt: 1, frame: cat(h(macs+"8100 0064 0800"), v4)},
		{name: "QinQ 88a8", lt: 1, frame: cat(h(macs+"88a8 00c8 8100 0064 86dd"), v6), v6: true},
		{name: "stacked 9100", lt: 1, frame: cat(h(macs+"9100 0001 9100 0002 8100 0003 0800"), v4)},
		{name: "PPPoE", lt: 1, frame: pppoe},
		{name: "ethernet/arp", lt: 1, frame: cat(h(macs+"0806"), make([]byte, 28)), want: other},
		{name: "ethernet/802.3 length", lt: 1, frame: cat(h(macs+"0026 4242 03"), make([]byte, 40)), want: other},
		{name: "ethernet/short", lt: 1, frame: h("0200 0000 0001"), want: malformed, warn: "truncated Ethernet header"},
		{name: "802.1Q/short", lt: 1, frame: h(macs + "8100 00"), want: malformed, warn: "truncated VLAN tag"},
		{name: "SLL/ipv4", lt: 113, frame: cat(h("0000 0001 0006 020000000001 0000 0800"), v4)},
		{name: "SLL/ipv6", lt: 113, frame: cat(h("0004 0001 0006 020000000001 0000 86dd"), v6), v6: true},
		{name: "SLL/vlan", lt: 113, frame: cat(h("0000 0001 0006 020000000001 0000 8100 0064 0800"), v4)},
		{name: "SLL/short", lt: 113, frame: h("0000 0001 0006"), want: malformed, warn: "truncated Linux SLL header"},
		{name: "SLL2/ipv4", lt: 276, frame: cat(h("0800 0000 00000002 0001 00 06 020000000001 0000"), v4)},
		{name: "SLL2/ipv6", lt: 276, frame: cat(h("86dd 0000 00000002 0001 04 06 020000000001 0000"), v6), v6: true},
		{name: "SLL2/arp", lt: 276, frame: cat(h("0806 0000 00000002 0001 00 06 020000000001 0000"), make([]byte, 28)), want: other},
		{name: "SLL2/short", lt: 276, frame: h("0800 0000 00000002 0001 00 06"), want: malformed, warn: "truncated Linux SLL2 header"},
		{name: "raw101/ipv4", lt: 101, frame: v4},
		{name: "raw101/ipv6", lt: 101, frame: v6, v6: true},
		{name: "raw101/version 5", lt: 101, frame: mutate(v4, 0, 0x55), want: malformed, warn: "IP version 5"},
		{name: "raw101/empty", lt: 101, frame: nil, want: malformed, warn: "empty"},
		{name: "raw12/ipv4", lt: 12, frame: v4},
		{name: "raw14/ipv6", lt: 14, frame: v6, v6: true},
		{name: "ipv4 linktype", lt: 228, frame: v4},
		{name: "ipv6 linktype", lt: 229, frame: v6, v6: true},
		{name: "NULL/ipv4 little-endian host", lt: 0, frame: cat(h("02000000"), v4)},
		{name: "NULL/ipv4 big-endian host", lt: 0, frame: cat(h("00000002"), v4)},
		{name: "NULL/ipv6 NetBSD", lt: 0, frame: cat(h("18000000"), v6), v6: true},
		{name: "NULL/ipv6 FreeBSD", lt: 0, frame: cat(h("1c000000"), v6), v6: true},
		{name: "NULL/ipv6 Darwin", lt: 0, frame: cat(h("1e000000"), v6), v6: true},
		{name: "NULL/ipv6 Darwin big-endian", lt: 0, frame: cat(h("0000001e"), v6), v6: true},
		{name: "NULL/other family", lt: 0, frame: cat(h("07000000"), v4), want: other},
		{name: "NULL/short", lt: 0, frame: h("0200"), want: malformed, warn: "truncated loopback header"},
		{name: "LOOP/ipv4", lt: 108, frame: cat(h("00000002"), v4)},
		{name: "LOOP/ipv6", lt: 108, frame: cat(h("00000018"), v6), v6: true},
		{name: "LOOP/ipv6 host order", lt: 108, frame: cat(h("1c000000"), v6), v6: true},

		{name: "ipv4/options", lt: 101, frame: withIPv4Options(v4, h("01010100 94040000"))},
		{name: "ipv4/udp", lt: 101, frame: mutate(v4, 9, 17), want: other},
		{name: "ipv4/more fragments", lt: 101, frame: setU16(v4, 6, 0x2000), want: fragment},
		{name: "ipv4/fragment offset", lt: 101, frame: setU16(v4, 6, 0x0010), want: fragment},
		{name: "ipv4/udp fragment", lt: 101, frame: mutate(setU16(v4, 6, 0x2000), 9, 17), want: other},
		{name: "ipv4/total length 0 (offload)", lt: 101, frame: setU16(v4, 2, 0)},
		{name: "ipv4/header length 16", lt: 101, frame: mutate(v4, 0, 0x44), want: malformed, warn: "IPv4 header length 16"},
		{name: "ipv4/total < header", lt: 101, frame: setU16(v4, 2, 12), want: malformed, warn: "total length 12"},
		{name: "ipv4/short", lt: 228, frame: v4[:19], want: malformed, warn: "truncated IPv4 header"},
		{name: "ipv4/options cut", lt: 228, frame: mutate(v4, 0, 0x4f)[:40], want: malformed, warn: "have 40 of 60"},
		{name: "ipv4/version 6", lt: 228, frame: mutate(v4, 0, 0x65), want: malformed, warn: "IP version 6"},
		{name: "ipv6/version 4", lt: 229, frame: mutate(v6, 0, 0x40), want: malformed, warn: "IP version 4"},
		{name: "ipv6/short", lt: 229, frame: v6[:39], want: malformed, warn: "truncated IPv6 header"},
		{name: "ipv6/payload length 0", lt: 229, frame: setU16(v6, 4, 0), v6: true},
		{name: "ipv6/extension headers", lt: 101, v6: true, frame: withIPv6Ext(v6, []byte{0, 43, 60, 51},
			h("00 01040000 0000"),                   // hop-by-hop, PadN
			h("00 00 00 00000000"),                  // routing, type 0, segments left 0
			h("01 010c 000000000000000000000000"),   // destination options, 16 bytes
			h("02 0000 00000100 00000001 00000000"), // AH, 16 bytes
		)},
		{name: "ipv6/atomic fragment", lt: 101, v6: true, frame: withIPv6Ext(v6, []byte{44}, h("00 0000 00001234"))},
		{name: "ipv6/fragment", lt: 101, frame: withIPv6Ext(v6, []byte{44}, h("00 0001 00001234")), want: fragment},
		{name: "ipv6/later fragment", lt: 101, frame: withIPv6Ext(v6, []byte{44}, h("00 0100 00001234")), want: fragment},
		{name: "ipv6/udp fragment", lt: 101, frame: mutate(withIPv6Ext(v6, []byte{44}, h("00 0001 00001234")), 40, 17), want: other},
		{name: "ipv6/no next header", lt: 101, frame: mutate(v6, 6, 59), want: other},
		{name: "ipv6/extension cut", lt: 101, frame: withIPv6Ext(v6, []byte{0}, h("05 01040000 0000")), want: malformed, warn: "truncated IPv6 extension header 0"},
		{name: "tcp/data offset 4", lt: 101, frame: mutate(v4, 32, 0x40), want: malformed, warn: "TCP data offset 16"},
		{name: "tcp/header cut by snap length", lt: 101, frame: v4[:30], orig: len(v4), want: malformed, warn: "truncated TCP header: have 10 of 20"},
		{name: "tcp/options cut", lt: 101, frame: mutate(v4, 32, 0xf0), want: malformed, warn: "have 38 of 60"},
		{name: "tcp/payload cut by snap length", lt: 1, frame: cat(h(macs+"0800"), v4)[:64], orig: 14 + len(v4),
			payload: "VER 1 MSNP", warn: "truncated by snap length: have 10 of 18 bytes"},
		{name: "tcp/IP length beyond frame", lt: 101, frame: v4[:50],
			payload: "VER 1 MSNP", warn: "IP length exceeds frame: TCP payload has 10 of 18 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := pcapFile(le, false, tt.lt, rec{ts: t0, data: tt.frame, orig: tt.orig})
			segs, warns, st, err := mustRead(t, "link.pcap", file)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			counts := [...]int{st.Segments, st.NonTCP, st.Malformed, st.Fragments}
			for kind, n := range counts {
				want := 0
				if kind == tt.want {
					want = 1
				}
				if n != want {
					t.Errorf("stats %+v: want one frame of kind %d", st, tt.want)
					break
				}
			}
			if st.Frames != 1 || st.LinkTypes[capture.LinkType(tt.lt)] != 1 {
				t.Errorf("stats %+v: want 1 frame of link type %d", st, tt.lt)
			}
			switch {
			case tt.warn == "" && len(warns) > 0:
				t.Errorf("unexpected warnings %v", warns)
			case tt.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0].Msg, tt.warn)):
				t.Errorf("warnings %v, want one containing %q", warns, tt.warn)
			case tt.warn != "" && (warns[0].Frame != 1 || warns[0].Offset != 24 || warns[0].File != "link.pcap"):
				t.Errorf("warning %+v: want frame 1 at offset 24 of link.pcap", warns[0])
			}
			if tt.want != tcp {
				if len(segs) != 0 {
					t.Errorf("got segments %+v, want none", segs)
				}
				return
			}
			if len(segs) != 1 {
				t.Fatalf("got %d segments, want 1", len(segs))
			}
			want := seg{TS: t0.Truncate(1000), Src: cli4, Dst: srv4, Seq: 1000, Ack: 2000, Flags: capture.ACK,
				Payload: "VER 1 MSNP8 CVR0\r\n", Frame: 1}
			if tt.v6 {
				want.Src, want.Dst = cli6, srv6
			}
			if tt.payload != "" {
				want.Payload = tt.payload
			}
			if segs[0] != want {
				t.Errorf("got  %+v\nwant %+v", segs[0], want)
			}
			if tt.payload != "" && tt.warn != "" && st.Truncated != 1 {
				t.Errorf("Stats.Truncated = %d, want 1", st.Truncated)
			}
		})
	}
}

// TestFlags checks the mapping of every TCP control bit we keep, and that
// PSH, URG and ECN bits are ignored.
func TestFlags(t *testing.T) {
	for _, tt := range []struct {
		bits byte
		want capture.Flags
	}{
		{0x02, capture.SYN},
		{0x12, capture.SYN | capture.ACK},
		{0x11, capture.FIN | capture.ACK},
		{0x04, capture.RST},
		{0x14, capture.RST | capture.ACK},
		{0x18, capture.ACK},
		{0xe8, 0},
		{0xff, capture.FIN | capture.SYN | capture.RST | capture.ACK},
	} {
		d := datagram(t, cli4, srv4, "x")
		d[33] = tt.bits
		segs, _, _, err := mustRead(t, "flags.pcap", pcapFile(le, false, 101, rec{ts: t0, data: d}))
		if err != nil || len(segs) != 1 {
			t.Fatalf("bits %#x: segments %v, error %v", tt.bits, segs, err)
		}
		if segs[0].Flags != tt.want {
			t.Errorf("bits %#x: flags %v, want %v", tt.bits, segs[0].Flags, tt.want)
		}
	}
}
