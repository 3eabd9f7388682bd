package dissect

import (
	"fmt"
	"sort"
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
	offset   int64
}

// maxPending bounds the requests awaiting a reply per connection so a
// client that is never answered cannot grow memory; beyond it the oldest
// waiting request is reported as unanswered and forgotten. maxFindings
// bounds the findings kept per connection; the rest are counted.
const (
	maxPending  = 1024
	maxFindings = 100
)

// finding records a transaction finding, counting those beyond the cap.
func (c *Conn) finding(s string) {
	if len(c.unanswered) < maxFindings {
		c.unanswered = append(c.unanswered, s)
	} else {
		c.moreFindings++
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
		c.requests = map[uint32]*request{}
	}
	if old, ok := c.requests[m.TrID]; ok && !old.answered && !old.optional {
		c.finding(fmt.Sprintf("%s %d (%s) was never answered before the TrID was reused", old.cmd, m.TrID, old.line))
	}
	if len(c.requests) >= maxPending {
		c.evictOldestRequest()
	}
	r := &request{cmd: m.Cmd, line: m.Line, offset: m.Offset, optional: !expectsReply(m)}
	c.requests[m.TrID] = r
	c.adoptOrphans(r, m.TrID)
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
	if r, ok := c.requests[m.TrID]; ok {
		// Kept (not deleted) while more replies with this TrID may follow:
		// ILN after CHG, IRO after ANS, the MSNP2-7 burst after SYN.
		r.answered = true
		return
	}
	if c.Info.MidStream && (!c.sawRequest || m.TrID < c.firstTrID) {
		return // answers a request sent before the capture started
	}
	if c.sync.perList && m.TrID == c.sync.trID {
		return
	}
	if len(c.orphans) < maxPending {
		c.orphans = append(c.orphans, orphan{trID: m.TrID, line: m.Line})
	}
}

// adoptOrphans marks a late-delivered request as answered by replies that
// arrived before it.
func (c *Conn) adoptOrphans(r *request, trID uint32) {
	kept := c.orphans[:0]
	for _, o := range c.orphans {
		if o.trID == trID {
			r.answered = true
			continue
		}
		kept = append(kept, o)
	}
	c.orphans = kept
}

// evictOldestRequest makes room in the request table: answered requests
// go first (their remaining replies then count as replies to nothing only
// if they carry a TrID never used again), else the oldest waiting one is
// reported as unanswered.
func (c *Conn) evictOldestRequest() {
	var oldestID uint32
	var oldest *request
	for id, r := range c.requests {
		if r.answered || r.optional {
			delete(c.requests, id)
			continue
		}
		if oldest == nil || r.offset < oldest.offset {
			oldestID, oldest = id, r
		}
	}
	if len(c.requests) >= maxPending && oldest != nil {
		c.finding(fmt.Sprintf("%s %d (%s) was never answered", oldest.cmd, oldestID, oldest.line))
		delete(c.requests, oldestID)
	}
}

// flushRequests moves unanswered requests to the findings, oldest first.
func (c *Conn) flushRequests() {
	ids := make([]uint32, 0, len(c.requests))
	for id, r := range c.requests {
		if !r.answered && !r.optional {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return c.requests[ids[i]].offset < c.requests[ids[j]].offset })
	for _, id := range ids {
		r := c.requests[id]
		c.finding(fmt.Sprintf("%s %d (%s) was never answered", r.cmd, id, r.line))
	}
	c.requests = nil
	for _, o := range c.orphans {
		f := fmt.Sprintf("reply to no request: no client command used TrID %d (%s)", o.trID, o.line)
		if c.stats.GapBytes[ClientToServer] > 0 || c.stats.Skipped[ClientToServer] > 0 {
			f += "; the request may be in a capture gap"
		}
		c.finding(f)
	}
	c.orphans = nil
}

// findings returns the transaction findings, with a count of those not kept.
func (c *Conn) findings() []string {
	if c.moreFindings == 0 {
		return c.unanswered
	}
	return append(c.unanswered, fmt.Sprintf("… and %d more transaction findings", c.moreFindings))
}
