package workload

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/internal/scenario"
)

// Servers of the generated visits: one dispatch server, a farm of
// notification and switchboard servers.
var (
	dsAddr = netip.MustParseAddrPort("207.46.104.20:1863")
)

func nsAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{207, 46, 106, byte(10 + i%40)}), 1863)
}

func sbAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{207, 46, 108, byte(10 + i%80)}), 1863)
}

// dialect is a protocol generation a visit speaks, with its client.
type dialect struct {
	ver     int
	verLine string // what the client offers
	client  string // CVR client version
	caps    int64
	product string // QRY product id
}

var dialects = []dialect{
	{8, "MSNP8 CVR0", "5.0.0544", 268435492, "msmsgs@msnmsgr.com"},
	{10, "MSNP10 MSNP9 CVR0", "6.2.0205", 805306404, "msmsgs@msnmsgr.com"},
	{12, "MSNP12 MSNP11 MSNP10 CVR0", "7.5.0324", 1342177316, "PROD0101{0RM?UBW"},
	{15, "MSNP15 MSNP14 MSNP13 CVR0", "8.5.1302", 1879089196, "PROD0114ES4Z%Q5W"},
}

// Words for friendly names, personal messages and chat text.
var words = strings.Fields(`the a to and of you it is that in for on me my no yes hi hello ok lol brb
	what are we going tonight tomorrow party game match movie music song work office school homework
	coffee lunch dinner weekend holiday photo picture file send got thanks great cool nice sorry later
	see soon call phone back home now here there when where who why how really maybe sure funny :) :D ;)
	(y) (h) Anna Ben Chris Dana Eli Fay Gus Hana Ivan Jo Kai Lea Max Nia Omar Pia Ray Sara Tom Uma Vic`)

var domains = []string{"hotmail.com", "hotmail.com", "msn.com", "passport.com", "hotmail.co.uk", "live.com"}

func email(n int) string {
	return "user" + strconv.Itoa(n) + "@" + domains[n%len(domains)]
}

// contact is one entry of a user's list.
type contact struct {
	email, friendly, guid string
	lists                 int // FL=1 AL=2 BL=4 RL=8
	groups                []int
}

// user is the person behind a visit: a protocol generation, a contact list
// and a pool of other users to talk to.
type user struct {
	n        int
	email    string
	friendly string
	d        dialect
	ip       netip.Addr
	contacts []contact
	groups   []string
	rng      *rand.Rand
}

func (g *generator) newUser() *user {
	g.users++
	n := g.users
	rng := rand.New(rand.NewPCG(g.rng.Uint64(), uint64(n)))
	u := &user{n: n, email: email(n), d: dialects[rng.IntN(len(dialects))], rng: rng,
		ip: netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})}
	u.friendly = u.phrase(1, 4)
	for i := range 3 + rng.IntN(8) {
		u.groups = append(u.groups, fmt.Sprintf("%s %d", u.phrase(1, 2), i))
	}
	// Hundreds of contacts, most on the forward and allow lists, a few
	// blocked, some only on the reverse list (pending additions).
	nc := g.cfg.MinContacts + rng.IntN(g.cfg.MaxContacts-g.cfg.MinContacts+1)
	seen := map[int]bool{n: true}
	for len(u.contacts) < nc {
		other := 1 + rng.IntN(200000)
		if seen[other] {
			continue
		}
		seen[other] = true
		c := contact{email: email(other), friendly: u.phrase(1, 3), lists: 1 | 2 | 8, guid: guid(rng)}
		switch r := rng.IntN(20); {
		case r == 0:
			c.lists = 1 | 4 | 8
		case r == 1:
			c.lists = 8
		}
		if c.lists&1 != 0 {
			for range rng.IntN(3) {
				c.groups = append(c.groups, rng.IntN(len(u.groups)))
			}
		}
		u.contacts = append(u.contacts, c)
	}
	return u
}

func guid(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a), uint16(b>>48), b&0xffffffffffff)
}

// phrase is between lo and hi random words.
func (u *user) phrase(lo, hi int) string {
	n := lo + u.rng.IntN(hi-lo+1)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[u.rng.IntN(len(words))])
	}
	return b.String()
}

