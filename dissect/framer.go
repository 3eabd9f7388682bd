package dissect

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"time"
)

// Limits bound what the framer holds for one stream. A line or payload
// beyond a limit is reported on the message and the framer resynchronises;
// nothing is buffered beyond MaxLine+MaxPayload per direction.
type Limits struct {
	// MaxLine is the longest command line accepted, without its terminator.
	MaxLine int
	// MaxPayload is the largest payload accepted.
	MaxPayload int
}

// DefaultLimits are the caps framing.md §6 recommends: 16 KiB per command
// line (USR TWN tickets and MSNObject lines reach 2 KiB) and 1 MiB per
// payload (the switchboard limit is 1664 bytes; P2P data is chunked).
var DefaultLimits = Limits{MaxLine: 16 << 10, MaxPayload: 1 << 20}

func (l Limits) withDefaults() Limits {
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultLimits.MaxLine
	}
	if l.MaxPayload <= 0 {
		l.MaxPayload = DefaultLimits.MaxPayload
	}
	return l
}

// payloadKind says what follows a command line.
type payloadKind uint8

const (
	noPayload payloadKind = iota
	// fixedPayload: exactly n bytes follow the line.
	fixedPayload
	// probePayload: n bytes follow unless the bytes after the line read as
	// a command line (a pre-MSNP13 error with a numeric second parameter,
	// framing.md §2: consume only if what follows is not a command).
	probePayload
)

// framerHost is the connection state the framer consults: it turns a line
// into a message (deciding TrID and payload from the catalogue and the
// dialect), receives finished messages and skip reports.
type framerHost interface {
	parseLine(dir Dir, line []byte, off int64) (*Message, payloadKind, int)
	plausible(dir Dir, line []byte) bool
	finish(dir Dir, m *Message, ts time.Time)
	// wantPayload says whether m's payload is worth keeping; when not, it
	// is counted and skipped.
	wantPayload(m *Message) bool
	skipped(dir Dir, off int64, ts time.Time, n int, reason, limit string)
}

type tsMark struct {
	off int64
	ts  time.Time
}

// framer turns one direction's byte stream into messages, incrementally:
// it stops when a line or payload is incomplete and resumes on more data.
type framer struct {
	dir  Dir
	lim  Limits
	host framerHost

	buf []byte // buffered bytes; buf[r:] is unread
	r   int
	off int64 // stream offset of buf[r]
	// own is the framer's storage. Between feeds buf is own; during a feed
	// that found nothing buffered, buf is the caller's bytes, framed where
	// they are, and only what is left over is copied to own.
	own []byte

	marks []tsMark // arrival time of the chunks still (partly) in buf

	// pend is a framed line whose payload is still arriving.
	pend     *Message
	pendKind payloadKind
	need     int // payload bytes still expected
	pendTS   time.Time
	// discard is set when the pending payload is counted but not kept.
	discard bool
	budget  *Budget
	// held is what the pending payload has taken from the budget.
	held int
	// transient: payloads are needed only while their message is decoded
	// (Options.TransientPayloads), so one that is all in buf is read where
	// it is; waiting says the pending payload's bytes are left in buf
	// until the last arrives, instead of being copied as they come.
	transient bool
	waiting   bool

	// rs is set while looking for the next plausible command line: a
	// state of its own, as framing is rarely lost (and a framer that
	// holds one is not parked: Conn.park).
	rs *resyncState

	ended bool
}

// maxWaitPayload is the largest payload left in the buffer until complete
// (transient payloads only): every switchboard message and nearly every
// notification server payload; larger ones are copied as they arrive.
const maxWaitPayload = 64 << 10

// Budget bounds the payload buffers (their capacity) held by all
// connections together: a capture of many connections each announcing a
// 1 MiB payload it never completes would otherwise hold MaxPayload per
// direction per connection. Share one Budget across the Conns of a run
// (Options.Budget); it is safe for concurrent use by the Conns of
// several goroutines.
type Budget struct {
	// Limit is the most payload bytes held at once; 0 means no limit.
	Limit int64
	held  atomic.Int64
	peak  atomic.Int64
}

