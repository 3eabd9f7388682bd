package main

import (
	"time"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/reassembly"
)

// The reading stage (capture decoding and TCP reassembly) runs on its own
// goroutine and hands its handler calls to the dissecting goroutine in
// batches, in order. All cross-connection state of dissection (sessions,
// the payload budget) stays on one goroutine, so the output is exactly
// that of a sequential run; what is gained is the second core.

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
	id   int
	n    int // missing bytes of a gap
	ts   time.Time
	data []byte // in the batch's arena
	info *dissect.ConnInfo
	fn   func()
}

// batch is a run of ops and the bytes their data points into.
type batch struct {
	ops   []op
	arena []byte
}

// stager records the reassembler's calls (it is the reading stage's
// reassembly.Handler) and replays them on the dissecting goroutine.
type stager struct {
	p    *pipeline
	cur  *batch
	full chan *batch
	free chan *batch
}

// runStaged runs read (which feeds the assembler) on a new goroutine and
// dissects what it produces on this one until it is done.
func (p *pipeline) runStaged(read func()) {
	st := &stager{p: p, full: make(chan *batch, batchesInFlight), free: make(chan *batch, batchesInFlight+1)}
	for range batchesInFlight + 1 {
		st.free <- &batch{ops: make([]op, 0, batchOps), arena: make([]byte, 0, batchBytes)}
	}
	st.cur = <-st.free
	p.stage = st
	p.asm.SetHandler(st)
	go func() {
		defer close(st.full)
		read()
		st.send()
	}()
	for b := range st.full {
		st.replay(b)
		b.ops, b.arena = b.ops[:0], b.arena[:0]
		st.free <- b
	}
	p.asm.SetHandler(p)
	p.stage = nil
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

// call queues fn to run on the dissecting goroutine in order.
func (st *stager) call(fn func()) { st.add(op{kind: opCall, fn: fn}) }

// replay applies a batch on the dissecting goroutine.
func (st *stager) replay(b *batch) {
	p := st.p
	for i := range b.ops {
		o := &b.ops[i]
		switch o.kind {
		case opOpen:
			p.open(o.id, *o.info)
		case opData:
			p.data(o.id, o.dir, o.ts, o.data)
		case opGap:
			p.gap(o.id, o.dir, o.ts, o.n)
		case opEnd:
			p.end(o.id, o.dir, o.ts, o.why)
		case opClose:
			p.close(o.id)
		case opCall:
			o.fn()
		}
		*o = op{} // drop references for the collector
	}
}

// Open implements reassembly.Handler.
func (st *stager) Open(c *reassembly.Conn, ts time.Time) {
	info := connInfo(c)
	st.add(op{kind: opOpen, id: c.ID, ts: ts, info: &info})
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
	st.add(op{kind: opData, id: c.ID, dir: d, ts: ts, data: buf})
}

// Gap implements reassembly.Handler.
func (st *stager) Gap(c *reassembly.Conn, d reassembly.Dir, ts time.Time, missing int) {
	st.add(op{kind: opGap, id: c.ID, dir: d, ts: ts, n: missing})
}

// End implements reassembly.Handler.
func (st *stager) End(c *reassembly.Conn, d reassembly.Dir, ts time.Time, why reassembly.EndReason) {
	st.add(op{kind: opEnd, id: c.ID, dir: d, ts: ts, why: why})
}

// Close implements reassembly.Handler.
func (st *stager) Close(c *reassembly.Conn, ts time.Time) {
	st.add(op{kind: opClose, id: c.ID, ts: ts})
}
