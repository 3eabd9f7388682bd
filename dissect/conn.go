package dissect

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Conn dissects one TCP connection: feed it the bytes of each direction in
// order, the gaps and the ends; it emits Events to its Sink as messages
// complete and keeps the state that decoding needs (dialect, sync burst,
// contact list).
type Conn struct {
	Info ConnInfo

	// setup is what the connections made with one Options share (sink,
	// limits, tracker, list keeper, switches): kept once, not in each of
	// the tens of thousands a busy server's capture holds open.
	*setup

	// framer is a direction's framer while it holds something between
	// two feeds (part of a line, a payload still arriving, a search for
	// the next line); at a line boundary it goes back to framerPool and
	// off keeps its stream offset. A busy server's connections are at a
	// line boundary nearly all the time, and two framers each were a
	// quarter of what one cost.
	framer [2]*framer
	off    [2]int64

	dialect dialect
	// user is the signed-in passport, from USR/ANS/CVR.
	user string

	// sync is the synchronisation in progress or done (and the GTC, BLP
	// and ADLs it needs), made by the first sync command (syncing):
	// switchboards, most of a busy server's connections, never have one.
	sync *syncState
	list *ContactList

	stats connStats
	// known counts messages of known commands: a connection with none is
	// not MSNP.
	known int

	// lastSeen is the time of the latest activity.
	lastSeen time.Time
	// chat holds a switchboard's log, chunks its chunked messages in
	// progress.
	chat   *Conversation
	chunks map[string]*chunked
	// challenge is the last CHL challenge, for checking the QRY answer.
	challenge string

	// The flags are together, so that they pack: a busy server's capture
	// holds tens of thousands of connections.
	//
	// switchboard is set once the connection is known to be a switchboard
	// session.
	switchboard bool
	// Role evidence (sessions.go).
	sawVER, redirected, signedIn, nsEvidence bool
	// abch is the profile's ABCHMigrated flag: -1 unknown, 0 or 1.
	abch  int8
	ended [2]bool

	session *Session
	// parentConn is the NS connection a switchboard was opened from.
	parentConn *Conn

	// Transaction pairing (transactions.go).
	requests *requestTable
	// tx holds the transaction findings and the replies to no request
	// yet, made by the first of either: most connections have none.
	tx         *txFindings
	firstTrID  uint32
	sawRequest bool
}

// connStats are the counters a Summary reports, kept apart from it: the
// rest of a Summary is made when the connection closes, and an open
// connection (tens of thousands at a busy server) need not carry it.
type connStats struct {
	Messages, Bytes, GapBytes, Skipped [2]int
	Ends                               [2]string
}

// Options configure the dissection of a connection.
type Options struct {
	Limits
	// ShowSecrets keeps credentials (Passport tickets, MD5 answers, SSO
	// tokens, auth cookies) in the output instead of "[redacted N B]".
	ShowSecrets bool
	// Tracker, when set, links this connection with the others of the run
	// into sessions; share one Tracker across all connections.
	Tracker *Tracker
	// Budget, when set, bounds the payload bytes all connections hold.
	Budget *Budget
	// Lists, when set, keeps the contact lists of the connections that
	// share it compact (and within its memory budget) once they are
	// quiet, and lean if the sink reads no contact records
	// (ListConfig.Lean). A summary's list may then be sealed: call its
	// Load before reading its Contacts. Share one ListKeeper between the
	// connections a goroutine dissects, as with Tracker.
	Lists *ListKeeper
	// Chats keeps switchboard conversations for Conversation(); without
	// it no chat log is built, so memory does not grow with chat volume.
	Chats bool
	// ListsOnly does only the work contact lists, users and sessions need:
	// Bulk commands are framed but not decoded (an MSG only as far as
	// telling a switchboard, or in full when Hotmail sends it: the login
	// profile), and requests are not paired with replies. Messages then
	// have no Fields or Meaning and summaries no Unanswered findings.
	ListsOnly bool
	// OmitMessages, with ListsOnly, keeps every message from the sink but
	// those that hit a limit: for a sink that reads only summaries (and
	// counts limits). Their storage is then reused from one line to the
	// next, and their Meaning is not composed: at a busy server, where
	// lists are most of the traffic, that was most of what a list report
	// allocated. Gaps, skips, ends and summaries still reach the sink.
	OmitMessages bool
	// TransientPayloads says the sink needs no payload bytes, only what
	// was decoded from them: Message.Payload is then nil when the message
	// reaches the sink (PayloadLen still says how long it was). Payloads
	// are then read where they arrived instead of each being copied.
	TransientPayloads bool
}

