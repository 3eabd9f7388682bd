package dissect

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// render prints each message with its meaning, fields and notes.
func render(t *testing.T, col *collector) []byte {
	var b bytes.Buffer
	for _, m := range col.messages() {
		line := m.Line
		if m.HasPayload {
			line += fmt.Sprintf(" +%d B", len(m.Payload))
		}
		fmt.Fprintf(&b, "%s %s\n", m.Dir, line)
		fmt.Fprintf(&b, "    = %s\n", m.Meaning)
		if m.Fields != nil {
			j, err := json.Marshal(m.Fields)
			if err != nil {
				t.Fatalf("%q: fields do not marshal: %v", m.Line, err)
			}
			fmt.Fprintf(&b, "    %s\n", j)
		}
		for _, n := range m.Notes {
			fmt.Fprintf(&b, "    ! %s\n", n)
		}
	}
	return b.Bytes()
}

func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./dissect -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func payload(head, body string) string {
	return head + " " + itoa(len(body)) + "\r\n" + body
}

// p2pBody builds an application/x-msnmsgrp2p MSG body.
func p2pBody(session, id uint32, data []byte, flags, appID uint32) string {
	h := make([]byte, 48)
	le := binary.LittleEndian
	le.PutUint32(h[0:], session)
	le.PutUint32(h[4:], id)
	le.PutUint64(h[16:], uint64(len(data)))
	le.PutUint32(h[24:], uint32(len(data)))
	le.PutUint32(h[28:], flags)
	foot := make([]byte, 4)
	binary.BigEndian.PutUint32(foot, appID)
	return "MIME-Version: 1.0\r\nContent-Type: application/x-msnmsgrp2p\r\nP2P-Dest: bob@example.com\r\n\r\n" + string(h) + string(data) + string(foot)
}