// Peak returns the most payload bytes ever held at once.
func (b *Budget) Peak() int64 { return b.peak.Load() }

// tryTake takes n more bytes unless that would exceed the limit.
func (b *Budget) tryTake(n int) bool {
	if b == nil {
		return true
	}
	for {
		held := b.held.Load()
		if b.Limit > 0 && held+int64(n) > b.Limit {
			return false
		}
		if b.held.CompareAndSwap(held, held+int64(n)) {
			for p := b.peak.Load(); held+int64(n) > p && !b.peak.CompareAndSwap(p, held+int64(n)); p = b.peak.Load() {
			}
			return true
		}
	}
}

func (b *Budget) release(n int) {
	if b != nil {
		b.held.Add(-int64(n))
	}
}

// feed adds bytes that arrived at ts and frames as much as possible.
func (f *framer) feed(data []byte, ts time.Time) {
	if len(data) == 0 || f.ended {
		return
	}
	f.marks = append(f.marks, tsMark{off: f.off + int64(len(f.buf)-f.r), ts: ts})
	if f.r == len(f.buf) {
		// Nothing buffered (the usual case): frame data in place rather
		// than copying every byte into the buffer first.
		f.buf, f.r = data, 0
		f.run()
		f.keep()
		return
	}
	if f.r > 4096 && f.r > len(f.buf)/2 {
		n := copy(f.buf, f.buf[f.r:])
		f.buf, f.r = f.buf[:n], 0
	}
	f.buf = append(f.buf, data...)
	f.run()
	if f.r == len(f.buf) {
		// All framed: only a small buffer is held for the next bytes
		// (see keep).
		f.own = reusable(f.buf)
		f.buf, f.r = f.own, 0
	}
}

// keep copies the unread rest of the caller's bytes to the framer's own
// storage at the end of an in-place feed: the caller may reuse them.
func (f *framer) keep() {
	u := f.buf[f.r:]
	if len(u) == 0 {
		// Nothing left over: hold no large buffer for a connection that
		// may now idle for hours, as thousands of logins at a server do
		// (a small one goes back with the parked framer).
		f.own = reusable(f.own)
	}
	f.own = append(f.own[:0], u...)
	f.buf, f.r = f.own, 0
}

// tsAt returns the arrival time of the byte at stream offset off.
func (f *framer) tsAt(off int64) time.Time {
	i := len(f.marks) - 1
	for i > 0 && f.marks[i].off > off {
		i--
	}
	if i < 0 {
		return time.Time{}
	}
	return f.marks[i].ts
}

// consume drops n unread bytes and the time marks no longer needed.
func (f *framer) consume(n int) {
	f.r += n
	f.off += int64(n)
	k := 0
	for k+1 < len(f.marks) && f.marks[k+1].off <= f.off {
		k++
	}
	if k > 0 {
		f.marks = append(f.marks[:0], f.marks[k:]...)
	}
}

func (f *framer) unread() []byte { return f.buf[f.r:] }

// resyncState is what resynchronising keeps: the full checks left for
// candidates on the current line, and the run of bytes skipped so far
// (none yet when n is 0): why, which limit caused it, where and when it
// started.
type resyncState struct {
	probes        int
	reason, limit string
	n             int
	off           int64
	ts            time.Time
}

// startResync switches to scanning for the next plausible command line.
func (f *framer) startResync(reason string) { f.startResyncLimit(reason, "") }

// startResyncLimit is startResync for a skip caused by a limit (named as
// its flag), so the skip event says which limit was hit.
func (f *framer) startResyncLimit(reason, limit string) {
	if f.rs == nil {
		f.rs = &resyncState{reason: reason, limit: limit}
	}
}

// skip drops n unread bytes as garbage while resynchronising (it starts
// resynchronising if that was not done).
func (f *framer) skip(n int) {
	if n <= 0 {
		return
	}
	f.startResync("unframed bytes")
	rs := f.rs
	if rs.n == 0 {
		rs.off = f.off
		rs.ts = f.tsAt(f.off)
	}
	rs.n += n
	f.consume(n)
}

