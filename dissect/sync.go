package dissect

import (
	clist "container/list"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ListMask is the LST list-membership bit mask (sync.md §1).
type ListMask int

// List bits.
const (
	ListFL ListMask = 1 << iota // forward list: your contacts
	ListAL                      // allow list
	ListBL                      // block list
	ListRL                      // reverse list: has you as a contact
	ListPL                      // pending list: added you, not yet answered
)

var listNames = []string{"FL", "AL", "BL", "RL", "PL"}

// Lists returns the names of the set bits in bit order; bits beyond PL
// appear as "bit32", "bit64", ….
func (m ListMask) Lists() []string {
	out := []string{}
	for i := 0; i < 31; i++ {
		if m&(1<<i) == 0 {
			continue
		}
		if i < len(listNames) {
			out = append(out, listNames[i])
		} else {
			out = append(out, "bit"+strconv.Itoa(1<<i))
		}
	}
	return out
}

func listBit(name string) ListMask {
	for i, n := range listNames {
		if n == name {
			return 1 << i
		}
	}
	return 0
}

// Group is one group of a contact list.
type Group struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Contact is one contact of a rebuilt list.
type Contact struct {
	Passport string   `json:"passport"`
	Nickname string   `json:"nickname"`
	GUID     string   `json:"guid,omitempty"`
	ListMask ListMask `json:"list_mask"`
	Lists    []string `json:"lists"`
	// Groups are the group names, resolved through LSG; an id that no LSG
	// announced stays as the id.
	Groups []string `json:"groups"`
	// GroupIDs are the group references as on the wire.
	GroupIDs   []string          `json:"group_ids"`
	NetworkID  int               `json:"network_id,omitempty"`
	Properties map[string]string `json:"properties"`
}

// ContactList is what one login revealed about its lists: the SYN burst
// (MSNP2–12) or the ADL traffic (MSNP13+).
type ContactList struct {
	Conn             string            `json:"conn"`
	Session          string            `json:"session,omitempty"`
	User             string            `json:"user"`
	Protocol         string            `json:"protocol"`
	ProtocolInferred bool              `json:"protocol_inferred"`
	ListVersion      string            `json:"list_version"`
	SettingsVersion  string            `json:"settings_version,omitempty"`
	ExpectedContacts *int              `json:"expected_contacts"`
	ExpectedGroups   *int              `json:"expected_groups"`
	Complete         bool              `json:"complete"`
	CacheCurrent     bool              `json:"cache_current"`
	GTC              string            `json:"gtc"`
	BLP              string            `json:"blp"`
	Properties       map[string]string `json:"properties"`
	Groups           []Group           `json:"groups"`
	Contacts         []*Contact        `json:"contacts"`
	// Source says what the list was rebuilt from: "SYN" or "ADL".
	Source string `json:"source"`
	// Problems lists conformance findings (counts, unknown groups, …).
	Problems []string `json:"problems,omitempty"`

	byPassport map[string]*Contact
	// groupKeys are the groups' ids, lower-cased, until there are more
	// than groupsScanned; then groupIndex maps them to names.
	groupKeys    []string
	groupIndex   map[string]string
	truncated    bool
	moreProblems int
	counted      bool

	// n counts the contacts, sealed or not; lean is ListConfig.Lean.
	n    int
	lean bool
	// What a ListKeeper keeps of the list (listkeeper.go): the encoded
	// contacts once sealed, else whether it is queued as records and
	// when it was last touched and queued; its place among the sealed.
	sealed            *sealedContacts
	isHot             bool
	touched, queuedAt time.Time
	lruElem           *clist.Element
}

// maxContacts bounds a rebuilt list: real lists held at most 1000 RL and
// 600 FL contacts; a burst that goes on beyond this is hostile.
const maxContacts = 100000

func newContactList(conn, source string) *ContactList {
	return &ContactList{
		Conn: conn, Source: source,
		Properties: map[string]string{},
		Groups:     []Group{}, Contacts: []*Contact{},
		byPassport: map[string]*Contact{},
	}
}

// newList starts the connection's contact list (replacing any earlier
// one, whose contacts are dropped) and hands it to the ListKeeper.
func (c *Conn) newList(source string) *ContactList {
	if c.list != nil {
		c.lists.finish(c.list, false)
	}
	l := newContactList(c.Info.ID, source)
	l.lean = c.lists.Lean()
	c.list = l
	c.lists.edit(l)
	return l
}

// passportKey is the index key of a passport: handles are compared
// case-insensitively.
func passportKey(passport string) string { return strings.ToLower(passport) }

// has says whether the list holds passport; the list must not be sealed.
func (l *ContactList) has(passport string) bool {
	return l.byPassport[passportKey(passport)] != nil
}

// contact returns the contact for a passport, creating it in order of
// first appearance; the list must not be sealed (ListKeeper.edit).
func (l *ContactList) contact(k *ListKeeper, passport string) *Contact {
	key := passportKey(passport)
	if ct, ok := l.byPassport[key]; ok {
		return ct
	}
	ct := &Contact{Passport: passport}
	if !l.lean {
		ct.Lists, ct.Groups, ct.GroupIDs, ct.Properties = []string{}, []string{}, []string{}, map[string]string{}
	}
	l.byPassport[key] = ct
	l.Contacts = append(l.Contacts, ct)
	l.n++
	k.added()
	return ct
}

// setContactProperty stores a contact's property (a lean list keeps the
// key alone: its bound is checked, its value never shown).
func (l *ContactList) setContactProperty(ct *Contact, key, value string) {
	if l.lean {
		value = ""
	}
	if ct.Properties == nil {
		ct.Properties = map[string]string{}
	}
	l.setProperty(ct.Properties, key, value)
}

// groupName resolves a group reference case-insensitively (GUIDs are sent
// in either case); a later LSG of the same id wins.
func (l *ContactList) groupName(id string) (string, bool) {
	key := passportKey(id)
	if l.groupIndex != nil {
		name, ok := l.groupIndex[key]
		return name, ok
	}
	for i := len(l.groupKeys) - 1; i >= 0; i-- {
		if l.groupKeys[i] == key {
			return l.Groups[i].Name, true
		}
	}
	return "", false
}

// groupsScanned is how many groups are looked up by scanning groupKeys;
// beyond, an index is built (real lists have about ten groups, and a map
// of them cost more than the scan on every idle login of a server).
const groupsScanned = 16

// addGroup records an LSG group, up to maxGroups.
func (l *ContactList) addGroup(g Group) bool {
	if len(l.Groups) >= maxGroups {
		l.problem(fmt.Sprintf("more than %d groups: the rest are not kept", maxGroups))
		return false
	}
	g = Group{ID: detach(g.ID), Name: detach(g.Name)}
	key := passportKey(g.ID)
	l.Groups = append(l.Groups, g)
	switch {
	case l.groupIndex != nil:
		l.groupIndex[key] = g.Name
	case len(l.groupKeys) < groupsScanned:
		l.groupKeys = append(l.groupKeys, key)
	default:
		l.groupIndex = make(map[string]string, 2*groupsScanned)
		for i, k := range l.groupKeys {
			l.groupIndex[k] = l.Groups[i].Name
		}
		l.groupIndex[key] = g.Name
		l.groupKeys = nil
	}
	return true
}

// problem records a finding about the list; beyond maxProblems they are
// counted, and the count is added when the list is handed out.
func (l *ContactList) problem(s string) {
	if len(l.Problems) < maxProblems {
		l.Problems = append(l.Problems, s)
	} else {
		l.moreProblems++
	}
}

// setProperty stores a property, up to maxProperties keys per map.
func (l *ContactList) setProperty(props map[string]string, key, value string) {
	if _, ok := props[key]; !ok && len(props) >= maxProperties {
		l.problem(fmt.Sprintf("more than %d property keys: %s not kept", maxProperties, key))
		return
	}
	props[detach(key)] = detach(value)
}

// Bounds on what one list keeps (real lists had at most 30 groups and a
// handful of property keys); beyond them the list says so in Problems.
const (
	maxGroups           = 1000
	maxProblems         = 100
	maxProperties       = 64
	maxGroupsPerContact = 64
)

// syncState tracks a SYN burst on an NS connection.
type syncState struct {
	// clientTrID and clientVersion come from the client's SYN.
	clientSeen    bool
	clientTrID    uint32
	clientVersion string
	// replies counts server SYN replies (a second one is a finding).
	replies int
	// active is set while burst lines are expected.
	active bool
	// perList is set for the MSNP2–7 form (one LST per list membership).
	perList bool
	// tentative is set when a one-value reply of an unknown dialect may be
	// an MSNP2–7 burst start or an MSNP8–9 "cache current".
	tentative bool
	trID      uint32
	// expected counts (MSNP8+) and what arrived.
	expContacts, expGroups int
	hasCounts              bool
	lst, lsg               int
	// last is the passport of the burst's latest LST contact ("" when
	// none was kept), the owner of the BPR lines after it.
	last string
	// perListIndex tracks the MSNP2–7 index sequence per list.
	perListIndex map[string]int
	lastList     string

	// gtc and blp are the server's latest GTC and BLP, for a list that
	// starts after them (an MSNP13+ ADL list); pendingADL holds client
	// ADL/RML commands until the server answers.
	gtc, blp   string
	pendingADL map[uint32]pendingList
}

// syncing returns the connection's synchronisation state, making it.
func (c *Conn) syncing() *syncState {
	if c.sync == nil {
		c.sync = &syncState{}
	}
	return c.sync
}

// SYNFields is a decoded SYN line.
type SYNFields struct {
	ListVersion     string `json:"list_version"`
	SettingsVersion string `json:"settings_version,omitempty"`
	Contacts        *int   `json:"contacts,omitempty"`
	Groups          *int   `json:"groups,omitempty"`
	// Request is set on the client's line (its cached versions).
	Request bool `json:"request,omitempty"`
	// CacheCurrent is set on a reply that says the cached list is current.
	CacheCurrent bool `json:"cache_current,omitempty"`
}

// Describe implements Fields.
func (f *SYNFields) Describe() string {
	v := "list version " + f.ListVersion
	if f.SettingsVersion != "" {
		v += ", settings version " + f.SettingsVersion
	}
	switch {
	case f.Request:
		return "sync request: cached " + v
	case f.CacheCurrent:
		return "sync reply: cache is current (" + v + "), no list follows"
	case f.Contacts != nil:
		return fmt.Sprintf("sync reply: %s; %d contacts and %d groups follow", v, *f.Contacts, *f.Groups)
	}
	return "sync reply: " + v + "; the full list follows"
}

func decodeSYN(c *Conn, m *Message) {
	a := m.Args
	if len(a) == 0 {
		m.Note("SYN without a list version")
		return
	}
	f := &SYNFields{ListVersion: a[0]}
	m.Fields = f
	if len(a) >= 2 && (len(a) != 3) {
		f.SettingsVersion = a[1]
	}
	if m.Dir == ClientToServer {
		f.Request = true
		s := c.syncing()
		if s.clientSeen {
			m.Note("second SYN on this connection (undefined behaviour)")
		}
		s.clientSeen, s.clientTrID, s.clientVersion = true, m.TrID, detach(a[0])
		return
	}
	s := c.syncing()
	s.replies++
	if s.replies > 1 {
		m.Note("second SYN reply on this connection")
	}
	if s.clientSeen && m.HasTrID && m.TrID != s.clientTrID {
		m.Note(fmt.Sprintf("SYN reply TrID %d does not match the request's %d", m.TrID, s.clientTrID))
	}
	var counts []string
	switch len(a) {
	case 1: // MSNP2–9
	case 2: // MSNP10+ cache current
	case 3:
		counts = a[1:3]
	case 4:
		counts = a[2:4]
	default:
		m.Note(fmt.Sprintf("SYN reply with %d parameters", len(a)))
		counts = a[len(a)-2:]
	}
	l := c.newList("SYN")
	l.ListVersion, l.SettingsVersion = detach(f.ListVersion), detach(f.SettingsVersion)
	*s = syncState{clientSeen: s.clientSeen, clientTrID: s.clientTrID, clientVersion: s.clientVersion, replies: s.replies, trID: m.TrID,
		gtc: s.gtc, blp: s.blp, pendingADL: s.pendingADL}
	if counts != nil {
		nc, err1 := strconv.Atoi(counts[0])
		ng, err2 := strconv.Atoi(counts[1])
		if err1 != nil || err2 != nil || nc < 0 || ng < 0 {
			m.Note("SYN counts are not numbers")
			return
		}
		f.Contacts, f.Groups = &nc, &ng
		l.ExpectedContacts, l.ExpectedGroups = &nc, &ng
		s.hasCounts, s.expContacts, s.expGroups = true, nc, ng
		s.active = true
		return
	}
	if len(a) == 1 {
		v := c.dialect.effective()
		if s.clientSeen && a[0] == s.clientVersion || v >= 8 {
			f.CacheCurrent, l.CacheCurrent, l.Complete = true, true, true
			return
		}
		// MSNP2–7: the versions differ, so the whole list follows.
		s.active, s.perList, s.tentative = true, true, v == 0
		s.perListIndex = map[string]int{}
		return
	}
	// MSNP10+ without counts: the client's cache is current.
	f.CacheCurrent, l.CacheCurrent, l.Complete = true, true, true
}

// syncBoundary runs before a server message is decoded: a line that is
// not part of the burst ends it.
func (c *Conn) syncBoundary(m *Message) {
	s := c.sync
	if s == nil || !s.active {
		return
	}
	switch m.Cmd {
	case "GTC", "BLP", "PRP", "LSG", "LST", "BPR":
		s.tentative = false
		if s.perList {
			if m.HasTrID && m.TrID == s.trID || m.Cmd == "BPR" {
				return
			}
		} else if !m.HasTrID {
			return
		} else if m.TrID == s.trID {
			// sync.md §4: MSNP8+ burst lines carry no TrID.
			m.Note("burst line carries the SYN's TrID, which MSNP8 and later forbid")
			return
		}
	case "UUX":
		// NINA wiki: a stray "UUX 0 0" may appear inside an MSNP8 burst.
		if m.HasTrID && m.TrID == 0 {
			return
		}
	}
	if s.tentative {
		// An MSNP2-7-looking reply followed by no burst: it was a cache-current
		// reply of a dialect we could not see.
		s.active = false
		c.list.CacheCurrent, c.list.Complete = true, true
		return
	}
	c.endBurst(m)
}

// endBurst closes an active burst and checks it against the SYN counts.
// The finding is noted on m (the line that ended the burst) when given.
func (c *Conn) endBurst(m *Message) {
	s := c.sync
	if s == nil || !s.active {
		return
	}
	s.active = false
	l := c.list
	complete := true
	if s.hasCounts {
		if s.lst != s.expContacts {
			complete = false
			p := fmt.Sprintf("SYN announced %d contacts but %d LST lines followed", s.expContacts, s.lst)
			l.problem(p)
			if m != nil {
				m.Note(p)
			}
		}
		if s.lsg != s.expGroups {
			complete = false
			p := fmt.Sprintf("SYN announced %d groups but %d LSG lines followed", s.expGroups, s.lsg)
			l.problem(p)
			if m != nil {
				m.Note(p)
			}
		}
	}
	if s.perList {
		if idx, ok := s.perListIndex["RL"]; !ok || idx == 0 {
			complete = false
			p := "burst ended before the RL list was sent"
			l.problem(p)
			if m != nil {
				m.Note(p)
			}
		}
	}
	l.Complete = complete
	// The burst is over: the list can be sealed once this line is done.
	c.lists.due(l)
}

// ValueFields is a decoded GTC or BLP line.
type ValueFields struct {
	Value       string `json:"value"`
	ListVersion string `json:"list_version,omitempty"`
	what        string
}

// Describe implements Fields.
func (f *ValueFields) Describe() string {
	meaning := map[string]string{
		"A": "ask when someone adds you", "N": "don't ask when someone adds you",
		"AL": "allow everyone not blocked", "BL": "block everyone not allowed",
	}[f.Value]
	if meaning == "" {
		meaning = "unrecognised value"
	}
	return fmt.Sprintf("%s %s (%s)", f.what, f.Value, meaning)
}

func decodeValue(c *Conn, m *Message, what string, valid ...string) *ValueFields {
	a := m.Args
	if len(a) == 0 {
		m.Note(what + " without a value")
		return nil
	}
	f := &ValueFields{Value: a[len(a)-1], what: what}
	if len(a) >= 2 {
		f.ListVersion = a[0]
	}
	ok := false
	for _, v := range valid {
		ok = ok || f.Value == v
	}
	if !ok {
		m.Note(fmt.Sprintf("%s value %q is not one of %s", what, f.Value, strings.Join(valid, ", ")))
	}
	m.Fields = f
	return f
}

func decodeGTC(c *Conn, m *Message) {
	f := decodeValue(c, m, "GTC", "A", "N")
	if f != nil && m.Dir == ServerToClient {
		s := c.syncing()
		s.gtc = detach(f.Value)
		if c.list != nil {
			c.list.GTC = s.gtc
		}
	}
}

func decodeBLP(c *Conn, m *Message) {
	f := decodeValue(c, m, "BLP", "AL", "BL")
	if f != nil && m.Dir == ServerToClient {
		s := c.syncing()
		s.blp = detach(f.Value)
		if c.list != nil {
			c.list.BLP = s.blp
		}
	}
}

// PropertyFields is a decoded PRP (own property) or BPR (contact property).
type PropertyFields struct {
	// Passport is the contact a BPR belongs to (for a BPR inside an MSNP8+
	// burst: the contact of the preceding LST).
	Passport    string `json:"passport,omitempty"`
	Key         string `json:"key"`
	Value       string `json:"value"`
	ListVersion string `json:"list_version,omitempty"`
}

// Describe implements Fields.
func (f *PropertyFields) Describe() string {
	name := propertyNames[f.Key]
	if name == "" {
		name = "property " + f.Key
	}
	who := "own "
	if f.Passport != "" {
		who = f.Passport + "'s "
	}
	if f.Value == "" {
		return who + name + " is unset"
	}
	return fmt.Sprintf("%s%s = %q", who, name, f.Value)
}

var propertyNames = map[string]string{
	"PHH": "home phone", "PHW": "work phone", "PHM": "mobile phone",
	"MOB": "mobile paging allowed", "MBE": "MSN Mobile enabled",
	"WWE": "MSN Direct enabled", "HSB": "has a blog", "MFN": "friendly name",
}

// splitKeyValue reads "key [value]" from the end of a PRP/BPR line.
func splitKeyValue(m *Message, a []string) (key, value string) {
	if len(a) == 0 {
		m.Note("property line without a key")
		return "", ""
	}
	key = a[0]
	if len(a) >= 2 {
		value = decodeText(m, a[1])
	}
	if len(a) > 2 {
		m.Note("extra parameters after the property value")
	}
	if len(key) != 3 {
		m.Note(fmt.Sprintf("property key %q is not three characters", key))
	}
	return key, value
}

func decodePRP(c *Conn, m *Message) {
	a := m.Args
	f := &PropertyFields{}
	if len(a) >= 2 && isDigits(a[0]) {
		f.ListVersion, a = a[0], a[1:]
	}
	f.Key, f.Value = splitKeyValue(m, a)
	m.Fields = f
	if m.Dir == ServerToClient && c.list != nil && f.Key != "" {
		c.list.setProperty(c.list.Properties, f.Key, f.Value)
	}
}

func decodeBPR(c *Conn, m *Message) {
	a := m.Args
	f := &PropertyFields{}
	m.Fields = f
	s := c.syncing()
	switch {
	case len(a) >= 3 && isDigits(a[0]) && strings.Contains(a[1], "@"):
		// MSNP5–9: BPR listVersion handle key {value}
		f.ListVersion, f.Passport = a[0], a[1]
		a = a[2:]
	case len(a) >= 2 && isDigits(a[0]) && !strings.Contains(a[1], "@") && s.active && s.perList:
		// Escargot's MSNP5–7 form: BPR listVersion key value (no handle).
		f.ListVersion = a[0]
		a = a[1:]
		if s.last != "" {
			f.Passport = s.last
		}
		m.Note("BPR without a handle inside an MSNP5-7 burst (Escargot form)")
	case len(a) >= 2 && strings.Contains(a[0], "@"):
		// MSNP10+ asynchronous: BPR handle key {value}
		f.Passport = a[0]
		a = a[1:]
	default:
		// MSNP8+ burst: BPR key {value}, for the preceding LST contact.
		if s.active && s.last != "" {
			f.Passport = s.last
		} else if s.active {
			m.Note("BPR before any LST in the burst: no contact to attach it to")
		} else {
			m.Note("BPR without a handle outside a sync burst")
		}
	}
	f.Key, f.Value = splitKeyValue(m, a)
	if l := c.list; f.Passport != "" && l != nil && f.Key != "" {
		c.lists.edit(l)
		if s.active || l.has(f.Passport) {
			l.setContactProperty(l.contact(c.lists, f.Passport), f.Key, f.Value)
		}
	}
}

// LSGFields is a decoded LSG (group) line.
type LSGFields struct {
	GroupID     string `json:"group_id"`
	Name        string `json:"name"`
	ListVersion string `json:"list_version,omitempty"`
	Index       int    `json:"index,omitempty"`
	Total       int    `json:"total,omitempty"`
}

// Describe implements Fields.
func (f *LSGFields) Describe() string {
	return fmt.Sprintf("group %s %q", f.GroupID, f.Name)
}

func decodeLSG(c *Conn, m *Message) {
	a := m.Args
	if m.Dir == ClientToServer {
		layout(m, a).Meaning = "request the group list"
		return
	}
	f := &LSGFields{}
	switch {
	case m.HasTrID && len(a) >= 5:
		// MSNP7: LSG TrID version index total groupID name 0
		f.ListVersion = a[0]
		f.Index, _ = strconv.Atoi(a[1])
		f.Total, _ = strconv.Atoi(a[2])
		f.GroupID, f.Name = a[3], decodeText(m, a[4])
	case len(a) == 3:
		// MSNP8–9: LSG groupID name 0
		f.GroupID, f.Name = a[0], decodeText(m, a[1])
		if a[2] != "0" {
			m.Note(fmt.Sprintf("trailing LSG flag is %q, expected 0", a[2]))
		}
	case len(a) == 2:
		// MSNP10–12: LSG name groupID
		f.Name, f.GroupID = decodeText(m, a[0]), a[1]
	default:
		m.Note(fmt.Sprintf("LSG with %d parameters matches no known form", len(a)))
		return
	}
	m.Fields = f
	if c.list == nil {
		return
	}
	if _, dup := c.list.groupName(f.GroupID); dup {
		m.Note("group id " + f.GroupID + " announced twice")
	}
	if !c.list.addGroup(Group{ID: f.GroupID, Name: f.Name}) {
		return
	}
	if s := c.sync; s != nil && s.active {
		s.lsg++
		if s.hasCounts && s.lsg > s.expGroups {
			m.Note(fmt.Sprintf("LSG beyond the %d groups announced by SYN", s.expGroups))
		}
	}
}

// LSTFields is a decoded LST line. MSNP8+ lines fill ListMask/Lists;
// MSNP2–7 lines (one per list membership) fill List/Index/Total.
type LSTFields struct {
	Passport  string   `json:"passport"`
	Nickname  string   `json:"nickname"`
	GUID      string   `json:"guid,omitempty"`
	ListMask  ListMask `json:"list_mask"`
	Lists     []string `json:"lists"`
	Groups    []string `json:"groups"`
	NetworkID int      `json:"network_id,omitempty"`
	// MSNP2–7 form.
	List        string `json:"list,omitempty"`
	Index       int    `json:"index,omitempty"`
	Total       int    `json:"total,omitempty"`
	ListVersion string `json:"list_version,omitempty"`
	// groupNames are the resolved names, for the transcript.
	groupNames []string
}

// Describe implements Fields.
func (f *LSTFields) Describe() string {
	if f.Passport == "" {
		return "list " + f.List + " is empty"
	}
	// Without fmt, and with the string the one allocation: a server-side
	// capture describes millions of these.
	var buf [192]byte
	b := append(buf[:0], "contact "...)
	b = append(b, f.Passport...)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, f.Nickname)
	b = append(b, " lists="...)
	b = appendJoined(b, f.Lists, ",")
	if f.List != "" {
		b = append(b, " ("...)
		b = append(b, f.List...)
		b = append(b, " entry "...)
		b = strconv.AppendInt(b, int64(f.Index), 10)
		b = append(b, " of "...)
		b = strconv.AppendInt(b, int64(f.Total), 10)
		b = append(b, ')')
	}
	if len(f.groupNames) > 0 {
		b = append(b, " groups=["...)
		b = appendJoined(b, f.groupNames, ", ")
		b = append(b, ']')
	}
	if f.GUID != "" {
		b = append(b, " guid="...)
		b = append(b, f.GUID...)
	}
	if f.NetworkID != 0 {
		b = append(b, " network="...)
		b = strconv.AppendInt(b, int64(f.NetworkID), 10)
	}
	return string(b)
}

