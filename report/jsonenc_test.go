package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
)

// stdJSON is what encoding/json writes for v, without HTML escaping.
func stdJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

var trickyStrings = []string{
	"", "plain", `quote " and \ backslash`, "\x00\x01\b\f\n\r\t\x1f\x7f", "<html> & co",
	"\u2028\u2029", "caf\xe9 (Latin-1)", "\xff\xfe", "日本語 😀", "trailing \xe6\x97",
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range trickyStrings {
		if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func TestAppendRecordsMatchEncodingJSON(t *testing.T) {
	trid, n, ext := uint32(42), 17, uint32(0x80000000)
	msgs := []*jsonMessage{
		{Type: "message", Conn: "c1", TS: "2005-06-01T12:00:00.000000Z", Client: "a", Server: "b", Dir: "c2s", Cmd: "VER", Args: []string{}, Offset: 0},
		{Type: "message", Conn: "c2", Session: "s1", TS: "t", Client: "a", Server: "b", Dir: "s2c", Cmd: "MSG",
			TrID: &trid, Args: trickyStrings, PayloadLen: &n, PayloadMissing: 3,
			Fields: &dissect.MSGFields{Kind: "text", Text: "hi\u2028 <b>"}, Meaning: "m \"q\"", Notes: []string{"n1", "\x01"}, Limit: "max-payload", Offset: 1 << 40},
		{Type: "message", Conn: "c3", Cmd: "XYZ", Args: nil, Fields: (*dissect.MSGFields)(nil)},
		{Type: "message", Conn: "c4", Cmd: "ACK", Fields: &dissect.NamedFields{}},
		{Type: "message", Conn: "c4", Cmd: "NAK", Fields: (*dissect.NamedFields)(nil)},
	}
	// Every field of the hand-written MSG and named-field shapes, with
	// every tricky string, and the shapes they hand to encoding/json.
	for i, s := range trickyStrings {
		full := &dissect.MSGFields{From: s, Nickname: s, Ack: "U", ContentType: s, Charset: s, Kind: s, Text: s,
			Format:     &dissect.TextFormat{Font: s, Effects: s, Color: s, Charset: s, PitchFamily: s, RightToLeft: i%2 == 0},
			TypingUser: s, MessageID: s, Chunks: i, Chunk: i - 1, Complete: i%2 == 1}
		named := &dissect.NamedFields{List: []dissect.Field{{Name: s, Value: s}, {Name: "n", Value: i}, {Name: "b", Value: i%2 == 0},
			{Name: "nil", Value: nil}, {Name: "<&>", Value: "<a href=\"x&y\">"}}}
		msgs = append(msgs,
			&jsonMessage{Type: "message", Cmd: "MSG", Fields: full},
			&jsonMessage{Type: "message", Cmd: "MSG", Fields: &dissect.MSGFields{Kind: "typing", TypingUser: s, Format: &dissect.TextFormat{}}},
			&jsonMessage{Type: "message", Cmd: "MSG", Fields: &dissect.MSGFields{Kind: "p2p", From: s, P2P: &dissect.P2PMessage{SessionID: 7}}},
			&jsonMessage{Type: "message", Cmd: "MSG", Fields: &dissect.MSGFields{Kind: "p2p", Text: s, P2P: &dissect.P2PMessage{
				Version: i, SessionID: 1<<32 - 1, Identifier: uint32(i), DataOffset: 1<<64 - 1, TotalDataSize: 1 << 40, MessageLength: 1202,
				Flags: uint32(i), FlagNames: trickyStrings[:i], AckSessionID: 3, AckUniqueID: 4, AckDataSize: 5, AppID: 6,
				SLP: &dissect.SLPMessage{StartLine: s, Method: s, To: s, From: s, CallID: s, ContentType: s, EUFGUID: s,
					Application: s, SessionID: s, AppID: s, FileName: s, FileSize: uint64(i)}}}},
			&jsonMessage{Type: "message", Cmd: "MSG", Fields: &dissect.MSGFields{Kind: "p2p", P2P: &dissect.P2PMessage{
				SLP: &dissect.SLPMessage{Method: s, Object: &dissect.MSNObject{Creator: s}}}}},
			&jsonMessage{Type: "message", Cmd: "MSG", Fields: &dissect.MSGFields{Kind: "caps", Headers: []dissect.HeaderField{{Name: s, Value: s}}}},
			&jsonMessage{Type: "message", Cmd: "ILN", Fields: named},
			&jsonMessage{Type: "message", Cmd: "LST", Fields: &dissect.LSTFields{Passport: s, Nickname: s, GUID: s, ListMask: dissect.ListMask(i),
				Lists: trickyStrings[:i], Groups: trickyStrings[i:], NetworkID: i, List: s, Index: i, Total: -i, ListVersion: s}},
			&jsonMessage{Type: "message", Cmd: "LST", Fields: &dissect.LSTFields{Nickname: s}},
			&jsonMessage{Type: "message", Cmd: "ILN", Fields: &dissect.PresenceFields{Status: s, StatusName: s, Passport: s, NetworkID: i,
				Nickname: s, Caps: &dissect.Caps{Value: 1<<32 - 1, MSNC: i, Client: s, Flags: trickyStrings[:i], Ext: &ext, ExtFlags: trickyStrings[i:]},
				MSNObject: &dissect.MSNObject{Creator: s, Size: -i, Type: i, TypeName: s, Location: s, Friendly: s, SHA1D: s, SHA1C: s}, IconURL: s}},
			&jsonMessage{Type: "message", Cmd: "NLN", Fields: &dissect.PresenceFields{Caps: &dissect.Caps{}, MSNObject: &dissect.MSNObject{}}},
			&jsonMessage{Type: "message", Cmd: "FLN", Fields: &dissect.PresenceFields{Passport: s}},
			&jsonMessage{Type: "message", Cmd: "UBX", Fields: &dissect.PersonalData{Passport: s, NetworkID: i, PSM: s, CurrentMedia: s, MachineGUID: s, Empty: i%2 == 0}},
			&jsonMessage{Type: "message", Cmd: "UBX", Fields: &dissect.PersonalData{PSM: s, Media: &dissect.Media{Text: s}, Endpoints: []dissect.Endpoint{{ID: s}}}},
			&jsonMessage{Type: "message", Cmd: "BPR", Fields: &dissect.PropertyFields{Passport: s, Key: s, Value: s, ListVersion: s}},
			&jsonMessage{Type: "message", Cmd: "PRP", Fields: &dissect.PropertyFields{}},
			&jsonMessage{Type: "message", Cmd: "ILN", Fields: &dissect.NamedFields{List: []dissect.Field{{Name: "caps", Value: dissect.Handle{Passport: s}}, {Name: s, Value: s}}}},
		)
	}
	var e msgEncoder
	for pass := 0; pass < 2; pass++ { // the second from the head cache
		for _, r := range msgs {
			h, m := messageOf(r)
			got, err := e.appendMessage(nil, h, m)
			if err != nil {
				t.Fatal(err)
			}
			want := *r
			if want.Args == nil {
				want.Args = []string{} // args is always an array
			}
			if w := stdJSON(t, &want); string(got) != w {
				t.Errorf("message:\n got %s\nwant %s", got, w)
			}
		}
	}
	for i, s := range trickyStrings {
		c := &jsonConnection{Type: "connection", Conn: s, TS: s, Client: s, Server: s, Start: s, MidStream: i%2 == 0,
			Role: s, Session: s, Parent: s, Protocol: s, ProtocolInferred: i%3 == 0, ProtocolSource: s, User: s,
			Messages: perDir[int]{i, -i}, Bytes: perDir[int]{1 << 40, 0}, GapBytes: perDir[int]{0, i}, SkippedBytes: perDir[int]{i, i},
			End: perDir[string]{s, "FIN"}, Unanswered: trickyStrings[:i], NotMSNP: i%2 == 1}
		if got, want := string(appendConnection(nil, c)), stdJSON(t, c); got != want {
			t.Errorf("connection:\n got %s\nwant %s", got, want)
		}
	}
	for _, e := range []*jsonEvent{
		{Type: "gap", Conn: "c1", TS: "t", Client: "a", Server: "b", Dir: "c2s", Bytes: 10, Offset: 5},
		{Type: "end", Conn: "c1", Session: "s\"", Dir: "s2c", Reason: "fin", Limit: "x"},
	} {
		if got, want := string(appendEvent(nil, e)), stdJSON(t, e); got != want {
			t.Errorf("event:\n got %s\nwant %s", got, want)
		}
	}
}

// htmlJSON is what json.Marshal writes for s: HTML escaping on.
func htmlJSON(t testing.TB, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAppendJSONStringEveryByteEveryLane puts each byte value, and runes
// of two to four bytes, at every offset of plain text around the
// eight-byte words the fast path skips, in both escaping modes.
func TestAppendJSONStringEveryByteEveryLane(t *testing.T) {
	base := "abcdefghijklmnopqrstuvwx" // three words
	var inserts []string
	for c := range 256 {
		inserts = append(inserts, string([]byte{byte(c)}))
	}
	inserts = append(inserts, "é", "\u2028", "日", "😀", "\xe6\x97")
	for _, ins := range inserts {
		for p := 0; p <= len(base); p++ {
			s := base[:p] + ins + base[p:]
			if got, want := string(appendJSONStringEsc(nil, s, false)), stdJSON(t, s); got != want {
				t.Fatalf("%q: got %s, want %s", s, got, want)
			}
			if got, want := string(appendJSONStringEsc(nil, s, true)), htmlJSON(t, s); got != want {
				t.Fatalf("html %q: got %s, want %s", s, got, want)
			}
		}
	}
}

// FuzzAppendJSONString: any string encodes as encoding/json encodes it,
// with and without HTML escaping.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		if got, want := string(appendJSONStringEsc(nil, s, true)), htmlJSON(t, s); got != want {
			t.Fatalf("html %q: got %s, want %s", s, got, want)
		}
	})
}

