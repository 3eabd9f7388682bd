package dissect

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"net/textproto"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// slowMIME is parseMIME's reference: net/textproto on the whole payload.
func slowMIME(p []byte) (textproto.MIMEHeader, []byte, error) {
	br := bufio.NewReader(bytes.NewReader(p))
	hdr, err := textproto.NewReader(br).ReadMIMEHeader()
	body, _ := io.ReadAll(br)
	if err == io.EOF {
		err = nil
	}
	return hdr, body, err
}

// checkFastMIME fails when the fast path accepts p and disagrees with
// textproto.
func checkFastMIME(t *testing.T, p []byte) bool {
	t.Helper()
	fast, body, ok := parseSimpleMIME(p)
	if !ok {
		return false
	}
	hdr := fast.canonical()
	want, wantBody, err := slowMIME(p)
	if err != nil {
		t.Fatalf("fast path accepted %q, textproto says %v", p, err)
	}
	if len(want) == 0 && len(hdr) == 0 {
		want, hdr = nil, nil
	}
	if !reflect.DeepEqual(hdr, want) || !bytes.Equal(body, wantBody) {
		t.Fatalf("%q: fast path %v %q, textproto %v %q", p, hdr, body, want, wantBody)
	}
	return true
}

func TestParseSimpleMIME(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fast bool
	}{
		{"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=; CO=0\r\n\r\nhello", true},
		{"Content-Type: text/x-msmsgscontrol\nTypingUser: bob@example.com\n\n", true},
		{"\r\nbody only", true},
		{"A: 1\r\nA: 2\r\na: 3\r\n\r\n", true},
		{"Key:   spaced value \t\r\n\r\nbody\r\n\r\nmore", true},
		{"Empty:\r\n\r\n", true},
		{"Folded: one\r\n two\r\n\r\n", false},
		{"No colon here\r\n\r\n", false},
		{"Bad Name: x\r\n\r\n", false},
		{"Unterminated: x\r\n", false},
		{"Unterminated: x", false},
		{"", false},
	} {
		if got := checkFastMIME(t, []byte(tc.in)); got != tc.fast {
			t.Errorf("%q: fast path taken = %v, want %v", tc.in, got, tc.fast)
		}
		// Whatever path it takes, parseMIME must give textproto's answer.
		hdr, body, err := parseMIME([]byte(tc.in))
		want, wantBody, wantErr := slowMIME([]byte(tc.in))
		if (err == nil) != (wantErr == nil) || !bytes.Equal(body, wantBody) || len(hdr.canonical()) != len(want) {
			t.Errorf("%q: parseMIME %v %q %v, textproto %v %q %v", tc.in, hdr, body, err, want, wantBody, wantErr)
		}
	}
}

// FuzzMIMEFastPath: whenever the fast path accepts an input, it must
// agree with textproto.
func FuzzMIMEFastPath(f *testing.F) {
	f.Add([]byte("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi"))
	f.Add([]byte("A:b\n\nc"))
	f.Add([]byte("X-Y: \x00\x7f\xff\r\n\r\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		if !checkFastMIME(t, p) {
			return
		}
		// Get must find what textproto's Get finds, for every name.
		fast, _, _ := parseSimpleMIME(p)
		want, _, _ := slowMIME(p)
		for _, h := range fast {
			if got, w := fast.Get(h.Name), want.Get(h.Name); got != w {
				t.Fatalf("%q: Get(%q) = %q, textproto %q", p, h.Name, got, w)
			}
		}
	})
}

// FuzzContentType: the fast path gives mime.ParseMediaType's answer.
func FuzzContentType(f *testing.F) {
	for _, s := range []string{"text/plain; charset=UTF-8", "Text/Plain", "application/x-msnmsgrp2p", "text/plain;charset=\"utf-8\"", "text/plain; Charset=gb2312", "text", "a/b; x=y", "text/plain; charset="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		mt, cs, err := parseContentType(ct)
		wmt, params, werr := mime.ParseMediaType(ct)
		if (err == nil) != (werr == nil) || err == nil && (mt != wmt || cs != params["charset"]) {
			t.Fatalf("%q: got %q %q %v, mime says %q %q %v", ct, mt, cs, err, wmt, params["charset"], werr)
		}
	})
}

func TestQuoteMatchesStrconv(t *testing.T) {
	for _, s := range []string{"", "hello there", `a "quote"`, `back\slash`, "tab\there", "\x7f", "日本", "caf\xe9", "new\nline"} {
		if got, want := quote(s), strconv.Quote(s); got != want {
			t.Errorf("quote(%q) = %s, want %s", s, got, want)
		}
	}
}

// FuzzQuoteClip: the shortcuts of quote and clip give what strconv.Quote
// and clipping the rune slice give.
func FuzzQuoteClip(f *testing.F) {
	for _, s := range []string{"hello", `say "hi"`, "héllo wörld 😀", "\xff\xfe bad", "tab\there", "\u2028", "\ufffd", strings.Repeat("é", 130)} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if got, want := quote(s), strconv.Quote(s); got != want {
			t.Errorf("quote(%q) = %s, want %s", s, got, want)
		}
		if n < 0 || n > 200 {
			return
		}
		want := s
		if len(s) > n && utf8.RuneCountInString(s) > n {
			want = string([]rune(s)[:n]) + "…"
		}
		if got := clip(s, n); got != want {
			t.Errorf("clip(%q, %d) = %q, want %q", s, n, got, want)
		}
	})
}

// TestTokenBytes checks the token table byte by byte against RFC 7230's
// definition: visible ASCII except the separators.
func TestTokenBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c >= '!' && c <= '~' && !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, rune(c))
		if got := isTokenString(string([]byte{byte(c)})); got != want {
			t.Errorf("byte %#x: token %v, want %v", c, got, want)
		}
	}
	if isTokenString("") || !isTokenString("Content-Type") || isTokenString("Content Type") {
		t.Error("token strings misjudged")
	}
}
