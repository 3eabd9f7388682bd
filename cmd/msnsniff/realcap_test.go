package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// analysis is what one in-process run of the pipeline produced.
type analysis struct {
	// messages per connection and direction (keyed "client dir"), rendered
	// compactly; the order across directions depends on packet order.
	messages map[string][]string
	events   []*dissect.Event
	lists    []*dissect.ContactList
	stderr   string
	bad      int
}

// analyse runs the whole pipeline in-process on capture files.
func analyse(t testing.TB, names ...string) *analysis {
	t.Helper()
	a := &analysis{messages: map[string][]string{}}
	var stderr bytes.Buffer
	sink := dissect.SinkFunc(func(ev *dissect.Event) {
		a.events = append(a.events, ev)
		if ev.Kind == dissect.KindSummary && ev.Summary.ContactList != nil {
			a.lists = append(a.lists, ev.Summary.ContactList)
		}
		if ev.Kind == dissect.KindMessage {
			m := ev.Message
			s := fmt.Sprintf("%s %s %d/%v %q [%d]%x", ev.Dir, m.Cmd, m.TrID, m.HasTrID, m.Args, m.PayloadMissing, m.Payload)
			key := ev.Conn.Client + " " + ev.Dir.String()
			a.messages[key] = append(a.messages[key], s)
		}
	})
	o := &options{ports: []uint{1863}, contactRecords: true}
	p, err := newPipeline(o, sink, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	p.run(names)
	for _, l := range a.lists {
		if err := l.Load(); err != nil {
			t.Fatal(err)
		}
	}
	sortByConn(a.lists, func(l *dissect.ContactList) string { return l.Conn })
	a.stderr, a.bad = stderr.String(), p.badInputs
	return a
}

func listsJSON(t testing.TB, lists []*dissect.ContactList) string {
	b, err := json.Marshal(lists)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// explained are the anomalies the real captures are known to contain; each
// is a true statement about the traffic, not a dissector failure.
var explained = []*regexp.Regexp{
	regexp.MustCompile(`^text is not valid UTF-8; read as Latin-1$`),                    // hc9725: a binary friendly name in USR OK
	regexp.MustCompile(`^trailing space after the last parameter$`),                     // Escargot: LST of a contact in no group
	regexp.MustCompile(`has a group column without the FL bit$`),                        // Escargot sends groups on non-FL contacts
	regexp.MustCompile(`^(FQY|SBP|GTC) (does not exist before|was removed after) MSNP`), // the peer client's scripted misuse
}

// TestRealCapturesNoUnexplainedAnomalies: every real capture dissects
// without gaps, skipped bytes, input errors or unexplained notes.
func TestRealCapturesNoUnexplainedAnomalies(t *testing.T) {
	shared := sharedDir(t)
	files, _ := filepath.Glob(filepath.Join(shared, "pcaps", "*.pcap"))
	peer, _ := filepath.Glob(filepath.Join(shared, "peer", "*.pcap"))
	files = append(files, peer...)
	if len(files) < 4 {
		t.Fatalf("only %d real captures found", len(files))
	}
	for _, f := range files {
		a := analyse(t, f)
		if a.bad != 0 || a.stderr != "" {
			t.Errorf("%s: input errors: %s", filepath.Base(f), a.stderr)
		}
		msgs := 0
		for _, ev := range a.events {
			switch ev.Kind {
			case dissect.KindGap, dissect.KindSkip:
				t.Errorf("%s: %s %s %d bytes (%s)", filepath.Base(f), ev.Conn.ID, ev.Kind, ev.Bytes, ev.Reason)
			case dissect.KindMessage:
				msgs++
				for _, n := range ev.Message.Notes {
					if !matchesAny(n) {
						t.Errorf("%s: %s %q: unexplained note %q", filepath.Base(f), ev.Conn.ID, ev.Message.Line, n)
					}
				}
				if ev.Message.Cmd != "" && dissect.Lookup(ev.Message.Cmd) == nil && !isNumeric(ev.Message.Cmd) {
					t.Errorf("%s: unknown command %q", filepath.Base(f), ev.Message.Line)
				}
				if ev.Message.Fields == nil {
					t.Errorf("%s: %q has no decoded fields", filepath.Base(f), ev.Message.Line)
				}
			}
		}
		if msgs == 0 {
			t.Errorf("%s: no messages", filepath.Base(f))
		}
	}
}

func matchesAny(note string) bool {
	for _, re := range explained {
		if re.MatchString(note) {
			return true
		}
	}
	return false
}

func isNumeric(s string) bool { return strings.Trim(s, "0123456789") == "" }

// TestRealMSNP8Contacts: the 2011 MSNP8 capture holds two logins of one
// user, each with a full burst of 12 contacts in 3 groups.
func TestRealMSNP8Contacts(t *testing.T) {
	shared := sharedDir(t)
	a := analyse(t, filepath.Join(shared, "pcaps", "hc9725-my_etherdump__pcap__msn.pcap"))
	if len(a.lists) != 2 {
		t.Fatalf("%d contact lists, want 2", len(a.lists))
	}
	for _, l := range a.lists {
		if l.Protocol != "MSNP8" || !l.Complete || len(l.Contacts) != 12 || len(l.Groups) != 3 || len(l.Problems) != 0 {
			t.Errorf("%s: %s complete=%v contacts=%d groups=%d problems=%q", l.Conn, l.Protocol, l.Complete, len(l.Contacts), len(l.Groups), l.Problems)
		}
		if l.GTC != "A" || l.BLP != "BL" || *l.ExpectedContacts != 12 || *l.ExpectedGroups != 3 {
			t.Errorf("%s: gtc %q blp %q expected %d/%d", l.Conn, l.GTC, l.BLP, *l.ExpectedContacts, *l.ExpectedGroups)
		}
		// Group membership and lists, as counts (the names are real
		// people's and stay out of the code).
		perGroup := map[string]int{}
		perLists := map[string]int{}
		for _, c := range l.Contacts {
			if len(c.Groups) != 1 {
				t.Errorf("%s: contact in %d groups", l.Conn, len(c.Groups))
			}
			for i, g := range c.Groups {
				if g == c.GroupIDs[i] {
					t.Errorf("%s: group %s not resolved to a name", l.Conn, g)
				}
				perGroup[c.GroupIDs[i]]++
			}
			perLists[strings.Join(c.Lists, ",")]++
		}
		if fmt.Sprint(perGroup) != "map[0:7 1:2 2:3]" || fmt.Sprint(perLists) != "map[FL,AL:5 FL,AL,RL:7]" {
			t.Errorf("%s: per group %v, per lists %v", l.Conn, perGroup, perLists)
		}
	}
}

// streamsOf rebuilds, from a capture, each connection's bytes in the order
// they were delivered, as scripted conversations that capgen can re-cut.
func streamsOf(t testing.TB, name string) []*capgen.Conversation {
	t.Helper()
	type conv struct {
		c *capgen.Conversation
	}
	convs := map[string]*conv{}
	var order []string
	sink := dissect.SinkFunc(func(*dissect.Event) {})
	o := &options{ports: []uint{1863}}
	p, err := newPipeline(o, sink, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{pipeline: p, data: func(client, server string, start time.Time, c2s bool, b []byte) {
		cv := convs[client]
		if cv == nil {
			cv = &conv{c: &capgen.Conversation{Client: mustAddrPort(client), Server: mustAddrPort(server), Start: start, Handshake: true, Close: true, Step: time.Millisecond}}
			convs[client] = cv
			order = append(order, client)
		}
		if c2s {
			cv.c.ClientSends(b)
		} else {
			cv.c.ServerSends(b)
		}
	}}
	p.asm = newAssemblerFor(t, o, rec)
	p.run([]string{name})
	var out []*capgen.Conversation
	for _, k := range order {
		out = append(out, convs[k].c)
	}
	return out
}

// TestRecutCapturesGiveTheSameResult: the real MSNP8 capture and the
// bundled MSNP8 visit, re-cut into tiny segments, reordered, duplicated
// and overlapped, in every container format and on every link type, give
// exactly the messages and contact lists of the original.
func TestRecutCapturesGiveTheSameResult(t *testing.T) {
	sources := []string{filepath.Join(pcaps, "msnp8-visit.pcap")}
	if dir := os.Getenv("MSNSNIFF_SHARED"); dir != "" || dirExists(filepath.Join("..", "..", "..", "shared", "pcaps")) {
		sources = append(sources, filepath.Join(sharedDirNoSkip(), "pcaps", "hc9725-my_etherdump__pcap__msn.pcap"))
	}
	formats := []capgen.Format{capgen.PCAP, capgen.PCAPNano, capgen.PCAPBigEndian, capgen.PCAPNG}
	links := []capgen.Link{capgen.Ethernet, capgen.VLAN, capgen.QinQ, capgen.SLL, capgen.SLL2, capgen.RawIP, capgen.Null, capgen.Loop}
	for _, src := range sources {
		want := analyse(t, src)
		convs := streamsOf(t, src)
		for i, f := range formats {
			for j, l := range links {
				opts := capgen.Options{MaxSegment: 1 + (i*len(links)+j)%9, RandomSegments: true, Seed: int64(i*31 + j),
					Reorder: 0.4, Duplicate: 0.3, Overlap: 0.3}
				var all [][]capgen.Packet
				for k, c := range convs {
					o := opts
					o.Seed += int64(k)
					all = append(all, c.Packets(o))
				}
				var buf bytes.Buffer
				if err := capgen.Write(&buf, f, l, capgen.Interleave(all...)); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "recut")
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				got := analyse(t, path)
				name := fmt.Sprintf("%s/%s/%s", filepath.Base(src), f, l)
				if got.bad != 0 {
					t.Errorf("%s: input errors %s", name, got.stderr)
				}
				compareMessages(t, name, want.messages, got.messages)
				if listsJSONNoVersion(t, got.lists) != listsJSONNoVersion(t, want.lists) {
					t.Errorf("%s: contact lists differ", name)
				}
			}
		}
	}
}

func compareMessages(t *testing.T, name string, want, got map[string][]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(got) != len(want) {
		t.Errorf("%s: %d connections, want %d", name, len(got), len(want))
	}
	for _, k := range keys {
		w, g := want[k], got[k]
		if len(w) != len(g) {
			t.Errorf("%s %s: %d messages, want %d", name, k, len(g), len(w))
		}
		for i := 0; i < len(w) && i < len(g); i++ {
			if w[i] != g[i] {
				t.Errorf("%s %s: message %d\n got %.200s\nwant %.200s", name, k, i, g[i], w[i])
				break
			}
		}
	}
}

// listsJSONNoVersion renders lists without their connection ids, which
// depend only on the order connections appear.
func listsJSONNoVersion(t testing.TB, lists []*dissect.ContactList) string {
	var parts []string
	for _, l := range lists {
		c := *l
		c.Conn = ""
		parts = append(parts, listsJSON(t, []*dissect.ContactList{&c}))
	}
	return strings.Join(parts, "\n")
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func sharedDirNoSkip() string {
	if d := os.Getenv("MSNSNIFF_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared")
}

// peerTruth is the part of a *.truth.json file the tests use.
type peerTruth struct {
	Protocol string `json:"protocol"`
	Before   struct {
		Users []struct {
			Email  string `json:"email"`
			BLP    string `json:"BLP_as_sent_by_SYN"`
			GTC    string `json:"GTC_as_sent_by_SYN"`
			Groups []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"groups"`
			Contacts []struct {
				Passport string   `json:"passport"`
				GUID     string   `json:"guid"`
				Nickname string   `json:"nickname_stored"`
				Mask     int      `json:"list_bitmask"`
				Groups   []string `json:"groups"`
			} `json:"contacts"`
		} `json:"users"`
	} `json:"before"`
}

// TestPeerCapturesMatchTheServerDatabase: for the Escargot captures of
// MSNP8–12, every contact list rebuilt from a SYN burst equals what the
// server's database held for that user.
func TestPeerCapturesMatchTheServerDatabase(t *testing.T) {
	shared := sharedDir(t)
	truths, _ := filepath.Glob(filepath.Join(shared, "peer", "msnp*_*.truth.json"))
	checked, adlChecked := 0, 0
	for _, tf := range truths {
		var truth peerTruth
		raw, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &truth); err != nil {
			t.Fatalf("%s: %v", tf, err)
		}
		capFile := strings.TrimSuffix(tf, ".truth.json") + ".pcap"
		a := analyse(t, capFile)
		for _, l := range a.lists {
			name := filepath.Base(capFile) + " " + l.Conn + " " + l.User
			if l.Source == "ADL" {
				// MSNP13+: the privacy setting comes as BLP before the
				// ADL list (GTC no longer exists).
				for _, u := range truth.Before.Users {
					if u.Email == l.User {
						adlChecked++
						if l.BLP != u.BLP {
							t.Errorf("%s: BLP %q, want %q", name, l.BLP, u.BLP)
						}
					}
				}
			}
			if l.Source != "SYN" {
				continue
			}
			if l.Protocol != truth.Protocol || !l.Complete {
				t.Errorf("%s: protocol %s complete %v problems %q", name, l.Protocol, l.Complete, l.Problems)
			}
			found := false
			for _, u := range truth.Before.Users {
				if u.Email != l.User {
					continue
				}
				found = true
				checked++
				if l.BLP != u.BLP || l.GTC != u.GTC {
					t.Errorf("%s: BLP %s GTC %s, want %s %s", name, l.BLP, l.GTC, u.BLP, u.GTC)
				}
				groups := map[string]string{}
				for _, g := range u.Groups {
					groups[g.ID] = g.Name
				}
				for _, g := range l.Groups {
					if groups[g.ID] != g.Name && !(g.ID == "0" && g.Name == "Other Contacts") {
						t.Errorf("%s: group %s %q not in the database", name, g.ID, g.Name)
					}
				}
				if len(l.Contacts) != len(u.Contacts) {
					t.Errorf("%s: %d contacts, database has %d", name, len(l.Contacts), len(u.Contacts))
				}
				byPassport := map[string]*dissect.Contact{}
				for _, c := range l.Contacts {
					byPassport[c.Passport] = c
				}
				for _, want := range u.Contacts {
					c := byPassport[want.Passport]
					if c == nil {
						t.Errorf("%s: contact %s missing", name, want.Passport)
						continue
					}
					if int(c.ListMask) != want.Mask || c.Nickname != want.Nickname {
						t.Errorf("%s: %s mask %d nick %q, want %d %q", name, want.Passport, c.ListMask, c.Nickname, want.Mask, want.Nickname)
					}
					if c.GUID != "" && !strings.EqualFold(c.GUID, want.GUID) {
						t.Errorf("%s: %s guid %s, want %s", name, want.Passport, c.GUID, want.GUID)
					}
					if c.ListMask&1 != 0 {
						got := append([]string(nil), c.GroupIDs...)
						sort.Strings(got)
						exp := append([]string(nil), want.Groups...)
						sort.Strings(exp)
						if len(exp) == 0 && len(got) == 1 && got[0] == "0" {
							got = nil // MSNP8/9: "0" is Other Contacts, the default group
						}
						if strings.Join(got, ",") != strings.Join(exp, ",") {
							t.Errorf("%s: %s groups %v, want %v", name, want.Passport, got, exp)
						}
					}
				}
			}
			if !found {
				t.Errorf("%s: user not in the database", name)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d contact lists checked against the database", checked)
	}
	if adlChecked < 8 {
		t.Errorf("only %d ADL lists' privacy checked against the database", adlChecked)
	}
}

// chatLog runs "chats --format json" and returns the conversations.
func chatLog(t *testing.T, args ...string) []dissect.Conversation {
	t.Helper()
	out, errOut, code := cli(t, nil, append([]string{"chats", "--format", "json", "--typing"}, args...)...)
	if code != 0 {
		t.Fatalf("chats: exit %d: %s", code, errOut)
	}
	var convs []dissect.Conversation
	if err := json.Unmarshal([]byte(out), &convs); err != nil {
		t.Fatal(err)
	}
	return convs
}

// TestRealChats: the 2006 switchboard chat (typing and text, MSNP12 era)
// reads as a clean log with the right senders, and the 2011 capture's chat
// keeps its multi-byte text and nicknames.
func TestRealChats(t *testing.T) {
	shared := sharedDir(t)
	convs := chatLog(t, filepath.Join(shared, "pcaps", "chrissanders-packets__ppa1e__msnms.pcap"))
	if len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
	c := convs[0]
	var texts []string
	typing := 0
	for _, m := range c.Messages {
		switch m.Kind {
		case "text":
			texts = append(texts, m.Nickname+": "+m.Text)
		case "typing":
			typing++
		case "join":
		default:
			t.Errorf("unexpected %s entry", m.Kind)
		}
	}
	want := []string{
		"Brian: Hey Brian",
		"Thomas: Hey man, whats up?",
		"Brian: Not much, did you hear about the new IT guy they hired?",
		"Thomas: ohh yea, i hear he is a real jerk",
		"Brian: I've heard the same",
		"Thomas: maybe we should try hacking into a server to mess with him?",
		"Brian: sounds good to me",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") || typing < 10 {
		t.Errorf("chat log:\n%s\n(%d typing notices)", strings.Join(texts, "\n"), typing)
	}
	if len(c.Participants) != 2 || c.User == "" || c.Participants[0].Passport != c.User {
		t.Errorf("participants %+v, user %q", c.Participants, c.User)
	}

	convs = chatLog(t, filepath.Join(shared, "pcaps", "hc9725-my_etherdump__pcap__msn.pcap"))
	if len(convs) != 1 {
		t.Fatalf("%d conversations in the MSNP8 capture, want 1", len(convs))
	}
	var sawCJK, sawOther bool
	for _, m := range convs[0].Messages {
		if m.Kind != "text" {
			continue
		}
		if m.From == convs[0].User && m.Text == "地方地方" {
			sawCJK = true
		}
		if m.From != convs[0].User && m.Nickname != "" {
			sawOther = true
		}
	}
	if !sawCJK || !sawOther {
		t.Errorf("MSNP8 chat: multi-byte text from the user %v, named peer %v: %+v", sawCJK, sawOther, convs[0].Messages)
	}
}

// TestSecretsRedacted: no credential from the real captures reaches any
// output without --show-secrets. The credentials are found by running
// with --show-secrets and comparing every message's parameters.
func TestSecretsRedacted(t *testing.T) {
	shared := sharedDir(t)
	files, _ := filepath.Glob(filepath.Join(shared, "pcaps", "*.pcap"))
	peer, _ := filepath.Glob(filepath.Join(shared, "peer", "*.pcap"))
	files = append(files, peer...)
	found := 0
	for _, f := range files {
		ports := []string{"--port", "1863", "--port", "1864"}
		shown, _, _ := cli(t, nil, append([]string{"read", "--format", "json", "--show-secrets"}, append(ports, f)...)...)
		hidden, _, _ := cli(t, nil, append([]string{"read", "--format", "json"}, append(ports, f)...)...)
		a, b := decodeNDJSON(t, shown), decodeNDJSON(t, hidden)
		if len(a) != len(b) {
			t.Fatalf("%s: %d records with secrets, %d without", f, len(a), len(b))
		}
		var secrets []string
		for i := range a {
			if a[i]["type"] != "message" {
				continue
			}
			sa, sb := toStrings(a[i]["args"]), toStrings(b[i]["args"])
			for k := range sa {
				if sa[k] != sb[k] {
					if !strings.HasPrefix(sb[k], "[redacted ") {
						t.Errorf("%s: %q shown as %q", f, sa[k], sb[k])
					}
					secrets = append(secrets, sa[k])
				}
			}
			// Every TWN/SSO ticket must be among them.
			for _, arg := range sb {
				if strings.HasPrefix(arg, "t=") {
					t.Errorf("%s: ticket not redacted: %.40s", f, arg)
				}
			}
		}
		found += len(secrets)
		var outputs []string
		for _, args := range [][]string{{"read"}, {"read", "--format", "json"}, {"contacts", "--format", "json"}, {"contacts"}, {"chats", "--typing"}, {"chats", "--format", "json"}} {
			out, _, _ := cli(t, nil, append(append(args, ports...), f)...)
			outputs = append(outputs, out)
		}
		all := strings.Join(outputs, "\n")
		for _, s := range secrets {
			if len(s) >= 6 && strings.Contains(all, s) {
				t.Errorf("%s: secret %.30s… reaches the output", filepath.Base(f), s)
			}
		}
		if strings.Contains(all, "MSPAuth") {
			t.Errorf("%s: MSPAuth reaches the output", filepath.Base(f))
		}
	}
	if found < 20 {
		t.Errorf("only %d credentials found in the real captures; the comparison is not working", found)
	}
}

// TestRealSessions: the MSNP8 capture's two logins (DS → NS each) are two
// sessions of one user, the switchboard in the session whose NS sent its
// RNG; the MSNP11-era capture's switchboards link to the NS that invited
// them by cookie although every stream starts mid-connection.
func TestRealSessions(t *testing.T) {
	shared := sharedDir(t)
	rows := func(file string) []string {
		out, errOut, code := cli(t, nil, "sessions", "--format", "json", filepath.Join(shared, "pcaps", file))
		if code != 0 {
			t.Fatalf("%s: exit %d %s", file, code, errOut)
		}
		var recs []map[string]any
		if err := json.Unmarshal([]byte(out), &recs); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			parent, _ := r["parent"].(string)
			got = append(got, fmt.Sprint(r["conn"], " ", r["session"], " ", r["role"], " ", parent, " ", r["user"] != ""))
		}
		return got
	}
	got := rows("hc9725-my_etherdump__pcap__msn.pcap")
	want := []string{"c1 s1 DS  true", "c2 s1 NS  true", "c3 s3 DS  true", "c4 s3 NS  true", "c5 s3 SB c4 true"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("MSNP8 capture sessions\n got %q\nwant %q", got, want)
	}
	got = rows("ndpi__tests_pcap__msnms.pcap")
	want = []string{"c1 s1 SB  true", "c2 s2 NS  true", "c3 s2 SB c2 true", "c4 s2 SB c2 true", "c5 s2 SB c2 true", "c6 s2 SB c2 true"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("MSNP11-era capture sessions\n got %q\nwant %q", got, want)
	}
	// c1 is placed in s1 only when it closes; --session still finds all
	// of its messages (the filter's first pass).
	out, _, _ := cli(t, nil, "read", "--format", "json", "--session", "s1", filepath.Join(shared, "pcaps", "ndpi__tests_pcap__msnms.pcap"))
	n := 0
	for _, r := range decodeNDJSON(t, out) {
		if r["type"] == "message" {
			n++
			if r["conn"] != "c1" {
				t.Errorf("--session s1 let through %v", r["conn"])
			}
		}
	}
	if n != 13 {
		t.Errorf("--session s1: %d messages of c1, want 13", n)
	}
}