// appendJoined appends strings.Join(elems, sep) to b.
func appendJoined(b []byte, elems []string, sep string) []byte {
	for i, e := range elems {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, e...)
	}
	return b
}

func decodeLST(c *Conn, m *Message) {
	a := m.Args
	if m.Dir == ClientToServer {
		layout(m, a, list("list")).Meaning = "request list " + strings.Join(a, " ")
		return
	}
	var f *LSTFields
	switch {
	case m.HasTrID && len(a) > 0 && listBit(a[0]) != 0:
		f = decodeLSTPerList(m, a)
	case m.HasTrID && len(a) > 0 && strings.HasPrefix(a[0], "N="):
		f = decodeLSTKeyed(c, m, a)
	case m.HasTrID:
		f = decodeLSTBitmask(m, a)
	case len(a) > 0 && strings.HasPrefix(a[0], "N="):
		f = decodeLSTKeyed(c, m, a)
	default:
		f = decodeLSTBitmask(m, a)
	}
	if f == nil {
		return
	}
	f.Lists = sharedLists(f.ListMask)
	m.Fields = f
	c.addLST(m, f)
}

// decodeLSTPerList reads MSNP2–7: LST TrID list version index total
// {handle friendly {groups}}.
func decodeLSTPerList(m *Message, a []string) *LSTFields {
	if len(a) < 4 {
		m.Note("MSNP2-7 LST needs list, version, index and total")
		return nil
	}
	f := &LSTFields{List: a[0], ListVersion: a[1], Groups: []string{}}
	f.Index, _ = strconv.Atoi(a[2])
	f.Total, _ = strconv.Atoi(a[3])
	f.ListMask = listBit(a[0])
	if f.ListMask == 0 {
		m.Note("unknown list " + a[0])
	}
	if len(a) >= 6 {
		f.Passport, f.Nickname = a[4], decodeText(m, a[5])
	} else if f.Total != 0 {
		m.Note("LST entry without handle and friendly name")
	}
	if len(a) >= 7 {
		f.Groups = strings.Split(a[6], ",")
		if a[0] != "FL" {
			m.Note("group column on a list other than FL")
		}
	}
	return f
}

