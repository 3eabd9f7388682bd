package dissect

import (
	"net/netip"
	"strings"
	"time"
)

// Role is what a connection is for, decided from what is said on it
// (framing.md "Telling NS from SB"), never from the port.
type Role string

// Connection roles.
const (
	RoleUnknown      Role = ""
	RoleDispatch     Role = "DS"
	RoleNotification Role = "NS"
	RoleSwitchboard  Role = "SB"
)

// Role returns the connection's role as far as its traffic tells.
func (c *Conn) Role() Role {
	switch {
	case c.switchboard:
		return RoleSwitchboard
	case c.redirected && !c.signedIn:
		return RoleDispatch
	case c.sawVER || c.nsEvidence:
		return RoleNotification
	}
	return RoleUnknown
}

// nsOnly are commands only a notification server connection carries.
var nsOnly = map[string]bool{
	"SYN": true, "LST": true, "LSG": true, "GTC": true, "BLP": true, "PRP": true, "BPR": true, "CHG": true,
	"ILN": true, "NLN": true, "FLN": true, "UBX": true, "UUX": true, "RNG": true, "CHL": true, "QRY": true,
	"PNG": true, "QNG": true, "NOT": true, "ADL": true, "RML": true, "ADC": true, "ADD": true, "REM": true,
	"SBS": true, "GCF": true, "UBN": true, "UUN": true, "FQY": true, "REA": true, "SBP": true, "ADG": true,
	"RMG": true, "REG": true, "URL": true,
}

// observeRole gathers role evidence from a decoded message.
func (c *Conn) observeRole(m *Message) {
	switch {
	case m.Cmd == "VER":
		c.sawVER = true
	case m.Cmd == "XFR" && m.Dir == ServerToClient && len(m.Args) > 0 && m.Args[0] == "NS":
		c.redirected = true
	case m.Cmd == "USR" && m.Dir == ServerToClient && len(m.Args) > 0 && m.Args[0] == "OK" && !c.switchboard:
		c.signedIn = true
	case m.Cmd == "MSG" && m.Dir == ServerToClient && len(m.Args) > 0 && m.Args[0] == "Hotmail":
		c.nsEvidence = true
	case isNSOnly(m.Cmd):
		c.nsEvidence = true
	}
}