// reportSkip emits the bytes skipped so far, if any.
func (f *framer) reportSkip() {
	if rs := f.rs; rs != nil && rs.n > 0 {
		f.host.skipped(f.dir, rs.off, rs.ts, rs.n, rs.reason, rs.limit)
		rs.n = 0
	}
}

// run frames complete messages until more bytes are needed.
func (f *framer) run() {
	for {
		if f.pend != nil {
			if !f.fillPayload() {
				return
			}
			continue
		}
		if f.rs != nil {
			if !f.scan() {
				return
			}
			continue
		}
		if !f.readLine() {
			return
		}
	}
}

// fillPayload moves bytes into the pending message's payload; it reports
// whether the message was finished.
func (f *framer) fillPayload() bool {
	u := f.unread()
	if f.pendKind == probePayload {
		if len(u) < 4 && !f.ended {
			return false
		}
		if f.ended || looksLikeCommandStart(u) {
			f.pend.HasPayload = false
			f.pend.Note(fmt.Sprintf("second parameter %d read as a payload length would swallow the next command; no payload taken", f.need))
			f.finishPending()
			return true
		}
		f.pend.Note("error line with a payload before MSNP13")
		f.pendKind = fixedPayload
	}
	if f.transient && !f.discard && len(f.pend.Payload) == 0 {
		if len(u) >= f.need {
			// All here: the decoder reads it in place.
			f.pend.Payload = u[:f.need:f.need]
			f.pend.payloadRead += f.need
			f.consume(f.need)
			f.need = 0
			f.finishPending()
			return true
		}
		// Leave the bytes in the buffer until the last arrives, holding
		// the whole payload against the budget meanwhile.
		if !f.ended && (f.waiting || f.need <= maxWaitPayload && f.budget.tryTake(f.need)) {
			if !f.waiting {
				f.waiting, f.held = true, f.need
			}
			return false
		}
		f.stopWaiting()
	}
	return f.copyPayload()
}

// stopWaiting returns what a waiting payload held to the budget; its bytes
// are then copied as they come.
func (f *framer) stopWaiting() {
	if f.waiting {
		f.budget.release(f.held)
		f.held, f.waiting = 0, false
	}
}

// copyPayload moves the unread bytes of the pending payload into a buffer
// of its own; it reports whether the message was finished.
func (f *framer) copyPayload() bool {
	u := f.unread()
	k := min(f.need, len(u))
	if p := f.pend.Payload; !f.discard && len(p)+k > cap(p) {
		// Grow by doubling, never past the declared length, and charge the
		// whole new capacity to the budget: what is allocated is what
		// counts, not what is filled.
		newCap := min(max(2*cap(p), len(p)+k, 512), len(p)+f.need)
		if !f.budget.tryTake(newCap - cap(p)) {
			// The total buffer limit: count the rest of this payload
			// without keeping it, so framing stays exact and memory bounded.
			f.discard = true
			f.budget.release(f.held)
			f.held = 0
			f.pend.Note(fmt.Sprintf("payload of %d bytes not kept: the total buffer limit (--max-pending-total) was reached", f.pend.PayloadLen))
			f.pend.Limit = "max-pending-total"
			f.pend.Payload = nil
		} else {
			grown := make([]byte, len(p), newCap)
			copy(grown, p)
			f.pend.Payload = grown
			f.held = newCap
		}
	}
	if !f.discard {
		f.pend.Payload = append(f.pend.Payload, u[:k]...)
	}
	f.pend.payloadRead += k
	f.consume(k)
	f.need -= k
	if f.need > 0 {
		return false
	}
	f.finishPending()
	return true
}

func (f *framer) finishPending() {
	m := f.pend
	f.pend = nil
	f.budget.release(f.held)
	f.held, f.waiting, f.discard = 0, false, false
	f.host.finish(f.dir, m, f.pendTS)
}

