package reassembly

import (
	"net/netip"
	"testing"
)

const benchSeg = 1460

// BenchmarkInOrder feeds one direction of one connection with full-sized
// segments in order: the path that must not allocate.
func BenchmarkInOrder(b *testing.B) {
	a := New(Config{}, nopHandler{})
	s := seg(c2s, 1000, "S", "")
	a.Add(&s)
	s = seg(c2s, 1001, "", string(make([]byte, benchSeg)))
	b.SetBytes(benchSeg)
	b.ReportAllocs()
	for b.Loop() {
		a.Add(&s)
		s.Seq += benchSeg
	}
}

// BenchmarkOutOfOrder swaps every pair of segments, so half of them are
// buffered (copied) and delivered when the one before arrives.
func BenchmarkOutOfOrder(b *testing.B) {
	a := New(Config{}, nopHandler{})
	s := seg(c2s, 1000, "S", "")
	a.Add(&s)
	s = seg(c2s, 0, "", string(make([]byte, benchSeg)))
	next := uint32(1001)
	b.SetBytes(benchSeg)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			s.Seq = next + benchSeg
		} else {
			s.Seq = next
			next += 2 * benchSeg
		}
		a.Add(&s)
		i++
	}
}

// BenchmarkManyConns spreads in-order segments over 10,000 connections, to
// show the cost of the table lookup and LRU upkeep.
func BenchmarkManyConns(b *testing.B) {
	const n = 10000
	a := New(Config{}, nopHandler{})
	segs := make([]Segment, n)
	for i := range segs {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(1024+i))
		segs[i] = segBetween(c, srv, c2s, 1000, "S", "")
		a.Add(&segs[i])
		segs[i] = segBetween(c, srv, c2s, 1001, "", string(make([]byte, 512)))
	}
	b.SetBytes(512)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s := &segs[i%n]
		a.Add(s)
		s.Seq += 512
		i++
	}
}