// setup is what a Setup's connections share.
type setup struct {
	sink   Sink
	lim    Limits
	budget *Budget
	// tracker correlates the connections into sessions.
	tracker *Tracker
	// lists keeps the lists compact once they are quiet (Options.Lists).
	lists *ListKeeper
	// keepChats is Options.Chats; showSecrets keeps credentials in the
	// output instead of redacting.
	keepChats, showSecrets bool
	listsOnly, transient   bool
	// omitMessages: Options.OmitMessages (the storage of the messages so
	// omitted is reused, through messagePool).
	omitMessages bool
	// now is the time of the message being decoded, by whichever
	// connection decodes one: a Setup's connections are dissected by one
	// goroutine at a time.
	now time.Time
	// caps holds the decoded capability fields seen so far (capsOf).
	caps map[string]cachedCaps
}

// A Setup makes the connections of one dissection: with the same Options
// and Sink, which they then share instead of each holding a copy. Like
// the Tracker and ListKeeper they share, its connections are to be
// dissected by one goroutine at a time.
type Setup struct{ shared *setup }

// NewSetup returns a Setup for connections dissected with opts, emitting
// to sink.
func NewSetup(opts Options, sink Sink) *Setup {
	return &Setup{&setup{sink: sink, lim: opts.Limits.withDefaults(), budget: opts.Budget, tracker: opts.Tracker, lists: opts.Lists,
		keepChats: opts.Chats, showSecrets: opts.ShowSecrets, listsOnly: opts.ListsOnly,
		omitMessages: opts.ListsOnly && opts.OmitMessages, transient: opts.TransientPayloads}}
}

// NewConn starts the dissection of one connection with a Setup of its
// own; NewSetup is for many.
func NewConn(info ConnInfo, opts Options, sink Sink) *Conn {
	return NewSetup(opts, sink).NewConn(info)
}

// NewConn starts the dissection of one connection.
func (s *Setup) NewConn(info ConnInfo) *Conn {
	c := &Conn{Info: info, setup: s.shared, abch: -1}
	if info.MidStream {
		for d := range c.framer {
			// The first bytes may be the middle of a line or payload.
			c.framing(Dir(d)).startResync("capture started in the middle of the connection")
		}
	}
	return c
}

// framerPool holds the framers of directions at a line boundary, with
// their small buffers, for the next feed of any connection.
var framerPool sync.Pool

// maxParkedBuffer is the largest buffer a parked framer keeps: enough for
// the carry-over of nearly every segment, not for a rare long line.
const maxParkedBuffer = 4 << 10

// framing returns dir's framer, taking one from framerPool for a parked
// direction.
func (c *Conn) framing(dir Dir) *framer {
	if f := c.framer[dir]; f != nil {
		return f
	}
	f, _ := framerPool.Get().(*framer)
	if f == nil {
		f = &framer{}
	}
	// Never for an ended direction: Data, Gap and End take none then.
	f.dir, f.lim, f.host, f.budget, f.transient, f.off = dir, c.lim, c, c.budget, c.transient, c.off[dir]
	c.framer[dir] = f
	return f
}

