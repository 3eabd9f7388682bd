package scenario

import (
	"time"

	"github.com/msnsniff/msnsniff/internal/capgen"
)

// The users and servers of the scripted sessions (documentation ranges).
const (
	clientIP  = "192.0.2.10"
	clientIP6 = "[2001:db8::10]"
	dsAddr    = "198.51.100.1:1863"
	nsAddr    = "198.51.100.20:1863"
	sbAddr    = "198.51.100.30:1863"
	nsAddr6   = "[2001:db8:1::20]:1863"
)

var base = time.Date(2005, 6, 1, 12, 0, 0, 0, time.UTC)

// Guids of the MSNP10+ scripts.
const (
	GroupFriends = "6d3f5c1e-2c6c-4f0e-9d1a-3b7c2f8e1a90"
	GroupWork    = "0b2a8f4c-91de-4c37-8a55-7e0d6c9f3b12"
	GUIDBob      = "c1f9a363-4ee9-4a33-a434-b056a4c55b98"
	GUIDCarol    = "9a2e7d10-5b4c-4f8e-b1a3-2c6d8e0f4b57"
)

// ChatWithCommands is a chat line whose body looks like MSNP commands; a
// correct framer never reports them.
const ChatWithCommands = "Look what the server sent me:\r\nLST N=mallory@example.com F=Mallory 11\r\nOUT"

// MSNP8Visit is a whole MSN Messenger 5.0 visit: the dispatch server's
// redirect, the notification server login with a full SYN burst, and a
// switchboard chat.
func MSNP8Visit() []*capgen.Conversation {
	ds := New(clientIP+":3001", dsAddr, base).
		C("VER 1 MSNP8 CVR0").S("VER 1 MSNP8").
		C("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 5.0.0540 MSMSGS alice@example.com").
		S("CVR 2 5.0.0540 5.0.0540 1.0.0863 http://download.example.com/setup.exe http://messenger.example.com").
		C("USR 3 TWN I alice@example.com").
		S("XFR 3 NS 198.51.100.20:1863 0 198.51.100.1:1863")

	ns := New(clientIP+":3002", nsAddr, base.Add(2*time.Second)).
		C("VER 4 MSNP8 CVR0").S("VER 4 MSNP8").
		C("CVR 5 0x0409 winnt 5.1 i386 MSNMSGR 5.0.0540 MSMSGS alice@example.com").
		S("CVR 5 5.0.0540 5.0.0540 1.0.0863 http://download.example.com/setup.exe http://messenger.example.com").
		C("USR 6 TWN I alice@example.com").
		S("USR 6 TWN S lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Eexample%2Ecom,ct=1066067011,kpp=1,kv=5,ver=2.1.0173.1,tpf=43f8a4c8ed940c04e3740be46c4d1619").
		C("USR 7 TWN S t=53*1hAu8ADuD3TEwdXoOMi08sD*2!cMrntTwVMTjoB3p6stWTqzbkKZPVQzA5NOt19SLI60PY!b8K4YhC!Ooo5ug$$&p=5eKBBC!yBH6ex5mftp!a9DrSb0B3hU8aqAWpaPn07iCGBw5akemiWSd7t2ot").
		S("USR 7 OK alice@example.com Alice%20Anders 1 0").
		SP("MSG Hotmail Hotmail", Profile("alice@example.com", "")).
		C("SYN 8 0").
		S("SYN 8 42 5 3",
			"GTC A",
			"BLP AL",
			"PRP PHH 01%20234%205678",
			"PRP MBE N",
			"LSG 0 Other%20Contacts 0",
			"LSG 1 Coworkers 0",
			"LSG 2 Friends 0",
			"LST bob@example.com Bob%20Brown 11 0,2",
			"BPR PHH 555%201234",
			"BPR MOB Y",
			"LST carol@example.com Carol%20%3A) 13 1",
			"LST dave@example.com Dave 10",
			"LST erin@example.com Erin 8",
			"LST frank@example.com Frank%20%E6%9D%8E 3 2").
		C("CHG 9 NLN 268435492").
		S("CHG 9 NLN 268435492",
			"ILN 9 NLN bob@example.com Bob%20Brown 268435492",
			"ILN 9 AWY frank@example.com Frank%20%E6%9D%8E 268435456",
			"CHL 0 29409134351025259292").
		CP("QRY 10 msmsgs@msnmsgr.com", "d0c1178c689350104350d99f8c36ed9c").
		S("QRY 10").
		C("PNG").S("QNG").
		C("XFR 11 SB").
		S("XFR 11 SB 198.51.100.30:1863 CKI 17262740.1050826919.32308").
		S("NLN BSY bob@example.com Bob%20Brown 268435492").
		C("OUT")

	sb := New(clientIP+":3003", sbAddr, base.Add(9*time.Second)).
		C("USR 1 alice@example.com 17262740.1050826919.32308").
		S("USR 1 OK alice@example.com Alice%20Anders").
		C("CAL 2 bob@example.com").
		S("CAL 2 RINGING 11752013").
		S("JOI bob@example.com Bob%20Brown").
		CP("MSG 3 U", Typing("alice@example.com")).
		CP("MSG 4 A", Text("Hi Bob! "+ChatWithCommands)).
		S("ACK 4").
		SP("MSG bob@example.com Bob%20Brown", Text("Ha, those are not commands.")).
		C("OUT")
	return []*capgen.Conversation{ds.Conv, ns.Conv, sb.Conv}
}