// enc URL-encodes a friendly name as MSNP does (spaces as %20).
func enc(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// sess is the writing side of a connection's script.
type sess struct {
	g     *generator
	c     *conn
	yield func(step) bool
	ok    bool
	trid  int
}

// send queues one write; after the consumer stops, every call is a no-op
// and the script's loops end on s.ok.
func (s *sess) send(fromClient bool, delay time.Duration, data []byte) {
	if s.ok && !s.yield(step{fromClient, delay, data}) {
		s.ok = false
	}
}

// C and S send command lines, joined into one write, after delay.
func (s *sess) C(delay time.Duration, lines ...string) { s.send(true, delay, crlf(lines)) }
func (s *sess) S(delay time.Duration, lines ...string) { s.send(false, delay, crlf(lines)) }

// CP and SP send a payload command: head is the line without its length.
func (s *sess) CP(delay time.Duration, head string, body []byte) {
	s.send(true, delay, payload(head, body))
}
func (s *sess) SP(delay time.Duration, head string, body []byte) {
	s.send(false, delay, payload(head, body))
}

func (s *sess) tr() int { s.trid++; return s.trid }

func crlf(lines []string) []byte {
	n := 0
	for _, l := range lines {
		n += len(l) + 2
	}
	b := make([]byte, 0, n)
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\r', '\n')
	}
	return b
}

func payload(head string, body []byte) []byte {
	b := make([]byte, 0, len(head)+len(body)+12)
	b = append(b, head...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, '\r', '\n')
	return append(b, body...)
}

// run opens a connection whose script is body; midstream connections are
// already open when the capture starts.
func (g *generator) run(v *visit, client, server netip.AddrPort, at time.Time, midstream bool, body func(s *sess)) {
	s := &sess{g: g, ok: true}
	// The body first runs at the first pull, after s.c is set.
	s.c = g.open(v, client, server, at, func(yield func(step) bool) {
		s.yield = yield
		body(s)
	})
	g.launch(s.c, midstream)
}

