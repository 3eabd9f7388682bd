package dissect

import (
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// The XML documents a busy server sends by the thousand (ADL/RML <ml>
// lists, UUX/UBX <Data>, MSNObjects) are nearly always written in a plain
// subset of XML, and encoding/xml, which reads every document through
// reflection and allocates per token, was an eighth of the CPU of a
// server-side capture. xmlScanner reads that subset and declines anything
// outside it (comments, CDATA, processing instructions, entity references,
// carriage returns, single-quoted or non-ASCII attribute values, prefixed
// or non-ASCII names, repeated attributes); the caller then falls back to
// xml.Unmarshal. Where the scanner accepts, its readers give what
// xml.Unmarshal gives (FuzzScanML, FuzzScanData, FuzzScanMSNObject), so
// the fast path changes speed, never output.

// decodeXML reads doc with scan, a reader of the plain subset, and with
// xml.Unmarshal into a fresh T when scan declines it.
func decodeXML[T any](doc string, scan func(string) (T, bool)) (T, error) {
	if v, ok := scan(doc); ok {
		return v, nil
	}
	var v T
	err := xml.Unmarshal([]byte(doc), &v)
	return v, err
}

// xmlScanner is a pull reader of the plain subset over one document.
type xmlScanner struct {
	s string
	i int
}

// xmlKind is the kind of an xmlToken.
type xmlKind uint8

const (
	xmlEOF xmlKind = iota
	xmlStart
	xmlEnd
	xmlText
)

// xmlToken is one token of the subset. A self-closing element is a start
// token with empty set and no end token.
type xmlToken struct {
	kind  xmlKind
	name  string // start and end: the element name
	attrs string // start: the attribute section, already checked
	empty bool   // start: self-closing
	text  string // text
}

// maxXMLAttrs bounds the attributes of one element the scanner checks for
// repeats (quadratically); more go to the XML decoder.
const maxXMLAttrs = 16

// next reads a token; ok is false when the input leaves the subset.
func (x *xmlScanner) next() (t xmlToken, ok bool) {
	s, i := x.s, x.i
	if i >= len(s) {
		return xmlToken{kind: xmlEOF}, true
	}
	if s[i] != '<' {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			j = len(s) - i
		}
		text := s[i : i+j]
		if !plainXMLText(text) {
			return t, false
		}
		x.i = i + j
		return xmlToken{kind: xmlText, text: text}, true
	}
	i++
	if i < len(s) && s[i] == '/' {
		n := xmlNameEnd(s, i+1)
		if n == i+1 {
			return t, false
		}
		e := n
		for e < len(s) && isXMLSpace(s[e]) {
			e++
		}
		if e >= len(s) || s[e] != '>' {
			return t, false
		}
		x.i = e + 1
		return xmlToken{kind: xmlEnd, name: s[i+1 : n]}, true
	}
	n := xmlNameEnd(s, i)
	if n == i {
		return t, false
	}
	t = xmlToken{kind: xmlStart, name: s[i:n]}
	a := n
	var names [maxXMLAttrs]string
	count := 0
	for {
		j := a
		for j < len(s) && isXMLSpace(s[j]) {
			j++
		}
		if j >= len(s) {
			return t, false
		}
		if s[j] == '>' || s[j] == '/' {
			if s[j] == '/' {
				if j+1 >= len(s) || s[j+1] != '>' {
					return t, false
				}
				t.empty = true
				x.i = j + 2
			} else {
				x.i = j + 1
			}
			t.attrs = s[n:j]
			return t, true
		}
		if j == a {
			return t, false // attributes are separated by white space
		}
		e := xmlNameEnd(s, j)
		if e == j || e+1 >= len(s) || s[e] != '=' || s[e+1] != '"' || count == maxXMLAttrs {
			return t, false
		}
		name := s[j:e]
		for _, seen := range names[:count] {
			if seen == name {
				return t, false
			}
		}
		names[count] = name
		count++
		v := e + 2
		q := v
		for q < len(s) && s[q] != '"' {
			if c := s[q]; c < 0x20 || c > 0x7e || c == '&' || c == '<' {
				return t, false
			}
			q++
		}
		if q == len(s) {
			return t, false
		}
		a = q + 1
	}
}

// maxXMLDepth bounds the nesting skip follows; deeper documents go to the
// XML decoder.
const maxXMLDepth = 32

// skip reads past the rest of an element whose start token was just read,
// checking that every end tag closes the element it should.
func (x *xmlScanner) skip(start xmlToken) bool {
	return x.skipDepth(start, 0)
}

func (x *xmlScanner) skipDepth(start xmlToken, depth int) bool {
	if depth == maxXMLDepth && !start.empty {
		return false
	}
	return x.children(start, func(t xmlToken) bool { return x.skipDepth(t, depth+1) })
}

// children calls child for each element inside start (whose start token
// was just read) and reads up to its end tag; text between the children
// is ignored, as xml.Unmarshal ignores it in a struct without a chardata
// field. child reads the whole element it is given.
func (x *xmlScanner) children(start xmlToken, child func(t xmlToken) bool) bool {
	if start.empty {
		return true
	}
	for {
		t, ok := x.next()
		switch {
		case !ok || t.kind == xmlEOF:
			return false
		case t.kind == xmlStart:
			if !child(t) {
				return false
			}
		case t.kind == xmlEnd:
			return t.name == start.name
		}
	}
}

// text reads the content of an element that holds only text (what
// xml.Unmarshal puts in a string field) up to its end tag.
func (x *xmlScanner) text(start xmlToken) (string, bool) {
	if start.empty {
		return "", true
	}
	t, ok := x.next()
	if !ok {
		return "", false
	}
	content := ""
	if t.kind == xmlText {
		content = t.text
		if t, ok = x.next(); !ok {
			return "", false
		}
	}
	return content, t.kind == xmlEnd && t.name == start.name
}

// root reads up to the document's first element: only white space may
// come before it.
func (x *xmlScanner) root() (xmlToken, bool) {
	t, ok := x.next()
	if ok && t.kind == xmlText && strings.TrimLeft(t.text, " \t\n") == "" {
		t, ok = x.next()
	}
	return t, ok && t.kind == xmlStart
}

// xmlAttr returns an attribute of a start token's checked attribute
// section, "" when it is absent (as xml.Unmarshal leaves a string field).
func xmlAttr(attrs, name string) string {
	for i := 0; i < len(attrs); {
		for i < len(attrs) && isXMLSpace(attrs[i]) {
			i++
		}
		if i == len(attrs) {
			break
		}
		e := strings.IndexByte(attrs[i:], '=') + i
		q := strings.IndexByte(attrs[e+2:], '"') + e + 2
		if attrs[i:e] == name {
			return attrs[e+2 : q]
		}
		i = q + 1
	}
	return ""
}

// xmlNameEnd returns the end of the ASCII name starting at s[i] (i when
// there is none). Names are a letter then letters and digits: enough for
// every element and attribute MSN writes, and free of the prefixes and
// punctuation the XML decoder treats specially.
func xmlNameEnd(s string, i int) int {
	if i >= len(s) || !('a' <= s[i] && s[i] <= 'z' || 'A' <= s[i] && s[i] <= 'Z') {
		return i
	}
	for i < len(s) && isASCIIAlnum(s[i]) {
		i++
	}
	return i
}

// plainXMLText reports whether text reads the same to the XML decoder as
// it is written: valid UTF-8 of XML characters, no entity or character
// references and no carriage returns (which the decoder rewrites).
func plainXMLText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == '&' || c == '>' && strings.HasSuffix(s[:i], "]]") {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r > 0xD7FF && r < 0xE000 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
