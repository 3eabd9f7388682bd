package dissect

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// keeperSessions are sync sessions of every list form, with what a
// keeper must survive: edits after the burst (LST, BPR, LSG, ADL, RML),
// a second SYN reply, mixed-case handles, contacts in unannounced groups,
// properties, AL and BL together, a list over the property cap.
var keeperSessions = map[string][]step{
	"MSNP8": msnp8Session,
	"MSNP10 with edits": {
		c2s(crlf("VER 1 MSNP10 CVR0")), s2c(crlf("VER 1 MSNP10")),
		c2s(crlf("SYN 5 0 0")),
		s2c(crlf("SYN 5 2006-01-10T09:12:31.4570000-08:00 2006-02-21T17:40:02.0430000-08:00 4 2",
			"GTC A", "BLP AL", "PRP MFN Alice",
			"LSG Friends 6d3f0d7e-1111-4f0e-9d1a-000000000001",
			"LSG Work 6d3f0d7e-1111-4f0e-9d1a-000000000002",
			"LST N=Bob@Example.com F=Bob C=11111111-2222-3333-4444-555555555555 11 6D3F0D7E-1111-4f0e-9d1a-000000000001",
			"BPR PHH 555%201234", "BPR MOB Y",
			"LST N=carol@example.com F=Carol%20%E4%B8%AD 13 6d3f0d7e-1111-4f0e-9d1a-000000000002,ffffffff-0000-0000-0000-000000000000",
			"LST N=dave@example.com 10",
			"LST N=erin@example.com F=Erin 7 6d3f0d7e-1111-4f0e-9d1a-000000000001")),
		c2s(crlf("CHG 6 NLN 0")), s2c(crlf("CHG 6 NLN 0")),
		s2c(crlf("LST N=BOB@example.com F=Bobby 4", "BPR bob@example.com PHW 999", "LSG Late 6d3f0d7e-1111-4f0e-9d1a-000000000003",
			"LST N=frank@example.com F=Frank 1 6d3f0d7e-1111-4f0e-9d1a-000000000003", "BPR nobody@example.com PHH 1")),
	},
	"MSNP5 per list": {
		c2s(crlf("VER 1 MSNP5 CVR0")), s2c(crlf("VER 1 MSNP5")),
		c2s(crlf("SYN 2 0")),
		s2c(crlf("SYN 2 14", "GTC 2 14 A", "BLP 2 14 AL",
			"LSG 2 14 1 2 0 Other%20Contacts 0", "LSG 2 14 2 2 1 Friends 0",
			"LST 2 FL 14 1 2 bob@x.com Bob 0,1", "LST 2 FL 14 2 2 carol@x.com Carol 7",
			"LST 2 AL 14 1 1 bob@x.com Bob", "BPR 14 bob@x.com PHH 1",
			"LST 2 BL 14 1 1 Bob@x.com Bob", "LST 2 RL 14 1 1 bob@x.com Bob")),
		s2c(crlf("SYN 3 15 1 1", "LST a@x.com A 1")),
	},
	"MSNP15 ADL": {
		c2s(crlf("VER 1 MSNP15 CVR0")), s2c(crlf("VER 1 MSNP15")),
		c2s(crlf("BLP 4 AL")), s2c(crlf("BLP 4 AL")),
		c2s(payload("ADL 5", `<ml l="1"><d n="example.com"><c n="bob" l="3" t="1" /><c n="carol" l="5" t="1" /></d></ml>`)),
		s2c(crlf("ADL 5 OK")),
		c2s(payload("ADL 6", `<ml><d n="example.com"><c n="dave" l="1" t="1" /></d></ml>`)),
		s2c(crlf("ADL 6 OK")),
		c2s(payload("RML 7", `<ml><d n="example.com"><c n="bob" l="2" t="1" /></d></ml>`)),
		s2c(crlf("RML 7 OK")),
		s2c(payload("ADL 0", `<ml><d n="example.com"><c n="erin" l="8" t="1" f="Erin" /></d></ml>`)),
		c2s(payload("ADL 8", `<ml><d n="example.com"><c n="zed" l="1" t="1" /></d></ml>`)),
		s2c(crlf("241 8")),
	},
}