// park gives dir's framer back to framerPool if it holds nothing that the
// next bytes need: no unread bytes, no pending payload, no search for the
// next line (or the direction has ended).
func (c *Conn) park(dir Dir) {
	f := c.framer[dir]
	if f == nil || !f.ended && (f.r < len(f.buf) || f.pend != nil || f.rs != nil) {
		return
	}
	c.off[dir], c.framer[dir] = f.off, nil
	*f = framer{own: reusable(f.own), marks: f.marks[:0]}
	framerPool.Put(f)
}

// reusable returns b emptied for the next bytes, or nil when it is too
// large to hold between feeds.
func reusable(b []byte) []byte {
	if cap(b) > maxParkedBuffer {
		return nil
	}
	return b[:0]
}

// offset is dir's stream offset: the next byte the framer will read.
func (c *Conn) offset(dir Dir) int64 {
	if f := c.framer[dir]; f != nil {
		return f.off + int64(len(f.unread()))
	}
	return c.off[dir]
}

// Data feeds in-order stream bytes that arrived at ts.
func (c *Conn) Data(dir Dir, ts time.Time, b []byte) {
	c.seen(ts)
	if c.ended[dir] || len(b) == 0 {
		return
	}
	c.framing(dir).feed(b, ts)
	c.park(dir)
}

// detach copies a string taken from a line into state that outlives the
// message: a substring would hold the whole line (a busy server's capture
// has tens of thousands of logins, each keeping a dozen such strings).
// The few short values (GTC, BLP, list settings) are interned.
func detach(s string) string {
	switch s {
	case "A":
		return "A"
	case "N":
		return "N"
	case "AL":
		return "AL"
	case "BL":
		return "BL"
	case "0":
		return "0"
	}
	return strings.Clone(s)
}

// seen records activity at ts.
func (c *Conn) seen(ts time.Time) {
	if ts.After(c.lastSeen) {
		c.lastSeen = ts
	}
}

// LastSeen is the time of the connection's latest bytes or gap: the end of
// a connection still open when the capture ended.
func (c *Conn) LastSeen() time.Time {
	if c.lastSeen.IsZero() {
		return c.Info.Start
	}
	return c.lastSeen
}

// Gap reports n bytes of dir that are missing from the capture.
func (c *Conn) Gap(dir Dir, ts time.Time, n int) {
	off := c.offset(dir)
	c.stats.GapBytes[dir] += n
	c.seen(ts)
	if !c.ended[dir] && n > 0 {
		c.framing(dir).gap(n, ts)
		c.park(dir)
	}
	c.sink.Event(&Event{Kind: KindGap, Conn: &c.Info, Time: ts, Dir: dir, Bytes: n, Offset: off})
}

// End closes one direction (FIN, RST, end of capture): pending bytes are
// framed or reported, and when both directions have ended the sync burst
// is closed out.
func (c *Conn) End(dir Dir, ts time.Time, reason string) {
	if c.ended[dir] {
		return
	}
	f := c.framing(dir)
	c.ended[dir] = true
	f.end()
	off := f.off
	c.park(dir)
	if dir == ServerToClient {
		c.endBurst(nil)
	}
	c.sink.Event(&Event{Kind: KindEnd, Conn: &c.Info, Time: ts, Dir: dir, Offset: off, Reason: reason})
	c.stats.Ends[dir] = reason
	if c.ended[ClientToServer] && c.ended[ServerToClient] {
		c.flushRequests()
		c.inheritDialect()
		if c.tracker != nil {
			c.tracker.closeConn(c, ts)
		}
		sum := Summary{Messages: c.stats.Messages, Bytes: c.stats.Bytes, GapBytes: c.stats.GapBytes, Skipped: c.stats.Skipped, Ends: c.stats.Ends}
		sum.Protocol, sum.ProtocolInferred = c.dialect.name()
		sum.ProtocolSource = c.dialect.source()
		sum.User = c.user
		sum.Role, sum.Session = c.Role(), c.Info.Session
		if c.parentConn != nil {
			sum.Parent = c.parentConn.Info.ID
		}
		sum.Unanswered = c.findings()
		sum.NotMSNP = c.known == 0 && (sum.Skipped[0]+sum.Skipped[1] > 0 || sum.Messages[0]+sum.Messages[1] > 0)
		sum.Conversation, sum.ContactList = c.Conversation(), c.ContactList()
		if c.lists != nil {
			// The summary hands the list over: a closed connection may be
			// remembered a while (the Tracker links sessions through it),
			// its list need not be.
			c.lists.finish(c.list, true)
			c.list = nil
		}
		c.sink.Event(&Event{Kind: KindSummary, Conn: &c.Info, Time: ts, Dir: dir, Summary: &sum})
	}
}

