package report

import (
	"bufio"
	"encoding/json"
	"io"
	"sync/atomic"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
)

// JSONTimeLayout is RFC 3339 in UTC with microseconds, as every JSON
// record's "ts" is written.
const JSONTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// jsonEvent is the NDJSON record of a gap, a skip or a stream end.
type jsonEvent struct {
	Type    string `json:"type"`
	Conn    string `json:"conn"`
	Session string `json:"session,omitempty"`
	TS      string `json:"ts"`
	Client  string `json:"client"`
	Server  string `json:"server"`
	Dir     string `json:"dir"`
	Bytes   int    `json:"bytes,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Limit   string `json:"limit,omitempty"`
	Offset  int64  `json:"offset"`
}

// jsonMessage is the NDJSON record of a message; trid is null when the
// line has none, args is always an array. It defines the record: the
// encoder (msgEncoder.appendMessage) writes it from the message itself,
// and a test checks that it writes what encoding/json writes for this.
type jsonMessage struct {
	Type           string         `json:"type"`
	Conn           string         `json:"conn"`
	Session        string         `json:"session,omitempty"`
	TS             string         `json:"ts"`
	Client         string         `json:"client"`
	Server         string         `json:"server"`
	Dir            string         `json:"dir"`
	Cmd            string         `json:"cmd"`
	TrID           *uint32        `json:"trid"`
	Args           []string       `json:"args"`
	PayloadLen     *int           `json:"payload_len,omitempty"`
	PayloadMissing int            `json:"payload_missing,omitempty"`
	Fields         dissect.Fields `json:"fields,omitempty"`
	Meaning        string         `json:"meaning,omitempty"`
	Notes          []string       `json:"notes,omitempty"`
	Limit          string         `json:"limit,omitempty"`
	Offset         int64          `json:"offset"`
}

// JSONStream writes one JSON object per event per line (NDJSON), in the
// order events happen, flushing after every record when asked to so that
// consumers such as jq see records as they are produced.
type JSONStream struct {
	w       *bufio.Writer
	enc     *json.Encoder
	flushEv bool
	err     error

	// With Concurrent, records are queued in batches to an encoding
	// goroutine; err then belongs to that goroutine until Flush.
	batch  []record
	queue  chan []record
	free   chan []record
	done   chan struct{}
	failed atomic.Bool

	// line and msgs are the hand-written encoder's scratch space and
	// state (jsonenc.go).
	line []byte
	msgs msgEncoder
	// lastTime was last formatted as lastTS (in tsBuf's space).
	lastTime time.Time
	lastTS   string
	tsBuf    [40]byte
}

// record is a JSON record and the time its "ts" is formatted from (on the
// encoding goroutine when there is one: formatting is part of the work).
type record struct {
	v    any
	ts   *string
	time time.Time
	// msg, when set, is a message event, written by the encoder straight
	// from the message: the message is not changed once emitted, but its
	// connection's session may be, so that is taken when queued.
	msg     *dissect.Event
	session string
}

// recordBatch is how many records go to the encoding goroutine at once.
const recordBatch = 256

// NewJSONStream returns a JSONStream writing to w. With flushEach, every
// record is flushed at once (live use); otherwise call Flush at the end.
func NewJSONStream(w io.Writer, flushEach bool) *JSONStream {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &JSONStream{w: bw, enc: enc, flushEv: flushEach}
}

// Concurrent moves the encoding of records to a goroutine of its own, fed
// in order, so that encoding overlaps with the dissection producing the
// events; the output is the same. Records are complete snapshots when
// queued: later changes to connection state do not reach them. Call Flush
// once at the end, which waits for the encoder. Not for flushEach streams.
func (j *JSONStream) Concurrent() {
	if j.flushEv || j.queue != nil {
		return
	}
	j.queue, j.free, j.done = make(chan []record, 4), make(chan []record, 6), make(chan struct{})
	for range 5 {
		j.free <- make([]record, 0, recordBatch)
	}
	j.batch = <-j.free
	go func() {
		defer close(j.done)
		for b := range j.queue {
			for i := range b {
				if j.err == nil {
					j.write(b[i])
				}
				b[i] = record{}
			}
			if j.err != nil {
				j.failed.Store(true)
			}
			j.free <- b[:0]
		}
	}()
}

// put encodes r now or queues it for the encoding goroutine.
func (j *JSONStream) put(r record) {
	if j.queue == nil {
		if j.err == nil {
			j.write(r)
		}
		return
	}
	if j.failed.Load() {
		return
	}
	j.batch = append(j.batch, r)
	if len(j.batch) == recordBatch {
		j.queue <- j.batch
		j.batch = <-j.free
	}
}

// write formats the record's time and encodes it.
func (j *JSONStream) write(r record) {
	if r.msg != nil || r.ts != nil {
		// Records come in time order, several to a packet: the last
		// formatted time is often the one needed.
		if !r.time.Equal(j.lastTime) || j.lastTS == "" {
			j.lastTime, j.lastTS = r.time, string(appendJSONTime(j.tsBuf[:0], r.time))
		}
		if r.ts != nil {
			*r.ts = j.lastTS
		}
	}
	switch v := r.v.(type) {
	case nil: // a message event (r.msg)
		ev := r.msg
		h := recordHead{typ: "message", conn: ev.Conn.ID, session: r.session, ts: j.lastTS,
			client: ev.Conn.Client, server: ev.Conn.Server, dir: ev.Dir.String()}
		j.line, j.err = j.msgs.appendMessage(j.line[:0], &h, ev.Message)
		if j.err == nil {
			_, j.err = j.w.Write(append(j.line, '\n'))
		}
	case *jsonEvent:
		j.line = appendEvent(j.line[:0], v)
		_, j.err = j.w.Write(append(j.line, '\n'))
	case *jsonConnection:
		j.line = appendConnection(j.line[:0], v)
		_, j.err = j.w.Write(append(j.line, '\n'))
	default:
		j.err = j.enc.Encode(r.v)
	}
	if j.err == nil && j.flushEv {
		j.err = j.w.Flush()
	}
}

// FormatTime renders a timestamp as the JSON records do.
func FormatTime(t time.Time) string { return string(appendJSONTime(nil, t)) }

// appendJSONTime appends what FormatTime returns, without the generic
// layout interpreter for the years it can write as four digits.
func appendJSONTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, JSONTimeLayout)
	}
	hour, minute, sec := t.Clock()
	digits := func(b []byte, v, n int) []byte {
		for i := n - 1; i >= 0; i-- {
			b = append(b, 0)
		}
		for i := len(b) - 1; i >= len(b)-n; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
		return b
	}
	b = digits(b, year, 4)
	b = append(b, '-')
	b = digits(b, int(month), 2)
	b = append(b, '-')
	b = digits(b, day, 2)
	b = append(b, 'T')
	b = digits(b, hour, 2)
	b = append(b, ':')
	b = digits(b, minute, 2)
	b = append(b, ':')
	b = digits(b, sec, 2)
	b = append(b, '.')
	b = digits(b, t.Nanosecond()/1000, 6)
	return append(b, 'Z')
}

// Event implements dissect.Sink.
func (j *JSONStream) Event(ev *dissect.Event) {
	if ev.Kind == dissect.KindSummary {
		r := newJSONConnection(ev)
		j.put(record{v: r})
		return
	}
	if ev.Kind == dissect.KindMessage {
		if ev != ev.Message.Event() {
			// A copy of the event, which may not outlive the call; the
			// event in the message lives as long as the message does.
			c, ci := *ev, *ev.Conn
			c.Conn = &ci
			ev = &c
		}
		j.put(record{msg: ev, session: ev.Conn.Session, time: ev.Time})
		return
	}
	r := &jsonEvent{
		Type: ev.Kind.String(), Conn: ev.Conn.ID, Session: ev.Conn.Session,
		Client: ev.Conn.Client, Server: ev.Conn.Server, Dir: ev.Dir.String(),
		Bytes: ev.Bytes, Reason: ev.Reason, Limit: ev.Limit, Offset: ev.Offset,
	}
	j.put(record{v: r, ts: &r.TS, time: ev.Time})
}

// Flush writes buffered records and returns the first write error. With
// Concurrent, it first waits for every queued record to be encoded.
func (j *JSONStream) Flush() error {
	if j.queue != nil {
		if len(j.batch) > 0 {
			j.queue <- j.batch
		}
		close(j.queue)
		<-j.done
		j.queue, j.batch = nil, nil
	}
	if j.err != nil {
		return j.err
	}
	return j.w.Flush()
}

// jsonProblem is the NDJSON record of a run-level finding about an input.
type jsonProblem struct {
	Type    string `json:"type"`
	File    string `json:"file"`
	Offset  int64  `json:"offset"`
	Frame   int    `json:"frame,omitempty"`
	Fatal   bool   `json:"fatal"`
	Message string `json:"message"`
}

// Problem writes a run-level finding about an input as a record of type
// "input_error" (the rest of that input was not read) or "input_warning".
func (j *JSONStream) Problem(file string, offset int64, frame int, msg string, fatal bool) {
	typ := "input_warning"
	if fatal {
		typ = "input_error"
	}
	j.put(record{v: &jsonProblem{Type: typ, File: file, Offset: offset, Frame: frame, Fatal: fatal, Message: msg}})
}

// perDir is a value for each direction.
type perDir[T any] struct {
	C2S T `json:"c2s"`
	S2C T `json:"s2c"`
}

func both[T any](v [2]T) perDir[T] { return perDir[T]{C2S: v[0], S2C: v[1]} }

// jsonConnection is the NDJSON record that closes a connection.
type jsonConnection struct {
	Type             string         `json:"type"`
	Conn             string         `json:"conn"`
	TS               string         `json:"ts"`
	Client           string         `json:"client"`
	Server           string         `json:"server"`
	Start            string         `json:"start"`
	MidStream        bool           `json:"mid_stream"`
	Role             string         `json:"role"`
	Session          string         `json:"session,omitempty"`
	Parent           string         `json:"parent,omitempty"`
	Protocol         string         `json:"protocol"`
	ProtocolInferred bool           `json:"protocol_inferred"`
	ProtocolSource   string         `json:"protocol_source"`
	User             string         `json:"user"`
	Messages         perDir[int]    `json:"messages"`
	Bytes            perDir[int]    `json:"bytes"`
	GapBytes         perDir[int]    `json:"gap_bytes"`
	SkippedBytes     perDir[int]    `json:"skipped_bytes"`
	End              perDir[string] `json:"end"`
	// Unanswered lists requests never answered and replies to nothing.
	Unanswered []string `json:"unanswered,omitempty"`
	NotMSNP    bool     `json:"not_msnp,omitempty"`
}

func newJSONConnection(ev *dissect.Event) *jsonConnection {
	s := ev.Summary
	return &jsonConnection{
		Type: "connection", Conn: ev.Conn.ID, TS: FormatTime(ev.Time),
		Client: ev.Conn.Client, Server: ev.Conn.Server, Start: FormatTime(ev.Conn.Start),
		MidStream: ev.Conn.MidStream, Role: string(s.Role), Session: s.Session, Parent: s.Parent,
		Unanswered: s.Unanswered, NotMSNP: s.NotMSNP, Protocol: s.Protocol, ProtocolInferred: s.ProtocolInferred, ProtocolSource: s.ProtocolSource,
		User: s.User, Messages: both(s.Messages), Bytes: both(s.Bytes),
		GapBytes: both(s.GapBytes), SkippedBytes: both(s.Skipped), End: both(s.Ends),
	}
}

// jsonLimit is the NDJSON record of a limit that was hit.
type jsonLimit struct {
	Type      string `json:"type"`
	Limit     string `json:"limit"`
	Count     int    `json:"count"`
	FirstConn string `json:"first_conn"`
	FirstTS   string `json:"first_ts"`
}

// Limit writes a record of type "limit": which limit (as its flag name)
// was hit, how often, and where first.
func (j *JSONStream) Limit(name string, count int, firstConn string, first time.Time) {
	r := &jsonLimit{Type: "limit", Limit: name, Count: count, FirstConn: firstConn}
	j.put(record{v: r, ts: &r.FirstTS, time: first})
}