// MSNP7Login is an MSN Messenger 4.7 login: MD5, and the per-list SYN
// burst with TrIDs, list versions, groups and phone properties.
func MSNP7Login() []*capgen.Conversation {
	ns := New(clientIP+":3101", nsAddr, base).
		C("VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVR0").S("VER 1 MSNP7").
		C("INF 2").S("INF 2 MD5").
		C("USR 3 MD5 I alice@example.com").
		S("USR 3 MD5 S 1013928519.693957190").
		C("USR 4 MD5 S 7f919fab309532df353c901430df36fa").
		S("USR 4 OK alice@example.com Alice%20Anders 1").
		SP("MSG Hotmail Hotmail", Profile("alice@example.com", "")).
		C("SYN 5 12").
		S("SYN 5 14",
			"GTC 5 14 A",
			"BLP 5 14 AL",
			"PRP 5 14 PHH 01%20234%205678",
			"PRP 5 14 PHW",
			"PRP 5 14 PHM",
			"PRP 5 14 MOB N",
			"PRP 5 14 MBE N",
			"LSG 5 14 1 2 0 Other%20Contacts 0",
			"LSG 5 14 2 2 1 Friends 0",
			"LST 5 FL 14 1 2 bob@example.com Bob 1",
			"BPR 14 bob@example.com PHH 555%201234",
			"BPR 14 bob@example.com PHW",
			"BPR 14 bob@example.com PHM",
			"BPR 14 bob@example.com MOB Y",
			"LST 5 FL 14 2 2 carol@example.com Carol 0",
			"LST 5 AL 14 1 1 bob@example.com Bob",
			"LST 5 BL 14 1 1 carol@example.com Carol",
			"LST 5 RL 14 1 2 bob@example.com Bob",
			"LST 5 RL 14 2 2 carol@example.com Carol").
		C("CHG 6 NLN").
		S("CHG 6 NLN", "ILN 6 NLN bob@example.com Bob").
		C("ADG 7 Coworkers 0").S("ADG 7 15 Coworkers 2 0").
		C("OUT")
	return []*capgen.Conversation{ns.Conv}
}

// MSNP10Login is an MSN Messenger 6.2 login with ABCHMigrated: 1: GUID
// groups (one referenced in upper case), contact GUIDs, timestamps in SYN.
func MSNP10Login() []*capgen.Conversation {
	ns := New(clientIP+":3201", nsAddr, base).
		C("VER 1 MSNP10 MSNP9 CVR0").S("VER 1 MSNP10").
		C("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0205 MSMSGS alice@example.com").
		S("CVR 2 6.2.0208 6.2.0208 6.2.0205 http://download.example.com/setup.exe http://messenger.example.com").
		C("USR 3 TWN I alice@example.com").
		S("USR 3 TWN S lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Eexample%2Ecom,ct=1114299998,kpp=1,kv=7").
		C("USR 4 TWN S t=0x2QFqIv7Pr7T1W7lYdPx9cCtHcMbkJBK0wqJHkP8xq4pQ!nIOJg$$&p=3a8nS!1mAzvqwXk3B7W1pt2Qb6lCnzH8j2N5gZk4Qv7tX").
		S("USR 4 OK alice@example.com 1 0").
		SP("MSG Hotmail Hotmail", Profile("alice@example.com", "1")).
		C("SYN 5 0 0").
		S("SYN 5 2005-04-23T18:57:44.8130000-07:00 2005-04-23T18:57:54.2070000-07:00 3 2",
			"GTC A",
			"BLP AL",
			"PRP MFN Alice%20Anders",
			"PRP MBE N",
			"LSG Friends "+GroupFriends,
			"LSG Work "+GroupWork,
			"LST N=bob@example.com F=Bob C="+GUIDBob+" 11 6D3F5C1E-2C6C-4F0E-9D1A-3B7C2F8E1A90",
			"BPR PHH 1%20(555)%20123-4567",
			"BPR MOB N",
			"LST N=carol@example.com F=Carol C="+GUIDCarol+" 3 "+GroupWork+","+GroupFriends,
			"LST N=dave@example.com F=Dave 10").
		C("CHG 6 NLN 805306404").
		S("CHG 6 NLN 805306404", "ILN 6 BSY carol@example.com Carol 1342177316").
		S("BPR bob@example.com MFN Bobby").
		S("ADC 0 RL N=frank@example.com F=Frank").
		C("OUT")
	return []*capgen.Conversation{ns.Conv}
}

