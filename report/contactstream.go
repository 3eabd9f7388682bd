package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/msnsniff/msnsniff/dissect"
)

// ContactsStream writes what WriteContactsTable or WriteContactsJSON would
// write for lists sorted by connection, but as the capture is read: each
// list is rendered on a goroutine of its own when its connection closes,
// and written as soon as every earlier connection has closed. A long
// capture thus neither keeps its lists until the end (memory grows with
// the logins otherwise) nor renders them all after the last packet.
type ContactsStream struct {
	w    *bufio.Writer
	json bool

	in      chan streamedList
	done    chan struct{}
	started bool

	// Owned by the rendering goroutine until done is closed.
	next int
	// waiting holds the lists that wait for an earlier connection, by
	// sequence number; closed marks the connections without a list that
	// closed before their turn (a bit each: at a busy server a login open
	// from start to end holds back every connection after it, hundreds
	// of thousands, nearly all switchboards without a list).
	waiting map[int]heldList
	closed  []uint64
	written int
	err     error

	// Lists held back behind a connection that stays open (a login of
	// hours) are kept in memory up to holdInMemory bytes, and beyond that
	// in a temporary file, so memory stays bounded whatever the capture.
	held         int
	holdInMemory int
	spill        *os.File
	spillEnd     int64
}

// heldList is a rendered list waiting for earlier connections: in memory,
// or n bytes at off in the spill file. A zero heldList stands for a
// connection without a list.
type heldList struct {
	b       []byte
	off     int64
	n       int
	spilled bool
}

// defaultHoldInMemory is how many rendered bytes may wait in memory.
const defaultHoldInMemory = 16 << 20

type streamedList struct {
	seq  int
	list *dissect.ContactList
}

// NewContactsStream returns a stream writing tables (or, with asJSON, one
// JSON array) to w. Nothing is written until the first Add.
func NewContactsStream(w io.Writer, asJSON bool) *ContactsStream {
	return &ContactsStream{w: bufio.NewWriterSize(w, 64<<10), json: asJSON, next: 1, waiting: map[int]heldList{},
		holdInMemory: defaultHoldInMemory}
}

// Add reports that connection number seq (1, 2, 3, … in order of first
// appearance) has closed, with its list, or nil when it has none to show.
// Every number should be added once: lists after a missing number are held
// back (in memory, then in the spill file) until Close. The list must not
// change afterwards.
func (s *ContactsStream) Add(seq int, l *dissect.ContactList) {
	if !s.started {
		s.started = true
		s.in, s.done = make(chan streamedList, 64), make(chan struct{})
		go s.render()
	}
	s.in <- streamedList{seq, l}
}

// Close writes what is still held back, in order, then the end of the
// report, and returns the first write error.
func (s *ContactsStream) Close() error {
	if s.started {
		close(s.in)
		<-s.done
	}
	rest := make([]int, 0, len(s.waiting))
	for seq := range s.waiting {
		rest = append(rest, seq)
	}
	slices.Sort(rest)
	for _, seq := range rest {
		s.emitHeld(s.waiting[seq])
	}
	if s.spill != nil {
		s.spill.Close()
		os.Remove(s.spill.Name())
	}
	switch {
	case s.err != nil:
	case s.json && s.written == 0:
		_, s.err = s.w.WriteString("[]\n")
	case s.json:
		_, s.err = s.w.WriteString("\n]\n")
	case s.written == 0:
		_, s.err = s.w.WriteString("No contact list was synchronised in this capture.\n")
	}
	if err := s.w.Flush(); s.err == nil && err != nil {
		s.err = err
	}
	if s.err != nil {
		return fmt.Errorf("writing contacts: %w", s.err)
	}
	return nil
}

func (s *ContactsStream) render() {
	defer close(s.done)
	var enc *json.Encoder
	var buf bytes.Buffer
	if s.json {
		enc = json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		// The array's elements, as Encode of the whole array with
		// SetIndent("", "  ") writes them.
		enc.SetIndent("  ", "  ")
	}
	for it := range s.in {
		var out []byte
		if it.list != nil && s.err == nil {
			buf.Reset()
			err := it.list.Load()
			switch {
			case err != nil:
			case s.json:
				err = enc.Encode(it.list)
			default:
				err = writeOneList(&buf, it.list)
				if err != nil {
					err = fmt.Errorf("contact list of %s: %w", it.list.Conn, err)
				}
			}
			if err != nil {
				s.err = err
			}
			out = buf.Bytes()
			if s.json {
				out = bytes.TrimSuffix(out, []byte("\n"))
			}
			out = bytes.Clone(out)
		}
		if it.seq != s.next {
			if out == nil {
				s.markClosed(it.seq)
			} else {
				s.waiting[it.seq] = s.hold(out)
			}
			continue
		}
		s.emit(out)
		for s.next++; ; s.next++ {
			if s.isClosed(s.next) {
				continue
			}
			h, ok := s.waiting[s.next]
			if !ok {
				break
			}
			delete(s.waiting, s.next)
			s.emitHeld(h)
		}
	}
}

func (s *ContactsStream) markClosed(seq int) {
	if seq < 0 {
		return
	}
	for len(s.closed) <= seq/64 {
		s.closed = append(s.closed, 0)
	}
	s.closed[seq/64] |= 1 << (seq % 64)
}

func (s *ContactsStream) isClosed(seq int) bool {
	return seq >= 0 && seq/64 < len(s.closed) && s.closed[seq/64]&(1<<(seq%64)) != 0
}

// hold keeps a rendered list until its turn: in memory while there is
// room, else appended to the spill file (in memory after all if the file
// cannot be written: output matters more than the bound).
func (s *ContactsStream) hold(out []byte) heldList {
	if out == nil {
		return heldList{}
	}
	if s.held+len(out) <= s.holdInMemory {
		s.held += len(out)
		return heldList{b: out}
	}
	if s.spill == nil {
		f, err := os.CreateTemp("", "msnsniff-contacts-*")
		if err != nil {
			s.held += len(out)
			return heldList{b: out}
		}
		s.spill = f
	}
	if _, err := s.spill.WriteAt(out, s.spillEnd); err != nil {
		s.held += len(out)
		return heldList{b: out}
	}
	h := heldList{off: s.spillEnd, n: len(out), spilled: true}
	s.spillEnd += int64(len(out))
	return h
}

// emitHeld writes a held list, reading it back from the spill file if
// that is where it waited.
func (s *ContactsStream) emitHeld(h heldList) {
	if !h.spilled {
		s.held -= len(h.b)
		s.emit(h.b)
		return
	}
	b := make([]byte, h.n)
	if _, err := s.spill.ReadAt(b, h.off); err != nil && s.err == nil {
		s.err = fmt.Errorf("reading back held contact lists: %w", err)
		return
	}
	s.emit(b)
}

// emit writes one rendered list (nil for none) after its predecessors.
func (s *ContactsStream) emit(out []byte) {
	if out == nil || s.err != nil {
		return
	}
	var sep string
	switch {
	case s.json && s.written == 0:
		sep = "[\n  "
	case s.json:
		sep = ",\n  "
	case s.written > 0:
		sep = "\n"
	}
	s.written++
	if _, err := s.w.WriteString(sep); err != nil {
		s.err = err
		return
	}
	if _, err := s.w.Write(out); err != nil {
		s.err = err
	}
}
