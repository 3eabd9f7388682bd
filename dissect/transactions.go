package dissect

import (
	"fmt"
	"sort"
	"strconv"
)

// Transaction pairing: a client request carries a TrID, the server's
// replies repeat it (several replies per request, possibly out of order, as
// the real MSNP8 capture shows). A reply whose TrID no request used, and a
// request that never got a reply, are findings.

// request is a client command waiting for, or having had, its reply.
type request struct {
	cmd      string
	line     string
	answered bool
	// optional: a reply may come but need not (MSG U/N).
	optional bool
	used     bool
	trID     uint32
	offset   int64
}

// neverAnswered is the finding for r: "XFR 9 (XFR 9 SB) was never
// answered". Without fmt: a capture cut short has one for every request
// in flight on every connection.
func (r *request) neverAnswered() string {
	return r.cmd + " " + strconv.FormatUint(uint64(r.trID), 10) + " (" + r.line + ") was never answered"
}

// recentRequests is how many of the latest requests are found without a
// map: TrIDs count up by one, so request n keeps slot n mod recentRequests
// until request n+recentRequests takes it, long after its replies. (A map
// of every request was a twentieth of read json's CPU: a lookup for every
// line, an insertion and an allocation for every request.)
const recentRequests = 16

// requestTable holds a connection's requests: the latest in recent, and
// those pushed out of it still waiting for their reply in older. An
// answered or optional request pushed out is forgotten, as the table's
// cap (maxPending) forgets them first: a reply to it after sixteen newer
// requests counts as a reply to nothing. A recent slot is a TrID and
// flags; only a request still waiting keeps its command, line and offset
// (in waiting), for the finding it may become: a busy server's capture
// holds tens of thousands of idle logins, each with a full ring.
type requestTable struct {
	recent [recentRequests]requestSlot
	// waiting holds the recent requests that wait for a reply (neither
	// answered nor optional), at most one per slot.
	waiting []request
	older   map[uint32]*request
}

// requestSlot is one request of requestTable.recent.
type requestSlot struct {
	trID                     uint32
	used, answered, optional bool
}

// find returns the request with TrID id, or nil (also on a nil table).
// For a recent request answered or optional only trID, answered and
// optional are set; answer marks it answered.
func (t *requestTable) find(id uint32) *request {
	if t == nil {
		return nil
	}
	if sl := &t.recent[id%recentRequests]; sl.used && sl.trID == id {
		if i := t.waitingAt(id); i >= 0 {
			return &t.waiting[i]
		}
		return &request{trID: id, used: true, answered: sl.answered, optional: sl.optional}
	}
	if t.older != nil {
		return t.older[id]
	}
	return nil
}

// waitingAt is the index in waiting of the recent request id, or -1.
func (t *requestTable) waitingAt(id uint32) int {
	for i := range t.waiting {
		if t.waiting[i].trID == id {
			return i
		}
	}
	return -1
}

// answer marks the request with TrID id answered, if it is known.
func (t *requestTable) answer(id uint32) bool {
	if t == nil {
		return false
	}
	if sl := &t.recent[id%recentRequests]; sl.used && sl.trID == id {
		sl.answered = true
		t.dropWaiting(id)
		return true
	}
	if r := t.older[id]; r != nil {
		r.answered, r.line = true, ""
		return true
	}
	return false
}

func (t *requestTable) dropWaiting(id uint32) {
	if i := t.waitingAt(id); i >= 0 {
		last := len(t.waiting) - 1
		t.waiting[i] = t.waiting[last]
		t.waiting[last] = request{}
		t.waiting = t.waiting[:last]
		if last == 0 {
			t.waiting = nil
		}
	}
}

// add records r, moving the request whose slot it takes to older if that
// one still waits for a reply; at the cap, the oldest waiting there is
// returned to be reported as never answered.
func (t *requestTable) add(r request) (evicted *request) {
	r.used = true
	slot := &t.recent[r.trID%recentRequests]
	if old := *slot; old.used && old.trID != r.trID && !old.answered && !old.optional {
		if t.older == nil {
			t.older = map[uint32]*request{}
		}
		if len(t.older) >= maxPending {
			evicted = t.evictOldest()
		}
		moved := *t.find(old.trID)
		t.older[old.trID] = &moved
	}
	if slot.used {
		t.dropWaiting(slot.trID)
	}
	delete(t.older, r.trID) // a reused TrID (reported by the caller)
	*slot = requestSlot{trID: r.trID, used: true, answered: r.answered, optional: r.optional}
	if !r.answered && !r.optional {
		t.waiting = append(t.waiting, r)
	}
	return evicted
}

// evictOldest makes room in older: the answered go first; if that frees
// nothing, the oldest still waiting is removed and returned.
func (t *requestTable) evictOldest() *request {
	var oldest *request
	for id, r := range t.older {
		if r.answered {
			delete(t.older, id)
		} else if oldest == nil || r.offset < oldest.offset {
			oldest = r
		}
	}
	if len(t.older) < maxPending || oldest == nil {
		return nil
	}
	delete(t.older, oldest.trID)
	return oldest
}

