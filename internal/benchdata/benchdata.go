// Package benchdata builds the inputs of the per-stage benchmarks once per
// process: a capture from the workload generator (internal/workload), its
// decoded TCP segments, the byte streams the reassembler rebuilds from it,
// and the events the dissector emits for those streams. Each stage can then
// be timed on realistic traffic without paying for the stages before it.
//
// Everything is cached by capture size and deterministic (seed 1, 200
// concurrent sessions, no impairments). The helpers panic if the generator
// or a stage fails: benchmark inputs that cannot be built are a bug, not a
// condition to handle. Callers must not modify what they are given.
package benchdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/internal/workload"
	"github.com/msnsniff/msnsniff/reassembly"
)

// DefaultSize is the capture size the stage benchmarks use: 16 MiB, large
// enough that the traffic mix is the generator's steady state (logins,
// contact lists, presence, chats, P2P), small enough that the capture, its
// streams and its events fit comfortably in memory.
const DefaultSize = 16 << 20

// Seed and Sessions are the workload.Config values every capture here is
// generated with.
const (
	Seed     = 1
	Sessions = 200
)

// IdleTimeout is the reassembler's idle timeout, cmd/msnsniff's default,
// used to rebuild the streams.
const IdleTimeout = 2 * time.Hour

// MaxPendingTotal is cmd/msnsniff's default --max-pending-total, the limit
// of the dissect.Budget that PipelineOptions returns.
const MaxPendingTotal = 256 << 20

// entry holds everything built for one capture size; each part is built
// on first use.
type entry struct {
	size int64

	captureOnce sync.Once
	capture     []byte

	segmentsOnce sync.Once
	segments     []reassembly.Segment

	streamsOnce sync.Once
	streams     []Stream
	order       []Step

	eventsOnce sync.Once
	events     []*dissect.Event
}

var (
	mu    sync.Mutex
	cache = map[int64]*entry{}
)

// get returns the cache entry for size, creating it if needed.
func get(size int64) *entry {
	if size <= 0 {
		panic(fmt.Sprintf("benchdata: capture size %d is not positive", size))
	}
	mu.Lock()
	defer mu.Unlock()
	e := cache[size]
	if e == nil {
		e = &entry{size: size}
		cache[size] = e
	}
	return e
}

// Capture returns a classic little-endian Ethernet pcap of about size bytes
// (the generator stops at the first packet boundary at or beyond size) of
// realistic MSNP traffic: workload.Generate with seed Seed and Sessions
// concurrent visits.
func Capture(size int64) []byte {
	e := get(size)
	e.captureOnce.Do(func() {
		var buf bytes.Buffer
		buf.Grow(int(size) + 64<<10)
		if _, err := workload.Generate(&buf, workload.Config{Seed: Seed, Size: size, Sessions: Sessions}); err != nil {
			panic(fmt.Sprintf("benchdata: generating a %d-byte capture: %v", size, err))
		}
		e.capture = buf.Bytes()
	})
	return e.capture
}

// Segments returns the TCP segments of Capture(size), decoded by
// capture.Reader and converted to reassembly.Segment the way cmd/msnsniff
// does, with payloads copied out of the reader's buffer so they stay valid.
func Segments(size int64) []reassembly.Segment {
	e := get(size)
	e.segmentsOnce.Do(func() {
		var a arena
		eachSegment(Capture(size), func(s *reassembly.Segment) {
			s.Payload = a.copy(s.Payload)
			e.segments = append(e.segments, *s)
		})
	})
	return e.segments
}

// eachSegment reads every TCP segment of the pcap in data and calls fn with
// it as a reassembly.Segment whose Payload aliases the reader's buffer
// (valid only during the call). It panics if the capture is damaged.
func eachSegment(data []byte, fn func(*reassembly.Segment)) time.Time {
	r, err := capture.NewReader("benchdata.pcap", bytes.NewReader(data))
	if err != nil {
		panic(fmt.Sprintf("benchdata: opening the capture: %v", err))
	}
	defer r.Close()
	var last time.Time
	for {
		s, err := r.Next()
		if errors.Is(err, io.EOF) {
			return last
		}
		if err != nil {
			panic(fmt.Sprintf("benchdata: reading the capture: %v", err))
		}
		seg := reassembly.Segment{
			Timestamp: s.Timestamp, Src: s.Src, Dst: s.Dst, Seq: s.Seq,
			SYN: s.Flags&capture.SYN != 0, FIN: s.Flags&capture.FIN != 0, RST: s.Flags&capture.RST != 0,
			Payload: s.Payload,
		}
		fn(&seg)
		last = s.Timestamp
	}
}

