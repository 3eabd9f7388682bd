package capture_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// liveFrames are an MSNP exchange on Ethernet, with a frame that is not
// TCP and one cut short, as a packet socket might deliver them.
func liveFrames(t *testing.T) []capture.LiveFrame {
	t.Helper()
	ts := time.Date(2024, 3, 1, 10, 0, 0, 123456789, time.UTC)
	var out []capture.LiveFrame
	for i, p := range []capgen.Packet{
		packet("192.0.2.10:3001", "198.51.100.20:1863", "VER 1 MSNP8 CVR0\r\n"),
		packet("198.51.100.20:1863", "192.0.2.10:3001", "VER 1 MSNP8\r\n"),
	} {
		b, err := capgen.Frame(capgen.Ethernet, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, capture.FrameAt(ts.Add(time.Duration(i)*time.Millisecond), b))
	}
	arp := make([]byte, 60)
	arp[12], arp[13] = 0x08, 0x06
	out = append(out, capture.FrameAt(ts.Add(5*time.Millisecond), arp))
	cut := slices.Clone(out[0].Data[:60])
	out = append(out, capture.LiveFrame{Timestamp: ts.Add(6 * time.Millisecond), Data: cut, OrigLen: len(out[0].Data)})
	return out
}

// TestLiveNext: a live capture returns the TCP segments of the frames it
// receives, with their timestamps, counts the rest, warns about the frame
// cut short, and after Close returns io.EOF with the kernel's counters.
func TestLiveNext(t *testing.T) {
	frames := liveFrames(t)
	l, _ := capture.NewFakeLive("eth9", capture.LinkEthernet, 10, 2, frames...)
	var warnings []capture.Warning
	l.OnWarning = func(w capture.Warning) { warnings = append(warnings, w) }
	var seen int
	l.OnFrame = func(f capture.LiveFrame) {
		if !bytes.Equal(f.Data, frames[seen].Data) {
			t.Errorf("OnFrame %d: different bytes", seen)
		}
		seen++
	}
	var segs []capture.Segment
	for range 3 {
		s, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		segs = append(segs, s)
	}
	if segs[0].Src.Port() != 3001 || string(segs[0].Payload) != "VER 1 MSNP8 CVR0\r\n" || !segs[0].Timestamp.Equal(frames[0].Timestamp) {
		t.Errorf("first segment %+v", segs[0])
	}
	if segs[1].Src.Port() != 1863 || segs[1].File != "eth9" || segs[1].Frame != 2 {
		t.Errorf("second segment %+v", segs[1])
	}
	if segs[2].Frame != 4 || len(warnings) != 1 || warnings[0].Frame != 4 || warnings[0].File != "eth9" {
		t.Errorf("cut segment %+v, warnings %+v", segs[2], warnings)
	}

	// The interface is now quiet: Close from another goroutine stops Next.
	done := make(chan error)
	go func() {
		_, err := l.Next()
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Next after Close: %v, want io.EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop a waiting Next")
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	st := l.Stats()
	if st.Received != 10 || st.Dropped != 2 || st.Frames != 4 || st.Segments != 3 || st.NonTCP != 1 || st.Truncated != 1 || st.LinkTypes[capture.LinkEthernet] != 4 || seen != 4 {
		t.Errorf("stats %+v, %d frames seen", st, seen)
	}
}

// TestLiveStop: after Stop, Next still returns what was queued before it,
// then io.EOF; a Next waiting on a quiet interface returns io.EOF at once;
// a frame arriving while Next waits is returned.
func TestLiveStop(t *testing.T) {
	frames := liveFrames(t)
	l, more := capture.NewFakeLive("eth9", capture.LinkEthernet, 0, 0)
	got := make(chan error)
	go func() {
		for {
			s, err := l.Next()
			if err != nil {
				got <- err
				return
			}
			if string(s.Payload) != "VER 1 MSNP8 CVR0\r\n" {
				got <- fmt.Errorf("segment %q", s.Payload)
				return
			}
			got <- nil
		}
	}()
	more <- frames[0]
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if err := l.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Next after Stop: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not end a waiting Next")
	}
	l.Close()

	l, _ = capture.NewFakeLive("eth9", capture.LinkEthernet, 0, 0, frames...)
	l.Stop()
	n := 0
	for {
		_, err := l.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d segments drained after Stop, want the 3 queued", n)
	}
	l.Close()
	if err := l.Stop(); err != nil {
		t.Errorf("Stop after Close: %v", err)
	}
}

// TestPcapWriter: frames written by PcapWriter read back with Reader as
// the same segments, timestamps to the nanosecond and original lengths
// included.
func TestPcapWriter(t *testing.T) {
	frames := liveFrames(t)
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, capture.DefaultSnaplen)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if w.Frames() != len(frames) {
		t.Errorf("Frames() = %d", w.Frames())
	}
	r, err := capture.NewReader("written.pcap", bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var warnings []capture.Warning
	r.OnWarning = func(w capture.Warning) { warnings = append(warnings, w) }
	for i, want := range []int{0, 1, 3} {
		s, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !s.Timestamp.Equal(frames[want].Timestamp) {
			t.Errorf("segment %d: time %v, want %v", i, s.Timestamp, frames[want].Timestamp)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the frames: %v", err)
	}
	// The frame cut short keeps its original length, so the reader blames
	// the snap length, as for a file from tcpdump.
	if len(warnings) != 1 || !bytes.Contains([]byte(warnings[0].Msg), []byte("snap length")) {
		t.Errorf("warnings %+v", warnings)
	}

	// A failed write is sticky and says which frame.
	w, err = capture.NewPcapWriter(&failAfter{n: 24}, capture.LinkLinuxSLL, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(frames[0]); err == nil || !bytes.Contains([]byte(err.Error()), []byte("frame 1")) {
		t.Errorf("write error %v", err)
	}
	if _, err := capture.NewPcapWriter(&bytes.Buffer{}, capture.LinkEthernet, 0); err == nil {
		t.Error("snap length 0 accepted")
	}
}

// failAfter accepts n bytes, then fails.
type failAfter struct{ n int }

func (f *failAfter) Write(b []byte) (int, error) {
	if len(b) > f.n {
		n := f.n
		f.n = 0
		return n, errors.New("disk full")
	}
	f.n -= len(b)
	return len(b), nil
}
