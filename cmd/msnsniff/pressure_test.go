package main

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestPressed: pressure starts above 40 % of the limit, ends below 30 %,
// and in between stays as it was.
func TestPressed(t *testing.T) {
	const limit = 1000
	for _, tc := range []struct {
		was  bool
		live uint64
		want bool
	}{
		{false, 0, false},
		{false, 300, false},
		{false, 400, false},
		{false, 401, true},
		{true, 401, true},
		{true, 350, true},
		{false, 350, false},
		{true, 300, true},
		{true, 299, false},
		{true, 5000, true},
	} {
		if got := pressed(tc.was, tc.live, limit); got != tc.want {
			t.Errorf("pressed(%v, %d, %d) = %v, want %v", tc.was, tc.live, limit, got, tc.want)
		}
	}
}

// TestWatchHeap: with a limit far under the live heap the watch sets the
// pressure within a few reads; stopping it clears the pressure; without
// a limit there is nothing to watch.
func TestWatchHeap(t *testing.T) {
	keep := make([]byte, 8<<20) // live for the whole test
	var p atomic.Bool
	stop := watchHeap(&p, 1<<20)
	deadline := time.Now().Add(5 * time.Second)
	for !p.Load() && time.Now().Before(deadline) {
		runtime.GC() // the live heap is measured by collections
		time.Sleep(pressureEvery)
	}
	if !p.Load() {
		t.Fatal("no pressure with a 1 MiB limit and 8 MiB live")
	}
	stop()
	if p.Load() {
		t.Fatal("pressure still set after the watch stopped")
	}
	stop = watchHeap(&p, 0)
	time.Sleep(3 * pressureEvery)
	stop()
	if p.Load() || len(keep) == 0 {
		t.Fatal("pressure set without a limit")
	}
}