// keeperRun dissects steps, one line per step and one second apart, with
// the given keeper (nil for none), and returns the messages' decoded
// fields and notes as JSON and the summary's list, loaded.
func keeperRun(t testing.TB, steps []step, k *ListKeeper) (msgs []string, list *ContactList) {
	t.Helper()
	col := &collector{}
	c := NewConn(ConnInfo{ID: "c1", Client: "10.0.0.1:1025", Server: "10.0.0.2:1863"}, Options{Lists: k}, col)
	ts := t0
	for _, s := range steps {
		c.Data(s.dir, ts, []byte(s.data))
		ts = ts.Add(time.Second)
	}
	c.End(ClientToServer, ts, "FIN")
	c.End(ServerToClient, ts, "FIN")
	for _, ev := range col.events {
		switch ev.Kind {
		case KindMessage:
			b, err := json.Marshal(ev.Message.Fields)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, ev.Message.Line+" "+string(b)+" "+ev.Message.Meaning+" "+strings.Join(ev.Message.Notes, "; "))
		case KindSummary:
			list = ev.Summary.ContactList
		}
	}
	if list != nil {
		if err := list.Load(); err != nil {
			t.Fatal(err)
		}
	}
	return msgs, list
}

// eager returns a keeper that seals every list after every line and
// spills every sealed list: every edit then reads its list back.
func eager(t testing.TB, lean bool) *ListKeeper {
	k := NewListKeeper(ListConfig{Lean: lean, Memory: 1, Dir: t.TempDir()})
	k.quiet, k.hotBudget = 0, 0
	return k
}