// decodeLSTBitmask reads MSNP8–9: LST handle friendly listBits {groups}.
func decodeLSTBitmask(m *Message, a []string) *LSTFields {
	if len(a) < 3 {
		m.Note("MSNP8-9 LST needs handle, friendly name and list bits")
		return nil
	}
	bits, err := strconv.Atoi(a[2])
	if err != nil {
		m.Note("list bits " + a[2] + " are not a number")
	}
	f := &LSTFields{Passport: a[0], Nickname: decodeText(m, a[1]), ListMask: ListMask(bits), Groups: []string{}}
	if len(a) >= 4 {
		f.Groups = strings.Split(a[3], ",")
	}
	if len(a) > 4 {
		m.Note("extra parameters after the group list")
	}
	return f
}

// decodeLSTKeyed reads MSNP10–12: fields by prefix (N=, F=, C=), then the
// list bits, then (MSNP12) the network id, then group ids.
func decodeLSTKeyed(c *Conn, m *Message, a []string) *LSTFields {
	f := &LSTFields{Groups: []string{}}
	i := 0
	for ; i < len(a); i++ {
		k, v, ok := strings.Cut(a[i], "=")
		if !ok || len(k) != 1 {
			break
		}
		switch k {
		case "N":
			f.Passport = v
		case "F":
			f.Nickname = decodeText(m, v)
		case "C":
			f.GUID = v
		default:
			m.Note("unknown LST field " + k + "=")
		}
	}
	if f.Passport == "" {
		m.Note("LST without N= handle")
	}
	if i >= len(a) || !isDigits(a[i]) {
		m.Note("LST without list bits")
		return f
	}
	bits, _ := strconv.Atoi(a[i])
	f.ListMask = ListMask(bits)
	rest := a[i+1:]
	if len(rest) > 0 && c.lstHasNetworkID(f, rest) {
		f.NetworkID, _ = strconv.Atoi(rest[0])
		rest = rest[1:]
		if c.dialect.version == 0 {
			c.dialect.atLeast(12) // the network-id column exists only in MSNP12
		}
	}
	if len(rest) > 0 {
		f.Groups = strings.Split(rest[0], ",")
	}
	if len(rest) > 1 {
		m.Note("extra parameters after the group list")
	}
	return f
}