// readLine frames the next command line; it reports whether progress was
// made.
func (f *framer) readLine() bool {
	u := f.unread()
	if len(u) == 0 {
		return false
	}
	i := bytes.IndexByte(u, '\n')
	if i < 0 {
		// MaxLine bytes and the CR of their CR LF may be here already.
		if len(u) > f.lim.MaxLine+1 || len(u) == f.lim.MaxLine+1 && u[len(u)-1] != '\r' {
			f.startResyncLimit(fmt.Sprintf("no line end within %d bytes (line limit)", f.lim.MaxLine), "max-line")
			return true
		}
		if !f.ended {
			return false
		}
		i = len(u) // an unterminated last line
	}
	if n := i - btoi(i > 0 && i <= len(u) && u[i-1] == '\r'); n > f.lim.MaxLine {
		f.startResyncLimit(fmt.Sprintf("line of %d bytes exceeds the %d-byte line limit", n, f.lim.MaxLine), "max-line")
		return true
	}
	line := u[:i]
	terminated := i < len(u)
	bareLF := false
	if terminated {
		if i > 0 && line[i-1] == '\r' {
			line = line[:i-1]
		} else {
			bareLF = true
		}
	}
	if !commandShape(line) {
		f.startResync("not an MSNP command line")
		return true
	}
	ts := f.tsAt(f.off)
	m, kind, n := f.host.parseLine(f.dir, line, f.off)
	if bareLF {
		m.Note("line ends with a bare LF instead of CR LF")
	}
	if !terminated {
		m.Note("last line of the stream has no line end")
	}
	consumed := i
	if terminated {
		consumed++
	}
	m.WireLen = consumed
	f.consume(consumed)
	if kind == noPayload {
		f.host.finish(f.dir, m, ts)
		return true
	}
	m.HasPayload = true
	m.PayloadLen = n
	if n > f.lim.MaxPayload {
		m.HasPayload = false
		m.Note(fmt.Sprintf("declared payload of %d bytes exceeds the %d-byte payload limit; payload not taken", n, f.lim.MaxPayload))
		m.Limit = "max-payload"
		f.host.finish(f.dir, m, ts)
		f.startResyncLimit("payload over the limit", "max-payload")
		return true
	}
	f.pend, f.pendKind, f.need, f.pendTS = m, kind, n, ts
	f.discard = !f.host.wantPayload(m)
	// The payload buffer is allocated as bytes arrive (fillPayload), so a
	// lying length costs nothing until the bytes are really there.
	return true
}

// scan looks for the next plausible command line in resync mode. It
// reports whether it found one (framing resumes there).
func (f *framer) scan() bool {
	u := f.unread()
	nl := -1 // index in u of the first LF at or after pos, found lazily
	for pos := 0; pos < len(u); pos++ {
		if nl < pos && nl != -2 {
			if j := bytes.IndexByte(u[pos:], '\n'); j >= 0 {
				nl = pos + j
			} else {
				nl = -2 // no LF in the rest of the buffer
			}
			f.rs.probes = maxProbesPerLine
		}
		lf := -1
		if nl >= 0 {
			lf = nl - pos
		}
		switch f.plausibleAt(u[pos:], lf) {
		case verdictYes:
			f.skip(pos)
			f.reportSkip()
			f.rs = nil
			return true
		case verdictMore:
			f.skip(pos)
			return false
		}
	}
	f.skip(len(u))
	return false
}

// maxProbesPerLine bounds the full plausibility checks per line during
// resynchronisation; a real command after garbage is almost always near a
// line start or a payload end, long before this many false candidates.
const maxProbesPerLine = 64

type verdict uint8

const (
	verdictNo verdict = iota
	verdictYes
	verdictMore
)

