package main

import (
	"math"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// At a busy server most of the live heap is the state of the open logins,
// and the collector's work is that heap times the number of collections:
// once the live heap is a large share of the soft memory limit, the room
// left between collections is small and they follow each other without
// pause. A heap watch sees that coming and tells the contact-list keepers
// to shed what they can (dissect.ListConfig.Pressure: their sealed lists
// go to the spill file), which is reported as the limit --memory-limit.

const (
	// pressureOn and pressureOff are the shares of the memory limit the
	// live heap must pass to start shedding, and fall under to stop: a
	// live heap of 40 % leaves 1.5 times itself to fill before the next
	// collection, beyond which the pace of collections climbs steeply.
	pressureOn, pressureOff = 0.40, 0.30
	// pressureEvery is how often the live heap is read: it changes at
	// each collection, tens of times a second when it matters.
	pressureEvery = 20 * time.Millisecond
)

// liveHeapMetric is the heap the last collection found live.
const liveHeapMetric = "/gc/heap/live:bytes"

// heapWatch sets pressure while the live heap is near limit.
type heapWatch struct {
	pressure *atomic.Bool
	limit    int64
	stop     chan struct{}
	done     chan struct{}
}

// watchHeap starts watching the live heap against limit (bytes; none when
// it is not positive or is math.MaxInt64, the runtime's "no limit"),
// setting pressure while it is near it. Call the returned function to
// stop watching; pressure is then cleared.
func watchHeap(pressure *atomic.Bool, limit int64) (stop func()) {
	if limit <= 0 || limit == math.MaxInt64 {
		return func() {}
	}
	w := &heapWatch{pressure: pressure, limit: limit, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return func() {
		close(w.stop)
		<-w.done
		pressure.Store(false)
	}
}

func (w *heapWatch) run() {
	defer close(w.done)
	sample := []metrics.Sample{{Name: liveHeapMetric}}
	t := time.NewTicker(pressureEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // a runtime without the metric: no watch
		}
		w.pressure.Store(pressed(w.pressure.Load(), sample[0].Value.Uint64(), w.limit))
	}
}

// pressed decides the pressure from the live heap, with hysteresis: it
// starts above pressureOn of the limit and ends below pressureOff.
func pressed(was bool, live uint64, limit int64) bool {
	switch {
	case float64(live) > pressureOn*float64(limit):
		return true
	case float64(live) < pressureOff*float64(limit):
		return false
	}
	return was
}
