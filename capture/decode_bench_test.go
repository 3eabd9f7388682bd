package capture

import (
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// benchFrame is Ethernet/IPv4/TCP with a 27-byte MSNP payload.
var benchFrame, _ = hex.DecodeString("020000000002020000000001080045000043" +
	"12344000400600000a0000010a000002" + "0401074700001000000020005018ffff00000000" +
	"5645522031204d534e503820435652300d0a" + "434852200d0a000000")

// BenchmarkDecode compares our direct decoding with gopacket's
// DecodingLayerParser and preallocated layers, the fastest way to use
// gopacket; it justifies decoding by hand.
func BenchmarkDecode(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		var seg Segment
		for range b.N {
			if k, _, err := decodeFrame(LinkEthernet, benchFrame, &seg); k != kindTCP || err != nil {
				b.Fatal(k, err)
			}
		}
	})
	b.Run("gopacket", func(b *testing.B) {
		var (
			eth     layers.Ethernet
			dot1q   layers.Dot1Q
			ip4     layers.IPv4
			ip6     layers.IPv6
			tcp     layers.TCP
			payload gopacket.Payload
		)
		p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &payload)
		p.IgnoreUnsupported = true
		decoded := make([]gopacket.LayerType, 0, 8)
		b.ReportAllocs()
		var seg Segment
		for range b.N {
			if err := p.DecodeLayers(benchFrame, &decoded); err != nil {
				b.Fatal(err)
			}
			src, _ := netip.AddrFromSlice(ip4.SrcIP)
			dst, _ := netip.AddrFromSlice(ip4.DstIP)
			seg.Src = netip.AddrPortFrom(src, uint16(tcp.SrcPort))
			seg.Dst = netip.AddrPortFrom(dst, uint16(tcp.DstPort))
			seg.Seq, seg.Ack, seg.Payload = tcp.Seq, tcp.Ack, tcp.Payload
		}
	})
}