// BenchmarkAppendJSONString: chat text, the common case, against
// encoding/json as the baseline.
func BenchmarkAppendJSONString(b *testing.B) {
	s := "here :D are party you song that lol :D ok are home Ben of Nia photo yes the Eli movie hi"
	b.Run("hand", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		var buf []byte
		for b.Loop() {
			buf = appendJSONString(buf[:0], s)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			buf.Reset()
			_ = enc.Encode(s)
		}
	})
}

// TestAppendJSONTime: the direct formatting equals time.Format with
// JSONTimeLayout, across
// years, fractions (truncated, not rounded) and zones.
func TestAppendJSONTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zone := time.FixedZone("x", -7*3600-30*60)
	times := []time.Time{
		{}, time.Unix(0, 0), time.Date(2005, 6, 1, 12, 0, 0, 999999999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 23, 30, 0, 1500, zone),
	}
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).In(zone))
	}
	for _, tm := range times {
		if got, want := FormatTime(tm), tm.UTC().Format(JSONTimeLayout); got != want {
			t.Fatalf("%v: got %s, want %s", tm, got, want)
		}
	}
}

// messageOf splits a record into the head and message it is written from.
func messageOf(r *jsonMessage) (*recordHead, *dissect.Message) {
	m := &dissect.Message{Cmd: r.Cmd, Args: r.Args, PayloadMissing: r.PayloadMissing, Fields: r.Fields,
		Meaning: r.Meaning, Notes: r.Notes, Limit: r.Limit, Offset: r.Offset}
	if r.TrID != nil {
		m.TrID, m.HasTrID = *r.TrID, true
	}
	if r.PayloadLen != nil {
		m.PayloadLen, m.HasPayload = *r.PayloadLen, true
	}
	return &recordHead{r.Type, r.Conn, r.Session, r.TS, r.Client, r.Server, r.Dir}, m
}