// MSNP12Login is an MSN Messenger 7.5 login: network ids in LST, GCF,
// UUX/UBX payloads.
func MSNP12Login() []*capgen.Conversation {
	shields := `<?xml version="1.0" encoding="utf-8" ?><config><shield><cli maj="7" min="0" minbld="0" maxbld="9999" deny=" " /></shield><block></block></config>`
	ns := New(clientIP+":3301", nsAddr, base).
		C("VER 1 MSNP12 MSNP11 MSNP10 CVR0").S("VER 1 MSNP12").
		C("USR 3 TWN I alice@example.com").
		S("USR 3 TWN S ct=1140000000,rver=3.0.1981.0,lc=1033,id=507,kv=9").
		C("USR 4 TWN S t=EwDoAW+jAAAU7LhwfI7fPXvrPZ1PuPiPb1Sp1JBt!Ow$$&p=EwDoAdqOzW3Ck9xOhqw$").
		S("USR 4 OK alice@example.com 1 0", "SBS 0 null").
		SP("MSG Hotmail Hotmail", Profile("alice@example.com", "1")).
		C("SYN 5 2005-04-23T18:57:44.8130000-07:00 2005-04-23T18:57:54.2070000-07:00").
		S("SYN 5 2006-01-10T09:12:31.4570000-08:00 2006-01-10T09:12:31.5230000-08:00 2 1",
			"GTC A", "BLP AL", "PRP MFN Alice", "PRP HSB 1",
			"LSG Friends "+GroupFriends,
			"LST N=bob@example.com F=Bob C="+GUIDBob+" 11 1 "+GroupFriends,
			"BPR MOB N", "BPR HSB 0",
			"LST N=gina@example.net F=Gina 10 32").
		C("GCF 6 Shields.xml").
		SP("GCF 6 Shields.xml", shields).
		C("CHG 7 NLN 1342177316").
		S("CHG 7 NLN 1342177316", "ILN 7 NLN bob@example.com Bob 1342177316").
		SP("UBX bob@example.com", "<Data><PSM>Out fishing</PSM><CurrentMedia></CurrentMedia></Data>").
		CP("UUX 8", "<Data><PSM>At the office &amp; busy</PSM><CurrentMedia></CurrentMedia></Data>").
		S("UUX 8 0").
		C("PNG").S("QNG 50").
		S("OUT OTH")
	return []*capgen.Conversation{ns.Conv}
}

// MSNP15Login is a Windows Live Messenger 8.5 login over IPv6: SSO, no
// SYN, the contact list announced by ADL, an error with a payload.
func MSNP15Login() []*capgen.Conversation {
	policies := `<Policies><Policy type="SHIELDS" checksum="94A347C122C483F8BEAD525832DB2F71"><config><shield><cli maj="7" min="0" minbld="0" maxbld="9999" deny=" " /></shield><block></block></config></Policy></Policies>`
	ns := New(clientIP6+":3401", nsAddr6, base).
		C("VER 1 MSNP15 MSNP14 MSNP13 CVR0").S("VER 1 MSNP15").
		C("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 8.5.1302 msmsgs alice@example.com").
		S("CVR 2 8.5.1302 8.5.1302 8.1.0178 http://download.example.com/setup.exe http://download.example.com/").
		C("USR 3 SSO I alice@example.com").
		SP("GCF 0", policies).
		S("USR 3 SSO S MBI_KEY_OLD 8CLhG/xfgYZ7TyRQ/jIAWyDmd/w4R4GF2yKLS6tYrnjzi4cFag/Nr+hxsfg5zlCf").
		C("USR 4 SSO S t=EwCoARAnAAAUwkq0nDTrDnn/Ov7sWPmTBAAAAA8AAQ2zD3QyYw== HAAAAAEAAAADZgAABIAAAAgAAAAUAAAASAAAAHhtp9Hf9CuP").
		S("USR 4 OK alice@example.com 1 0", "SBS 0 null").
		SP("MSG Hotmail Hotmail", Profile("alice@example.com", "1")).
		C("BLP 5 AL").S("BLP 5 AL").
		CP("ADL 6", `<ml l="1"><d n="example.com"><c n="bob" l="3" t="1" /><c n="dave" l="2" t="1" /></d><d n="example.org"><c n="carol" l="5" t="1" /></d></ml>`).
		S("ADL 6 OK").
		C("PRP 7 MFN Alice").S("PRP 7 MFN Alice").
		CP("ADL 8", `<ml><d n="example.com"><c n="mallory" l="8" t="1" /></d></ml>`).
		SP("241 8", `<ml><d n="example.com"><c n="mallory" l="8" t="1" /></d></ml>`).
		SP("ADL 0", `<ml><d n="example.com"><c n="frank" t="1" l="8" f="Frank" /></d></ml>`).
		C("OUT")
	return []*capgen.Conversation{ns.Conv}
}

