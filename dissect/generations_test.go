package dissect

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// contactRow is a compact view of a rebuilt contact for comparisons.
type contactRow struct {
	Passport, Nickname, GUID string
	Mask                     ListMask
	Groups                   string // resolved names, comma-joined
	Net                      int
	Props                    string // k=v sorted, space-joined
}

func rows(l *ContactList) []contactRow {
	var out []contactRow
	for _, c := range l.Contacts {
		out = append(out, contactRow{c.Passport, c.Nickname, c.GUID, c.ListMask, strings.Join(c.Groups, ","), c.NetworkID, props(c.Properties)})
	}
	return out
}

func props(p map[string]string) string {
	b, _ := json.Marshal(p) // sorted keys
	return string(b)
}

func TestSyncGenerations(t *testing.T) {
	const g1 = "6d3f5c1e-2c6c-4f0e-9d1a-3b7c2f8e1a90"
	const g2 = "0b2a8f4c-91de-4c37-8a55-7e0d6c9f3b12"
	tests := []struct {
		name     string
		steps    []step
		protocol string
		inferred bool
		complete bool
		current  bool
		groups   []Group
		contacts []contactRow
		problems []string
		listProp string
		noNotes  bool
	}{
		{
			name: "MSNP2 per-list burst",
			steps: []step{
				c2s(crlf("VER 1 MSNP2")), s2c(crlf("VER 1 MSNP2")),
				c2s(crlf("SYN 5 0")),
				s2c(crlf("SYN 5 14", "GTC 5 14 A", "BLP 5 14 AL",
					"LST 5 FL 14 1 1 bob@hotmail.com Bob",
					"LST 5 AL 14 1 1 bob@hotmail.com Bob",
					"LST 5 BL 14 0 0",
					"LST 5 RL 14 1 2 bob@hotmail.com Bob",
					"LST 5 RL 14 2 2 carol@msn.com Carol",
				)),
				c2s(crlf("CHG 6 NLN")), s2c(crlf("CHG 6 NLN")),
			},
			protocol: "MSNP2", complete: true, groups: []Group{},
			contacts: []contactRow{
				{Passport: "bob@hotmail.com", Nickname: "Bob", Mask: 11, Props: "{}"},
				{Passport: "carol@msn.com", Nickname: "Carol", Mask: 8, Props: "{}"},
			},
			noNotes: true,
		},
		{
			name: "MSNP7 per-list burst with groups, PRP and BPR",
			steps: []step{
				c2s(crlf("VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVR0")), s2c(crlf("VER 1 MSNP7")),
				c2s(crlf("SYN 5 12")),
				s2c(crlf("SYN 5 14", "GTC 5 14 A", "BLP 5 14 AL",
					"PRP 5 14 PHH 01%20234%205678", "PRP 5 14 PHW", "PRP 5 14 MOB N",
					"LSG 5 14 1 2 0 Other%20Contacts 0", "LSG 5 14 2 2 1 Friends 0",
					"LST 5 FL 14 1 2 bob@hotmail.com Bob 1",
					"BPR 14 bob@hotmail.com PHH 555%201234",
					"BPR 14 bob@hotmail.com MOB Y",
					"LST 5 FL 14 2 2 carol@msn.com Carol 0",
					"LST 5 AL 14 1 1 bob@hotmail.com Bob",
					"LST 5 BL 14 1 1 carol@msn.com Carol",
					"LST 5 RL 14 1 2 bob@hotmail.com Bob",
					"LST 5 RL 14 2 2 carol@msn.com Carol",
				)),
			},
			protocol: "MSNP7", complete: true,
			groups: []Group{{"0", "Other Contacts"}, {"1", "Friends"}},
			contacts: []contactRow{
				{Passport: "bob@hotmail.com", Nickname: "Bob", Mask: 11, Groups: "Friends", Props: `{"MOB":"Y","PHH":"555 1234"}`},
				{Passport: "carol@msn.com", Nickname: "Carol", Mask: 13, Groups: "Other Contacts", Props: "{}"},
			},
			listProp: `{"MOB":"N","PHH":"01 234 5678","PHW":""}`,
			noNotes:  true,
		},
		{
			name: "MSNP8 cache current",
			steps: []step{
				c2s(crlf("VER 1 MSNP8 CVR0")), s2c(crlf("VER 1 MSNP8")),
				c2s(crlf("SYN 8 42")), s2c(crlf("SYN 8 42")),
				c2s(crlf("CHG 9 NLN 0")), s2c(crlf("CHG 9 NLN 0")),
			},
			protocol: "MSNP8", complete: true, current: true, groups: []Group{}, noNotes: true,
		},
		{
			name: "MSNP10 ABCHMigrated 0: numeric versions and group ids",
			steps: []step{
				c2s(crlf("VER 1 MSNP10 MSNP9 CVR0")), s2c(crlf("VER 1 MSNP10")),
				s2c(profileMsg("MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nABCHMigrated: 0\r\n\r\n")),
				c2s(crlf("SYN 5 0 0")),
				s2c(crlf("SYN 5 17 0 2 2", "GTC A", "BLP BL", "PRP MFN Alice",
					"LSG Other%20Contacts 0", "LSG Friends 1",
					"LST N=bob@hotmail.com F=Bob 11 0,1",
					"LST N=dave@hotmail.com F=Dave 10",
				)),
				c2s(crlf("CHG 6 NLN 0")),
			},
			protocol: "MSNP10", complete: true,
			groups: []Group{{"0", "Other Contacts"}, {"1", "Friends"}},
			contacts: []contactRow{
				{Passport: "bob@hotmail.com", Nickname: "Bob", Mask: 11, Groups: "Other Contacts,Friends", Props: "{}"},
				{Passport: "dave@hotmail.com", Nickname: "Dave", Mask: 10, Props: "{}"},
			},
			listProp: `{"MFN":"Alice"}`,
			noNotes:  true,
		},
		{
			name: "MSNP11 ABCH 1: GUID groups resolved case-insensitively, async BPR",
			steps: []step{
				c2s(crlf("VER 1 MSNP11 CVR0")), s2c(crlf("VER 1 MSNP11")),
				s2c(profileMsg(profile10)),
				c2s(crlf("SYN 5 0 0")),
				s2c(crlf("SYN 5 2005-04-23T18:57:44.8130000-07:00 2005-04-23T18:57:54.2070000-07:00 3 2",
					"GTC A", "BLP AL", "PRP MFN Alice%20Smith",
					"LSG Friends "+g1, "LSG Work "+g2,
					"LST N=bob@hotmail.com F=Bob C=c1f9a363-4ee9-4a33-a434-b056a4c55b98 11 "+strings.ToUpper(g1),
					"BPR PHH 1%20(555)%20123-4567", "BPR MOB N",
					"LST N=carol@msn.com F=Carol C=9a2e7d10-5b4c-4f8e-b1a3-2c6d8e0f4b57 3 "+g2+","+g1,
					"LST N=dave@hotmail.com F=Dave 10",
				)),
				c2s(crlf("CHG 6 NLN 0")),
				s2c(crlf("CHG 6 NLN 0", "BPR bob@hotmail.com MFN Bobby")),
			},
			protocol: "MSNP11", complete: true,
			groups: []Group{{g1, "Friends"}, {g2, "Work"}},
			contacts: []contactRow{
				{Passport: "bob@hotmail.com", Nickname: "Bob", GUID: "c1f9a363-4ee9-4a33-a434-b056a4c55b98", Mask: 11, Groups: "Friends", Props: `{"MFN":"Bobby","MOB":"N","PHH":"1 (555) 123-4567"}`},
				{Passport: "carol@msn.com", Nickname: "Carol", GUID: "9a2e7d10-5b4c-4f8e-b1a3-2c6d8e0f4b57", Mask: 3, Groups: "Work,Friends", Props: "{}"},
				{Passport: "dave@hotmail.com", Nickname: "Dave", Mask: 10, Props: "{}"},
			},
			listProp: `{"MFN":"Alice Smith"}`,
			noNotes:  true,
		},
		{
			name: "MSNP12 network id column",
			steps: []step{
				c2s(crlf("VER 1 MSNP12 CVR0")), s2c(crlf("VER 1 MSNP12")),
				s2c(profileMsg(profile10)),
				c2s(crlf("SYN 5 0 0")),
				s2c(crlf("SYN 5 2006-01-10T09:12:31.4570000-08:00 2006-01-10T09:12:31.5230000-08:00 2 1",
					"GTC A", "BLP AL", "LSG Friends "+g1,
					"LST N=bob@hotmail.com F=Bob C=c1f9a363-4ee9-4a33-a434-b056a4c55b98 11 1 "+g1,
					"BPR HSB 0",
					"LST N=yahoo@yahoo.com F=Y 10 32",
				)),
				c2s(crlf("CHG 6 NLN 0")),
			},
			protocol: "MSNP12", complete: true,
			groups: []Group{{g1, "Friends"}},
			contacts: []contactRow{
				{Passport: "bob@hotmail.com", Nickname: "Bob", GUID: "c1f9a363-4ee9-4a33-a434-b056a4c55b98", Mask: 11, Groups: "Friends", Net: 1, Props: `{"HSB":"0"}`},
				{Passport: "yahoo@yahoo.com", Nickname: "Y", Mask: 10, Net: 32, Props: "{}"},
			},
			listProp: `{}`,
			noNotes:  true,
		},
		{
			name: "MSNP10 without VER: dialect inferred from line shapes",
			steps: []step{
				s2c(crlf("SYN 5 1 0 1 0", "GTC A", "BLP AL", "LST N=bob@hotmail.com F=Bob 10 1")),
				s2c(crlf("QNG 50")),
			},
			protocol: "MSNP12", inferred: true, complete: true, groups: []Group{},
			contacts: []contactRow{{Passport: "bob@hotmail.com", Nickname: "Bob", Mask: 10, Net: 1, Props: "{}"}},
		},
		{
			name: "findings: counts, unknown group, BPR before LST, AL and BL",
			steps: []step{
				c2s(crlf("VER 1 MSNP8 CVR0")), s2c(crlf("VER 1 MSNP8")),
				c2s(crlf("SYN 8 0")),
				s2c(crlf("SYN 8 42 3 1", "GTC A", "BLP AL", "LSG 0 Other%20Contacts 0",
					"BPR MOB Y",
					"LST bob@hotmail.com Bob 15 0,7",
					"LST carol@msn.com Carol 2 0",
				)),
				s2c(crlf("CHG 9 NLN 0")),
			},
			protocol: "MSNP8", complete: false,
			groups: []Group{{"0", "Other Contacts"}},
			contacts: []contactRow{
				{Passport: "bob@hotmail.com", Nickname: "Bob", Mask: 15, Groups: "Other Contacts,7", Props: "{}"},
				{Passport: "carol@msn.com", Nickname: "Carol", Mask: 2, Groups: "Other Contacts", Props: "{}"},
			},
			problems: []string{
				"bob@hotmail.com is on both AL and BL",
				"bob@hotmail.com is in group 7, which no LSG announced",
				"carol@msn.com has a group column without the FL bit",
				"SYN announced 3 contacts but 2 LST lines followed",
			},
		},
		{
			name: "MSNP8 burst lines with the TrID the generation forbids",
			steps: []step{
				c2s(crlf("VER 1 MSNP8 CVR0")), s2c(crlf("VER 1 MSNP8")),
				c2s(crlf("SYN 8 0")),
				s2c(crlf("SYN 8 42 1 0", "GTC 8 A", "LST 8 bob@hotmail.com Bob 10")),
				s2c(crlf("QNG")),
			},
			protocol: "MSNP8", complete: true, groups: []Group{},
			contacts: []contactRow{{Passport: "bob@hotmail.com", Nickname: "Bob", Mask: 10, Props: "{}"}},
		},
		{
			name: "MSNP15 contact list from ADL",
			steps: []step{
				c2s(crlf("VER 1 MSNP15 MSNP14 MSNP13 CVR0")), s2c(crlf("VER 1 MSNP15")),
				c2s("ADL 6 135\r\n<ml l=\"1\"><d n=\"hotmail.com\"><c n=\"bob\" l=\"3\" t=\"1\" /><c n=\"dave\" l=\"2\" t=\"1\" /></d><d n=\"msn.com\"><c n=\"carol\" l=\"5\" t=\"1\" /></d></ml>"),
				s2c(crlf("ADL 6 OK")),
				s2c("ADL 0 69\r\n<ml><d n=\"hotmail.com\"><c n=\"frank\" t=\"1\" l=\"8\" f=\"Frank\" /></d></ml>"),
			},
			protocol: "MSNP15", complete: true, groups: []Group{},
			contacts: []contactRow{
				{Passport: "bob@hotmail.com", Mask: 3, Net: 1, Props: "{}"},
				{Passport: "dave@hotmail.com", Mask: 2, Net: 1, Props: "{}"},
				{Passport: "carol@msn.com", Mask: 5, Net: 1, Props: "{}"},
				{Passport: "frank@hotmail.com", Nickname: "Frank", Mask: 8, Net: 1, Props: "{}"},
			},
			noNotes: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, col := run(t, tc.steps, 5, false)
			l := c.ContactList()
			if l == nil {
				t.Fatal("no contact list")
			}
			if l.Protocol != tc.protocol || l.ProtocolInferred != tc.inferred {
				t.Errorf("protocol %q inferred=%v, want %q %v", l.Protocol, l.ProtocolInferred, tc.protocol, tc.inferred)
			}
			if l.Complete != tc.complete || l.CacheCurrent != tc.current {
				t.Errorf("complete=%v current=%v, want %v %v (problems %q)", l.Complete, l.CacheCurrent, tc.complete, tc.current, l.Problems)
			}
			if !reflect.DeepEqual(l.Groups, tc.groups) {
				t.Errorf("groups %v, want %v", l.Groups, tc.groups)
			}
			if got := rows(l); !reflect.DeepEqual(got, tc.contacts) {
				t.Errorf("contacts\n got %+v\nwant %+v", got, tc.contacts)
			}
			if !reflect.DeepEqual(l.Problems, tc.problems) {
				t.Errorf("problems\n got %q\nwant %q", l.Problems, tc.problems)
			}
			if tc.listProp != "" && props(l.Properties) != tc.listProp {
				t.Errorf("properties %s, want %s", props(l.Properties), tc.listProp)
			}
			if tc.noNotes {
				for _, m := range col.messages() {
					if len(m.Notes) > 0 {
						t.Errorf("unexpected notes on %q: %q", m.Line, m.Notes)
					}
				}
			}
		})
	}
}