// lstHasNetworkID decides whether the token after the list bits is the
// MSNP12 network id or a group list: by dialect when known, else by shape.
func (c *Conn) lstHasNetworkID(f *LSTFields, rest []string) bool {
	tok := rest[0]
	if !isDigits(tok) {
		return false // a GUID or a comma-separated group list
	}
	if v := c.dialect.version; v != 0 {
		return v >= 12
	}
	switch {
	case c.dialect.lo >= 12:
		return true
	case c.dialect.hi != 0 && c.dialect.hi <= 11:
		return false
	case len(rest) >= 2:
		return true
	case f.ListMask&ListFL == 0:
		return true // groups only ever follow an FL contact
	case c.abch == 1:
		return true // with ABCH group ids are GUIDs, so a number is a network id
	}
	return false
}

// addLST folds a decoded LST line into the contact list.
func (c *Conn) addLST(m *Message, f *LSTFields) {
	l := c.list
	s := c.syncing()
	if l == nil {
		// An LST outside a captured SYN (the reply was missed): still
		// rebuild what we can.
		l = c.newList("SYN")
		m.Note("LST without a preceding SYN reply")
	}
	c.lists.edit(l)
	if s.active && s.perList {
		c.checkPerListOrder(m, f)
	}
	if f.Passport == "" {
		return
	}
	if s.active && !s.perList {
		s.lst++
		if s.hasCounts && s.lst > s.expContacts {
			m.Note(fmt.Sprintf("LST beyond the %d contacts announced by SYN", s.expContacts))
		}
	}
	if l.n >= maxContacts && !l.has(f.Passport) {
		if !l.truncated {
			l.truncated = true
			l.problem(fmt.Sprintf("more than %d contacts: the rest are not kept", maxContacts))
		}
		s.last = ""
		return
	}
	ct := l.contact(c.lists, f.Passport)
	s.last = ct.Passport
	ct.ListMask |= f.ListMask
	if !l.lean {
		if f.Nickname != "" && (ct.Nickname == "" || f.List == "" || f.List == "FL") {
			ct.Nickname = f.Nickname
		}
		if f.GUID != "" {
			ct.GUID = f.GUID
		}
		if f.NetworkID != 0 {
			ct.NetworkID = f.NetworkID
		}
		ct.Lists = ct.ListMask.Lists()
	}
	if ct.ListMask&ListAL != 0 && ct.ListMask&ListBL != 0 {
		p := fmt.Sprintf("%s is on both AL and BL", ct.Passport)
		m.Note(p)
		l.problem(p)
	}
	if len(f.Groups) > 0 && f.List == "" && f.ListMask&ListFL == 0 {
		p := fmt.Sprintf("%s has a group column without the FL bit", ct.Passport)
		m.Note(p)
		l.problem(p)
	}
	for _, g := range f.Groups {
		if g == "" {
			continue
		}
		name, ok := l.groupName(g)
		if !ok {
			p := fmt.Sprintf("%s is in group %s, which no LSG announced", ct.Passport, g)
			m.Note(p)
			l.problem(p)
			name = g
		}
		f.groupNames = append(f.groupNames, name)
		if !l.lean && len(ct.GroupIDs) < maxGroupsPerContact && !contains(ct.GroupIDs, g) {
			ct.GroupIDs = append(ct.GroupIDs, g)
			ct.Groups = append(ct.Groups, name)
		}
	}
}

// checkPerListOrder checks the MSNP2–7 burst: lists in FL, AL, BL, RL
// order, index running 1…total per list; the RL line with index == total
// ends the burst.
func (c *Conn) checkPerListOrder(m *Message, f *LSTFields) {
	s := c.syncing()
	order := map[string]int{"FL": 0, "AL": 1, "BL": 2, "RL": 3}
	if s.lastList != f.List {
		if s.lastList != "" && order[f.List] < order[s.lastList] {
			m.Note(fmt.Sprintf("list %s after %s: expected FL, AL, BL, RL order", f.List, s.lastList))
		}
		s.lastList = f.List
	}
	want := s.perListIndex[f.List] + 1
	if f.Total == 0 {
		want = 0
	}
	if f.Index != want {
		p := fmt.Sprintf("%s index %d, expected %d", f.List, f.Index, want)
		m.Note(p)
		c.list.problem(p)
	}
	s.perListIndex[f.List] = f.Index
	if f.List == "RL" && f.Index == f.Total {
		if f.Total == 0 {
			s.perListIndex["RL"] = -1 // sent, and empty
		}
		c.endBurst(m)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
