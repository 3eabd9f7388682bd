package dissect

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const profile10 = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: 1114300000\r\nABCHMigrated: 1\r\n\r\n"

func profileMsg(body string) string {
	return "MSG Hotmail Hotmail " + strconv.Itoa(len(body)) + "\r\n" + body
}

var msnp8Session = []step{
	c2s(crlf("VER 4 MSNP8 CVR0")),
	s2c(crlf("VER 4 MSNP8")),
	c2s(crlf("USR 6 TWN I alice@hotmail.com")),
	s2c(crlf("USR 6 TWN S lc=1033,id=507")),
	c2s(crlf("USR 7 TWN S t=ticket&p=profile")),
	s2c(crlf("USR 7 OK alice@hotmail.com Alice%20Smith 1 0")),
	s2c(profileMsg("MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\n\r\n")),
	c2s(crlf("SYN 8 0")),
	s2c(crlf(
		"SYN 8 42 3 3",
		"GTC A",
		"BLP AL",
		"PRP PHH 01%20234%205678",
		"PRP MBE N",
		"LSG 0 Other%20Contacts 0",
		"LSG 1 Coworkers 0",
		"LSG 2 Friends 0",
		"LST bob@hotmail.com Bob 11 0,2",
		"BPR PHH 555%201234",
		"BPR MOB Y",
		"LST carol@msn.com Carol%20%3A) 13 1",
		"LST dave@hotmail.com Dave 10",
	)),
	c2s(crlf("CHG 9 NLN 268435492")),
	s2c(crlf("CHG 9 NLN 268435492", "ILN 9 NLN bob@hotmail.com Bob 268435492")),
}

func TestMSNP8Burst(t *testing.T) {
	for _, chunk := range []int{0, 1, 2, 7, 64} {
		c, col := run(t, msnp8Session, chunk, false)
		l := c.ContactList()
		if l == nil {
			t.Fatalf("chunk %d: no contact list", chunk)
		}
		if l.User != "alice@hotmail.com" || l.Protocol != "MSNP8" || l.ProtocolInferred {
			t.Errorf("chunk %d: user/protocol = %q %q %v", chunk, l.User, l.Protocol, l.ProtocolInferred)
		}
		if !l.Complete || l.GTC != "A" || l.BLP != "AL" || l.ListVersion != "42" {
			t.Errorf("chunk %d: complete=%v gtc=%q blp=%q ver=%q problems=%v", chunk, l.Complete, l.GTC, l.BLP, l.ListVersion, l.Problems)
		}
		wantGroups := []Group{{"0", "Other Contacts"}, {"1", "Coworkers"}, {"2", "Friends"}}
		if !reflect.DeepEqual(l.Groups, wantGroups) {
			t.Errorf("groups = %v", l.Groups)
		}
		if len(l.Contacts) != 3 {
			t.Fatalf("contacts = %d", len(l.Contacts))
		}
		bob, carol, dave := l.Contacts[0], l.Contacts[1], l.Contacts[2]
		if bob.Passport != "bob@hotmail.com" || bob.ListMask != 11 || !reflect.DeepEqual(bob.Lists, []string{"FL", "AL", "RL"}) ||
			!reflect.DeepEqual(bob.Groups, []string{"Other Contacts", "Friends"}) || bob.Properties["PHH"] != "555 1234" || bob.Properties["MOB"] != "Y" {
			t.Errorf("bob = %+v", bob)
		}
		if carol.Nickname != "Carol :)" || !reflect.DeepEqual(carol.Lists, []string{"FL", "BL", "RL"}) || !reflect.DeepEqual(carol.Groups, []string{"Coworkers"}) {
			t.Errorf("carol = %+v", carol)
		}
		if len(dave.Groups) != 0 || dave.ListMask != 10 {
			t.Errorf("dave = %+v", dave)
		}
		if l.Properties["PHH"] != "01 234 5678" || l.Properties["MBE"] != "N" {
			t.Errorf("properties = %v", l.Properties)
		}
		for _, m := range col.messages() {
			if len(m.Notes) > 0 {
				t.Errorf("chunk %d: unexpected notes on %q: %v", chunk, m.Line, m.Notes)
			}
		}
		got := strings.Join(summary(col.messages()), "|")
		want := "c2s VER #4|s2c VER #4|c2s USR #6|s2c USR #6|c2s USR #7|s2c USR #7|s2c MSG [72]|c2s SYN #8|s2c SYN #8|s2c GTC|s2c BLP|s2c PRP|s2c PRP|" +
			"s2c LSG|s2c LSG|s2c LSG|s2c LST|s2c BPR|s2c BPR|s2c LST|s2c LST|c2s CHG #9|s2c CHG #9|s2c ILN #9"
		if got != want {
			t.Errorf("chunk %d: messages\n got %s\nwant %s", chunk, got, want)
		}
	}
}