// ContactList returns the list rebuilt from this connection's sync burst
// or ADL traffic, or nil when it carried none.
func (c *Conn) ContactList() *ContactList {
	if c.list != nil {
		c.list.User = c.user
		c.list.Session = c.Info.Session
		if c.list.moreProblems > 0 && !c.list.counted {
			c.list.counted = true
			c.list.Problems = append(c.list.Problems, fmt.Sprintf("… and %d more problems", c.list.moreProblems))
		}
		c.list.Protocol, c.list.ProtocolInferred = c.dialect.name()
	}
	return c.list
}

// User returns the passport that signed in on this connection, if seen.
func (c *Conn) User() string { return c.user }

// Protocol returns the dialect name ("MSNP10") and whether it was inferred
// from line shapes rather than read from VER.
func (c *Conn) Protocol() (string, bool) { return c.dialect.name() }

// tokenize splits a command line on runs of spaces and tabs, noting any
// separator other than a single space (servers always send exactly one).
// The tokens are substrings of line, kept in m's own storage when they fit.
func tokenize(line string, m *Message) []string {
	odd := false
	toks := m.tokens[:0]
	start := -1
	for i := 0; i < len(line); i++ {
		if ch := line[i]; ch == ' ' || ch == '\t' {
			if ch == '\t' || start < 0 || i+1 == len(line) {
				odd = true // a tab, a leading or doubled separator, a trailing one
			}
			if start >= 0 {
				toks = append(toks, line[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, line[start:])
	}
	if odd {
		if strings.HasSuffix(line, " ") && !strings.Contains(strings.TrimRight(line, " "), "  ") && !strings.ContainsRune(line, '\t') {
			m.Note("trailing space after the last parameter")
		} else {
			m.Note("parameters separated by something other than single spaces")
		}
	}
	return toks
}

// command returns the catalogue row for a command code.
func command(code string) *Command {
	if i, ok := codeIndex(code); ok {
		return byCode[i]
	}
	if isDigits(code) {
		return errorCommand
	}
	return catalogue[code]
}

// messagePool holds the storage of the messages Options.OmitMessages
// kept from the sink, for the next line of any connection (held per
// connection, it was a message on every open login of a busy server).
var messagePool sync.Pool

// parseLine implements framerHost: tokenise, take the TrID, decide the
// payload.
func (c *Conn) parseLine(dir Dir, line []byte, off int64) (*Message, payloadKind, int) {
	m, _ := messagePool.Get().(*Message)
	if m != nil {
		*m = Message{Line: string(line), Offset: off, Dir: dir}
	} else {
		m = &Message{Line: string(line), Offset: off, Dir: dir}
	}
	toks := tokenize(m.Line, m)
	m.Cmd = toks[0]
	args := toks[1:]
	cmd := command(m.Cmd)
	if cmd == nil {
		m.Note("unknown command")
		// framing.md §9: assume a TrID on a client's numeric first token,
		// never assume a payload.
		if dir == ClientToServer && len(args) > 0 && isDigits(args[0]) {
			c.takeTrID(m, args[0])
			args = args[1:]
		}
		m.Args = args
		return m, noPayload, 0
	}
	if cmd.TrID(c, dir, args) {
		if len(args) > 0 && isDigits(args[0]) {
			c.takeTrID(m, args[0])
			args = args[1:]
		} else if cmd != errorCommand || len(args) > 0 {
			m.Note("transaction id expected but missing")
		}
	}
	m.Args = args
	kind, n := cmd.Payload(c, dir, args)
	return m, kind, n
}

func (c *Conn) takeTrID(m *Message, tok string) {
	v, err := strconv.ParseUint(tok, 10, 32)
	if err != nil {
		m.Note(fmt.Sprintf("transaction id %s out of range", tok))
		return
	}
	m.TrID, m.HasTrID = uint32(v), true
}

// plausible implements framerHost for resynchronisation: only a known
// command (or an error code) in its TrID shape counts as a command line.
func (c *Conn) plausible(dir Dir, line []byte) bool {
	if len(line) < 3 || len(line) > 3 && line[3] != ' ' && line[3] != '\t' {
		return false
	}
	// The cheap tests first: resynchronisation calls this at every
	// candidate offset of hostile bytes.
	cmd := command(string(line[:3]))
	if cmd == nil || !cmd.Sender.allows(dir) {
		return false
	}
	args := plausibleArgs(line)
	if cmd.TrID(c, dir, args) {
		if len(args) == 0 || !isDigits(args[0]) {
			return false
		}
		args = args[1:]
	}
	if kind, n := cmd.Payload(c, dir, args); kind != noPayload && n > c.lim.MaxPayload {
		return false
	}
	return true
}

// plausibleArgs splits what the TrID and payload rules need from a
// candidate line, with the same separators as tokenize but bounded work:
// at most maxProbeArgs leading parameters, plus the real last one (where a
// payload length lives).
func plausibleArgs(line []byte) []string {
	const maxProbeArgs = 10
	var args []string
	i := 3
	for len(args) < maxProbeArgs {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return args
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		args = append(args, string(line[i:j]))
		i = j
	}
	rest := bytes.TrimRight(line[i:], " \t")
	if k := bytes.LastIndexAny(rest, " \t"); k >= 0 {
		args = append(args, string(rest[k+1:]))
	} else if len(rest) > 0 {
		args = append(args, string(bytes.TrimLeft(rest, " \t")))
	}
	return args
}

// finish implements framerHost: decode, check, emit.
func (c *Conn) finish(dir Dir, m *Message, ts time.Time) {
	c.now = ts
	cmd := command(m.Cmd)
	if cmd != nil {
		c.checkCatalogue(cmd, dir, m)
	}
	if dir == ServerToClient {
		c.syncBoundary(m)
	}
	c.infer(dir, m)
	light := c.light(cmd, m)
	switch {
	case light && cmd.Name == "MSG":
		c.msgRole(m)
	case light:
	case cmd != nil && cmd.Decode != nil:
		c.decode(cmd, m)
	}
	c.observeRole(m)
	c.correlate(m) // before redaction: it needs the raw cookies
	m.redact()
	// After redaction: findings quote the line.
	switch {
	case c.listsOnly:
	case dir == ClientToServer:
		c.pairRequest(m)
	default:
		c.pairReply(m)
	}
	// A message kept from the sink needs no meaning (a limit's message
	// reaches it complete).
	omit := c.omitMessages && m.Limit == ""
	switch {
	case light, omit:
	case m.Meaning != "":
		// The decoder said it best.
	case m.Fields != nil:
		m.Meaning = m.Fields.Describe()
	case cmd != nil:
		m.Meaning = cmd.Summary
	}
	c.stats.Messages[dir]++
	if cmd != nil {
		c.known++
	}
	c.stats.Bytes[dir] += m.WireLen + m.payloadRead
	if c.lists != nil {
		c.lists.tick(ts)
	}
	if c.transient {
		m.Payload = nil // it may point into the framer's buffer
	}
	if omit {
		// Nothing kept a reference: what the connection and the decoders
		// keep of a message are strings (detached where they must not
		// pin the line) and the decoded Fields, never the message or
		// its Args, which may be its own storage.
		messagePool.Put(m)
		return
	}
	ev := &m.event
	*ev = Event{Kind: KindMessage, Conn: &c.Info, Time: ts, Dir: dir, Message: m, Offset: m.Offset}
	c.sink.Event(ev)
}

// light says whether Options.ListsOnly frames m without decoding it: a
// Bulk command, unless it is a server's MSG from Hotmail (the login profile,
// whose ABCHMigrated lists need, or a mail notice, rare enough to decode).
func (c *Conn) light(cmd *Command, m *Message) bool {
	return c.listsOnly && cmd != nil && cmd.Bulk &&
		!(m.Cmd == "MSG" && m.Dir == ServerToClient && len(m.Args) > 0 && m.Args[0] == "Hotmail")
}

// wantPayload implements framerHost: what is framed without decoding
// needs no payload.
func (c *Conn) wantPayload(m *Message) bool { return !c.light(command(m.Cmd), m) }

// decode runs a decoder and turns a decoder panic on hostile input into a
// note: one bad line must never stop the whole run.
func (c *Conn) decode(cmd *Command, m *Message) {
	defer func() {
		if r := recover(); r != nil {
			m.Note(fmt.Sprintf("decoder failed: %v", r))
		}
	}()
	cmd.Decode(c, m)
}

// checkCatalogue notes a command sent by the wrong side or outside the
// dialects that have it.
func (c *Conn) checkCatalogue(cmd *Command, dir Dir, m *Message) {
	if !cmd.Sender.allows(dir) {
		who := "client"
		if dir == ServerToClient {
			who = "server"
		}
		m.Note(fmt.Sprintf("%s is not sent by the %s", m.Cmd, who))
	}
	v := c.dialect.version
	if v == 0 || cmd == errorCommand {
		return
	}
	if cmd.MinVersion != 0 && v < cmd.MinVersion {
		m.Note(fmt.Sprintf("%s does not exist before MSNP%d (connection speaks MSNP%d)", m.Cmd, cmd.MinVersion, v))
	}
	if cmd.MaxVersion != 0 && v > cmd.MaxVersion {
		m.Note(fmt.Sprintf("%s was removed after MSNP%d (connection speaks MSNP%d)", m.Cmd, cmd.MaxVersion, v))
	}
}

// skipped implements framerHost.
func (c *Conn) skipped(dir Dir, off int64, ts time.Time, n int, reason, limit string) {
	c.stats.Skipped[dir] += n
	c.sink.Event(&Event{Kind: KindSkip, Conn: &c.Info, Time: ts, Dir: dir, Bytes: n, Offset: off, Reason: reason, Limit: limit})
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseLength reads a payload length; lengths beyond int32 are reported
// as such by the framer's limit check rather than wrapping around.
func parseLength(s string) (int, bool) {
	if !isDigits(s) {
		return 0, false
	}
	if len(s) > 10 {
		return 1<<31 - 1, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > 1<<31-1 {
		return 1<<31 - 1, true
	}
	return int(v), true
}

// correlate hands session-relevant messages to the Tracker.
func (c *Conn) correlate(m *Message) {
	t := c.tracker
	if t == nil {
		return
	}
	a := m.Args
	switch {
	case m.Cmd == "XFR" && m.Dir == ServerToClient && len(a) >= 2 && a[0] == "NS":
		t.offerNS(c, a[1])
	case m.Cmd == "XFR" && m.Dir == ServerToClient && len(a) >= 4 && a[0] == "SB":
		t.offerSB(c, a[1], a[3])
	case m.Cmd == "RNG" && len(a) >= 4:
		t.offerSB(c, a[1], a[3])
	case m.Cmd == "USR" && m.Dir == ClientToServer && len(a) == 2 && c.switchboard:
		t.claimSB(c, a[1])
	case m.Cmd == "ANS" && m.Dir == ClientToServer && len(a) >= 2:
		t.claimSB(c, a[1])
	case c.session == nil && (c.sawVER || c.nsEvidence) && !c.switchboard:
		t.placeNS(c)
	}
}
