package main

import (
	"runtime"
	"sync"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/reassembly"
)

// The reading stage (capture decoding and TCP reassembly) runs on its own
// goroutine and hands its handler calls to dissection in batches, in
// order. Dissection runs on one goroutine, or on several, each with the
// connections of one partition (dissect.Partition: by client address, so
// that every link the session Tracker makes stays inside one partition);
// their events are then merged back into the order of the handler calls
// that produced them. Either way the output is exactly that of a
// sequential run; what is gained is the other cores.

// Batch sizes: large enough that the channel hand-off is amortised over
// hundreds of segments, small enough to stay in cache.
const (
	batchOps   = 512
	batchBytes = 256 << 10
	// batchesInFlight bounds the memory between the stages.
	batchesInFlight = 4
)

type opKind uint8

const (
	opOpen opKind = iota
	opData
	opGap
	opEnd
	opClose
	opCall
)

// op is one handler call recorded by the reading stage.
type op struct {
	kind opKind
	dir  reassembly.Dir
	why  reassembly.EndReason
	part uint8 // the connection's partition
	id   int
	n    int // missing bytes of a gap
	ts   time.Time
	data []byte // in the batch's arena
	info *dissect.ConnInfo
	fn   func()
}

// batch is a run of ops and the bytes their data points into; with
// several dissectors, out[k] collects the events of partition k and done
// says when all have.
type batch struct {
	ops   []op
	arena []byte
	out   [][]shardEvent
	done  sync.WaitGroup
}

// shardEvent is an event a partition produced for the op at index op.
type shardEvent struct {
	op int
	ev *dissect.Event
}

// stager records the reassembler's calls (it is the reading stage's
// reassembly.Handler) and replays them on the dissecting goroutines.
type stager struct {
	p    *pipeline
	cur  *batch
	full chan *batch
	free chan *batch
	// With several dissectors: each one's input, and (reading stage
	// only) the partition of every open connection.
	shards []*shard
	part   map[int]uint8
}

// mergeDepth is how many batches the dissectors may run ahead of the
// merge.
const mergeDepth = 2

// runStaged runs read (which feeds the assembler) on a new goroutine and
// dissects what it produces, on this goroutine or, with n > 1, on n
// goroutines of their own, this one merging their events.
func (p *pipeline) runStaged(read func(), n int) {
	n = min(max(n, 1), 255)
	pool := batchesInFlight + 1
	if n > 1 {
		pool += mergeDepth + 1
	}
	st := &stager{p: p, full: make(chan *batch, batchesInFlight), free: make(chan *batch, pool)}
	for range pool {
		st.free <- &batch{ops: make([]op, 0, batchOps), arena: make([]byte, 0, batchBytes), out: make([][]shardEvent, n)}
	}
	if n > 1 {
		st.part = map[int]uint8{}
		for k := range n {
			sh := &shard{p: p, in: make(chan *batch, pool), k: uint8(k)}
			sh.d = p.newDissector(sh, n)
			st.shards = append(st.shards, sh)
			go sh.run()
		}
	}
	st.cur = <-st.free
	p.stage = st
	p.asm.SetHandler(st)
	go func() {
		defer close(st.full)
		read()
		st.send()
	}()
	if n == 1 {
		for b := range st.full {
			replayAll(p.seq, b)
			st.recycle(b)
		}
	} else {
		var pending []*batch
		merge := func() {
			b := pending[0]
			pending = pending[1:]
			b.done.Wait()
			st.merge(b)
			st.recycle(b)
		}
		for b := range st.full {
			b.done.Add(n)
			for _, sh := range st.shards {
				sh.in <- b
			}
			if pending = append(pending, b); len(pending) > mergeDepth {
				merge()
			}
		}
		for len(pending) > 0 {
			merge()
		}
		for _, sh := range st.shards {
			close(sh.in)
		}
	}
	p.asm.SetHandler(p)
	p.stage = nil
}

func (st *stager) recycle(b *batch) {
	b.ops, b.arena = b.ops[:0], b.arena[:0]
	st.free <- b
}

func (st *stager) add(o op) {
	st.cur.ops = append(st.cur.ops, o)
	if len(st.cur.ops) == batchOps {
		st.send()
	}
}

func (st *stager) send() {
	if len(st.cur.ops) == 0 {
		return
	}
	st.full <- st.cur
	st.cur = <-st.free
}

// call queues fn to run on the dissecting (or merging) goroutine in order.
func (st *stager) call(fn func()) { st.add(op{kind: opCall, fn: fn}) }

// partOf is the partition of connection id (reading stage).
func (st *stager) partOf(id int) uint8 {
	if st.part == nil {
		return 0
	}
	return st.part[id]
}

// replayAll applies the ops of a batch to d in order, on one goroutine.
func replayAll(d *dissector, b *batch) {
	for i := range b.ops {
		o := &b.ops[i]
		replayOne(d, o)
		*o = op{} // drop references for the collector
	}
}

