package report_test

import (
	"io"
	"testing"

	"github.com/msnsniff/msnsniff/internal/benchdata"
	"github.com/msnsniff/msnsniff/report"
)

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// BenchmarkStageJSON measures the report stage of `msnsniff read --format
// json` alone: every event the dissector emits for a generated workload
// capture (computed once, before timing) encoded by a JSONStream into
// io.Discard. MB/s is capture bytes, so it compares with the other
// BenchmarkStage figures; out-B/op is the NDJSON produced.
func BenchmarkStageJSON(b *testing.B) {
	evs := benchdata.Events(benchdata.DefaultSize)
	var out countWriter
	j := report.NewJSONStream(&out, false)
	for _, ev := range evs {
		j.Event(ev)
	}
	if err := j.Flush(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchdata.Capture(benchdata.DefaultSize))))
	b.ReportAllocs()
	for b.Loop() {
		j := report.NewJSONStream(io.Discard, false)
		for _, ev := range evs {
			j.Event(ev)
		}
		if err := j.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)), "events/op")
	b.ReportMetric(float64(out.n), "out-B/op")
}