// plausibleAt says whether b starts with a whole, plausible command line
// (framing.md §7): a known command or an error code in its TrID shape. lf
// is the index of the first LF in b, or -1.
func (f *framer) plausibleAt(b []byte, lf int) verdict {
	if len(b) < 4 {
		if f.ended {
			if len(b) == 3 && commandShape(b) {
				return verdictYes
			}
			return verdictNo
		}
		if !isCmdPrefix(b) {
			return verdictNo
		}
		return verdictMore
	}
	if !looksLikeCommandStart(b) {
		return verdictNo
	}
	i := lf
	if i > f.lim.MaxLine+1 {
		return verdictNo
	}
	if i < 0 {
		if len(b) > f.lim.MaxLine || f.ended {
			return verdictNo
		}
		return verdictMore
	}
	if f.rs.probes <= 0 {
		// Bytes crafted to look like command starts all along one line:
		// stop probing it, so hostile input costs linear time.
		return verdictNo
	}
	f.rs.probes--
	line := bytes.TrimSuffix(b[:i], []byte{'\r'})
	if len(line) > f.lim.MaxLine {
		return verdictNo // readLine would refuse it: never resume on it
	}
	for _, c := range line {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return verdictNo
		}
	}
	if f.host.plausible(f.dir, line) {
		return verdictYes
	}
	return verdictNo
}

// gap records n bytes lost from the stream at the current position.
func (f *framer) gap(n int, ts time.Time) {
	if f.ended || n <= 0 {
		return
	}
	if f.waiting {
		// The bytes before the gap are part of the payload.
		f.stopWaiting()
		f.copyPayload()
	}
	if f.pend != nil && f.pendKind == fixedPayload {
		if n <= f.need {
			// The gap lies inside the payload: the payload's end, and so
			// the next line, is still known exactly.
			f.pend.PayloadMissing += n
			f.need -= n
			f.pend.Note(fmt.Sprintf("%d payload bytes missing (capture gap)", n))
			f.off += int64(n)
			if f.need == 0 {
				f.finishPending()
			}
			return
		}
		f.pend.PayloadMissing += f.need
		f.pend.Note(fmt.Sprintf("%d payload bytes missing (capture gap)", f.need))
		f.off += int64(f.need)
		n -= f.need
		f.need = 0
		f.finishPending()
	} else if f.pend != nil {
		f.pend.HasPayload = false
		f.finishPending()
	}
	if u := f.unread(); len(u) > 0 {
		f.startResync("incomplete line before a capture gap")
		f.skip(len(u))
	}
	f.reportSkip()
	f.rs = nil
	f.startResync("resynchronising after a capture gap")
	f.off += int64(n)
	f.marks = append(f.marks[:0], tsMark{off: f.off, ts: ts})
}

// end flushes the stream: an unterminated last line is framed, an
// incomplete payload is delivered flagged, skipped bytes are reported.
func (f *framer) end() {
	if f.ended {
		return
	}
	f.ended = true
	f.run()
	if f.pend != nil {
		f.pend.PayloadMissing += f.need
		f.pend.Note(fmt.Sprintf("stream ended %d bytes before the end of the declared payload", f.need))
		f.need = 0
		f.finishPending()
	}
	if u := f.unread(); len(u) > 0 {
		f.startResync("unreadable bytes at the end of the stream")
		f.skip(len(u))
	}
	f.reportSkip()
	f.buf, f.own, f.r, f.marks = nil, nil, 0, nil
}

// commandShape reports whether line starts with a three-character command
// (upper-case letters or an error code) followed by a separator or the end.
func commandShape(line []byte) bool {
	if len(line) < 3 || !isCmdPrefix(line[:3]) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t'
}

// looksLikeCommandStart checks the first four bytes of b for a command
// followed by a separator or a line end.
func looksLikeCommandStart(b []byte) bool {
	if len(b) < 4 || !isCmdPrefix(b[:3]) {
		return false
	}
	switch b[3] {
	case ' ', '\r', '\n':
		return true
	}
	return false
}

// isCmdPrefix reports whether b (up to 3 bytes) could begin a command:
// all upper-case letters or all digits.
func isCmdPrefix(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	digits := b[0] >= '0' && b[0] <= '9'
	for _, c := range b[:min(3, len(b))] {
		if digits {
			if c < '0' || c > '9' {
				return false
			}
		} else if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
