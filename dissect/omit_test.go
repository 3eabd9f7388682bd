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
// OmitFramed, and returns each event as its JSON record, with the message
// events that were light (framed without decoding) marked. Each record is
// written when the event reached the sink and again after the replay, and
// the two must agree: a sink may keep events (the pipeline's merge does),
// so storage that is reused must be only that of omitted messages.
func omitRun(t *testing.T, omit bool, maxPayload int) (records []string, light []bool) {
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
		m := ev.Message
		var cmd *dissect.Command
		if ev.Kind == dissect.KindMessage {
			cmd = dissect.Lookup(m.Cmd)
		}
		isLight := cmd != nil && cmd.Bulk && m.Fields == nil && m.Meaning == ""
		light = append(light, isLight)
	})
	opts := benchdata.PipelineOptions()
	opts.ListsOnly = true
	opts.OmitFramed = omit
	opts.MaxPayload = maxPayload
	size := int64(4 << 20)
	benchdata.Replay(benchdata.Streams(size), benchdata.Order(size), opts, sink)
	for i, ev := range kept {
		if r := write(ev); r != records[i] {
			t.Fatalf("event %d changed after it reached the sink:\n then %s\n  now %s", i, records[i], r)
		}
	}
	return records, light
}

// TestOmitFramed: with OmitFramed, the sink gets exactly the events it
// gets without, less the messages ListsOnly only frames, those that hit a
// limit excepted; and every connection's summary (statistics included) is
// the same, though the omitted messages' storage was reused.
func TestOmitFramed(t *testing.T) {
	for _, maxPayload := range []int{dissect.DefaultLimits.MaxPayload, 400} {
		all, light := omitRun(t, false, maxPayload)
		got, _ := omitRun(t, true, maxPayload)
		var want []string
		omitted, limited := 0, 0
		for i, r := range all {
			if light[i] && !strings.Contains(r, `"limit":`) {
				omitted++
				continue
			}
			if light[i] {
				limited++
			}
			want = append(want, r)
		}
		if omitted < 1000 {
			t.Fatalf("max payload %d: only %d light messages of %d events: the test checks too little", maxPayload, omitted, len(all))
		}
		if maxPayload == 400 && limited == 0 {
			t.Fatalf("max payload %d: no light message hit a limit: the test checks too little", maxPayload)
		}
		if len(got) != len(want) {
			t.Errorf("max payload %d: %d events with OmitFramed, want %d (%d of %d omitted, %d kept for their limit)",
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
