package reassembly_test

import (
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/internal/benchdata"
	"github.com/msnsniff/msnsniff/reassembly"
)

// discard is a reassembly.Handler that does nothing.
type discard struct{}

func (discard) Open(*reassembly.Conn, time.Time)                                      {}
func (discard) Data(*reassembly.Conn, reassembly.Dir, time.Time, []byte)              {}
func (discard) Gap(*reassembly.Conn, reassembly.Dir, time.Time, int)                  {}
func (discard) End(*reassembly.Conn, reassembly.Dir, time.Time, reassembly.EndReason) {}
func (discard) Close(*reassembly.Conn, time.Time)                                     {}

// BenchmarkStageReassembly measures the reassembly stage alone: every TCP
// segment of a generated workload capture (decoded once, before timing,
// payloads copied) fed to a fresh Assembler with cmd/msnsniff's default
// limits and a Handler that does nothing, then flushed. MB/s is capture
// bytes, so it compares with the other BenchmarkStage figures.
func BenchmarkStageReassembly(b *testing.B) {
	segs := benchdata.Segments(benchdata.DefaultSize)
	size := int64(len(benchdata.Capture(benchdata.DefaultSize)))
	last := segs[len(segs)-1].Timestamp
	b.SetBytes(size)
	b.ReportAllocs()
	var st reassembly.Stats
	for b.Loop() {
		a := reassembly.New(reassembly.Config{IdleTimeout: benchdata.IdleTimeout}, discard{})
		for i := range segs {
			a.Add(&segs[i])
		}
		a.Flush(last)
		st = a.Stats()
	}
	if st.Segments != len(segs) || st.Bytes == 0 {
		b.Fatalf("implausible stats: %+v", st)
	}
	b.ReportMetric(float64(len(segs)), "segments/op")
	b.ReportMetric(float64(st.Bytes), "stream-B/op")
}
