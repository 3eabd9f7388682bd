package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./report -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

var ts = time.Date(2005, 6, 1, 12, 0, 0, 123456000, time.UTC)

// sampleEvents covers every event kind, a payload, notes and hostile bytes.
func sampleEvents() []*dissect.Event {
	conn := &dissect.ConnInfo{ID: "c7", Client: "192.0.2.10:3002", Server: "[2001:db8::1]:1863", Start: ts, MidStream: true}
	lst := &dissect.Message{Dir: dissect.ServerToClient, Cmd: "LST", Args: []string{"bob@example.com", "Bob", "11", "0"},
		Line: "LST bob@example.com Bob 11 0", Meaning: `contact bob@example.com "Bob" lists=FL,AL,RL groups=[Other Contacts]`,
		Fields: &dissect.LSTFields{Passport: "bob@example.com", Nickname: "Bob", ListMask: 11, Lists: []string{"FL", "AL", "RL"}, Groups: []string{"0"}}}
	msg := &dissect.Message{Dir: dissect.ClientToServer, Cmd: "MSG", TrID: 4, HasTrID: true, Args: []string{"A", "9"},
		Line: "MSG 4 A 9", HasPayload: true, PayloadLen: 12, Payload: []byte("Hello bob"), PayloadMissing: 3,
		Fields: &dissect.MSGFields{Ack: "A", ContentType: "text/plain", Kind: "text", Text: "Hello bob"}, Meaning: "message (text/plain)",
		Notes: []string{"3 payload bytes missing (capture gap)"}}
	evil := &dissect.Message{Dir: dissect.ServerToClient, Cmd: "ZZZ", Line: "ZZZ \x1b[31mred\x07", Args: []string{"\x1b[31mred\x07"},
		Meaning: "unknown", Notes: []string{"unknown command"}}
	return []*dissect.Event{
		{Kind: dissect.KindSkip, Conn: conn, Time: ts, Dir: dissect.ServerToClient, Bytes: 12, Reason: "capture started in the middle of the connection"},
		{Kind: dissect.KindMessage, Conn: conn, Time: ts, Dir: dissect.ServerToClient, Message: lst},
		{Kind: dissect.KindGap, Conn: conn, Time: ts, Dir: dissect.ClientToServer, Bytes: 3, Offset: 40},
		{Kind: dissect.KindMessage, Conn: conn, Time: ts, Dir: dissect.ClientToServer, Message: msg},
		{Kind: dissect.KindMessage, Conn: conn, Time: ts, Dir: dissect.ServerToClient, Message: evil},
		{Kind: dissect.KindEnd, Conn: conn, Time: ts, Dir: dissect.ClientToServer, Reason: "FIN"},
		{Kind: dissect.KindEnd, Conn: conn, Time: ts, Dir: dissect.ServerToClient, Reason: "RST"},
		{Kind: dissect.KindSummary, Conn: conn, Time: ts, Summary: &dissect.Summary{Protocol: "MSNP10-12", ProtocolInferred: true,
			Messages: [2]int{1, 2}, Bytes: [2]int{20, 40}, GapBytes: [2]int{3, 0}, Skipped: [2]int{0, 12}, Ends: [2]string{"FIN", "RST"}}},
	}
}

func TestTranscript(t *testing.T) {
	var b bytes.Buffer
	tr := NewTranscript(&b)
	for _, ev := range sampleEvents() {
		tr.Event(ev)
	}
	tr.Problem(`capture "x.pcap": offset 24: truncated record`)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte{0x1b}) || bytes.Contains(b.Bytes(), []byte{0x07}) {
		t.Error("control characters reached the transcript")
	}
	golden(t, "transcript.txt", b.Bytes())
}

func TestJSONStream(t *testing.T) {
	var b bytes.Buffer
	j := NewJSONStream(&b, true)
	for _, ev := range sampleEvents() {
		j.Event(ev)
	}
	j.Problem("x.pcap", 24, 3, "truncated record", true)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	wantTypes := []string{"skip", "message", "gap", "message", "message", "end", "end", "connection", "input_error"}
	if len(lines) != len(wantTypes) {
		t.Fatalf("%d records, want %d", len(lines), len(wantTypes))
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if m["type"] != wantTypes[i] {
			t.Errorf("record %d type %v, want %s", i, m["type"], wantTypes[i])
		}
	}
	golden(t, "events.ndjson", b.Bytes())
}