// A visit lasts between visitMin and visitMax after its login.
const (
	visitMin = 10 * time.Minute
	visitMax = 60 * time.Minute
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// startVisit begins one user's visit: the dispatch server redirects to a
// notification server, where the rest happens.
func (g *generator) startVisit(at time.Time) {
	g.stats.Visits++
	u := g.newUser()
	v := &visit{}
	port := uint16(1025 + u.rng.IntN(60000))
	ns := nsAddr(u.rng.IntN(1 << 10))
	g.run(v, netip.AddrPortFrom(u.ip, port), dsAddr, at, false, func(s *sess) {
		s.C(ms(5), "VER 1 "+u.d.verLine)
		s.S(ms(90), "VER 1 MSNP"+strconv.Itoa(u.d.ver))
		s.C(ms(2), fmt.Sprintf("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR %s MSMSGS %s", u.d.client, u.email))
		s.S(ms(90), fmt.Sprintf("CVR 2 %s %s %s http://download.example.com/setup.exe http://messenger.example.com", u.d.client, u.d.client, u.d.client))
		s.C(ms(2), "USR 3 "+u.auth()+" I "+u.email)
		s.S(ms(90), fmt.Sprintf("XFR 3 NS %s 0 %s", ns, dsAddr))
		if s.ok {
			g.run(v, netip.AddrPortFrom(u.ip, port+1), ns, s.c.clock.Add(ms(300)), false, func(s *sess) { g.notification(s, u, v, false) })
		}
	})
}

func (u *user) auth() string {
	if u.d.ver >= 15 {
		return "SSO"
	}
	return "TWN"
}

// notification is a whole notification server session: login, the
// contact list, initial presence, then presence changes, pings,
// challenges and switchboard sessions for the length of the visit.
func (g *generator) notification(s *sess, u *user, v *visit, midstream bool) {
	rng := u.rng
	if midstream {
		// What is left of a visit under way: a uniform share of a length
		// drawn in proportion to the lengths (a long visit is more likely
		// to be under way than a short one), so visits end, and new ones
		// log in, at the steady rate from the start.
		lo, hi := float64(visitMin), float64(visitMax)
		d := math.Sqrt(lo*lo + rng.Float64()*(hi*hi-lo*lo))
		g.presenceLoop(s, u, v, u.onlineContacts(), time.Duration(rng.Float64()*d))
		return
	}
	s.trid = 3
	s.C(ms(5), fmt.Sprintf("VER %d %s", s.tr(), u.d.verLine))
	s.S(ms(90), fmt.Sprintf("VER %d MSNP%d", s.trid, u.d.ver))
	t := s.tr()
	s.C(ms(2), fmt.Sprintf("CVR %d 0x0409 winnt 5.1 i386 MSNMSGR %s MSMSGS %s", t, u.d.client, u.email))
	s.S(ms(90), fmt.Sprintf("CVR %d %s %s %s http://download.example.com/setup.exe http://messenger.example.com", t, u.d.client, u.d.client, u.d.client))
	t = s.tr()
	s.C(ms(2), fmt.Sprintf("USR %d %s I %s", t, u.auth(), u.email))
	if u.d.ver >= 15 {
		s.S(ms(120), fmt.Sprintf("USR %d SSO S MBI_KEY_OLD %s", t, token(rng, 64)))
	} else {
		s.S(ms(120), fmt.Sprintf("USR %d TWN S lc=1033,id=507,tw=40,fs=1,ru=http%%3A%%2F%%2Fmessenger%%2Emsn%%2Ecom,ct=%d,kpp=1,kv=5", t, 1141200000+rng.IntN(100000)))
	}
	t = s.tr()
	s.C(ms(900+rng.IntN(2000)), fmt.Sprintf("USR %d %s S t=%s&p=%s", t, u.auth(), token(rng, 120), token(rng, 60)))
	ok := []string{fmt.Sprintf("USR %d OK %s %s 1 0", t, u.email, enc(u.friendly))}
	if u.d.ver >= 10 {
		ok[0] = fmt.Sprintf("USR %d OK %s 1 0", t, u.email)
	}
	if u.d.ver >= 11 {
		ok = append(ok, "SBS 0 null")
	}
	s.S(ms(150), ok...)
	abch := ""
	if u.d.ver >= 10 {
		abch = "1"
	}
	s.SP(ms(1), "MSG Hotmail Hotmail", profile(u, abch))
	g.contactList(s, u)
	t = s.tr()
	status := fmt.Sprintf("CHG %d NLN %d", t, u.d.caps)
	s.C(ms(50), status)
	// Initial presence: a third to two thirds of the contacts are online.
	online := u.onlineContacts()
	lines := []string{status}
	for _, i := range online {
		lines = append(lines, u.presence("ILN "+strconv.Itoa(t), []string{"NLN", "NLN", "AWY", "BSY", "IDL"}[rng.IntN(5)], u.contacts[i]))
	}
	s.S(ms(100), lines...)
	if u.d.ver >= 11 {
		for _, i := range online {
			if rng.IntN(2) == 0 {
				c := u.contacts[i]
				s.SP(ms(rng.IntN(5)), "UBX "+c.email+u.netID(), psm(u))
			}
		}
		t = s.tr()
		s.CP(ms(200), "UUX "+strconv.Itoa(t), psm(u))
		s.S(ms(90), fmt.Sprintf("UUX %d 0", t))
	}
	// The rest of the visit: ten minutes to an hour of events, or, at a
	// server (Config.Hold), until the capture ends.
	d := visitMin + time.Duration(rng.Int64N(int64(visitMax-visitMin)))
	switch {
	case g.cfg.Visit > 0:
		d = g.cfg.Visit
	case g.cfg.Hold:
		d = math.MaxInt64
	}
	g.presenceLoop(s, u, v, online, d)
}

// onlineContacts picks the contacts online during the visit: a third to
// two thirds of the forward list.
func (u *user) onlineContacts() []int {
	var online []int
	for i, c := range u.contacts {
		if c.lists&1 != 0 && u.rng.IntN(3) != 0 {
			online = append(online, i)
		}
	}
	return online
}

// resumeVisit is a visit already logged in when the capture starts: its
// notification connection is seen mid-stream, and it may be chatting.
func (g *generator) resumeVisit(at time.Time) {
	g.stats.Visits++
	u := g.newUser()
	v := &visit{}
	port := uint16(1025 + u.rng.IntN(60000))
	ns := nsAddr(u.rng.IntN(1 << 10))
	g.run(v, netip.AddrPortFrom(u.ip, port), ns, at, true, func(s *sess) {
		s.trid = 20 + u.rng.IntN(300)
		g.notification(s, u, v, true)
	})
	// A user in the steady state has about four conversations open (they
	// start about twice a minute and last two to three minutes).
	for k := range u.rng.IntN(9) {
		who := u.contacts[u.rng.IntN(len(u.contacts))]
		g.run(v, netip.AddrPortFrom(u.ip, port+7+uint16(k)), sbAddr(u.rng.IntN(1<<10)), at.Add(ms(u.rng.IntN(5000))), true,
			func(s *sess) { s.trid = 3 + u.rng.IntN(30); g.switchboard(s, u, who, "", "", true) })
	}
}

// presenceLoop is the life of a logged-in notification session for d:
// presence changes, personal messages, pings, challenges and
// conversations, then OUT.
func (g *generator) presenceLoop(s *sess, u *user, v *visit, online []int, d time.Duration) {
	rng := u.rng
	var t int
	end := s.c.clock.Add(d)
	chats := 0
	for s.ok && s.c.clock.Before(end) {
		wait := time.Duration(rng.ExpFloat64() * float64(8*time.Second))
		if len(online) == 0 {
			break
		}
		who := u.contacts[online[rng.IntN(len(online))]]
		switch r := rng.IntN(100); {
		case r < 35:
			s.S(wait, u.presence("NLN", []string{"NLN", "AWY", "BSY", "IDL", "BRB", "PHN", "LUN"}[rng.IntN(7)], who))
		case r < 45:
			s.S(wait, "FLN "+who.email+u.netID())
		case r < 60 && u.d.ver >= 11:
			s.SP(wait, "UBX "+who.email+u.netID(), psm(u))
		case r < 70:
			s.C(wait, "PNG")
			if u.d.ver >= 11 {
				s.S(ms(90), "QNG "+strconv.Itoa(30+rng.IntN(30)))
			} else {
				s.S(ms(90), "QNG")
			}
		case r < 73:
			ch := strconv.FormatUint(rng.Uint64(), 10)
			s.S(wait, "CHL 0 "+ch)
			resp, _ := dissect.ChallengeResponse(ch, u.d.product)
			t = s.tr()
			s.CP(ms(3), fmt.Sprintf("QRY %d %s", t, u.d.product), []byte(resp))
			s.S(ms(90), fmt.Sprintf("QRY %d", t))
		case r < 76:
			t = s.tr()
			st := []string{"NLN", "AWY", "BSY", "IDL"}[rng.IntN(4)]
			s.C(wait, fmt.Sprintf("CHG %d %s %d", t, st, u.d.caps))
			s.S(ms(90), fmt.Sprintf("CHG %d %s %d", t, st, u.d.caps))
		case r < 88:
			// The user opens a conversation: XFR, then the switchboard.
			t = s.tr()
			s.C(wait, fmt.Sprintf("XFR %d SB", t))
			sb := sbAddr(rng.IntN(1 << 10))
			cookie := fmt.Sprintf("%d.%d.%d", rng.Uint32(), rng.Uint32(), rng.IntN(100000))
			s.S(ms(120), fmt.Sprintf("XFR %d SB %s CKI %s", t, sb, cookie))
			chats++
			if s.ok {
				g.run(v, netip.AddrPortFrom(u.ip, uint16(2000+chats+u.rng.IntN(50000))), sb, s.c.clock.Add(ms(150)), false,
					func(s *sess) { g.switchboard(s, u, who, cookie, "", false) })
			}
		default:
			// A contact opens a conversation: RNG, then ANS.
			sb := sbAddr(rng.IntN(1 << 10))
			cookie := fmt.Sprintf("%d.%d", rng.Uint32(), rng.Uint32())
			id := strconv.Itoa(1000000 + rng.IntN(90000000))
			line := fmt.Sprintf("RNG %s %s CKI %s %s %s", id, sb, cookie, who.email, enc(who.friendly))
			if u.d.ver >= 13 {
				line += " U messenger.msn.com"
			}
			if u.d.ver >= 14 {
				line += " 1"
			}
			s.S(wait, line)
			chats++
			if s.ok {
				g.run(v, netip.AddrPortFrom(u.ip, uint16(2000+chats+u.rng.IntN(50000))), sb, s.c.clock.Add(ms(200)), false,
					func(s *sess) { g.switchboard(s, u, who, cookie, id, false) })
			}
		}
	}
	s.C(ms(1000), "OUT")
}

// contactList sends the list the way the dialect does: the SYN burst up
// to MSNP12, ADL from MSNP13.
func (g *generator) contactList(s *sess, u *user) {
	t := s.tr()
	nc, ng := len(u.contacts), len(u.groups)
	if g.cfg.OnList != nil {
		g.cfg.OnList(u.email, nc, ng)
	}
	if u.d.ver >= 13 {
		s.C(ms(30), fmt.Sprintf("BLP %d AL", t))
		s.S(ms(90), fmt.Sprintf("BLP %d AL", t))
		// ADL in pieces of at most about 7 kB, as clients do.
		var b strings.Builder
		flush := func() {
			if b.Len() == 0 {
				return
			}
			t := s.tr()
			s.CP(ms(2), "ADL "+strconv.Itoa(t), []byte(`<ml l="1">`+b.String()+`</ml>`))
			s.S(ms(90), fmt.Sprintf("ADL %d OK", t))
			b.Reset()
		}
		for _, c := range u.contacts {
			at := strings.IndexByte(c.email, '@')
			fmt.Fprintf(&b, `<d n="%s"><c n="%s" l="%d" t="1" /></d>`, c.email[at+1:], c.email[:at], c.lists&7)
			if b.Len() > 7000 {
				flush()
			}
		}
		flush()
		t = s.tr()
		s.C(ms(20), fmt.Sprintf("PRP %d MFN %s", t, enc(u.friendly)))
		s.S(ms(90), fmt.Sprintf("PRP %d MFN %s", t, enc(u.friendly)))
		return
	}
	lines := []string{}
	switch u.d.ver {
	case 8:
		s.C(ms(30), fmt.Sprintf("SYN %d 0", t))
		lines = append(lines, fmt.Sprintf("SYN %d %d %d %d", t, 100+u.rng.IntN(900), nc, ng))
	case 10:
		s.C(ms(30), fmt.Sprintf("SYN %d 0 0", t))
		lines = append(lines, fmt.Sprintf("SYN %d 2006-01-10T09:12:31.4570000-08:00 2006-02-21T17:40:02.0430000-08:00 %d %d", t, nc, ng))
	default:
		s.C(ms(30), fmt.Sprintf("SYN %d 2005-04-23T18:57:44.8130000-07:00 2005-04-23T18:57:54.2070000-07:00", t))
		lines = append(lines, fmt.Sprintf("SYN %d 2006-01-10T09:12:31.4570000-08:00 2006-02-21T17:40:02.0430000-08:00 %d %d", t, nc, ng))
	}
	lines = append(lines, "GTC A", "BLP AL", "PRP PHH 555%20"+strconv.Itoa(1000+u.rng.IntN(9000)), "PRP MBE N")
	if u.d.ver >= 10 {
		lines = append(lines, "PRP MFN "+enc(u.friendly))
	}
	for i, name := range u.groups {
		if u.d.ver == 8 {
			lines = append(lines, fmt.Sprintf("LSG %d %s 0", i, enc(name)))
		} else {
			lines = append(lines, fmt.Sprintf("LSG %s %s", enc(name), groupGUID(u, i)))
		}
	}
	for _, c := range u.contacts {
		var gs []string
		for _, gi := range c.groups {
			if u.d.ver == 8 {
				gs = append(gs, strconv.Itoa(gi))
			} else {
				gs = append(gs, groupGUID(u, gi))
			}
		}
		group := strings.Join(gs, ",")
		switch {
		case u.d.ver == 8:
			if group == "" && c.lists&1 != 0 {
				group = "0"
			}
			lines = append(lines, strings.TrimSpace(fmt.Sprintf("LST %s %s %d %s", c.email, enc(c.friendly), c.lists, group)))
		case c.lists&1 == 0:
			lines = append(lines, fmt.Sprintf("LST N=%s %d", c.email, c.lists))
		case u.d.ver == 10:
			lines = append(lines, strings.TrimSpace(fmt.Sprintf("LST N=%s F=%s C=%s %d %s", c.email, enc(c.friendly), c.guid, c.lists, group)))
		default:
			lines = append(lines, strings.TrimSpace(fmt.Sprintf("LST N=%s F=%s C=%s %d 1 %s", c.email, enc(c.friendly), c.guid, c.lists, group)))
		}
		if c.lists&1 != 0 && u.rng.IntN(10) == 0 {
			lines = append(lines, "BPR PHH 555%20"+strconv.Itoa(1000+u.rng.IntN(9000)), "BPR MOB N")
		}
	}
	// The server writes the burst in large pieces.
	for len(lines) > 0 {
		n := min(len(lines), 40+u.rng.IntN(80))
		s.S(ms(u.rng.IntN(3)), lines[:n]...)
		lines = lines[n:]
	}
}

func groupGUID(u *user, i int) string {
	return fmt.Sprintf("%08x-2c6c-4f0e-9d1a-%012x", u.n, i)
}

// netID is the network id field of presence commands (MSNP14+).
func (u *user) netID() string {
	if u.d.ver >= 14 {
		return " 1"
	}
	return ""
}

// presence is an ILN or NLN line for c in the user's dialect.
func (u *user) presence(head, status string, c contact) string {
	caps := []int64{268435492, 805306404, 1342177316, 1879089196}[u.rng.IntN(4)]
	obj := ""
	if u.d.ver >= 9 && u.rng.IntN(2) == 0 {
		obj = " " + enc(msnObject(c.email, u.rng))
	}
	if u.d.ver >= 14 {
		return fmt.Sprintf("%s %s %s 1 %s %d%s", head, status, c.email, enc(c.friendly), caps, obj)
	}
	return fmt.Sprintf("%s %s %s %s %d%s", head, status, c.email, enc(c.friendly), caps, obj)
}

func msnObject(creator string, rng *rand.Rand) string {
	return fmt.Sprintf(`<msnobj Creator="%s" Size="%d" Type="3" Location="TFR%X.tmp" Friendly="AAA=" SHA1D="%s" SHA1C="%s"/>`,
		creator, 5000+rng.IntN(20000), rng.IntN(0xffff), token(rng, 27)+"=", token(rng, 27)+"=")
}

func psm(u *user) []byte {
	return []byte("<Data><PSM>" + u.phrase(0, 6) + "</PSM><CurrentMedia></CurrentMedia></Data>")
}

const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*"

func token(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[rng.IntN(len(tokenChars))]
	}
	return string(b)
}

