package dissect_test

import (
	"testing"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/internal/benchdata"
)

// BenchmarkStageFraming measures the dissect stage with decoding cut down
// to what contact lists, users and sessions need (Options.ListsOnly): every
// message is framed, bulk commands are not decoded, requests are not
// paired, and (Options.OmitMessages) what is only framed does not reach the
// sink. It is the closest to framing alone that dissect offers (the
// commands a contact list is made of, and the login profile MSG, are still
// decoded). Same input, order and figures as BenchmarkStageDecoding.
func BenchmarkStageFraming(b *testing.B) {
	benchDissect(b, true)
}

// BenchmarkStageDecoding measures the dissect stage alone, fully decoding:
// the reassembled streams of a generated workload capture (recorded once,
// before timing) replayed into fresh dissect.Conns in the order and with
// the options of `msnsniff read` (shared Tracker and Budget), events
// discarded. MB/s is capture bytes, so it compares with the other
// BenchmarkStage figures; stream-B/op is the bytes the dissector was fed.
func BenchmarkStageDecoding(b *testing.B) {
	benchDissect(b, false)
}

// benchDissect replays the benchmark streams into dissect.Conns, with
// Options.ListsOnly set to listsOnly, counting the events.
func benchDissect(b *testing.B, listsOnly bool) {
	streams := benchdata.Streams(benchdata.DefaultSize)
	order := benchdata.Order(benchdata.DefaultSize)
	b.SetBytes(int64(len(benchdata.Capture(benchdata.DefaultSize))))
	b.ReportAllocs()
	var events, messages int
	sink := dissect.SinkFunc(func(ev *dissect.Event) {
		events++
		if ev.Kind == dissect.KindMessage {
			messages++
		}
	})
	for b.Loop() {
		events, messages = 0, 0
		opts := benchdata.PipelineOptions()
		opts.ListsOnly = listsOnly
		opts.OmitMessages = listsOnly // as contacts runs it
		benchdata.Replay(streams, order, opts, sink)
	}
	if messages == 0 {
		b.Fatal("no messages")
	}
	b.ReportMetric(float64(benchdata.StreamBytes(streams)), "stream-B/op")
	b.ReportMetric(float64(events), "events/op")
	b.ReportMetric(float64(messages), "messages/op")
}
