package capture_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/benchdata"
)

// BenchmarkStageCapture measures the capture stage alone: a Reader over a
// generated workload capture held in memory, decoding every frame down to
// its TCP segment (nothing is kept). MB/s is capture bytes; segments/op is
// the number of TCP segments decoded per pass.
func BenchmarkStageCapture(b *testing.B) {
	data := benchdata.Capture(benchdata.DefaultSize)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var segs int
	for b.Loop() {
		r, err := capture.NewReader("bench.pcap", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		segs = 0
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			segs++
		}
		r.Close()
	}
	b.ReportMetric(float64(segs), "segments/op")
}