func profile(u *user, abch string) []byte {
	p := "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\n" +
		"LoginTime: 1141200000\r\nEmailEnabled: 1\r\nMemberIdHigh: " + strconv.Itoa(u.n) + "\r\nMemberIdLow: -1651305472\r\n" +
		"lang_preference: 1033\r\npreferredEmail: " + u.email + "\r\ncountry: US\r\nKid: 0\r\nFlags: 1027\r\nsid: 507\r\n" +
		"MSPAuth: " + token(u.rng, 40) + "$$\r\nClientIP: " + u.ip.String() + "\r\nClientPort: 36867\r\n"
	if abch != "" {
		p += "ABCHMigrated: " + abch + "\r\n"
	}
	return []byte(p + "\r\n")
}

// switchboard is one conversation with who: invited by the user (id ""),
// answering who's invitation id, or already under way when the capture
// starts (midstream). It is typing and text both ways, and
// sometimes a display picture or a file sent over P2P.
func (g *generator) switchboard(s *sess, u *user, who contact, cookie, id string, midstream bool) {
	rng := u.rng
	t := s.tr()
	switch {
	case midstream:
	case id == "":
		s.C(ms(5), fmt.Sprintf("USR %d %s %s", t, u.email, cookie))
		s.S(ms(90), fmt.Sprintf("USR %d OK %s %s", t, u.email, enc(u.friendly)))
		t = s.tr()
		s.C(ms(2), fmt.Sprintf("CAL %d %s", t, who.email))
		s.S(ms(90), fmt.Sprintf("CAL %d RINGING %d", t, 1000000+rng.IntN(90000000)))
		s.S(ms(500+rng.IntN(3000)), "JOI "+who.email+" "+enc(who.friendly)+sbCaps(u))
	default:
		s.C(ms(5), fmt.Sprintf("ANS %d %s %s %s", t, u.email, cookie, id))
		s.S(ms(90), fmt.Sprintf("IRO %d 1 1 %s %s%s", t, who.email, enc(who.friendly), sbCaps(u)))
		s.S(ms(1), fmt.Sprintf("ANS %d OK", t))
	}
	turns := 3 + rng.IntN(40)
	if midstream {
		// Under way for some time already: what is left of it, so that a
		// capture's first minutes have their share of the transfers that
		// end conversations (without this, a 10 MB capture had a fifth
		// fewer P2P messages per byte than a 100 MB one).
		turns = rng.IntN(turns + 1)
	}
	for i := 0; i < turns && s.ok; i++ {
		mine := rng.IntN(2) == 0
		think := time.Duration(rng.ExpFloat64() * float64(6*time.Second))
		if mine {
			s.CP(think, fmt.Sprintf("MSG %d U", s.tr()), typing(u.email))
			t = s.tr()
			s.CP(time.Duration(rng.IntN(4000))*time.Millisecond, fmt.Sprintf("MSG %d A", t), text(u))
			s.S(ms(90), fmt.Sprintf("ACK %d", t))
		} else {
			from := "MSG " + who.email + " " + enc(who.friendly)
			s.SP(think, from, typing(who.email))
			s.SP(time.Duration(rng.IntN(4000))*time.Millisecond, from, text(u))
		}
	}
	switch r := rng.IntN(100); {
	case r < 25:
		g.p2p(s, u, who, 5000+rng.IntN(20000), false)
	case r < 30:
		// File sizes spread over three orders of magnitude.
		size := int(20_000 * (1 + rng.ExpFloat64()*10))
		g.p2p(s, u, who, size, true)
	}
	if rng.IntN(2) == 0 {
		s.S(ms(2000), "BYE "+who.email)
	}
	s.C(ms(500), "OUT")
}