// replayOne applies one op to d.
func replayOne(d *dissector, o *op) {
	switch o.kind {
	case opOpen:
		d.open(o.id, *o.info)
	case opData:
		d.data(o.id, o.dir, o.ts, o.data)
	case opGap:
		d.gap(o.id, o.dir, o.ts, o.n)
	case opEnd:
		d.end(o.id, o.dir, o.ts, o.why)
	case opClose:
		d.close(o.id)
	case opCall:
		o.fn()
	}
}

// merge passes the events of a batch's partitions to the pipeline's sink
// in the order of the ops that produced them, running the queued calls in
// between.
func (st *stager) merge(b *batch) {
	var next [256]int
	for i := range b.ops {
		o := &b.ops[i]
		if o.kind == opCall {
			o.fn()
		} else {
			out := b.out[o.part]
			k := next[o.part]
			for ; k < len(out) && out[k].op == i; k++ {
				st.p.sink.Event(out[k].ev)
				out[k] = shardEvent{}
			}
			next[o.part] = k
		}
		*o = op{}
	}
	for k := range b.out {
		b.out[k] = b.out[k][:0]
	}
}

// shard is one partition's dissector and the goroutine running it.
type shard struct {
	k   uint8
	p   *pipeline
	in  chan *batch
	d   *dissector
	b   *batch
	cur int // index of the op being replayed
}

func (sh *shard) run() {
	for b := range sh.in {
		sh.b = b
		for i := range b.ops {
			o := &b.ops[i]
			if o.kind == opCall || o.part != sh.k {
				continue
			}
			sh.cur = i
			replayOne(sh.d, o)
		}
		sh.b = nil
		b.done.Done()
	}
}

// Event implements dissect.Sink for the partition: events are kept for
// the merge, with a copy of the connection's identity, which may change
// before then. A copy serves until it does: of ConnInfo, dissection only
// ever sets Session (once, when the Tracker places the connection), so
// that and the id are what is compared, not the whole struct.
func (sh *shard) Event(ev *dissect.Event) {
	if !sh.p.wanted(ev) {
		return
	}
	e := sh.d.cur
	info := e.snap
	if info == nil || info.Session != ev.Conn.Session || info.ID != ev.Conn.ID {
		c := *ev.Conn
		info = &c
		e.snap = info
	}
	if ev.Kind != dissect.KindMessage || ev != ev.Message.Event() {
		c := *ev
		ev = &c
	}
	ev.Conn = info
	sh.b.out[sh.k] = append(sh.b.out[sh.k], shardEvent{op: sh.cur, ev: ev})
}

// Open implements reassembly.Handler.
func (st *stager) Open(c *reassembly.Conn, ts time.Time) {
	info := connInfo(c)
	var part uint8
	if st.part != nil {
		part = uint8(dissect.Partition(info.Client, len(st.shards)))
		st.part[c.ID] = part
	}
	st.add(op{kind: opOpen, part: part, id: c.ID, ts: ts, info: &info})
}

// Data implements reassembly.Handler: the bytes are copied, as the
// reassembler reuses its buffers once the call returns.
func (st *stager) Data(c *reassembly.Conn, d reassembly.Dir, ts time.Time, data []byte) {
	var buf []byte
	if len(data) > batchBytes/4 {
		buf = append([]byte(nil), data...)
	} else {
		if len(st.cur.arena)+len(data) > cap(st.cur.arena) {
			st.send()
		}
		a := st.cur.arena
		buf = append(a[len(a):], data...)
		st.cur.arena = a[:len(a)+len(data)]
	}
	st.add(op{kind: opData, part: st.partOf(c.ID), id: c.ID, dir: d, ts: ts, data: buf})
}

// Gap implements reassembly.Handler.
func (st *stager) Gap(c *reassembly.Conn, d reassembly.Dir, ts time.Time, missing int) {
	st.add(op{kind: opGap, part: st.partOf(c.ID), id: c.ID, dir: d, ts: ts, n: missing})
}

// End implements reassembly.Handler.
func (st *stager) End(c *reassembly.Conn, d reassembly.Dir, ts time.Time, why reassembly.EndReason) {
	st.add(op{kind: opEnd, part: st.partOf(c.ID), id: c.ID, dir: d, ts: ts, why: why})
}

// Close implements reassembly.Handler.
func (st *stager) Close(c *reassembly.Conn, ts time.Time) {
	st.add(op{kind: opClose, part: st.partOf(c.ID), id: c.ID, ts: ts})
	delete(st.part, c.ID)
}

// defaultDissectors is one dissecting goroutine per CPU (up to 8): on two
// cores, two dissectors and the reading and encoding goroutines keep both
// busy, where one dissector left a third of a core idle.
func defaultDissectors() int { return min(runtime.GOMAXPROCS(0), 8) }
