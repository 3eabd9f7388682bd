package capture_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/msnsniff/msnsniff/capture"
)

// sharedDir is the project's shared folder of real captures: $MSNSNIFF_SHARED,
// or ../../shared from this package (beside the repository).
func sharedDir() string {
	if d := os.Getenv("MSNSNIFF_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared")
}

// TestSharedCaptures reads every real capture we have; they must all be
// clean and contain TCP.
func TestSharedCaptures(t *testing.T) {
	dir := sharedDir()
	var files []string
	for _, pattern := range []string{"pcaps/*.pcap", "peer/*.pcap"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no captures under %s (set MSNSNIFF_SHARED)", dir)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			r, err := capture.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.OnWarning = func(w capture.Warning) { t.Errorf("warning: %v", w) }
			segs, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			st := r.Stats()
			if len(segs) == 0 || st.Segments != len(segs) {
				t.Errorf("%d segments, stats %+v", len(segs), st)
			}
			if fi, err := os.Stat(name); err == nil && st.Bytes != fi.Size() {
				t.Errorf("Stats.Bytes = %d, file size %d", st.Bytes, fi.Size())
			}
			t.Logf("%d frames, %d segments, %d non-TCP", st.Frames, st.Segments, st.NonTCP)
			if want := gopacketSegments(t, name); !slices.Equal(segs, want) {
				t.Errorf("segments differ from gopacket's reading:\n got %d\nwant %d", len(segs), len(want))
				for i := range min(len(segs), len(want)) {
					if segs[i] != want[i] {
						t.Errorf("first difference at %d:\n got %+v\nwant %+v", i, segs[i], want[i])
						break
					}
				}
			}
		})
	}
}

// gopacketSegments decodes the frames of a little-endian microsecond pcap
// (what the shared captures are) with gopacket's layers, an independent
// implementation, for comparison. pcapgo would need golang.org/x/net, which
// the module does not otherwise require; the record walk is trivial.
func gopacketSegments(t *testing.T, name string) []seg {
	t.Helper()
	file, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(file) < 24 || le.Uint32(file) != 0xa1b2c3d4 {
		t.Fatalf("%s is not a little-endian microsecond pcap", name)
	}
	lt := layers.LinkType(le.Uint32(file[20:]))
	var out []seg
	for off, frame := 24, 1; off+16 <= len(file); frame++ {
		ts := time.Unix(int64(le.Uint32(file[off:])), int64(le.Uint32(file[off+4:]))*1000).UTC()
		n := int(le.Uint32(file[off+8:]))
		data := file[off+16 : off+16+n]
		off += 16 + n
		p := gopacket.NewPacket(data, lt, gopacket.Default)
		tcp, ok := p.TransportLayer().(*layers.TCP)
		if !ok || p.NetworkLayer() == nil {
			continue
		}
		src, _ := netip.AddrFromSlice(p.NetworkLayer().NetworkFlow().Src().Raw())
		dst, _ := netip.AddrFromSlice(p.NetworkLayer().NetworkFlow().Dst().Raw())
		var fl capture.Flags
		for _, b := range []struct {
			set bool
			f   capture.Flags
		}{{tcp.FIN, capture.FIN}, {tcp.SYN, capture.SYN}, {tcp.RST, capture.RST}, {tcp.ACK, capture.ACK}} {
			if b.set {
				fl |= b.f
			}
		}
		out = append(out, seg{
			TS: ts, Src: netip.AddrPortFrom(src, uint16(tcp.SrcPort)), Dst: netip.AddrPortFrom(dst, uint16(tcp.DstPort)),
			Seq: tcp.Seq, Ack: tcp.Ack, Flags: fl, Payload: string(tcp.Payload), Frame: frame,
		})
	}
	return out
}