// unanswered returns the requests never answered, oldest first.
func (t *requestTable) unanswered() []*request {
	var rs []*request
	for i := range t.waiting {
		rs = append(rs, &t.waiting[i])
	}
	for _, r := range t.older {
		if !r.answered {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].offset < rs[j].offset })
	return rs
}

// maxPending bounds the requests awaiting a reply per connection so a
// client that is never answered cannot grow memory; beyond it the oldest
// waiting request is reported as unanswered and forgotten. maxFindings
// bounds the findings kept per connection; the rest are counted.
const (
	maxPending  = 1024
	maxFindings = 100
)

// txFindings are a connection's transaction findings (at most
// maxFindings, the rest counted in more) and the replies that came before
// any request of their TrID.
type txFindings struct {
	orphans []orphan
	found   []string
	more    int
}

// txf returns the connection's transaction findings, making them.
func (c *Conn) txf() *txFindings {
	if c.tx == nil {
		c.tx = &txFindings{}
	}
	return c.tx
}

// finding records a transaction finding, counting those beyond the cap.
func (c *Conn) finding(s string) {
	tx := c.txf()
	if len(tx.found) < maxFindings {
		tx.found = append(tx.found, s)
	} else {
		tx.more++
	}
}

// expectsReply says whether a client command with a TrID gets a reply.
func expectsReply(m *Message) bool {
	switch m.Cmd {
	case "MSG":
		// U: never acknowledged; N: only NAK on failure.
		return len(m.Args) > 0 && m.Args[0] != "U" && m.Args[0] != "N"
	case "PNG", "OUT":
		return false
	}
	return true
}

// pairRequest records a client request.
func (c *Conn) pairRequest(m *Message) {
	if !m.HasTrID {
		return
	}
	if !c.sawRequest || m.TrID < c.firstTrID {
		c.firstTrID = m.TrID
	}
	c.sawRequest = true
	if c.requests == nil {
		c.requests = new(requestTable)
	}
	if old := c.requests.find(m.TrID); old != nil && !old.answered && !old.optional {
		c.finding(fmt.Sprintf("%s %d (%s) was never answered before the TrID was reused", old.cmd, m.TrID, old.line))
	}
	r := request{cmd: m.Cmd, offset: m.Offset, trID: m.TrID, optional: !expectsReply(m)}
	r.answered = c.adoptOrphans(m.TrID)
	if !r.answered && !r.optional {
		// Only a finding about a request still waiting quotes its line;
		// kept for the others, a login's USR ticket stayed as long as it.
		r.line = m.Line
	}
	if old := c.requests.add(r); old != nil {
		c.finding(old.neverAnswered())
	}
}

// orphan is a server reply whose request has not been seen (yet: with
// reordering in the capture, a request can be delivered after its reply).
type orphan struct {
	trID uint32
	line string
}

// pairReply matches a server message that carries a TrID.
func (c *Conn) pairReply(m *Message) {
	if !m.HasTrID || m.TrID == 0 {
		return // asynchronous: CHL 0, ADL 0, SBS 0, …
	}
	if c.requests.answer(m.TrID) {
		// Kept (not deleted) while more replies with this TrID may follow:
		// ILN after CHG, IRO after ANS, the MSNP2-7 burst after SYN.
		return
	}
	if c.Info.MidStream && (!c.sawRequest || m.TrID < c.firstTrID) {
		return // answers a request sent before the capture started
	}
	if c.sync != nil && c.sync.perList && m.TrID == c.sync.trID {
		return
	}
	if tx := c.txf(); len(tx.orphans) < maxPending {
		tx.orphans = append(tx.orphans, orphan{trID: m.TrID, line: m.Line})
	}
}

// adoptOrphans takes the replies that arrived before a late-delivered
// request with TrID trID, saying whether there were any (it is answered).
func (c *Conn) adoptOrphans(trID uint32) bool {
	if c.tx == nil {
		return false
	}
	answered := false
	kept := c.tx.orphans[:0]
	for _, o := range c.tx.orphans {
		if o.trID == trID {
			answered = true
			continue
		}
		kept = append(kept, o)
	}
	c.tx.orphans = kept
	return answered
}

// flushRequests moves unanswered requests to the findings, oldest first.
func (c *Conn) flushRequests() {
	if c.requests != nil {
		for _, r := range c.requests.unanswered() {
			c.finding(r.neverAnswered())
		}
	}
	c.requests = nil
	if c.tx == nil {
		return
	}
	orphans := c.tx.orphans
	c.tx.orphans = nil
	for _, o := range orphans {
		f := fmt.Sprintf("reply to no request: no client command used TrID %d (%s)", o.trID, o.line)
		if c.stats.GapBytes[ClientToServer] > 0 || c.stats.Skipped[ClientToServer] > 0 {
			f += "; the request may be in a capture gap"
		}
		c.finding(f)
	}
}

// findings returns the transaction findings, with a count of those not kept.
func (c *Conn) findings() []string {
	switch {
	case c.tx == nil:
		return nil
	case c.tx.more == 0:
		return c.tx.found
	}
	return append(c.tx.found, fmt.Sprintf("… and %d more transaction findings", c.tx.more))
}