func sbCaps(u *user) string {
	if u.d.ver >= 12 {
		return " " + strconv.FormatInt(u.d.caps, 10)
	}
	return ""
}

func typing(from string) []byte { return []byte(scenario.Typing(from)) }

func text(u *user) []byte { return []byte(scenario.Text(u.phrase(1, 40))) }

// P2P session flags and application ids (switchboard.md §5).
const (
	p2pAck        = 0x2
	p2pObjectData = 0x20
	p2pFileData   = 0x1000030
	euFObject     = "{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}"
	euFFile       = "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"
)

// p2p transfers size bytes over the switchboard: who's display picture
// (sent by who) or a file the user sends, in 1202-byte chunks.
func (g *generator) p2p(s *sess, u *user, who contact, size int, file bool) {
	rng := u.rng
	session := uint32(1 + rng.IntN(1<<30))
	baseID := uint32(1 + rng.IntN(1<<30))
	call := "{" + strings.ToUpper(guid(rng)) + "}"
	euf, appID, flags := euFObject, uint32(1), uint32(p2pObjectData)
	ctx := "Context: " + token(rng, 80) + "=\r\n"
	if file {
		euf, appID, flags = euFFile, 2, p2pFileData
		ctx = "Context: " + token(rng, 200) + "=\r\n"
	}
	slpBody := fmt.Sprintf("EUF-GUID: %s\r\nSessionID: %d\r\nAppID: %d\r\n%s\r\n\x00", euf, session, appID, ctx)
	// The invitation goes from the receiver of the data to its sender for a
	// display picture, and from the sender for a file.
	from, to := u.email, who.email
	slp := fmt.Sprintf("INVITE MSNMSGR:%s MSNSLP/1.0\r\nTo: <msnmsgr:%s>\r\nFrom: <msnmsgr:%s>\r\nVia: MSNSLP/1.0/TLP ;branch={%s}\r\nCSeq: 0 \r\nCall-ID: %s\r\nMax-Forwards: 0\r\nContent-Type: application/x-msnmsgr-sessionreqbody\r\nContent-Length: %d\r\n\r\n%s",
		to, to, from, strings.ToUpper(guid(rng)), call, len(slpBody), slpBody)
	userMSG := func(body []byte) { s.CP(ms(rng.IntN(30)), fmt.Sprintf("MSG %d D", s.tr()), body) }
	whoMSG := func(body []byte) { s.SP(ms(rng.IntN(30)), "MSG "+who.email+" "+enc(who.friendly), body) }
	userMSG(p2pMsg(to, p2pHeader(0, baseID, 0, uint64(len(slp)), uint32(len(slp)), 0, 0), []byte(slp), 0))
	whoMSG(p2pMsg(from, p2pHeader(0, baseID+100, 0, uint64(len(slp)), 0, p2pAck, baseID), nil, 0))
	okBody := fmt.Sprintf("SessionID: %d\r\n\r\n\x00", session)
	ok := fmt.Sprintf("MSNSLP/1.0 200 OK\r\nTo: <msnmsgr:%s>\r\nFrom: <msnmsgr:%s>\r\nCSeq: 1 \r\nCall-ID: %s\r\nMax-Forwards: 0\r\nContent-Type: application/x-msnmsgr-sessionreqbody\r\nContent-Length: %d\r\n\r\n%s",
		from, to, call, len(okBody), okBody)
	whoMSG(p2pMsg(from, p2pHeader(0, baseID+101, 0, uint64(len(ok)), uint32(len(ok)), 0, 0), []byte(ok), 0))
	userMSG(p2pMsg(to, p2pHeader(0, baseID+1, 0, uint64(len(ok)), 0, p2pAck, baseID+101), nil, 0))
	// The data, from who for a display picture and from the user for a file.
	send, dest := whoMSG, from
	if file {
		send, dest = userMSG, to
	}
	chunk := make([]byte, 1202)
	id := baseID + 200
	for off := 0; off < size && s.ok; off += len(chunk) {
		n := min(len(chunk), size-off)
		for i := range n {
			chunk[i] = byte(rng.Uint32())
		}
		send(p2pMsg(dest, p2pHeader(session, id, uint64(off), uint64(size), uint32(n), flags, 0), chunk[:n], appID))
	}
	ack := whoMSG
	if !file {
		ack = userMSG
	}
	ack(p2pMsg(dest, p2pHeader(session, id+1, 0, uint64(size), 0, p2pAck, id), nil, 0))
}

func p2pHeader(session, id uint32, off, total uint64, length, flags, ackID uint32) []byte {
	le := binary.LittleEndian
	h := make([]byte, 48)
	le.PutUint32(h[0:], session)
	le.PutUint32(h[4:], id)
	le.PutUint64(h[8:], off)
	le.PutUint64(h[16:], total)
	le.PutUint32(h[24:], length)
	le.PutUint32(h[28:], flags)
	le.PutUint32(h[32:], ackID)
	le.PutUint32(h[36:], ackID^0x5a5a)
	le.PutUint64(h[40:], total)
	return h
}

func p2pMsg(dest string, header, data []byte, appID uint32) []byte {
	b := make([]byte, 0, 120+len(header)+len(data))
	b = append(b, "MIME-Version: 1.0\r\nContent-Type: application/x-msnmsgrp2p\r\nP2P-Dest: "...)
	b = append(b, dest...)
	b = append(b, "\r\n\r\n"...)
	b = append(b, header...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, appID)
}