// TestForbiddenTrIDInBurst: an MSNP8+ burst line with the SYN's TrID is
// reported (sync.md §4) and still decoded.
func TestForbiddenTrIDInBurst(t *testing.T) {
	_, col := run(t, []step{
		c2s(crlf("VER 1 MSNP8 CVR0")), s2c(crlf("VER 1 MSNP8")),
		c2s(crlf("SYN 8 0")), s2c(crlf("SYN 8 42 1 0", "GTC 8 A", "LST 8 bob@hotmail.com Bob 10")),
	}, 0, false)
	n := 0
	for _, m := range col.messages() {
		for _, note := range m.Notes {
			if strings.Contains(note, "forbid") {
				n++
			}
		}
	}
	if n != 2 {
		t.Errorf("%d forbidden-TrID notes, want 2 (GTC and LST)", n)
	}
}

// TestHostileBurstIsBounded: a burst with thousands of groups, unknown
// group references and property keys keeps bounded state and says so.
func TestHostileBurstIsBounded(t *testing.T) {
	var lines []string
	for i := 0; i < 1200; i++ {
		lines = append(lines, "LSG g"+itoa(i)+" "+itoa(i))
	}
	for i := 0; i < 300; i++ {
		lines = append(lines, "LST N=u"+itoa(i)+"@x F=U 11 "+strings.Repeat("z"+itoa(i)+",", 100)+"q")
		lines = append(lines, "BPR K"+itoa(i)+" v")
	}
	c, _ := run(t, []step{
		c2s(crlf("VER 1 MSNP10")), s2c(crlf("VER 1 MSNP10")), c2s(crlf("SYN 1 0 0")),
		s2c(crlf(append([]string{"SYN 1 1 0 300 1200"}, lines...)...)),
	}, 0, false)
	l := c.ContactList()
	if len(l.Groups) != maxGroups || len(l.Problems) != maxProblems+1 || !strings.HasPrefix(l.Problems[maxProblems], "… and ") {
		t.Errorf("groups %d problems %d (last %q)", len(l.Groups), len(l.Problems), l.Problems[len(l.Problems)-1])
	}
	for _, ct := range l.Contacts {
		if len(ct.GroupIDs) > maxGroupsPerContact || len(ct.Properties) > maxProperties {
			t.Fatalf("%s keeps %d groups, %d properties", ct.Passport, len(ct.GroupIDs), len(ct.Properties))
		}
	}
}