// Session is one user's visit: the dispatch connection, the notification
// connection it redirected to, and the switchboards that NS opened.
type Session struct {
	ID    string    `json:"session"`
	User  string    `json:"user"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Conns lists the connections of the session in order of appearance.
	Conns []string `json:"conns"`
}

// offer is a server telling a client where to connect next.
type offer struct {
	session *Session
	from    *Conn
	client  netip.Addr
	address string
	at      time.Time
	taken   bool
}

// offerWindow is how long after an XFR or RNG the matching connection may
// start. Clients connect within seconds; a generous window tolerates slow
// captures while keeping stale offers from matching reused addresses.
const offerWindow = 10 * time.Minute

// Tracker state is kept in trackerBuckets buckets, chosen by the client's
// address; each holds at most maxOffers offers of each kind. Every link
// the Tracker makes is between connections of one client address, so a
// bucket's state depends only on its own connections, in their order:
// that is what lets a run split connections by Partition over several
// Trackers (one per dissecting goroutine) and still produce what one
// Tracker would.
const (
	trackerBuckets = 64
	maxOffers      = 64
)

// Tracker correlates connections into sessions across a whole capture:
// DS → NS by the client address and the XFR NS address, NS → SB by the
// client address and the XFR SB / RNG cookie. Share one Tracker across
// the Conns of a run, or one per partition (Partition).
type Tracker struct {
	buckets [trackerBuckets]trackerBucket
}

type trackerBucket struct {
	nsOffers []*offer
	sbOffers map[string]*offer
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker { return &Tracker{} }

// Partition says which of n partitions the connection of a client at
// client ("ip:port", as ConnInfo.Client) belongs to: connections the
// Tracker may link always fall into the same one, so each partition can be
// dissected on its own, with its own Tracker, in the order of its events.
func Partition(client string, n int) int {
	if n <= 1 {
		return 0
	}
	return bucketOf(clientAddrOf(client)) % n
}

// bucketOf hashes an address (FNV-1a) to its Tracker bucket.
func bucketOf(a netip.Addr) int {
	h := uint32(2166136261)
	for _, b := range a.As16() {
		h = (h ^ uint32(b)) * 16777619
	}
	return int(h % trackerBuckets)
}

func (t *Tracker) bucket(client netip.Addr) *trackerBucket { return &t.buckets[bucketOf(client)] }

// newSession starts a session named after the connection that starts it
// ("c12" starts "s12"), a name no other run order could change.
func (t *Tracker) newSession(c *Conn) *Session {
	id := c.Info.ID
	if n, ok := strings.CutPrefix(id, "c"); ok {
		id = n
	}
	// Sessions are not kept here: each lives as long as a connection or an
	// offer refers to it, so memory does not grow with the capture.
	return &Session{ID: "s" + id, Start: c.Info.Start, End: c.Info.Start}
}

func clientAddr(c *Conn) netip.Addr { return clientAddrOf(c.Info.Client) }

func clientAddrOf(client string) netip.Addr {
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

// join places the connection into a session (once).
func (t *Tracker) join(c *Conn, s *Session) {
	c.session = s
	c.Info.Session = s.ID
	s.Conns = append(s.Conns, c.Info.ID)
	if c.Info.Start.Before(s.Start) {
		s.Start = c.Info.Start
	}
}

// placeNS runs on a DS/NS connection's first message: it belongs to the
// session of the DS that redirected this client to this server, or starts
// a session of its own.
func (t *Tracker) placeNS(c *Conn) {
	if c.session != nil {
		return
	}
	addr := clientAddr(c)
	b := t.bucket(addr)
	for i := len(b.nsOffers) - 1; i >= 0; i-- {
		o := b.nsOffers[i]
		if !o.taken && o.client == addr && sameServer(o.address, c.Info.Server) && c.Info.Start.Sub(o.at) < offerWindow && !c.Info.Start.Before(o.at) {
			o.taken = true
			t.join(c, o.session)
			return
		}
	}
	t.join(c, t.newSession(c))
}

// sameServer compares an advertised "host:port" with the address the
// client connected to. Revival servers may advertise a name, which then
// cannot match; the cookie still links switchboards.
func sameServer(advertised, actual string) bool {
	if strings.EqualFold(advertised, actual) {
		return true
	}
	a, err1 := netip.ParseAddrPort(advertised)
	b, err2 := netip.ParseAddrPort(actual)
	return err1 == nil && err2 == nil && a == b
}

// offerNS records a DS's XFR NS.
func (t *Tracker) offerNS(c *Conn, address string) {
	if c.session == nil {
		t.placeNS(c)
	}
	addr := clientAddr(c)
	b := t.bucket(addr)
	if len(b.nsOffers) >= maxOffers {
		b.nsOffers = append(b.nsOffers[:0], b.nsOffers[len(b.nsOffers)/2:]...)
	}
	b.nsOffers = append(b.nsOffers, &offer{session: c.session, from: c, client: addr, address: address, at: c.now})
}

// offerSB records an XFR SB or RNG cookie sent on a notification connection.
func (t *Tracker) offerSB(c *Conn, address, cookie string) {
	if cookie == "" {
		return
	}
	if c.session == nil {
		t.placeNS(c)
	}
	addr := clientAddr(c)
	b := t.bucket(addr)
	if b.sbOffers == nil {
		b.sbOffers = map[string]*offer{}
	}
	if len(b.sbOffers) >= maxOffers {
		for k, o := range b.sbOffers {
			if o.taken || c.now.Sub(o.at) > offerWindow {
				delete(b.sbOffers, k)
			}
		}
		if len(b.sbOffers) >= maxOffers {
			b.sbOffers = map[string]*offer{}
		}
	}
	b.sbOffers[cookie] = &offer{session: c.session, from: c, client: addr, address: address, at: c.now}
}

// claimSB links a switchboard connection, by the cookie of its USR or ANS
// and its client address, to the session whose NS handed that cookie out.
// It inherits the NS's user and dialect.
func (t *Tracker) claimSB(c *Conn, cookie string) {
	if c.session != nil {
		return
	}
	// The client that was handed the cookie is the one that connects
	// with it.
	addr := clientAddr(c)
	o, ok := t.bucket(addr).sbOffers[cookie]
	if !ok || o.client != addr {
		t.join(c, t.newSession(c))
		return
	}
	o.taken = true
	t.join(c, o.session)
	ns := o.from
	c.parentConn = ns
	if c.user == "" {
		c.user = ns.user
	}
	if ns.user == "" {
		// The switchboard's USR/ANS names the client: the same person as
		// the NS that handed out the cookie.
		ns.user = c.user
	}
	c.inheritDialect()
}

// inheritDialect takes the NS's dialect for a switchboard, which never
// states its own; refreshed when the SB closes, since the NS may have
// learnt more by then.
func (c *Conn) inheritDialect() {
	if c.parentConn == nil || c.dialect.version != 0 {
		return
	}
	if v := c.parentConn.dialect.effective(); v != 0 {
		c.dialect.inherited = v
		c.dialect.inheritedName, _ = c.parentConn.dialect.name()
	}
}

// closeConn updates the session when a connection ends.
func (t *Tracker) closeConn(c *Conn, end time.Time) {
	if c.session == nil {
		t.join(c, t.newSession(c))
	}
	s := c.session
	if end.After(s.End) {
		s.End = end
	}
	if s.User == "" || c.Role() == RoleNotification && c.user != "" {
		s.User = c.user
	}
}
