package dissect

import (
	"fmt"
	"strconv"
	"strings"
)

// VERFields is a decoded VER line.
type VERFields struct {
	// Dialects are the offered (client) or chosen (server) dialects.
	Dialects []string `json:"dialects"`
}

// Describe implements Fields.
func (f *VERFields) Describe() string { return "dialects " + strings.Join(f.Dialects, " ") }

func decodeVER(c *Conn, m *Message) {
	f := &VERFields{Dialects: m.Args}
	m.Fields = f
	if m.Dir == ClientToServer {
		c.dialect.offered = c.dialect.offered[:0]
		for _, a := range m.Args {
			if v, ok := parseDialect(a); ok {
				c.dialect.offered = append(c.dialect.offered, v)
			}
		}
		m.Meaning = "client offers " + strings.Join(m.Args, " ")
		return
	}
	if len(m.Args) > 0 && m.Args[0] == "0" {
		// Negotiation failed; some servers list what they do speak.
		m.Meaning = "server supports none of the offered dialects"
		if len(m.Args) > 1 {
			m.Meaning += " (it speaks " + strings.Join(m.Args[1:], " ") + ")"
		}
		return
	}
	for _, a := range m.Args {
		if v, ok := parseDialect(a); ok {
			c.setVersion(v)
			m.Meaning = "server chose " + a
			if len(c.dialect.offered) > 0 && !containsInt(c.dialect.offered, v) {
				m.Note(a + " was not among the dialects the client offered")
			}
			return
		}
	}
	m.Note("server VER names no dialect")
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// CVRFields is a decoded CVR line.
type CVRFields struct {
	// Client side.
	Locale   string `json:"locale,omitempty"`
	OS       string `json:"os,omitempty"`
	Client   string `json:"client,omitempty"`
	Version  string `json:"version,omitempty"`
	Passport string `json:"passport,omitempty"`
	// Server side.
	Recommended string `json:"recommended,omitempty"`
	Minimum     string `json:"minimum,omitempty"`
}

// Describe implements Fields.
func (f *CVRFields) Describe() string {
	if f.Recommended != "" {
		return fmt.Sprintf("server recommends client version %s (minimum %s)", f.Recommended, f.Minimum)
	}
	s := fmt.Sprintf("client %s %s on %s, locale %s", f.Client, f.Version, f.OS, f.Locale)
	if f.Passport != "" {
		s += ", user " + f.Passport
	}
	return s
}

func decodeCVR(c *Conn, m *Message) {
	a := m.Args
	f := &CVRFields{}
	if m.Dir == ClientToServer {
		if len(a) < 6 {
			m.Note("CVR with fewer than 6 parameters")
			return
		}
		f.Locale, f.OS, f.Client, f.Version = a[0], a[1]+" "+a[2]+" "+a[3], a[4], a[5]
		if len(a) >= 8 && strings.Contains(a[7], "@") {
			f.Passport = a[7]
			if c.user == "" {
				c.user = detach(a[7])
			}
		}
	} else {
		if len(a) < 3 {
			m.Note("CVR reply with fewer than 3 parameters")
			return
		}
		f.Recommended, f.Minimum = a[0], a[2]
	}
	m.Fields = f
}

// USRFields is a decoded USR line (login on DS/NS, or joining an SB).
type USRFields struct {
	// Package is the security package (MD5, TWN, SSO, SHA, CTP); empty on
	// switchboard logins.
	Package string `json:"package,omitempty"`
	// Stage is "I" (initial), "S" (subsequent) or "OK".
	Stage    string `json:"stage"`
	Passport string `json:"passport,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	// MachineGUID identifies the signing-in machine (MSNP16+ MPOP): the
	// last parameter of USR SSO S, or the ";{guid}" of a handle. It is
	// not a credential: JOI and ANS show it to every participant.
	MachineGUID string `json:"machine_guid,omitempty"`
}

// Describe implements Fields.
func (f *USRFields) Describe() string {
	switch {
	case f.Stage == "OK" && f.Nickname != "":
		return fmt.Sprintf("signed in as %s %q", f.Passport, f.Nickname)
	case f.Stage == "OK":
		return "signed in as " + f.Passport
	case f.Stage == "I":
		return fmt.Sprintf("%s login for %s", f.Package, f.Passport)
	case f.Stage == "S" && f.MachineGUID != "":
		return f.Package + " authentication step from machine {" + f.MachineGUID + "}"
	case f.Stage == "S":
		return f.Package + " authentication step"
	case f.Stage == "A":
		return "SHA circle ticket"
	case f.Stage == "SB":
		return "joins a switchboard as " + f.Passport
	}
	return "authentication"
}

func decodeUSR(c *Conn, m *Message) {
	a := m.Args
	f := &USRFields{}
	m.Fields = f
	switch {
	case len(a) >= 2 && a[0] == "OK":
		f.Stage, f.Passport = "OK", stripMachineGUID(a[1])
		// MSNP2–9 and switchboards send the friendly name next; MSNP10+
		// sends the verified flag instead.
		if len(a) >= 3 && !isDigits(a[2]) {
			f.Nickname = decodeText(m, a[2])
		}
		c.user = detach(f.Passport)
		if c.switchboard {
			c.participant(f.Passport, f.Nickname)
		}
	case len(a) >= 3 && (a[1] == "I" || a[1] == "S"):
		f.Package, f.Stage = a[0], a[1]
		if a[1] == "I" {
			f.Passport = a[2]
			if c.user == "" {
				c.user = detach(a[2])
			}
		} else {
			// The client's answer: MD5 hash, Passport ticket, SSO token and
			// response blob, or a CTP password. Fail closed: if the
			// connection's roles were swapped (both ports configured, capture
			// starting with a server segment), what looks like a credential
			// is redacted in either direction.
			last := len(a)
			if a[0] == "SSO" && len(a) >= 5 && isBracedGUID(a[len(a)-1]) {
				last--
				f.MachineGUID = strings.Trim(a[last], "{}")
			}
			for i := 2; i < last; i++ {
				if m.Dir == ClientToServer || looksLikeCredential(a[i]) {
					c.secret(m, i)
				}
			}
		}
	case len(a) >= 3 && a[0] == "SHA" && a[1] == "A":
		// MSNP18 circles: USR TrID SHA A base64(signed ticket).
		f.Package, f.Stage = "SHA", "A"
		for i := 2; i < len(a); i++ {
			c.secret(m, i)
		}
	case len(a) == 2 && strings.Contains(a[0], "@"):
		h := ParseHandle(a[0])
		f.Stage, f.Passport, f.MachineGUID = "SB", stripMachineGUID(a[0]), h.MachineGUID
		c.user = detach(f.Passport)
		c.switchboard = true
		c.secret(m, 1)
	default:
		m.Note(fmt.Sprintf("USR with %d parameters matches no known form", len(a)))
		// Unknown shape: keep the package name, redact the rest.
		for i := 1; i < len(a); i++ {
			c.secret(m, i)
		}
	}
}

// looksLikeCredential recognises a Passport ticket (t=…&p=…), an MD5
// answer (32 hex digits) or an SSO response blob.
func looksLikeCredential(s string) bool {
	if strings.HasPrefix(s, "t=") || strings.Contains(s, "&p=") || strings.HasPrefix(s, "HAAAAAEAAAADZgAA") {
		return true
	}
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isBracedGUID recognises an MSNP16+ machine GUID: {8-4-4-4-12 hex}.
func isBracedGUID(s string) bool {
	if len(s) != 38 || s[0] != '{' || s[37] != '}' {
		return false
	}
	for i := 1; i < 37; i++ {
		switch i {
		case 9, 14, 19, 24:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// stripMachineGUID turns "bob@x.com;{guid}" (MSNP16+) into the handle.
func stripMachineGUID(h string) string {
	if i := strings.IndexByte(h, ';'); i >= 0 {
		return h[:i]
	}
	return h
}

func decodeANS(c *Conn, m *Message) {
	c.switchboard = true
	cookie := ""
	if len(m.Args) >= 2 {
		cookie = c.secret(m, 1) // whichever way the roles went
	}
	if m.Dir == ClientToServer {
		f := layout(m, m.Args, handle("passport"), word("cookie"), word("session_id"))
		c.user = detach(f.String("passport"))
		f.set("cookie", cookie)
		f.Meaning = "answers the switchboard invitation of session " + f.String("session_id") + " as " + c.user
		c.participant(c.user, "")
		return
	}
	f := layout(m, m.Args, word("status"))
	f.Meaning = "joined the conversation"
}

// XFRFields is a decoded XFR line.
type XFRFields struct {
	// Kind is "NS" (go to a notification server) or "SB" (switchboard).
	Kind    string `json:"kind"`
	Address string `json:"address,omitempty"`
	Auth    string `json:"auth,omitempty"`
	Cookie  string `json:"cookie,omitempty"`
}

// Describe implements Fields.
func (f *XFRFields) Describe() string {
	switch {
	case f.Address == "" && f.Kind == "SB":
		return "request a switchboard"
	case f.Kind == "NS":
		return "go to notification server " + f.Address
	case f.Kind == "SB":
		return "switchboard at " + f.Address
	}
	return "transfer"
}

func decodeXFR(c *Conn, m *Message) {
	a := m.Args
	if len(a) == 0 {
		m.Note("XFR without a server kind")
		return
	}
	f := &XFRFields{Kind: a[0]}
	if len(a) >= 2 {
		f.Address = a[1]
	}
	if f.Kind == "SB" && len(a) >= 4 {
		f.Auth, f.Cookie = a[2], c.secret(m, 3)
	}
	m.Fields = f
}

var outReasons = map[string]string{
	"OTH": "signed in elsewhere", "SSD": "server shutting down",
	"MIG": "contact list migrated", "TOU": "must accept the terms of use",
	"RCT": "reconnect later",
}

func decodeOUT(c *Conn, m *Message) {
	f := layout(m, m.Args, word("reason"), num("minutes"))
	switch {
	case m.Dir == ClientToServer:
		f.Meaning = "signs out"
	case len(m.Args) == 0:
		f.Meaning = "server closes the connection"
	default:
		r := outReasons[m.Args[0]]
		if r == "" {
			r = "unknown reason " + m.Args[0]
		}
		f.Meaning = "server closes the connection: " + r
		if mins := f.String("minutes"); mins != "" {
			f.Meaning += " in " + mins + " minutes"
		}
	}
}

// ADLFields is a decoded ADL/RML list document (MSNP13+).
type ADLFields struct {
	// Initial is set on the first, full list (<ml l="1">).
	Initial  bool         `json:"initial,omitempty"`
	Contacts []ADLContact `json:"contacts"`
	meaning  string
}

// ADLContact is one <c> element of an ADL/RML document.
type ADLContact struct {
	Passport  string   `json:"passport"`
	ListMask  ListMask `json:"list_mask"`
	Lists     []string `json:"lists"`
	NetworkID int      `json:"network_id,omitempty"`
	Nickname  string   `json:"nickname,omitempty"`
}

// Describe implements Fields.
func (f *ADLFields) Describe() string {
	if f.meaning != "" {
		return f.meaning
	}
	var parts []string
	for i, ct := range f.Contacts {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("… %d more", len(f.Contacts)-5))
			break
		}
		parts = append(parts, ct.Passport+" "+strings.Join(ct.Lists, ","))
	}
	s := fmt.Sprintf("%d contacts", len(f.Contacts))
	if f.Initial {
		s = "initial list: " + s
	}
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, "; ")
	}
	return s
}

type mlDoc struct {
	L       string     `xml:"l,attr"`
	Domains []mlDomain `xml:"d"`
}

type mlDomain struct {
	N        string      `xml:"n,attr"`
	Contacts []mlContact `xml:"c"`
}

type mlContact struct {
	N string `xml:"n,attr"`
	L string `xml:"l,attr"`
	T string `xml:"t,attr"`
	F string `xml:"f,attr"`
}

// scanML reads an <ml> document of the plain subset (xmlscan.go) as
// xml.Unmarshal would into an mlDoc; ok is false when it leaves it.
func scanML(s string) (doc mlDoc, ok bool) {
	x := xmlScanner{s: s}
	root, ok := x.root()
	if !ok {
		return doc, false
	}
	doc.L = xmlAttr(root.attrs, "l")
	ok = x.children(root, func(t xmlToken) bool {
		if t.name != "d" {
			return x.skip(t)
		}
		d := mlDomain{N: xmlAttr(t.attrs, "n")}
		ok := x.children(t, func(t xmlToken) bool {
			if t.name == "c" {
				a := t.attrs
				d.Contacts = append(d.Contacts, mlContact{N: xmlAttr(a, "n"), L: xmlAttr(a, "l"), T: xmlAttr(a, "t"), F: xmlAttr(a, "f")})
			}
			return x.skip(t)
		})
		doc.Domains = append(doc.Domains, d)
		return ok
	})
	return doc, ok
}

// parseML reads an ADL/RML/FQY <ml> document; a broken one is noted on
// the message and gives nil.
func parseML(m *Message) *ADLFields {
	doc, err := decodeXML(string(m.Payload), scanML)
	if err != nil {
		m.Note("payload is not a valid <ml> document: " + err.Error())
		return nil
	}
	f := &ADLFields{Initial: doc.L == "1", Contacts: []ADLContact{}}
	for _, d := range doc.Domains {
		for _, ct := range d.Contacts {
			bits, _ := strconv.Atoi(ct.L)
			net, _ := strconv.Atoi(ct.T)
			ac := ADLContact{Passport: ct.N + "@" + d.N, ListMask: ListMask(bits), NetworkID: net}
			ac.Lists = sharedLists(ac.ListMask)
			if ct.F != "" {
				ac.Nickname = decodeText(m, ct.F)
			}
			f.Contacts = append(f.Contacts, ac)
		}
	}
	return f
}

func decodeADL(c *Conn, m *Message) {
	if !m.HasPayload {
		if len(m.Args) > 0 && m.Args[0] == "OK" && m.Dir == ServerToClient {
			m.Fields = &ADLFields{Contacts: []ADLContact{}, meaning: "list change accepted"}
			if p, ok := c.takePendingADL(m.TrID); ok {
				c.applyADL(p.cmd, p.fields)
			} else {
				m.Note("no ADL/RML with this TrID was seen")
			}
		}
		return
	}
	f := parseML(m)
	if f == nil {
		return
	}
	m.Fields = f
	if m.Cmd == "ADL" && f.Initial && m.Dir == ClientToServer && c.list == nil {
		c.newList("ADL")
		c.list.Complete = true
		// MSNP13+ clients set their privacy before sending the list.
		if s := c.sync; s != nil {
			c.list.GTC, c.list.BLP = s.gtc, s.blp
		}
	}
	if m.Dir == ServerToClient {
		// Someone added or removed you: the server's word is final.
		c.applyADL(m.Cmd, f)
		return
	}
	// The client's change takes effect only when the server accepts it.
	s := c.syncing()
	if s.pendingADL == nil {
		s.pendingADL = map[uint32]pendingList{}
	}
	if len(s.pendingADL) < maxPendingADL {
		s.pendingADL[m.TrID] = pendingList{cmd: m.Cmd, fields: f}
	}
}

// takePendingADL returns and forgets the client's ADL or RML with trID
// still waiting for the server's answer.
func (c *Conn) takePendingADL(trID uint32) (pendingList, bool) {
	if c.sync == nil {
		return pendingList{}, false
	}
	p, ok := c.sync.pendingADL[trID]
	if ok {
		delete(c.sync.pendingADL, trID)
	}
	return p, ok
}

// maxPendingADL bounds the unanswered ADL/RML commands remembered per
// connection, so a client that is never answered cannot grow memory.
const maxPendingADL = 256

// pendingList is a client ADL/RML waiting for the server's OK.
type pendingList struct {
	cmd    string
	fields *ADLFields
}

// applyADL folds an accepted ADL/RML into the contact list.
func (c *Conn) applyADL(cmd string, f *ADLFields) {
	l := c.list
	if l == nil || l.Source != "ADL" {
		return
	}
	c.lists.edit(l)
	for _, ac := range f.Contacts {
		if l.n >= maxContacts && !l.has(ac.Passport) {
			if !l.truncated {
				l.truncated = true
				l.problem(fmt.Sprintf("more than %d contacts: the rest are not kept", maxContacts))
			}
			continue
		}
		ct := l.contact(c.lists, ac.Passport)
		if cmd == "RML" {
			ct.ListMask &^= ac.ListMask
		} else {
			ct.ListMask |= ac.ListMask
		}
		if l.lean {
			continue
		}
		ct.Lists = ct.ListMask.Lists()
		if ac.NetworkID != 0 {
			ct.NetworkID = ac.NetworkID
		}
		if ac.Nickname != "" {
			ct.Nickname = ac.Nickname
		}
	}
}

// ErrorFields is a decoded numeric error reply.
type ErrorFields struct {
	Code    int    `json:"code"`
	Meaning string `json:"meaning"`
}

// Describe implements Fields.
func (f *ErrorFields) Describe() string {
	return fmt.Sprintf("error %d: %s", f.Code, f.Meaning)
}

func decodeError(c *Conn, m *Message) {
	code, _ := strconv.Atoi(m.Cmd)
	f := &ErrorFields{Code: code, Meaning: ErrorMeaning(code)}
	m.Fields = f
	if !m.HasTrID {
		return
	}
	if p, ok := c.takePendingADL(m.TrID); ok {
		if c.list != nil {
			c.list.problem(fmt.Sprintf("%s %d rejected with error %d (%s)", p.cmd, m.TrID, code, f.Meaning))
		}
	}
}

// ErrorMeaning names an MSNP error code (errors.md).
func ErrorMeaning(code int) string {
	if s, ok := errorMeanings[code]; ok {
		return s
	}
	return "unknown error code"
}

var errorMeanings = map[int]string{
	200: "syntax error", 201: "invalid parameter", 203: "invalid federated user",
	204: "invalid network id", 205: "account does not exist", 206: "domain name missing",
	207: "already logged in", 208: "invalid principal name", 209: "nickname change not allowed",
	210: "list full", 213: "invalid rename request", 215: "already on the list / in the group / in the session",
	216: "not on the list", 217: "not online / not accepting messages", 218: "already in that mode",
	219: "on the opposite list", 220: "not accepting pages", 223: "too many groups",
	224: "invalid group", 225: "not in the group", 227: "group not empty",
	228: "group name already exists", 229: "group name too long", 230: "cannot remove group zero",
	231: "invalid group", 232: "invalid phone number", 233: "unknown phone number",
	234: "unknown Keitai domain", 235: "phone number cannot be resolved", 240: "empty domain element",
	241: "invalid XML or list bits", 280: "switchboard failed", 281: "transfer to switchboard failed",
	282: "P2P error", 283: "unknown UUN application", 285: "message too long",
	290: "SMS out of funds", 300: "required field missing", 301: "too many hits to FND",
	302: "not logged in", 402: "error accessing contact list", 403: "error accessing contact list",
	420: "invalid account permissions", 500: "internal server error", 501: "database server error",
	502: "command disabled", 504: "UPS down", 508: "federated partner error",
	509: "page-mode message error", 510: "file operation failed", 511: "banned",
	520: "memory allocation failed", 540: "challenge response failed",
	600: "server busy", 601: "server unavailable", 602: "peer name server down",
	603: "database connection failed", 604: "server going down", 605: "server unavailable",
	606: "paging unavailable", 700: "could not create connection", 707: "error creating connection",
	710: "bad CVR parameters", 711: "write is blocking", 712: "session overloaded",
	713: "calling too rapidly", 714: "too many sessions", 715: "not expected in this state",
	717: "bad friend file", 718: "user restricted", 719: "session federated",
	726: "user federated", 731: "not expected (CVR)", 733: "roaming logoff",
	734: "too many endpoints", 800: "changing too rapidly", 910: "server too busy",
	911: "authentication failed", 912: "server too busy", 913: "not allowed while offline or hidden",
	914: "server unavailable", 915: "server unavailable", 916: "server unavailable",
	917: "authentication failed", 918: "server too busy", 919: "server too busy",
	920: "not accepting new principals", 921: "server too busy", 922: "server too busy",
	923: "Kids Passport without parental consent", 924: "Passport account not yet verified",
	926: "managed user: limited access", 927: "managed user: access denied", 928: "bad ticket",
	931: "account not on this server", 933: "invalid circle membership or contact list",
	935: "invalid signature",
}