// fileContextB64 builds a file-transfer Context: size at 8, UTF-16LE name at 20.
func fileContextB64(name string, size uint64) string {
	b := make([]byte, 20+520+4)
	binary.LittleEndian.PutUint32(b[0:], 574)
	binary.LittleEndian.PutUint32(b[4:], 2)
	binary.LittleEndian.PutUint64(b[8:], size)
	for i, u := range utf16.Encode([]rune(name)) {
		binary.LittleEndian.PutUint16(b[20+2*i:], u)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func slpInvite(ctx, euf string) []byte {
	body := "EUF-GUID: " + euf + "\r\nSessionID: 1980589\r\nAppID: 2\r\nContext: " + ctx + "\r\n\r\n\x00"
	return []byte("INVITE MSNMSGR:bob@example.com MSNSLP/1.0\r\nTo: <msnmsgr:bob@example.com>\r\nFrom: <msnmsgr:alice@example.com>\r\n" +
		"Via: MSNSLP/1.0/TLP ;branch={33517CE4-02FC-4428-B6F4-39927229B722}\r\nCSeq: 0\r\nCall-ID: {9D79AE57-1BD5-444B-B14E-3FC9BB2B5D58}\r\n" +
		"Max-Forwards: 0\r\nContent-Type: application/x-msnmsgr-sessionreqbody\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
}

const msnobj = "%3Cmsnobj%20Creator%3D%22bob%40example.com%22%20Size%3D%2215430%22%20Type%3D%223%22%20Location%3D%22TFR2C.tmp%22%20Friendly%3D%22QgBvAGIAAAA%3D%22%20SHA1D%3D%228yN3nY2CvIjz0cHX0nFzY3d7Xrs%3D%22%2F%3E"

// TestCommandFamilies decodes one scripted exchange per command family and
// compares meanings, fields and notes with golden files.
func TestCommandFamilies(t *testing.T) {
	families := map[string][]step{
		"connection": {
			c2s(crlf("VER 1 MSNP11 MSNP10 CVR0")), s2c(crlf("VER 1 MSNP11")),
			c2s(crlf("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0816 MSMSGS alice@example.com")),
			s2c(crlf("CVR 2 7.0.0816 7.0.0816 6.2.0205 http://download.example.com/s.exe http://messenger.example.com")),
			c2s(crlf("USR 3 TWN I alice@example.com")), s2c(crlf("USR 3 TWN S lc=1033,id=507,tw=40")),
			c2s(crlf("USR 4 TWN S t=53*1hAu8ADuD3TE&p=5eKBBC!yBH6ex5m")), s2c(crlf("USR 4 OK alice@example.com 1 0")),
			s2c(crlf("CHL 0 22940274951814684551")),
			c2s(payload("QRY 5 PROD0090YUAUV{2B", "ffeb4c3cf93db6a4b708b246baade0d9")), s2c(crlf("QRY 5")),
			s2c(crlf("CHL 0 29409134351025259292")),
			c2s(payload("QRY 6 msmsgs@msnmsgr.com", "00000000000000000000000000000000")),
			c2s(crlf("PNG")), s2c(crlf("QNG 50")),
			c2s(crlf("XFR 7 SB")), s2c(crlf("XFR 7 SB 198.51.100.30:1863 CKI 17262740.1050826919.32308")),
			s2c(crlf("OUT RCT 5")),
		},
		"lists": {
			c2s(crlf("VER 1 MSNP8 CVR0")), s2c(crlf("VER 1 MSNP8")),
			c2s(crlf("ADD 12 FL erin@example.com erin@example.com 2")), s2c(crlf("ADD 12 FL 44 erin@example.com erin@example.com 2")),
			s2c(crlf("ADD 0 RL 45 frank@example.com Frank")),
			c2s(crlf("REM 13 FL bob@example.com 1")), s2c(crlf("REM 13 FL 46 bob@example.com 1")),
			c2s(crlf("ADG 14 Coworkers 0")), s2c(crlf("ADG 14 47 Coworkers 3 0")),
			c2s(crlf("REG 15 3 Work%20Mates 0")), s2c(crlf("REG 15 48 3 Work%20Mates 0")),
			c2s(crlf("RMG 16 3")), s2c(crlf("RMG 16 49 3")),
			c2s(crlf("REA 17 alice@example.com Alice%20S.")), s2c(crlf("REA 17 50 alice@example.com Alice%20S.")),
			c2s(crlf("GTC 18 N")), s2c(crlf("GTC 18 51 N")), c2s(crlf("BLP 19 BL")), s2c(crlf("BLP 19 52 BL")),
		},
		"lists-msnp10": {
			c2s(crlf("VER 1 MSNP10")), s2c(crlf("VER 1 MSNP10")),
			c2s(crlf("ADC 9 FL N=erin@example.com F=Erin")), s2c(crlf("ADC 9 FL N=erin@example.com F=Erin C=5a1d3c7e-8b2f-4e6a-9c0d-1f3e5a7b9c2d")),
			c2s(crlf("ADC 10 FL C=5a1d3c7e-8b2f-4e6a-9c0d-1f3e5a7b9c2d 6d3f5c1e-2c6c-4f0e-9d1a-3b7c2f8e1a90")),
			s2c(crlf("ADC 0 RL N=frank@example.com F=Frank")),
			c2s(crlf("REM 12 FL 9a2e7d10-5b4c-4f8e-b1a3-2c6d8e0f4b57 0b2a8f4c-91de-4c37-8a55-7e0d6c9f3b12")),
			c2s(crlf("SBP 14 c1f9a363-4ee9-4a33-a434-b056a4c55b98 MFN Bob%20(work)")),
			c2s(crlf("PRP 8 MFN Alice%20S.")), s2c(crlf("PRP 8 MFN Alice%20S.")),
			s2c(crlf("RMG 16 1 0b2a8f4c-91de-4c37-8a55-7e0d6c9f3b12")),
			s2c(crlf("REG 17 1 Family 3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b 0")),
		},
		"lists-msnp15": {
			c2s(crlf("VER 1 MSNP15")), s2c(crlf("VER 1 MSNP15")),
			c2s(payload("ADL 6", `<ml l="1"><d n="example.com"><c n="bob" l="3" t="1" /></d></ml>`)), s2c(crlf("ADL 6 OK")),
			c2s(payload("RML 7", `<ml><d n="example.com"><c n="bob" l="2" t="1" /></d></ml>`)), s2c(crlf("RML 7 OK")),
			c2s(payload("FQY 8", `<ml><d n="yahoo.com"><c n="gina" /></d></ml>`)),
			s2c(payload("FQY 8", `<ml><d n="yahoo.com"><c n="gina" t="32" /></d></ml>`)),
			c2s(payload("ADL 9", `<ml><d n="example.com"><c n="mallory" l="8" t="1" /></d></ml>`)),
			s2c(payload("241 9", `<ml><d n="example.com"><c n="mallory" l="8" t="1" /></d></ml>`)),
		},
		"presence": {
			c2s(crlf("VER 1 MSNP15")), s2c(crlf("VER 1 MSNP15")),
			c2s(crlf("CHG 8 NLN 2148319276 " + msnobj)), s2c(crlf("CHG 8 NLN 2148319276 " + msnobj)),
			s2c(crlf("ILN 8 BSY bob@example.com 1 Bob%20Brown 1342177316 " + msnobj)),
			s2c(crlf("NLN IDL gina@yahoo.com 32 Gina 0")),
			s2c(crlf("FLN bob@example.com 1")),
			s2c(payload("UBX bob@example.com 1", `<Data><PSM>Out fishing &amp; more</PSM><CurrentMedia>\0Music\01\0{0} - {1}\0Clocks\0Coldplay\0\0</CurrentMedia><MachineGuid>{0061D708-CD9B-4D56-B64B-FFFAA92FF344}</MachineGuid></Data>`)),
			c2s(payload("UUX 9", `<Data><PSM>hello</PSM><CurrentMedia></CurrentMedia></Data>`)), s2c(crlf("UUX 9 0")),
			s2c(crlf("UBX bob@example.com 1 0")),
		},
		"presence-msnp18": {
			c2s(crlf("VER 1 MSNP18")), s2c(crlf("VER 1 MSNP18")),
			s2c(crlf("NLN NLN 1:bob@example.com Bob 2789003324:48 %3Cmsnobj%2F%3E")),
			s2c(payload("UBX 1:bob@example.com", `<Data><PSM>x</PSM><EndpointData id="{c597a8fc-526f-4954-96e3-eb98f62c789e}"><Capabilities>2789003324:48</Capabilities></EndpointData><PrivateEndpointData id="{c597a8fc-526f-4954-96e3-eb98f62c789e}"><EpName>HOME-PC</EpName><ClientType>1</ClientType><State>NLN</State></PrivateEndpointData></Data>`)),
			s2c(crlf("FLN 1:bob@example.com 0:0")),
			s2c(crlf("RNG 11752013 198.51.100.30:1864 CKI 849102291.520491113 bob@example.com Bob U messenger.hotmail.com 1")),
		},
		"notification": {
			c2s(crlf("VER 1 MSNP13")), s2c(crlf("VER 1 MSNP13")),
			s2c(payload("GCF 0", `<Policies><Policy type="SHIELDS" checksum="9"><config/></Policy><Policy type="ABCH"/></Policies>`)),
			s2c(crlf("SBS 0 null")),
			s2c(payload("NOT", `<NOTIFICATION ver="2" id="1"><TO pid="0x1" name="alice@example.com"/><MSG id="0"><BODY><TEXT>Your space was updated</TEXT></BODY></MSG></NOTIFICATION>`)),
			c2s(crlf("URL 10 INBOX")), s2c(crlf("URL 10 /cgi-bin/HoTMaiL https://login.example.com/ 2")),
			c2s(payload("UUN 11 bob@example.com 1", `<SNM opcode="SNM" csid="{1}" />`)), s2c(crlf("UUN 11 OK")),
			s2c(payload("UBN bob@example.com 5", `goawy`)),
			c2s(payload("UUM 12 gina@yahoo.com 32 1", "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi Gina")),
			s2c(payload("UBM gina@yahoo.com 32 2", "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: gina@yahoo.com\r\n\r\n")),
			c2s(crlf("LKP 13 tel:+15551234")), c2s(crlf("IMS 14 OFF")), c2s(crlf("SND 15 carol@example.com 0x0409 MSMSGS")),
			c2s(crlf("FND 16 fname=Bob lname=Brown city=* state=* country=US")), s2c(crlf("502 16")),
		},
		"switchboard": {
			c2s(crlf("USR 1 alice@example.com 17262740.1050826919.32308")), s2c(crlf("USR 1 OK alice@example.com Alice")),
			c2s(crlf("CAL 2 bob@example.com")), s2c(crlf("CAL 2 RINGING 11752013")),
			s2c(crlf("JOI bob@example.com Bob 1342177316")),
			c2s(payload("MSG 3 U", "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: alice@example.com\r\n\r\n")),
			c2s(payload("MSG 4 A", "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=BI; CO=ff0000; CS=0; PF=22\r\n\r\nHi Bob – ☺")),
			s2c(crlf("ACK 4")),
			s2c(payload("MSG bob@example.com Bob", "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\ncaf\xe9")),
			c2s(payload("MSG 5 N", "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n")),
			c2s(payload("MSG 6 A", "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nMessage-ID: {A1}\r\nChunks: 2\r\n\r\nfirst half, ")),
			c2s(payload("MSG 7 A", "Message-ID: {A1}\r\nChunk: 1\r\n\r\nsecond half")),
			c2s(payload("MSG 8 D", p2pBody(0, 1980592, slpInvite(fileContextB64("holiday.jpg", 123456), "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"), 0, 0))),
			c2s(payload("MSG 9 D", p2pBody(0, 1980593, nil, 2, 0))),
			s2c(payload("MSG bob@example.com Bob", "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\nApplication-Name: File Transfer\r\nApplication-GUID: {5D3E02AB-6190-11D3-BBBB-00C04F795683}\r\nInvitation-Command: INVITE\r\nInvitation-Cookie: 12345\r\nApplication-File: notes.txt\r\nApplication-FileSize: 4096\r\n\r\n")),
			c2s(payload("MSG 10 N", "MIME-Version: 1.0\r\nContent-Type: text/x-mms-emoticon\r\n\r\n(bb)\t<msnobj Creator=\"alice@example.com\" Size=\"100\" Type=\"2\" SHA1D=\"x\"/>\t")),
			c2s(payload("MSG 11 N", "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 2\r\nData: <msnobj Creator=\"alice@example.com\" Size=\"1\" Type=\"8\" SHA1D=\"y\"/>\r\n\r\n")),
			s2c(crlf("NAK 11")),
			s2c(crlf("BYE bob@example.com 1")),
			c2s(crlf("OUT")),
		},
		"switchboard-callee": {
			c2s(crlf("ANS 1 bob@example.com;{F26D1F07-95E2-403C-BC18-D4BFED493428} 849102291.520491113 11752013")),
			s2c(crlf("IRO 1 1 2 alice@example.com Alice 2789003324:48", "IRO 1 2 2 carol@example.com Carol 1342177316", "ANS 1 OK")),
			s2c(payload("MSG alice@example.com Alice", "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=GB2312\r\n\r\n\xc4\xe3\xba\xc3")),
			s2c(crlf("BYE carol@example.com")),
		},
	}
	for name, steps := range families {
		t.Run(name, func(t *testing.T) {
			_, col := run(t, steps, 0, false)
			for _, m := range col.messages() {
				if m.Fields == nil {
					t.Errorf("%q has no decoded fields", m.Line)
				}
			}
			goldenFile(t, name+".txt", render(t, col))
		})
	}
}

// TestConversation checks the chat log built from the switchboard family.
func TestConversation(t *testing.T) {
	steps := []step{
		c2s(crlf("USR 1 alice@example.com 1.2.3")), s2c(crlf("USR 1 OK alice@example.com Alice")),
		s2c(crlf("JOI bob@example.com Bob%20B")),
		c2s(payload("MSG 2 A", "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nMessage-ID: {A1}\r\nChunks: 2\r\n\r\nfirst, ")),
		c2s(payload("MSG 3 A", "Message-ID: {A1}\r\nChunk: 1\r\n\r\nsecond")),
		s2c(payload("MSG bob@example.com Bob%20B", "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n")),
		s2c(crlf("BYE bob@example.com")),
	}
	c, _ := run(t, steps, 3, false)
	conv := c.Conversation()
	if conv == nil {
		t.Fatal("no conversation")
	}
	var got []string
	for _, m := range conv.Messages {
		got = append(got, m.Kind+":"+m.From+":"+m.Nickname+":"+m.Text)
	}
	want := "join:bob@example.com:Bob B:|text:alice@example.com:Alice:first, second|nudge:bob@example.com:Bob B:|leave:bob@example.com:Bob B:"
	if strings.Join(got, "|") != want {
		t.Errorf("chat\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	if conv.User != "alice@example.com" || len(conv.Participants) != 2 {
		t.Errorf("user %q participants %+v", conv.User, conv.Participants)
	}
}