// MSNP8Nonconformant is a login from a buggy server: its SYN announces
// more contacts than follow, an LST names a group no LSG announced, and it
// sends a reply to a request nobody made. msnsniff check flags all three.
func MSNP8Nonconformant() []*capgen.Conversation {
	ns := New(clientIP+":3501", nsAddr, base).
		C("VER 1 MSNP8 CVR0").S("VER 1 MSNP8").
		C("USR 2 TWN I alice@example.com").S("USR 2 TWN S lc=1033,id=507").
		C("USR 3 TWN S t=ticket&p=profile").S("USR 3 OK alice@example.com Alice 1 0").
		C("SYN 4 0").
		S("SYN 4 7 3 2",
			"GTC A", "BLP AL",
			"LSG 0 Other%20Contacts 0", "LSG 1 Friends 0",
			"LST bob@example.com Bob 11 1",
			"LST carol@example.com Carol 11 5").
		C("CHG 5 NLN 0").
		S("CHG 5 NLN 0", "BLP 14 AL").
		C("OUT")
	return []*capgen.Conversation{ns.Conv}
}

// Bundled lists the captures in testdata/pcaps: each shows a generation
// of the protocol, on a different container format and link type.
func Bundled() []*Capture {
	return []*Capture{
		{Name: "msnp8-visit.pcap", Format: capgen.PCAP, Link: capgen.Ethernet, Convs: MSNP8Visit(),
			Description: "MSNP8: dispatch redirect, login with a full SYN burst (5 contacts, 3 groups), switchboard chat"},
		{Name: "msnp7-login.pcap", Format: capgen.PCAPBigEndian, Link: capgen.Ethernet, Convs: MSNP7Login(),
			Description: "MSNP7: MD5 login, per-list SYN burst with TrIDs, list versions, groups and phone properties"},
		{Name: "msnp10-login.pcapng", Format: capgen.PCAPNG, Link: capgen.SLL2, Convs: MSNP10Login(),
			Description: "MSNP10 with ABCHMigrated 1 (GUID groups and contacts), Linux cooked v2 link"},
		{Name: "msnp12-login.pcap", Format: capgen.PCAPNano, Link: capgen.VLAN, Convs: MSNP12Login(),
			Description: "MSNP12: network ids in LST, GCF, UUX/UBX payloads, 802.1Q VLAN, nanosecond pcap"},
		{Name: "msnp15-login.pcapng", Format: capgen.PCAPNG, Link: capgen.RawIP, Convs: MSNP15Login(),
			Description: "MSNP15 over IPv6: SSO login, contact list from ADL, an error with a payload"},
		{Name: "msnp8-nonconformant.pcap", Format: capgen.PCAP, Link: capgen.Ethernet, Convs: MSNP8Nonconformant(),
			Description: "MSNP8 from a buggy server: SYN counts that do not match, an unknown group, a reply to no request"},
		{Name: "msnp8-lossy.pcap", Format: capgen.PCAP, Link: capgen.Ethernet, Convs: MSNP8Visit(),
			Opts:        capgen.Options{MaxSegment: 40, RandomSegments: true, Seed: 7, Reorder: 0.3, Duplicate: 0.2, Overlap: 0.2, Drop: []int{30}},
			Description: "the MSNP8 visit re-cut into small segments, reordered, duplicated, overlapped, with one segment lost"},
	}
}
