package capgen_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// onesSum is the folded one's-complement sum of b (RFC 1071); a correct
// checksum makes the sum over the covered bytes 0xffff.
func onesSum(sum uint32, b []byte) uint16 {
	for i := 0; i < len(b); i += 2 {
		w := uint32(b[i]) << 8
		if i+1 < len(b) {
			w |= uint32(b[i+1])
		}
		sum += w
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// checkDatagram verifies lengths and checksums of an IP datagram by hand.
func checkDatagram(t *testing.T, d []byte, p capgen.Packet) {
	t.Helper()
	var pseudo []byte
	var tcp []byte
	if p.Src.Addr().Is4() {
		if got := onesSum(0, d[:20]); got != 0xffff {
			t.Errorf("IPv4 header checksum does not verify (sum %#x)", got)
		}
		if n := binary.BigEndian.Uint16(d[2:]); int(n) != len(d) {
			t.Errorf("IPv4 total length %d, datagram %d bytes", n, len(d))
		}
		tcp = d[20:]
		pseudo = append(append(pseudo, d[12:20]...), 0, 6)
	} else {
		if n := binary.BigEndian.Uint16(d[4:]); int(n) != len(d)-40 {
			t.Errorf("IPv6 payload length %d, datagram %d bytes", n, len(d))
		}
		tcp = d[40:]
		pseudo = append(append(pseudo, d[8:40]...), 0, 6)
	}
	pseudo = binary.BigEndian.AppendUint16(pseudo, uint16(len(tcp)))
	if got := onesSum(uint32(onesSum(0, pseudo)), tcp); got != 0xffff {
		t.Errorf("TCP checksum does not verify (sum %#x)", got)
	}
}

// TestFramesMatchGopacket decodes capgen's frames with gopacket, an
// independent implementation, and checks checksums by hand.
func TestFramesMatchGopacket(t *testing.T) {
	for _, pair := range [][2]netip.AddrPort{{cli4, srv4}, {srv6, cli6}} {
		for _, flags := range []capture.Flags{capture.SYN, capture.ACK, capture.FIN | capture.ACK, capture.RST} {
			p := capgen.Packet{Src: pair[0], Dst: pair[1], Seq: 0xfffffff0, Ack: 77, Flags: flags}
			if flags == capture.ACK {
				p.Payload = []byte("MSG 5 N 128\r\nMIME-Version: 1.0\r\n\r\nhi!")
			}
			d, err := capgen.Datagram(p)
			if err != nil {
				t.Fatal(err)
			}
			checkDatagram(t, d, p)
			for _, l := range capgen.Links {
				frame, err := capgen.Frame(l, p)
				if err != nil {
					t.Fatal(err)
				}
				name := l.String() + "/" + p.Src.String()
				if l == capgen.Ethernet || l == capgen.VLAN || l == capgen.QinQ {
					if len(frame) < 60 {
						t.Errorf("%s: Ethernet frame of %d bytes, shorter than 60", name, len(frame))
					}
				}
				if !bytes.Contains(frame, d) {
					t.Errorf("%s: frame does not contain the datagram", name)
				}
				var pkt gopacket.Packet
				if l == capgen.SLL2 {
					// gopacket v1.1.19 has no SLL2 decoder: check the header
					// against the tcpdump linktypes page and decode the rest.
					et := uint16(0x0800)
					if p.Src.Addr().Is6() {
						et = 0x86dd
					}
					if binary.BigEndian.Uint16(frame) != et || binary.BigEndian.Uint16(frame[8:]) != 1 || frame[11] != 6 {
						t.Errorf("%s: header % x", name, frame[:20])
					}
					first := layers.LayerTypeIPv4
					if p.Src.Addr().Is6() {
						first = layers.LayerTypeIPv6
					}
					pkt = gopacket.NewPacket(frame[20:], first, gopacket.Default)
				} else {
					pkt = gopacket.NewPacket(frame, layers.LinkType(l.LinkType()), gopacket.Default)
				}
				if el := pkt.ErrorLayer(); el != nil {
					t.Errorf("%s: gopacket: %v", name, el.Error())
					continue
				}
				tcp, ok := pkt.TransportLayer().(*layers.TCP)
				if !ok {
					t.Errorf("%s: gopacket finds no TCP in %v", name, pkt)
					continue
				}
				src, _ := netip.AddrFromSlice(pkt.NetworkLayer().NetworkFlow().Src().Raw())
				dst, _ := netip.AddrFromSlice(pkt.NetworkLayer().NetworkFlow().Dst().Raw())
				if src != p.Src.Addr() || dst != p.Dst.Addr() || uint16(tcp.SrcPort) != p.Src.Port() || uint16(tcp.DstPort) != p.Dst.Port() ||
					tcp.Seq != p.Seq || tcp.Ack != p.Ack || tcp.SYN != (flags&capture.SYN != 0) || tcp.ACK != (flags&capture.ACK != 0) ||
					tcp.FIN != (flags&capture.FIN != 0) || tcp.RST != (flags&capture.RST != 0) || !bytes.Equal(tcp.Payload, p.Payload) {
					t.Errorf("%s: gopacket reads %v", name, pkt)
				}
				if flags&capture.SYN != 0 && (len(tcp.Options) != 1 || tcp.Options[0].OptionType != layers.TCPOptionKindMSS) {
					t.Errorf("%s: SYN options %v, want MSS", name, tcp.Options)
				}
			}
		}
	}
}
