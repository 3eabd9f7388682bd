package benchdata

import (
	"testing"

	"github.com/msnsniff/msnsniff/dissect"
)

// testSize keeps the test quick; the benchmarks use DefaultSize.
const testSize = 2 << 20

func TestStreams(t *testing.T) {
	data := Capture(testSize)
	if int64(len(data)) < testSize {
		t.Fatalf("capture has %d bytes, want at least %d", len(data), testSize)
	}
	if &Capture(testSize)[0] != &data[0] {
		t.Error("Capture is not cached")
	}
	segs := Segments(testSize)
	if len(segs) == 0 {
		t.Fatal("no segments")
	}
	streams := Streams(testSize)
	if len(streams) < Sessions {
		t.Fatalf("%d streams, want at least one per session (%d)", len(streams), Sessions)
	}
	var chunks int
	for i := range streams {
		s := &streams[i]
		var n int64
		ends := 0
		for _, ch := range s.Chunks {
			n += int64(len(ch.Data))
			if ch.Kind == ChunkEnd {
				ends++
			}
			if ch.Kind == ChunkData && len(ch.Data) == 0 {
				t.Errorf("stream %d: empty Data chunk", s.ID)
			}
		}
		if n != s.Bytes {
			t.Errorf("stream %d: Bytes = %d, chunks hold %d", s.ID, s.Bytes, n)
		}
		if ends != 2 {
			t.Errorf("stream %d: %d ends, want 2 (the capture is flushed)", s.ID, ends)
		}
		chunks += len(s.Chunks)
	}
	// Pcap, Ethernet, IP and TCP headers (70 bytes a packet) and the pure
	// ACKs take a large share of the capture (about half: presence lines
	// are short), but a third or less of payload means lost data.
	total := StreamBytes(streams)
	if total <= int64(len(data))/3 {
		t.Errorf("streams hold %d bytes, implausibly few for a %d-byte capture", total, len(data))
	}
	if total > int64(len(data)) {
		t.Errorf("streams hold %d bytes, more than the %d-byte capture", total, len(data))
	}
	if order := Order(testSize); len(order) != chunks+len(streams) {
		t.Errorf("order has %d steps, want %d chunks + %d opens", len(order), chunks, len(streams))
	}
}

func TestEvents(t *testing.T) {
	evs := Events(testSize)
	var messages, summaries int
	for _, ev := range evs {
		switch ev.Kind {
		case dissect.KindMessage:
			messages++
		case dissect.KindSummary:
			summaries++
		}
	}
	if n := len(Streams(testSize)); summaries != n {
		t.Errorf("%d connection summaries for %d streams", summaries, n)
	}
	if messages < 1000 {
		t.Errorf("only %d messages in a %d-byte capture", messages, testSize)
	}
}
