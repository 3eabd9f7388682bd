package dissect_test

import (
	"strings"
	"testing"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/internal/benchdata"
	"github.com/msnsniff/msnsniff/report"
)

// recordWriter keeps each write (one flushed JSON record) apart.
type recordWriter struct{ records []string }

func (w *recordWriter) Write(p []byte) (int, error) {
	w.records = append(w.records, string(p))
	return len(p), nil
}

// omitRun replays the benchmark streams with ListsOnly and, if omit,
// OmitMessages, and returns each event as its JSON record, with the
// message events marked. Each record is
// written when the event reached the sink and again after the replay, and
// the two must agree: a sink may keep events (the pipeline's merge does),
// so storage that is reused must be only that of omitted messages.
func omitRun(t *testing.T, omit bool, maxPayload int) (records []string, isMsg []bool) {
	t.Helper()
	var w recordWriter
	j := report.NewJSONStream(&w, true)
	var kept []*dissect.Event
	write := func(ev *dissect.Event) string {
		n := len(w.records)
		j.Event(ev)
		if err := j.Flush(); err != nil {
			t.Fatal(err)
		}
		if len(w.records) != n+1 {
			t.Fatalf("event %d gave %d records", n, len(w.records)-n)
		}
		return w.records[n]
	}
	sink := dissect.SinkFunc(func(ev *dissect.Event) {
		records = append(records, write(ev))
		// The connection's identity changes later (its session); the
		// pipeline keeps a copy, and so does this. The message is shared.
		info, e := *ev.Conn, *ev
		e.Conn = &info
		kept = append(kept, &e)
		isMsg = append(isMsg, ev.Kind == dissect.KindMessage)
	})
	opts := benchdata.PipelineOptions()
	opts.ListsOnly = true
	opts.OmitMessages = omit
	opts.MaxPayload = maxPayload
	size := int64(4 << 20)
	benchdata.Replay(benchdata.Streams(size), benchdata.Order(size), opts, sink)
	for i, ev := range kept {
		if r := write(ev); r != records[i] {
			t.Fatalf("event %d changed after it reached the sink:\n then %s\n  now %s", i, records[i], r)
		}
	}
	return records, isMsg
}

// TestOmitMessages: with OmitMessages, the sink gets exactly the events it
// gets without, less the messages, those that hit a limit excepted; and
// every connection's summary (statistics and contact lists included) is
// the same, though the omitted messages' storage was reused.
func TestOmitMessages(t *testing.T) {
	for _, maxPayload := range []int{dissect.DefaultLimits.MaxPayload, 400} {
		all, isMsg := omitRun(t, false, maxPayload)
		got, _ := omitRun(t, true, maxPayload)
		var want []string
		omitted, limited := 0, 0
		for i, r := range all {
			if isMsg[i] && !strings.Contains(r, `"limit":`) {
				omitted++
				continue
			}
			if isMsg[i] {
				limited++
			}
			want = append(want, r)
		}
		if omitted < 1000 {
			t.Fatalf("max payload %d: only %d messages of %d events: the test checks too little", maxPayload, omitted, len(all))
		}
		if maxPayload == 400 && limited == 0 {
			t.Fatalf("max payload %d: no message hit a limit: the test checks too little", maxPayload)
		}
		if len(got) != len(want) {
			t.Errorf("max payload %d: %d events with OmitMessages, want %d (%d of %d omitted, %d kept for their limit)",
				maxPayload, len(got), len(want), omitted, len(all), limited)
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("max payload %d: event %d differs:\n got %s\nwant %s", maxPayload, i, got[i], want[i])
			}
		}
		summaries := 0
		for _, r := range got {
			if strings.Contains(r, `"type":"connection"`) {
				summaries++
			}
		}
		if summaries == 0 {
			t.Fatalf("max payload %d: no connection summaries", maxPayload)
		}
	}
}