func listJSON(t testing.TB, l *ContactList) string {
	if l == nil {
		return "null"
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestListKeeperChangesNothing: with lists sealed and spilled after every
// line, each edit reading its list back from the spill file, the messages
// and the rebuilt list are exactly those of a run without a keeper; a lean
// keeper gives the same messages and problems, and no contacts.
func TestListKeeperChangesNothing(t *testing.T) {
	for name, steps := range keeperSessions {
		t.Run(name, func(t *testing.T) {
			wantMsgs, want := keeperRun(t, steps, nil)
			if want == nil || len(want.Contacts) == 0 {
				t.Fatal("the session rebuilds no list: the test checks nothing")
			}
			full := eager(t, false)
			msgs, got := keeperRun(t, steps, full)
			if !reflect.DeepEqual(msgs, wantMsgs) {
				t.Errorf("messages differ with a full keeper:\n got %q\nwant %q", msgs, wantMsgs)
			}
			if a, b := listJSON(t, got), listJSON(t, want); a != b {
				t.Errorf("list differs with a full keeper:\n got %s\nwant %s", a, b)
			}
			if full.Spills().Lists == 0 || full.Spills().Err != nil {
				t.Errorf("spills %+v: the keeper never spilled", full.Spills())
			}
			lean := eager(t, true)
			msgs, got = keeperRun(t, steps, lean)
			if !reflect.DeepEqual(msgs, wantMsgs) {
				t.Errorf("messages differ with a lean keeper:\n got %q\nwant %q", msgs, wantMsgs)
			}
			if !reflect.DeepEqual(got.Problems, want.Problems) || got.Complete != want.Complete || len(got.Contacts) != 0 {
				t.Errorf("lean list: problems %q complete %v, %d contacts; want %q %v, none", got.Problems, got.Complete, len(got.Contacts), want.Problems, want.Complete)
			}
		})
	}
}

// TestSealedContactsRoundTrip: what appendContacts writes, decodeContacts
// reads back, for every field (groups announced or not, properties,
// negative and large masks, empty strings).
func TestSealedContactsRoundTrip(t *testing.T) {
	l := newContactList("c1", "SYN")
	l.addGroup(Group{ID: "0", Name: "Other"})
	l.addGroup(Group{ID: "g1", Name: "Friends"})
	l.addGroup(Group{ID: "g1", Name: "Friends again"})
	tests := []Contact{
		{Passport: "bob@x.com", Nickname: "Bob 中", GUID: "1-2", ListMask: 11, NetworkID: 32,
			Groups: []string{"Other", "Friends", "Friends again", "unknown"}, GroupIDs: []string{"0", "g1", "g1", "unknown"},
			Properties: map[string]string{"PHH": "555 1234", "MOB": "", "": "x"}},
		{Passport: "", ListMask: -7, Groups: []string{}, GroupIDs: []string{}, Properties: map[string]string{}},
		{Passport: strings.Repeat("x", 300), ListMask: 1 << 30, NetworkID: -1, Groups: []string{}, GroupIDs: []string{}, Properties: map[string]string{}},
	}
	for i := range tests {
		ct := l.contact(nil, tests[i].Passport+strings.Repeat(" ", i)) // distinct keys
		*ct = tests[i]
		ct.Lists = ct.ListMask.Lists()
	}
	want := listJSON(t, l)
	b := l.appendContacts(nil)
	l.Contacts = nil
	l.decodeContacts(b, false)
	if got := listJSON(t, l); got != want {
		t.Errorf("round trip:\n got %s\nwant %s", got, want)
	}
	// A damaged encoding is reported on the list, not a panic.
	l.decodeContacts(b[:len(b)-3], false)
	if n := len(l.Problems); n == 0 || !strings.Contains(l.Problems[n-1], "corrupt") {
		t.Errorf("problems %q after a truncated encoding", l.Problems)
	}
}

// TestListKeeperSpillFileLost: a spilled list that cannot be read back
// says so in its problems; the run goes on.
func TestListKeeperSpillFileLost(t *testing.T) {
	k := eager(t, false)
	_, _ = keeperRun(t, keeperSessions["MSNP8"][:9], k) // ends inside nothing: list finished
	col := &collector{}
	c := NewConn(ConnInfo{ID: "c2"}, Options{Lists: k}, col)
	for _, s := range msnp8Session {
		c.Data(s.dir, t0, []byte(s.data))
	}
	c.Data(ServerToClient, t0.Add(time.Minute), []byte(crlf("CHG 9 NLN 0"))) // seals and spills
	if c.list.sealed == nil || c.list.sealed.f == nil {
		t.Fatal("the list was not spilled")
	}
	k.file.Close()
	c.Data(ServerToClient, t0.Add(time.Minute), []byte(crlf("LST zed@x.com Zed 1")))
	c.End(ClientToServer, t0, "FIN")
	c.End(ServerToClient, t0, "FIN")
	l := col.events[len(col.events)-1].Summary.ContactList
	if err := l.Load(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(l.Problems, "\n"), "contacts lost") || k.Spills().Err == nil {
		t.Errorf("problems %q, keeper error %v", l.Problems, k.Spills().Err)
	}
	if _, err := os.Stat(k.file.Name()); err == nil {
		t.Error("the spill file is still linked")
	}
}

// FuzzListKeeper: any lines after a burst header, dissected without a
// keeper and with one that seals and spills after every line, give the
// same messages and the same list.
func FuzzListKeeper(f *testing.F) {
	f.Add(uint8(10), []byte("LSG Friends 6d3f\r\nLST N=bob@x F=B%ZZ C=1 11 6D3F\r\nBPR MOB N\r\nLST N=BOB@x 4\r\n"))
	f.Add(uint8(8), []byte("LST bob@hotmail.com Bob 11 0,2\r\nBPR PHH 555%201234\r\nLSG 0 Other%20Contacts 0\r\nCHG 5 NLN 0\r\nLST bob@HOTMAIL.com Bob 4\r\n"))
	f.Add(uint8(5), []byte("LST 5 FL 14 1 2 bob@hotmail.com Bob 1\r\nBPR 14 bob@x PHH 1\r\nLST 5 BL 14 1 1 bob@hotmail.com Bob\r\n"))
	f.Add(uint8(15), []byte("ADL 0 62\r\n<ml><d n=\"x.com\"><c n=\"bob\" l=\"3\" t=\"1\" /></d></ml>\r\n"))
	f.Fuzz(func(t *testing.T, ver uint8, lines []byte) {
		v := int(ver%18) + 2
		head := "VER 1 MSNP" + itoa(v) + "\r\nSYN 5 1 1 3 3\r\n"
		if v <= 7 {
			head = "VER 1 MSNP" + itoa(v) + "\r\nSYN 5 1\r\n"
		}
		steps := []step{c2s("VER 1 MSNP" + itoa(v) + "\r\nSYN 5 0 0\r\n"), s2c(head)}
		for _, line := range strings.SplitAfter(string(lines), "\n") {
			steps = append(steps, s2c(line))
		}
		wantMsgs, want := keeperRun(t, steps, nil)
		msgs, got := keeperRun(t, steps, eager(t, false))
		if !reflect.DeepEqual(msgs, wantMsgs) {
			t.Fatalf("messages differ:\n got %q\nwant %q", msgs, wantMsgs)
		}
		if a, b := listJSON(t, got), listJSON(t, want); a != b {
			t.Fatalf("list differs:\n got %s\nwant %s", a, b)
		}
		_, lean := keeperRun(t, steps, eager(t, true))
		if want != nil && !reflect.DeepEqual(lean.Problems, want.Problems) {
			t.Fatalf("lean problems %q, want %q", lean.Problems, want.Problems)
		}
	})
}

// TestListKeeperPressure: under heap pressure a keeper spills every
// sealed list it holds and each one it seals until the pressure ends,
// counts the shed once per onset (naming the oldest list held), and what
// it rebuilds is unchanged; a keeper without a budget ignores pressure.
func TestListKeeperPressure(t *testing.T) {
	steps := keeperSessions["MSNP10 with edits"]
	_, want := keeperRun(t, steps, nil)
	var pressure atomic.Bool
	k := NewListKeeper(ListConfig{Memory: 1 << 20, Dir: t.TempDir(), Pressure: &pressure})
	k.quiet = 0 // seal after every line
	run := func(id string) *ContactList {
		col := &collector{}
		c := NewConn(ConnInfo{ID: id, Client: "10.0.0.1:1025", Server: "10.0.0.2:1863"}, Options{Lists: k}, col)
		for i, s := range steps[:len(steps)-1] { // the connection stays open
			c.Data(s.dir, t0.Add(time.Duration(i)*time.Second), []byte(s.data))
		}
		return c.list
	}
	first := run("c1")
	if k.inMem == 0 || k.Spills().Lists != 0 {
		t.Fatalf("no pressure: %d bytes in memory, %d lists spilled; want some, none", k.inMem, k.Spills().Lists)
	}
	pressure.Store(true)
	second := run("c2")
	st := k.Spills()
	if k.inMem != 0 || st.Lists < 2 || first.sealed == nil || first.sealed.f == nil {
		t.Fatalf("under pressure: %d bytes in memory, %d lists spilled, first list %+v; want none, both lists on file", k.inMem, st.Lists, first.sealed)
	}
	if st.Sheds != 1 || st.ShedConn != "c1" || !st.FirstShed.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("sheds %d, first on %q at %v; want 1 on c1 at the last line of c1", st.Sheds, st.ShedConn, st.FirstShed)
	}
	pressure.Store(false)
	third := run("c3")
	if k.inMem == 0 || k.Spills().Sheds != 1 {
		t.Fatalf("pressure over: %d bytes in memory, %d sheds; want some, still 1", k.inMem, k.Spills().Sheds)
	}
	for _, l := range []*ContactList{third, first, second} {
		if err := l.Load(); err != nil {
			t.Fatal(err)
		}
		if len(l.Contacts) != len(want.Contacts)-1 { // the last step adds frank
			t.Fatalf("list %s: %d contacts, want %d", l.Conn, len(l.Contacts), len(want.Contacts)-1)
		}
		id := l.Conn
		l.Conn = third.Conn
		if a, b := listJSON(t, l), listJSON(t, third); a != b {
			t.Errorf("list %s, back from the spill file, differs from one kept in memory:\n got %s\nwant %s", id, a, b)
		}
	}

	unbounded := NewListKeeper(ListConfig{Pressure: &pressure})
	pressure.Store(true)
	k = unbounded
	k.quiet = 0
	run("c4")
	if k.inMem == 0 || k.Spills().Lists != 0 || k.Spills().Sheds != 0 {
		t.Fatalf("no budget, under pressure: %d bytes in memory, spills %+v; want lists kept, nothing spilled", k.inMem, k.Spills())
	}
}
