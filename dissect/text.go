package dissect

import (
	"strings"
	"unicode/utf8"
)

// DecodeURLText decodes an MSNP URL-encoded parameter (framing.md §5):
// every %XX becomes a byte, '+' stays a '+', and the bytes are read as
// UTF-8, falling back to Latin-1 for old clients that were not UTF-8
// clean. It reports what was irregular.
func DecodeURLText(s string) (text string, badEscape, notUTF8 bool) {
	if strings.IndexByte(s, '%') < 0 {
		if utf8.ValidString(s) {
			return s, false, false
		}
		return latin1(s), false, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		if s[i] == '%' {
			badEscape = true
		}
		b = append(b, s[i])
	}
	if !utf8.Valid(b) {
		return latin1(string(b)), badEscape, true
	}
	return string(b), badEscape, false
}

// decodeText URL-decodes a parameter and notes irregularities on m.
func decodeText(m *Message, s string) string {
	t, bad, latin := DecodeURLText(s)
	if bad {
		m.Note("malformed %-escape in " + s)
	}
	if latin {
		m.Note("text is not valid UTF-8; read as Latin-1")
	}
	return t
}

func latin1(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