// ChunkKind says which reassembly.Handler call a Chunk records.
type ChunkKind uint8

// Kinds of chunks.
const (
	// ChunkData is a Handler.Data call: Chunk.Data holds the bytes.
	ChunkData ChunkKind = iota
	// ChunkGap is a Handler.Gap call: Chunk.Missing bytes never arrived.
	ChunkGap
	// ChunkEnd is a Handler.End call: the direction ended for Chunk.Reason.
	ChunkEnd
)

// Chunk is one call the reassembler made for one direction of a
// connection.
type Chunk struct {
	// Kind says which call this was.
	Kind ChunkKind
	// Dir is the direction, already converted to the dissector's type.
	Dir dissect.Dir
	// Time is the timestamp the reassembler passed.
	Time time.Time
	// Data holds the delivered bytes of a ChunkData (a private copy).
	Data []byte
	// Missing is the size of a ChunkGap.
	Missing int
	// Reason is why a ChunkEnd direction ended.
	Reason reassembly.EndReason
}

// Stream is one TCP connection of the capture as the reassembler delivered
// it: its identity and its Data, Gap and End calls in the order they were
// made (both directions interleaved).
type Stream struct {
	// ID is the reassembler's connection number (reassembly.Conn.ID).
	ID int
	// Client and Server are the endpoints as "ip:port".
	Client, Server string
	// Start is the time of the connection's first segment.
	Start time.Time
	// MidStream reports that the client's SYN was not captured.
	MidStream bool
	// Chunks are the calls for this connection, in order.
	Chunks []Chunk
	// Bytes is the total of the Data of all chunks.
	Bytes int64
}

// Info returns the dissect.ConnInfo cmd/msnsniff builds for this
// connection (its ID is "c" and the connection number).
func (s *Stream) Info() dissect.ConnInfo {
	return dissect.ConnInfo{ID: "c" + strconv.Itoa(s.ID), Client: s.Client, Server: s.Server, Start: s.Start, MidStream: s.MidStream}
}

// Step is one reassembler callback in the order of the whole capture:
// Streams[Stream].Chunks[Chunk], or the opening of Streams[Stream] when
// Chunk is negative. Replaying the steps in order reproduces exactly the
// interleaving of connections the pipeline sees, which matters to the
// dissector's session tracker.
type Step struct {
	Stream, Chunk int32
}

// Streams returns the connections of Capture(size), rebuilt by capture and
// reassembly (reassembly.Config with cmd/msnsniff's defaults, flushed at
// the last timestamp like the pipeline does), in order of opening.
func Streams(size int64) []Stream {
	e := get(size)
	e.buildStreams()
	return e.streams
}

// Order returns the delivery order of the calls recorded in Streams(size)
// across all connections.
func Order(size int64) []Step {
	e := get(size)
	e.buildStreams()
	return e.order
}

// StreamBytes returns the total Data bytes of streams: what a dissect
// benchmark processes per replay.
func StreamBytes(streams []Stream) int64 {
	var n int64
	for i := range streams {
		n += streams[i].Bytes
	}
	return n
}

func (e *entry) buildStreams() {
	e.streamsOnce.Do(func() {
		rec := &recorder{index: map[int]int32{}}
		asm := reassembly.New(reassembly.Config{IdleTimeout: IdleTimeout}, rec)
		last := eachSegment(Capture(e.size), asm.Add)
		asm.Flush(last)
		e.streams, e.order = rec.streams, rec.order
	})
}

// recorder is a reassembly.Handler that records every call.
type recorder struct {
	streams []Stream
	order   []Step
	index   map[int]int32 // reassembly.Conn.ID → index in streams
	arena   arena
}

func (r *recorder) add(c *reassembly.Conn, ch Chunk) {
	i, ok := r.index[c.ID]
	if !ok {
		panic(fmt.Sprintf("benchdata: reassembler call for connection %d before its Open", c.ID))
	}
	s := &r.streams[i]
	s.Chunks = append(s.Chunks, ch)
	s.Bytes += int64(len(ch.Data))
	r.order = append(r.order, Step{Stream: i, Chunk: int32(len(s.Chunks) - 1)})
}

