package dissect

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// FuzzFramer feeds arbitrary bytes, in arbitrary chunks, to one direction
// and checks that every byte is accounted for exactly once: as a command
// line, as payload, or as skipped garbage.
func FuzzFramer(f *testing.F) {
	seeds := []string{
		crlf("VER 1 MSNP8 CVR0", "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 5.0.0540 MSMSGS alice@hotmail.com"),
		msg("3", "A", "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nLST N=x 11\r\nOUT\r\n") + "OUT\r\n",
		"MSG 1 N 3\r\nHello worldMSG 2 N 2\r\nhiPNG\r\n",
		"241 11 10\r\n<ml></ml>XADL 0 OK\r\n",
		"201 5 7\r\nQNG\r\n",
		"NOT 100\r\n<NOTIFICATION/>",
		"MSG 1 N 4000000000\r\nxyz",
		"\x00\x01\x02garbage\nQNG 50\r\n",
		"UBX bob@x.com 0\r\nUBX 1:bob@x.com 3\r\nabc",
		"VER 1 MSNP15\r\nGCF 0 5\r\n<a/>xSBS 0 null\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, server bool) {
		d := ClientToServer
		if server {
			d = ServerToClient
		}
		col := &collector{}
		c := NewConn(ConnInfo{ID: "f"}, Options{Limits: Limits{MaxLine: 256, MaxPayload: 1024}}, col)
		step := int(chunk%64) + 1
		for i := 0; i < len(data); i += step {
			c.Data(d, t0, data[i:min(i+step, len(data))])
		}
		c.End(ClientToServer, t0, "FIN")
		c.End(ServerToClient, t0, "FIN")
		total := 0
		for _, ev := range col.events {
			switch ev.Kind {
			case KindMessage:
				m := ev.Message
				total += m.WireLen + len(m.Payload)
				if m.HasPayload && len(m.Payload)+m.PayloadMissing != m.PayloadLen {
					t.Fatalf("payload %d + missing %d != declared %d", len(m.Payload), m.PayloadMissing, m.PayloadLen)
				}
			case KindSkip:
				if ev.Bytes <= 0 {
					t.Fatalf("empty skip event")
				}
				total += ev.Bytes
			}
		}
		if total != len(data) {
			t.Fatalf("accounted for %d bytes of %d", total, len(data))
		}
	})
}

// FuzzSyncLines feeds arbitrary lines into an MSNP8, MSNP10 or MSNP12
// sync burst to exercise the SYN/GTC/BLP/PRP/LSG/LST/BPR decoders.
func FuzzSyncLines(f *testing.F) {
	f.Add(uint8(8), []byte("LST bob@hotmail.com Bob 11 0,2\r\nBPR PHH 555%201234\r\nLSG 0 Other%20Contacts 0\r\n"))
	f.Add(uint8(10), []byte("LSG Friends 6d3f\r\nLST N=bob@x F=B%ZZ C=1 11 6D3F\r\nBPR MOB N\r\n"))
	f.Add(uint8(12), []byte("LST N=a@b F=%E4%B8%AD 11 1 g1,g2\r\nLST N=y@y 10 32\r\nPRP MFN %\r\n"))
	f.Add(uint8(7), []byte("LSG 5 14 1 2 0 Other%20Contacts 0\r\nLST 5 FL 14 1 2 bob@hotmail.com Bob 1\r\nBPR 14 bob@x PHH 1\r\n"))
	f.Add(uint8(3), []byte("LST 5 RL 14 0 0\r\nGTC 5 14 Q\r\n"))
	f.Fuzz(func(t *testing.T, ver uint8, lines []byte) {
		v := int(ver%18) + 2
		col := &collector{}
		c := NewConn(ConnInfo{ID: "f"}, Options{}, col)
		c.Data(ClientToServer, t0, []byte("VER 1 MSNP"+itoa(v)+"\r\nSYN 5 0 0\r\n"))
		head := "VER 1 MSNP" + itoa(v) + "\r\nSYN 5 1 1 3 3\r\n"
		if v <= 7 {
			head = "VER 1 MSNP" + itoa(v) + "\r\nSYN 5 1\r\n"
		}
		c.Data(ServerToClient, t0, []byte(head))
		c.Data(ServerToClient, t0, lines)
		c.End(ClientToServer, t0, "FIN")
		c.End(ServerToClient, t0, "FIN")
		for _, m := range col.messages() {
			if m.Fields != nil {
				_ = m.Fields.Describe()
			}
			for _, n := range m.Notes {
				if len(n) > 0 && n[0:min(15, len(n))] == "decoder failed:" {
					t.Fatalf("decoder panicked on %q: %s", m.Line, n)
				}
			}
		}
		if l := c.ContactList(); l != nil {
			for _, ct := range l.Contacts {
				if len(ct.Groups) != len(ct.GroupIDs) {
					t.Fatalf("groups %v vs ids %v", ct.Groups, ct.GroupIDs)
				}
			}
		}
	})
}

