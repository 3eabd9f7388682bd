package report

import (
	"bytes"
	"encoding/json"
	"testing"

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
	trid, n := uint32(42), 17
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	msgs := []*jsonMessage{
		{Type: "message", Conn: "c1", TS: "2005-06-01T12:00:00.000000Z", Client: "a", Server: "b", Dir: "c2s", Cmd: "VER", Args: []string{}, Offset: 0},
		{Type: "message", Conn: "c2", Session: "s1", TS: "t", Client: "a", Server: "b", Dir: "s2c", Cmd: "MSG",
			TrID: &trid, Args: trickyStrings, PayloadLen: &n, PayloadMissing: 3,
			Fields: &dissect.MSGFields{Kind: "text", Text: "hi\u2028 <b>"}, Meaning: "m \"q\"", Notes: []string{"n1", "\x01"}, Limit: "max-payload", Offset: 1 << 40},
		{Type: "message", Conn: "c3", Cmd: "XYZ", Args: nil, Fields: (*dissect.MSGFields)(nil)},
	}
	for _, m := range msgs {
		got, err := appendMessage(nil, m, &buf, enc)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdJSON(t, m); string(got) != want {
			t.Errorf("message:\n got %s\nwant %s", got, want)
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

// FuzzAppendJSONString: any string encodes as encoding/json encodes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