func sampleLists() []*dissect.ContactList {
	two, one := 2, 1
	return []*dissect.ContactList{
		{Conn: "c2", User: "alice@example.com", Protocol: "MSNP8", ListVersion: "42", ExpectedContacts: &two, ExpectedGroups: &one,
			Complete: false, GTC: "A", BLP: "AL", Source: "SYN", Properties: map[string]string{"PHH": "01 234", "MBE": "N"},
			Groups: []dissect.Group{{ID: "0", Name: "Other Contacts"}},
			Contacts: []*dissect.Contact{
				{Passport: "bob@example.com", Nickname: "Bob 李", ListMask: 11, Lists: []string{"FL", "AL", "RL"}, Groups: []string{"Other Contacts"}, GroupIDs: []string{"0"}, Properties: map[string]string{"MOB": "Y"}},
			},
			Problems: []string{"SYN announced 2 contacts but 1 LST lines followed"}},
		{Conn: "c5", User: "", Protocol: "MSNP10-12", ProtocolInferred: true, ListVersion: "7", CacheCurrent: true, Complete: true, Source: "SYN",
			Properties: map[string]string{}, Groups: []dissect.Group{}, Contacts: []*dissect.Contact{}},
	}
}

func TestContactsTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteContactsTable(&b, sampleLists()); err != nil {
		t.Fatal(err)
	}
	golden(t, "contacts.txt", b.Bytes())
	b.Reset()
	if err := WriteContactsTable(&b, nil); err != nil || !strings.Contains(b.String(), "No contact list") {
		t.Errorf("empty: %q %v", b.String(), err)
	}
}

func TestContactsJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteContactsJSON(&b, sampleLists()); err != nil {
		t.Fatal(err)
	}
	golden(t, "contacts.json", b.Bytes())
	b.Reset()
	WriteContactsJSON(&b, nil)
	if strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("no lists gives %q, want []", b.String())
	}
}

// failWriter fails every write, to check errors are returned, not lost.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteErrorsAreReported(t *testing.T) {
	tr := NewTranscript(failWriter{})
	j := NewJSONStream(failWriter{}, true)
	for _, ev := range sampleEvents() {
		tr.Event(ev)
		j.Event(ev)
	}
	if tr.Flush() == nil || j.Flush() == nil {
		t.Error("write errors were swallowed")
	}
	if WriteContactsJSON(failWriter{}, sampleLists()) == nil || WriteContactsTable(failWriter{}, sampleLists()) == nil {
		t.Error("contact writers swallowed a write error")
	}
}

func sampleConversation() *dissect.Conversation {
	at := func(s int) time.Time { return ts.Add(time.Duration(s) * time.Second) }
	return &dissect.Conversation{
		Conn: "c3", Client: "192.0.2.10:3003", Server: "198.51.100.30:1863", User: "alice@example.com",
		Start: at(0), End: at(9),
		Participants: []dissect.Participant{{Passport: "alice@example.com", Nickname: "Alice"}, {Passport: "bob@example.com", Nickname: "Bob 李"}},
		Messages: []dissect.ChatMessage{
			{Time: at(1), From: "bob@example.com", Nickname: "Bob 李", Kind: "join"},
			{Time: at(2), From: "alice@example.com", Nickname: "Alice", Kind: "typing"},
			{Time: at(3), From: "alice@example.com", Nickname: "Alice", Kind: "text", Text: "two\r\nlines\r\n"},
			{Time: at(4), From: "bob@example.com", Nickname: "Bob 李", Kind: "nudge"},
			{Time: at(5), From: "bob@example.com", Nickname: "Bob 李", Kind: "file", FileName: "holiday.jpg", FileSize: 123456},
			{Time: at(6), From: "bob@example.com", Nickname: "Bob 李", Kind: "text", Text: "cut\x1b[0m", Incomplete: true},
			{Time: at(7), From: "", Kind: "text", Text: "who am I"},
			{Time: at(9), From: "bob@example.com", Nickname: "Bob 李", Kind: "leave"},
		},
	}
}

func TestChats(t *testing.T) {
	convs := []*dissect.Conversation{sampleConversation()}
	var b bytes.Buffer
	if err := WriteChatsText(&b, convs, ChatOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "typing") {
		t.Error("typing shown without --typing")
	}
	golden(t, "chats.txt", b.Bytes())
	b.Reset()
	if err := WriteChatsText(&b, convs, ChatOptions{Typing: true}); err != nil || !strings.Contains(b.String(), "Alice is typing") {
		t.Errorf("typing not shown with the option: %v", err)
	}
	b.Reset()
	if err := WriteChatsJSON(&b, convs, ChatOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "chats.json", b.Bytes())
	b.Reset()
	WriteChatsText(&b, nil, ChatOptions{})
	if !strings.Contains(b.String(), "No switchboard conversation") {
		t.Errorf("empty: %q", b.String())
	}
}