// FuzzMSGPayload feeds arbitrary MSG payloads (MIME headers, text in any
// charset, P2P binary, MSNSLP, invitations) through the MSG decoder in
// both directions and checks the result always marshals.
func FuzzMSGPayload(f *testing.F) {
	f.Add([]byte("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=B; CO=ff; CS=0; PF=22\r\n\r\nhello"), false)
	f.Add([]byte("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=GB2312\r\nMessage-ID: {1}\r\nChunks: 2\r\n\r\n\xc4\xe3"), true)
	f.Add([]byte("Message-ID: {1}\r\nChunk: 1\r\n\r\n\xba\xc3"), false)
	f.Add([]byte("MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 2\r\nData: <msnobj Creator=\"a\" Type=\"8\"/>\r\n"), true)
	f.Add([]byte("MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite\r\n\r\nInvitation-Command: INVITE\r\nApplication-File: a.txt\r\nApplication-FileSize: -5\r\n"), false)
	f.Add([]byte(p2pBody(0, 1, slpInvite(fileContextB64("x.bin", 9), "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"), 0, 0)), false)
	f.Add([]byte("MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile\r\nClientPort: 36867\r\nMemberIdHigh: 1\r\nMemberIdLow: -2\r\nABCHMigrated: 1\r\n\r\n"), true)
	f.Add([]byte("MIME-Version: 1.0\r\nContent-Type: text/x-mms-emoticon\r\n\r\n:)\t<msnobj/>\t(x)\t<bad\t"), false)
	f.Fuzz(func(t *testing.T, payload []byte, server bool) {
		col := &collector{}
		c := NewConn(ConnInfo{ID: "f"}, Options{}, col)
		head := "MSG 1 A "
		d := ClientToServer
		if server {
			head, d = "MSG bob@example.com Bob ", ServerToClient
		}
		for i := 0; i < 2; i++ { // twice, so chunk state is exercised
			c.Data(d, t0, []byte(head+itoa(len(payload))+"\r\n"))
			c.Data(d, t0, payload)
		}
		c.End(ClientToServer, t0, "FIN")
		c.End(ServerToClient, t0, "FIN")
		for _, m := range col.messages() {
			if m.Fields == nil {
				t.Fatalf("MSG without fields: %q", m.Line)
			}
			if _, err := json.Marshal(m.Fields); err != nil {
				t.Fatalf("fields do not marshal: %v", err)
			}
			for _, n := range m.Notes {
				if strings.HasPrefix(n, "decoder failed:") {
					t.Fatalf("decoder panicked: %s", n)
				}
			}
		}
		if conv := c.Conversation(); conv != nil {
			if _, err := json.Marshal(conv); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzP2P checks the P2P/MSNSLP decoder on arbitrary bodies.
func FuzzP2P(f *testing.F) {
	for _, s := range []string{
		p2pBody(0, 1, slpInvite(fileContextB64("holiday.jpg", 123456), "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"), 0, 0),
		p2pBody(0, 2, slpInvite("PG1zbm9iaiBDcmVhdG9yPSJhIi8+AA==", "{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}"), 0, 1),
		p2pBody(5, 3, []byte("binary"), 0x20, 12),
		p2pBody(0, 4, nil, 2, 0),
	} {
		f.Add([]byte(s[strings.Index(s, "\r\n\r\n")+4:]))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeP2P(body)
		if len(body) < 48 {
			if err == nil || p != nil {
				t.Fatal("short body accepted")
			}
			return
		}
		if p == nil {
			t.Fatal("no header decoded from a full-size body")
		}
		if err == nil && 48+int(p.MessageLength)+4 != len(body) {
			t.Fatalf("inconsistent lengths accepted: %d + %d + 4 != %d", 48, p.MessageLength, len(body))
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzLine feeds one arbitrary command line, in either direction, under a
// chosen dialect, through every decoder.
func FuzzLine(f *testing.F) {
	for _, s := range []string{
		"ILN 8 NLN bob@example.com 1 Bob 2148319276 %3Cmsnobj%2F%3E http://x",
		"NLN NLN 1:bob@example.com Bob 2789003324:48 %3Cmsnobj%20Creator%3D%22a%22%2F%3E",
		"FLN 1:bob@example.com 0:0", "CHG 9 NLN 0:x", "RNG 1 h:1 CKI c a@b A U d 1",
		"ADC 1 FL N=a F=%zz C=1 g", "REG 1 1 n g 0", "ADG 1 1 n g 0", "REM 0 RL 5 a@b",
		"IRO 1 1 2 a@b;{x} A 1:2", "UUN 1 a@b x 3", "FND 1 a=b c", "OUT RCT x", "QNG x", "USR 1 SSO S t=x y {z}",
	} {
		f.Add(s, uint8(15), true)
	}
	f.Fuzz(func(t *testing.T, line string, ver uint8, server bool) {
		if strings.ContainsAny(line, "\r\n") {
			return
		}
		col := &collector{}
		c := NewConn(ConnInfo{ID: "f"}, Options{}, col)
		v := itoa(int(ver%18) + 2)
		c.Data(ClientToServer, t0, []byte("VER 1 MSNP"+v+"\r\n"))
		c.Data(ServerToClient, t0, []byte("VER 1 MSNP"+v+"\r\n"))
		d := ClientToServer
		if server {
			d = ServerToClient
		}
		c.Data(d, t0, []byte(line+"\r\n"))
		c.End(ClientToServer, t0, "FIN")
		c.End(ServerToClient, t0, "FIN")
		for _, m := range col.messages() {
			if m.Fields != nil {
				if _, err := json.Marshal(m.Fields); err != nil {
					t.Fatalf("%q: %v", m.Line, err)
				}
			}
			for _, n := range m.Notes {
				if strings.HasPrefix(n, "decoder failed:") {
					t.Fatalf("%q: %s", m.Line, n)
				}
			}
		}
	})
}

// FuzzScanMSNObject checks the MSNObject fast path against the XML
// decoder: whatever it accepts, xml.Unmarshal must accept and read the
// same way.
func FuzzScanMSNObject(f *testing.F) {
	for _, s := range []string{
		`<msnobj Creator="alice@hotmail.com" Size="25235" Type="3" Location="TFR2C.tmp" Friendly="QQBsAGkAYwBlAAAA" SHA1D="trC8SlFx2sWQxZMIBAWSEnXc8oQ=" SHA1C="U32o6bosZzluJq82eAtMpx5dIEI="/>`,
		`<msnobj/>`, `<msnobj />`, `<msnobj Creator="a" Creator="b"/>`, `<msnobj Creator = "a"/>`,
		`<msnobj Creator='a'/>`, `<msnobj Creator="a&amp;b"/>`, `<msnobj Creator="a"></msnobj>`,
		`<msnobj Creator="a"/>trailing<`, `<msnobj	Size="1"
Type="2"/>`, `<msnobjX Creator="a"/>`, `<msnobj Creator="a"Size="1"/>`, `<msnobj 1x="a"/>`,
		`<msnobj Creator="é"/>`, `<msnobj Creator="a"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := scanMSNObject(s)
		if !ok {
			return
		}
		var want msnObjectXML
		if err := xml.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q: fast path accepted what xml.Unmarshal rejects: %v", s, err)
		}
		if got != want {
			t.Fatalf("%q: fast path %+v, xml.Unmarshal %+v", s, got, want)
		}
	})
}

// FuzzScanML checks the <ml> fast path against the XML decoder, as
// FuzzScanMSNObject does for MSNObjects.
func FuzzScanML(f *testing.F) {
	for _, s := range []string{
		`<ml l="1"><d n="hotmail.com"><c n="bob" l="3" t="1"/><c n="eve" l="11" t="1" f="Eve%20E"/></d><d n="x.org"><c n="al" l="1" t="32"></c></d></ml>`,
		`<ml/>`, `<ml></ml>`, ` <ml l="1"></ml>trailing`, `<ml><d n="a"><c n="b"/></d></x>`, `<ml><d n="a"><c n="b"></d></ml>`,
		`<ml><d n="a"><x><c n="q"/></x><c n="b"/></d><e/></ml>`, `<ml><d n="a" n="b"/></ml>`, `<ml l='1'/>`,
		`<ml><d n="a&amp;b"/></ml>`, `<?xml version="1.0"?><ml/>`, `<ml><!-- c --></ml>`, `<ml>text <d n="é">é</d></ml>`,
		`<ml><d n="a"><c n="b" l="1" t="1"/>` + "\r\n" + `</d></ml>`, `<ml><d:d n="a"/></ml>`, `<ml><d n="a"/ ></ml>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := scanML(s)
		if !ok {
			return
		}
		var want mlDoc
		if err := xml.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q: fast path accepted what xml.Unmarshal rejects: %v", s, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast path %+v, xml.Unmarshal %+v", s, got, want)
		}
	})
}

// FuzzScanData checks the UUX/UBX <Data> fast path against the XML
// decoder, as FuzzScanMSNObject does for MSNObjects.
func FuzzScanData(f *testing.F) {
	for _, s := range []string{
		`<Data><PSM>at work</PSM><CurrentMedia></CurrentMedia><MachineGuid>{F26D1F07-95E2-403C-BC18-D4BFED493428}</MachineGuid></Data>`,
		`<Data><PSM>é ☕</PSM><CurrentMedia>\0Music\01\0{0} - {1}\0Song\0Band\0</CurrentMedia><DDP></DDP><SignatureSound/><ColorScheme>-1</ColorScheme></Data>`,
		`<Data><PSM>a</PSM><PSM>b</PSM></Data>`, `<Data><PSM>a<b/>c</PSM></Data>`, `<Data><PSM>a &amp; b</PSM></Data>`,
		`<Data><EndpointData id="{1}"><Capabilities>2789003324:48</Capabilities></EndpointData><PrivateEndpointData id="{1}"><EpName>home</EpName><Idle>false</Idle><ClientType>1</ClientType><State>NLN</State></PrivateEndpointData></Data>`,
		`<Data><PSM>x</Data>`, `<Data><PSM>x</PSM>`, `<Data/>`, "<Data><PSM>a\rb</PSM></Data>", `<Data><PSM><![CDATA[x]]></PSM></Data>`,
		`<Data><PSM>]]></PSM></Data>`, "<Data><PSM>\x00</PSM></Data>", "<Data><PSM>\xff</PSM></Data>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := scanData(s)
		if !ok {
			return
		}
		var want dataXML
		if err := xml.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q: fast path accepted what xml.Unmarshal rejects: %v", s, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast path %+v, xml.Unmarshal %+v", s, got, want)
		}
	})
}

// FuzzTransientPayloads checks that reading payloads in place
// (Options.TransientPayloads) changes nothing but Message.Payload: the same
// bytes, chunked the same way, with the same capture gap, give the same
// events as copying them. The caller's bytes are scribbled over after each
// call, so anything kept pointing into them shows; and every byte taken
// from the payload budget is returned by the end.
func FuzzTransientPayloads(f *testing.F) {
	seeds := []string{
		"VER 1 MSNP8 CVR0\r\nMSG 2 A 5\r\nhelloMSG 3 U 2\r\nhiOUT\r\n",
		msg("3", "A", "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nLST N=x 11\r\nOUT\r\n") + "OUT\r\n",
		"MSG 1 N 3\r\nHello worldMSG 2 N 2\r\nhiPNG\r\n",
		"241 11 10\r\n<ml></ml>XADL 0 OK\r\n",
		"201 5 7\r\nQNG\r\n",
		"MSG 1 N 4000000000\r\nxyz",
		"UBX bob@x.com 0\r\nUBX 1:bob@x.com 3\r\nabc",
		"MSG 1 D 70000\r\n" + strings.Repeat("p", 300),
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i*7), i%2 == 0, uint16(i*13))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, server bool, gapAt uint16) {
		d := ClientToServer
		if server {
			d = ServerToClient
		}
		step := int(chunk%64) + 1
		gap := int(gapAt) % (len(data) + 1)
		play := func(transient bool, budget *Budget) []string {
			col := &collector{}
			opts := Options{Limits: Limits{MaxLine: 256, MaxPayload: 100 << 10}, Budget: budget, TransientPayloads: transient}
			c := NewConn(ConnInfo{ID: "f"}, opts, col)
			for i := 0; i < len(data); i += step {
				if gapAt&1 == 1 && i <= gap && gap < i+step {
					c.Gap(d, t0, int(chunk)+1)
				}
				piece := append([]byte(nil), data[i:min(i+step, len(data))]...)
				c.Data(d, t0, piece)
				for k := range piece {
					piece[k] = 0xAA
				}
			}
			c.End(ClientToServer, t0, "FIN")
			c.End(ServerToClient, t0, "FIN")
			if held := budget.held.Load(); held != 0 {
				t.Fatalf("transient=%v: %d payload bytes still held after the end", transient, held)
			}
			var out []string
			for _, ev := range col.events {
				if m := ev.Message; m != nil {
					if transient && m.Payload != nil {
						t.Fatalf("transient payload reached the sink: %q", m.Line)
					}
					fields, _ := json.Marshal(m.Fields)
					out = append(out, fmt.Sprintf("%s|%q|%d %v %d %d|%s|%q|%q|%d %d %s", m.Cmd, m.Args, m.TrID, m.HasPayload,
						m.PayloadLen, m.PayloadMissing, fields, m.Meaning, m.Notes, m.Offset, m.WireLen, m.Limit))
				} else {
					out = append(out, fmt.Sprintf("%s %d %d %q %s", ev.Kind, ev.Offset, ev.Bytes, ev.Reason, ev.Limit))
				}
			}
			return out
		}
		copied := play(false, &Budget{})
		inPlace := play(true, &Budget{})
		if len(copied) != len(inPlace) {
			t.Fatalf("%d events copying payloads, %d reading them in place", len(copied), len(inPlace))
		}
		for i := range copied {
			if copied[i] != inPlace[i] {
				t.Fatalf("event %d:\ncopied:   %s\nin place: %s", i, copied[i], inPlace[i])
			}
		}
		// A tight budget changes which payloads are kept, not the framing.
		play(true, &Budget{Limit: 100})
	})
}

