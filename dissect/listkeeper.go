package dissect

import (
	clist "container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Contact lists are most of what an open notification-server login costs:
// a 300-contact list held as Contact records is about 100 KB, so a capture
// of 20,000 logins open at once (a busy server) held 2 GB of them and the
// collector ran without pause. A ListKeeper bounds that: once a list has
// been quiet for a while (its SYN burst is over, or no ADL has touched it
// for listQuiet of capture time) it is sealed, its contacts encoded into
// one compact byte string (about 60-80 bytes a contact, 25 without the
// fields a lean list drops), and sealed lists beyond the memory budget are
// written to an unlinked temporary file, the least recently sealed first.
// A later edit unseals its list (reads it back); a reader of a finished
// list calls ContactList.Load. Nothing is lost either way: the output is
// the same as with every list in memory.

// ListConfig configures a ListKeeper.
type ListConfig struct {
	// Lean keeps of each contact only what the list's checks read (the
	// passport, the list bits, the property keys): for reports that print
	// findings but no contact records. Summaries' lists then have no
	// Contacts; their Problems are the same.
	Lean bool
	// Memory is how many bytes of sealed lists stay in memory; beyond it
	// they are spilled to a temporary file in Dir ("" for the system's).
	// Zero means no bound (nothing is spilled); lists are still sealed.
	Memory int64
	Dir    string
	// Pressure, when set (from any goroutine, shared by every keeper of
	// a run), says the process's heap is near its limit; keepers read it
	// at their next message. Under pressure a keeper with a memory budget
	// keeps no sealed list in memory: those held go to the spill file at
	// once, and so does every list sealed until the pressure ends. Sealed
	// lists are pointer-free, so the collector does not scan them, but
	// they take the room it would otherwise leave between collections:
	// near the limit, it then collects without pause. A keeper without a
	// budget (Memory 0) ignores it, as it was asked to spill nothing.
	Pressure *atomic.Bool
}

// ListKeeper keeps the contact lists of the connections one dissector
// handles (share it through Options.Lists between those connections, not
// between goroutines). The zero value is not usable; see NewListKeeper.
type ListKeeper struct {
	cfg ListConfig
	// quiet and hotBudget: listQuiet and the hot lists' share of the
	// budget (tests set them to zero, to seal after every line).
	quiet     time.Duration
	hotBudget int64
	// now is the latest capture time seen, the clock of listQuiet.
	now time.Time

	// hot are the lists held as records, oldest touch first (lazily: a
	// list touched again is moved back when it reaches the head);
	// hotBytes estimates what they hold.
	hot      []*ContactList
	hotHead  int
	hotBytes int64
	// sealNext are lists to seal at the next tick: their burst is over.
	sealNext []*ContactList

	// lru holds the sealed lists kept in memory, most recently sealed at
	// the front; inMem is their size.
	lru   clist.List
	inMem int64
	// scratch is reused to encode lists; each keeps an exact copy.
	scratch []byte

	file *os.File
	end  int64
	// stats of the spill, for the limit report.
	spills     int
	firstSpill time.Time
	firstConn  string
	err        error

	// pressed is what tick last saw of ListConfig.Pressure. While
	// pressed, every sealed list goes to the spill file.
	pressed   bool
	sheds     int
	firstShed time.Time
	shedConn  string
}

// NewListKeeper returns a keeper configured by cfg.
func NewListKeeper(cfg ListConfig) *ListKeeper {
	k := &ListKeeper{cfg: cfg, quiet: listQuiet, hotBudget: max(cfg.Memory/hotShare, minHotBudget)}
	if cfg.Memory == 0 {
		k.hotBudget = 1 << 62
	}
	return k
}

// Lean reports whether the keeper keeps lean lists (ListConfig.Lean).
func (k *ListKeeper) Lean() bool { return k != nil && k.cfg.Lean }

const (
	// listQuiet is how long (capture time) a list must go untouched
	// before it is sealed: a server writes its SYN burst in milliseconds,
	// and a client's initial ADL pieces follow each other as fast.
	listQuiet = 2 * time.Second
	// hotContactCost estimates what one contact costs as a record (the
	// Contact, its map entry and strings), lean or not; hot lists beyond
	// hotShare of the memory budget are sealed at once, however recent.
	hotContactCost, leanContactCost = 400, 200
	hotShare                        = 4
	// minHotBudget keeps bursts in progress as records when the budget is
	// tiny: sealing a list at every line would be quadratic.
	minHotBudget = 4 << 20
)

// SpillStats says how many sealed lists went to the spill file, and the
// first time (capture time) and connection that made one go there.
type SpillStats struct {
	Lists int
	First time.Time
	Conn  string
	// Err is the first error writing or reading the spill file (lists
	// then stay in memory, over the budget: output matters more).
	Err error
	// Sheds counts the times heap pressure (ListConfig.Pressure) made
	// the keeper spill every sealed list it held, and says when (capture
	// time) and with whose list (the oldest held) it first did; ShedConn
	// is empty when it held none then.
	Sheds     int
	FirstShed time.Time
	ShedConn  string
}

// Spills reports the keeper's spills.
func (k *ListKeeper) Spills() SpillStats {
	return SpillStats{Lists: k.spills, First: k.firstSpill, Conn: k.firstConn, Err: k.err,
		Sheds: k.sheds, FirstShed: k.firstShed, ShedConn: k.shedConn}
}

// shed applies a change of pressure (ListConfig.Pressure).
func (k *ListKeeper) shed(on bool) {
	k.pressed = on
	if !on || k.cfg.Memory == 0 {
		return
	}
	if k.sheds == 0 {
		k.firstShed = k.now
		if k.lru.Len() > 0 {
			k.shedConn = k.lru.Back().Value.(*ContactList).Conn
		}
	}
	k.sheds++
	k.spillOver(0)
}

// spillOver spills the least recently sealed lists until at most limit
// bytes of them stay in memory.
func (k *ListKeeper) spillOver(limit int64) {
	for k.inMem > limit && k.lru.Len() > 0 && k.err == nil {
		k.spill(k.lru.Back().Value.(*ContactList))
	}
}

// tick advances the keeper's clock and seals the lists that went quiet
// (or, over the hot budget, the oldest of them).
func (k *ListKeeper) tick(now time.Time) {
	if now.After(k.now) {
		k.now = now
	}
	if k.cfg.Pressure != nil {
		if p := k.cfg.Pressure.Load(); p != k.pressed {
			k.shed(p)
		}
	}
	for i, l := range k.sealNext {
		k.seal(l)
		k.sealNext[i] = nil
	}
	k.sealNext = k.sealNext[:0]
	for k.hotHead < len(k.hot) {
		l := k.hot[k.hotHead]
		quiet := k.now.Sub(l.touched) >= k.quiet
		switch {
		case !l.isHot:
			// Sealed or finished since it was queued.
		case quiet || k.hotBytes > k.hotBudget:
			k.seal(l)
		case l.touched.After(l.queuedAt):
			// Touched since it was queued: its quiet time starts again,
			// from the back of the queue.
			l.queuedAt = l.touched
			k.hot = append(k.hot, l)
		default:
			return
		}
		k.hot[k.hotHead] = nil
		k.hotHead++
		if k.hotHead > 1024 && k.hotHead*2 > len(k.hot) {
			k.hot = append(k.hot[:0], k.hot[k.hotHead:]...)
			k.hotHead = 0
		}
	}
}

// due asks for l to be sealed at the next tick.
func (k *ListKeeper) due(l *ContactList) {
	if k != nil && l.isHot {
		k.sealNext = append(k.sealNext, l)
	}
}

// edit makes l's contacts records (unsealing them if need be) before a
// change, and marks it recently touched.
func (k *ListKeeper) edit(l *ContactList) {
	if k == nil {
		return
	}
	if l.sealed != nil {
		k.unseal(l)
	}
	l.touched = k.now
	if !l.isHot {
		l.isHot, l.queuedAt = true, k.now
		k.hot = append(k.hot, l)
		k.hotBytes += int64(l.n) * k.contactCost()
	}
}

func (k *ListKeeper) contactCost() int64 {
	if k.cfg.Lean {
		return leanContactCost
	}
	return hotContactCost
}

// added accounts for a contact added to a hot list.
func (k *ListKeeper) added() {
	if k != nil {
		k.hotBytes += k.contactCost()
	}
}

// seal encodes a hot list's contacts and drops the records.
func (k *ListKeeper) seal(l *ContactList) {
	if !l.isHot {
		return
	}
	l.isHot = false
	k.hotBytes -= int64(l.n) * k.contactCost()
	k.scratch = l.appendContacts(k.scratch[:0])
	b := make([]byte, len(k.scratch)) // exact: the budget counts len, the collector cap
	copy(b, k.scratch)
	l.sealed = &sealedContacts{b: b}
	l.Contacts, l.byPassport = nil, nil
	l.lruElem = k.lru.PushFront(l)
	k.inMem += int64(len(b))
	switch {
	case k.cfg.Memory == 0:
	case k.pressed:
		k.spillOver(0)
	default:
		k.spillOver(k.cfg.Memory)
	}
}

// spill writes a sealed list to the spill file.
func (k *ListKeeper) spill(l *ContactList) {
	s := l.sealed
	if k.file == nil {
		f, err := os.CreateTemp(k.cfg.Dir, "msnsniff-lists-*")
		if err != nil {
			k.err = fmt.Errorf("creating the contact-list spill file: %w", err)
			return
		}
		// Unlinked at once: it vanishes when the last list is read back
		// and the file is collected, or when the process ends, however.
		os.Remove(f.Name())
		k.file = f
	}
	if _, err := k.file.WriteAt(s.b, k.end); err != nil {
		k.err = fmt.Errorf("writing the contact-list spill file: %w", err)
		return
	}
	k.lruRemove(l)
	k.inMem -= int64(len(s.b))
	s.f, s.off, s.n, s.b = k.file, k.end, len(s.b), nil
	k.end += int64(s.n)
	if k.spills == 0 {
		k.firstSpill, k.firstConn = k.now, l.Conn
	}
	k.spills++
}

// unseal turns a sealed list back into records.
func (k *ListKeeper) unseal(l *ContactList) {
	s := l.sealed
	b, err := s.bytes()
	if err != nil {
		if k.err == nil {
			k.err = err
		}
		// The list's contacts are lost: say so on it rather than stop.
		l.problem("contacts lost: " + err.Error())
		b = nil
	}
	if s.f == nil {
		k.lruRemove(l)
		k.inMem -= int64(len(s.b))
	}
	l.sealed = nil
	l.decodeContacts(b, true)
}

// finish takes a list out of the keeper when its connection closes, or
// a new SYN reply replaces it (keep false): the contacts of a replaced or
// lean list are dropped, as no report reads them; a finished full list
// keeps them, sealed or not, for Load.
func (k *ListKeeper) finish(l *ContactList, keep bool) {
	if k == nil || l == nil {
		return
	}
	keep = keep && !k.cfg.Lean
	if l.isHot {
		l.isHot = false
		k.hotBytes -= int64(l.n) * k.contactCost()
	}
	if s := l.sealed; s != nil && s.f == nil {
		k.lruRemove(l)
		k.inMem -= int64(len(s.b))
	}
	if !keep {
		if l.sealed != nil {
			l.sealed.release()
		}
		l.sealed, l.Contacts, l.byPassport = nil, nil, nil
	}
}

func (k *ListKeeper) lruRemove(l *ContactList) {
	if l.lruElem != nil {
		k.lru.Remove(l.lruElem)
		l.lruElem = nil
	}
}

// sealedContacts are a list's contacts encoded: in memory (b), or n bytes
// at off in a spill file.
type sealedContacts struct {
	b   []byte
	f   *os.File
	off int64
	n   int
}

// bytes returns the encoded contacts, reading them back from the spill
// file and freeing their room there.
func (s *sealedContacts) bytes() ([]byte, error) {
	if s.f == nil {
		return s.b, nil
	}
	b := make([]byte, s.n)
	if _, err := s.f.ReadAt(b, s.off); err != nil {
		return nil, fmt.Errorf("reading back a spilled contact list: %w", err)
	}
	s.release()
	return b, nil
}

// release gives the spill file's blocks back (the file keeps its size;
// it is unlinked and gone at exit anyway).
func (s *sealedContacts) release() {
	if s.f != nil && s.n > 0 {
		// Best effort: a file system without hole punching keeps them.
		_ = unix.Fallocate(int(s.f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, s.off, int64(s.n))
	}
	s.f, s.b = nil, nil
}

// Load makes Contacts hold every contact of a finished list: a list
// handed out in a summary may be sealed (encoded, perhaps spilled to disk)
// until its reader asks. Call it once, from one goroutine, before reading
// Contacts; it is a no-op on a list that is not sealed (and on a lean
// list, which has no contacts to give).
func (l *ContactList) Load() error {
	s := l.sealed
	if s == nil {
		return nil
	}
	l.sealed = nil
	b, err := s.bytes()
	if err != nil {
		return fmt.Errorf("contact list of %s: %w", l.Conn, err)
	}
	l.decodeContacts(b, false)
	return nil
}

// appendContacts appends the contacts in order: per contact the passport,
// nickname and GUID, the list mask and network id, the groups (as an index
// into Groups when the group is one of them, by id and name, else both
// strings), and the properties sorted by key. Lists is not stored: it is
// always ListMask.Lists().
func (l *ContactList) appendContacts(b []byte) []byte {
	var index map[Group]int
	if len(l.Groups) > 0 {
		index = make(map[Group]int, len(l.Groups))
		for i, g := range l.Groups {
			if _, dup := index[g]; !dup {
				index[g] = i + 1
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(l.Contacts)))
	var keys []string
	for _, ct := range l.Contacts {
		b = appendString(b, ct.Passport)
		b = appendString(b, ct.Nickname)
		b = appendString(b, ct.GUID)
		b = binary.AppendVarint(b, int64(ct.ListMask))
		b = binary.AppendVarint(b, int64(ct.NetworkID))
		b = binary.AppendUvarint(b, uint64(len(ct.GroupIDs)))
		for i, id := range ct.GroupIDs {
			g := Group{ID: id, Name: ct.Groups[i]}
			if ref, ok := index[g]; ok {
				b = binary.AppendUvarint(b, uint64(ref))
			} else {
				b = binary.AppendUvarint(b, 0)
				b = appendString(b, g.ID)
				b = appendString(b, g.Name)
			}
		}
		keys = keys[:0]
		for key := range ct.Properties {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, key := range keys {
			b = appendString(b, key)
			b = appendString(b, ct.Properties[key])
		}
	}
	return b
}

// listsByMask are ListMask.Lists() of the masks of the five known
// lists, shared by the contacts Load decodes and by the LST and ADL
// fields of messages (read-only, as every reader of a finished list or
// a message treats them).
var listsByMask = func() (t [32][]string) {
	for m := range t {
		t[m] = ListMask(m).Lists()
	}
	return t
}()

func sharedLists(m ListMask) []string {
	if m >= 0 && int(m) < len(listsByMask) {
		return listsByMask[m]
	}
	return m.Lists()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errCorrupt reports encoded contacts that do not decode: a bug, or a
// spill file changed under us.
var errCorrupt = errors.New("encoded contact list is corrupt")

// decodeContacts rebuilds Contacts (and, for edits, the index by
// passport) from appendContacts' bytes. The strings share one allocation.
func (l *ContactList) decodeContacts(b []byte, forEdit bool) {
	d := contactDecoder{s: string(b)}
	n := d.uvarint()
	l.Contacts = make([]*Contact, 0, min(n, uint64(len(b))))
	if forEdit {
		l.byPassport = make(map[string]*Contact, len(l.Contacts))
	}
	lean := l.lean
	for i := uint64(0); i < n && d.err == nil; i++ {
		ct := &Contact{Passport: d.string(), Nickname: d.string(), GUID: d.string()}
		ct.ListMask, ct.NetworkID = ListMask(d.varint()), int(d.varint())
		if !lean || !forEdit {
			ct.Lists, ct.Groups, ct.GroupIDs, ct.Properties = sharedLists(ct.ListMask), []string{}, []string{}, map[string]string{}
		}
		for range d.uvarint() {
			var g Group
			if ref := d.uvarint(); ref == 0 {
				g.ID, g.Name = d.string(), d.string()
			} else if ref <= uint64(len(l.Groups)) {
				g = l.Groups[ref-1]
			} else {
				d.err = errCorrupt
			}
			ct.GroupIDs, ct.Groups = append(ct.GroupIDs, g.ID), append(ct.Groups, g.Name)
		}
		for range d.uvarint() {
			key, value := d.string(), d.string()
			if ct.Properties == nil {
				ct.Properties = map[string]string{}
			}
			ct.Properties[key] = value
		}
		l.Contacts = append(l.Contacts, ct)
		if forEdit {
			l.byPassport[passportKey(ct.Passport)] = ct
		}
	}
	if d.err != nil || len(d.s) != 0 {
		l.problem("contacts lost: " + errCorrupt.Error())
	}
	if forEdit {
		l.n = len(l.Contacts)
	}
}

// contactDecoder reads what appendContacts wrote; the first error sticks.
type contactDecoder struct {
	s   string
	err error
}

func (d *contactDecoder) uvarint() uint64 {
	v, n := binary.Uvarint([]byte(d.s[:min(len(d.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		d.err, d.s = errCorrupt, ""
		return 0
	}
	d.s = d.s[n:]
	return v
}

// varint undoes binary.AppendVarint's zig-zag encoding.
func (d *contactDecoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *contactDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.s)) {
		d.err, d.s = errCorrupt, ""
		return ""
	}
	s := d.s[:n]
	d.s = d.s[n:]
	return s
}