// Open implements reassembly.Handler.
func (r *recorder) Open(c *reassembly.Conn, ts time.Time) {
	i := int32(len(r.streams))
	r.index[c.ID] = i
	r.streams = append(r.streams, Stream{ID: c.ID, Client: c.Client.String(), Server: c.Server.String(), Start: c.Start, MidStream: c.MidStream})
	r.order = append(r.order, Step{Stream: i, Chunk: -1})
}

// Data implements reassembly.Handler.
func (r *recorder) Data(c *reassembly.Conn, d reassembly.Dir, ts time.Time, data []byte) {
	r.add(c, Chunk{Kind: ChunkData, Dir: dir(d), Time: ts, Data: r.arena.copy(data)})
}

// Gap implements reassembly.Handler.
func (r *recorder) Gap(c *reassembly.Conn, d reassembly.Dir, ts time.Time, missing int) {
	r.add(c, Chunk{Kind: ChunkGap, Dir: dir(d), Time: ts, Missing: missing})
}

// End implements reassembly.Handler.
func (r *recorder) End(c *reassembly.Conn, d reassembly.Dir, ts time.Time, why reassembly.EndReason) {
	r.add(c, Chunk{Kind: ChunkEnd, Dir: dir(d), Time: ts, Reason: why})
}

// Close implements reassembly.Handler.
func (r *recorder) Close(c *reassembly.Conn, ts time.Time) {
	delete(r.index, c.ID)
}

func dir(d reassembly.Dir) dissect.Dir {
	if d == reassembly.ClientToServer {
		return dissect.ClientToServer
	}
	return dissect.ServerToClient
}

// PipelineOptions returns the dissect.Options of `msnsniff read --format
// json` with its default flags: default limits, secrets redacted, no chat
// logs, payloads only decoded (not kept for the sink), and a fresh Tracker
// and Budget (so call it once per replay).
func PipelineOptions() dissect.Options {
	return dissect.Options{
		Limits:            dissect.DefaultLimits,
		Tracker:           dissect.NewTracker(),
		Budget:            &dissect.Budget{Limit: MaxPendingTotal},
		TransientPayloads: true,
	}
}

// Replay feeds streams, in the given order (from Order), to new
// dissect.Conns made with opts and sink, making the same calls as
// cmd/msnsniff's pipeline: NewConn at Open, then Data, Gap and End (a
// direction still open at the end of the capture ends at the connection's
// last activity). A Conn is dropped once both its directions have ended.
func Replay(streams []Stream, order []Step, opts dissect.Options, sink dissect.Sink) {
	setup := dissect.NewSetup(opts, sink)
	conns := make([]*dissect.Conn, len(streams))
	ended := make([]uint8, len(streams))
	for _, st := range order {
		s := &streams[st.Stream]
		if st.Chunk < 0 {
			conns[st.Stream] = setup.NewConn(s.Info())
			continue
		}
		dc := conns[st.Stream]
		if dc == nil {
			continue
		}
		ch := &s.Chunks[st.Chunk]
		switch ch.Kind {
		case ChunkData:
			dc.Data(ch.Dir, ch.Time, ch.Data)
		case ChunkGap:
			dc.Gap(ch.Dir, ch.Time, ch.Missing)
		case ChunkEnd:
			ts := ch.Time
			if ch.Reason == reassembly.EndFlush && dc.LastSeen().Before(ts) {
				ts = dc.LastSeen()
			}
			dc.End(ch.Dir, ts, ch.Reason.String())
			if ended[st.Stream]++; ended[st.Stream] == 2 {
				conns[st.Stream] = nil
			}
		}
	}
}

// Events returns every event the dissector emits for Streams(size),
// replayed with PipelineOptions: the input of the report benchmarks.
func Events(size int64) []*dissect.Event {
	e := get(size)
	e.eventsOnce.Do(func() {
		var evs []*dissect.Event
		Replay(Streams(size), Order(size), PipelineOptions(), dissect.SinkFunc(func(ev *dissect.Event) {
			evs = append(evs, ev)
		}))
		e.events = evs
	})
	return e.events
}

// arena hands out copies of byte slices carved from large blocks, so that
// holding hundreds of thousands of small payloads costs few allocations.
type arena struct {
	block []byte
}

const arenaBlock = 1 << 20

// copy returns a copy of p (nil for an empty p).
func (a *arena) copy(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	if len(p) > arenaBlock/4 {
		return append([]byte(nil), p...)
	}
	if len(p) > cap(a.block)-len(a.block) {
		a.block = make([]byte, 0, arenaBlock)
	}
	n := len(a.block)
	a.block = append(a.block, p...)
	return a.block[n:len(a.block):len(a.block)]
}