// FuzzOmitMessages: with ListsOnly, OmitMessages must only hold back the
// messages (but those that hit a limit), whatever the bytes: every other
// event, summaries included, is the same as without it. Each event is
// rendered when it reaches the sink and again after the end, and the two
// must agree: the storage OmitMessages reuses must be only that of the
// messages it held back.
func FuzzOmitMessages(f *testing.F) {
	seeds := []string{
		"VER 1 MSNP8 CVR0\r\nMSG 2 A 5\r\nhelloMSG 3 U 2\r\nhiOUT\r\n",
		"MSG Hotmail Hotmail 60\r\nMIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile\r\n\r\nNLN NLN bob@x.com Bob 0\r\n",
		"SYN 5 0\r\nSYN 5 12 1 1\r\nGTC A\r\nBLP AL\r\nLSG 0 Other 0\r\nLST bob@x.com Bob 11 0\r\nILN 6 NLN bob@x.com Bob 0\r\n",
		"MSG 1 N 4000000000\r\nxyz",
		"UBX bob@x.com 5\r\nabcdeUBX 1:bob@x.com 3\r\nabcCHG 7 NLN 0\r\n",
		"MSG 1 D 70000\r\n" + strings.Repeat("p", 300),
		"PNG\r\nQNG 50\r\nNOT 10\r\n0123456789FLN bob@x.com\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i*7), i%2 == 0, uint16(i*13+40))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, server bool, maxPayload uint16) {
		d := ClientToServer
		if server {
			d = ServerToClient
		}
		step := int(chunk%64) + 1
		type seen struct {
			ev   *Event
			text string
		}
		render := func(ev *Event) string {
			if m := ev.Message; m != nil {
				fields, _ := json.Marshal(m.Fields)
				return fmt.Sprintf("%s|%q|%q|%d %v %d %d|%s|%q|%q|%d %d %s", m.Cmd, m.Line, m.Args, m.TrID, m.HasPayload,
					m.PayloadLen, m.PayloadMissing, fields, m.Meaning, m.Notes, m.Offset, m.WireLen, m.Limit)
			}
			summary, _ := json.Marshal(ev.Summary)
			return fmt.Sprintf("%s %d %d %q %s %s", ev.Kind, ev.Offset, ev.Bytes, ev.Reason, ev.Limit, summary)
		}
		play := func(omit bool) []seen {
			var out []seen
			sink := SinkFunc(func(ev *Event) { out = append(out, seen{ev, render(ev)}) })
			opts := Options{Limits: Limits{MaxLine: 256, MaxPayload: int(maxPayload%2048) + 1}, Budget: &Budget{Limit: 4096},
				ListsOnly: true, OmitMessages: omit, TransientPayloads: true}
			c := NewConn(ConnInfo{ID: "f"}, opts, sink)
			for i := 0; i < len(data); i += step {
				c.Data(d, t0, data[i:min(i+step, len(data))])
			}
			c.End(ClientToServer, t0, "FIN")
			c.End(ServerToClient, t0, "FIN")
			for i, s := range out {
				if now := render(s.ev); now != s.text {
					t.Fatalf("omit=%v: event %d changed after it reached the sink:\nthen %s\nnow  %s", omit, i, s.text, now)
				}
			}
			return out
		}
		all, got := play(false), play(true)
		var want []string
		for _, s := range all {
			if s.ev.Message == nil || s.ev.Message.Limit != "" {
				want = append(want, s.text)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d events with OmitMessages, want %d (of %d)", len(got), len(want), len(all))
		}
		for i := range want {
			if got[i].text != want[i] {
				t.Fatalf("event %d:\n got %s\nwant %s", i, got[i].text, want[i])
			}
		}
	})
}
