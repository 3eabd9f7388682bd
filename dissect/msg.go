package dissect

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// MSGFields is a decoded MSG: who sent it, its MIME headers' meaning, and
// what kind of content it carries (switchboard.md §4, auth.md §7).
type MSGFields struct {
	// From and Nickname are the sender of a server-relayed message.
	From     string `json:"from,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	// Ack is the client's acknowledgement mode (U, N, A, D).
	Ack         string `json:"ack,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Charset     string `json:"charset,omitempty"`
	// Kind classifies the content: text, typing, nudge, wink, voice_clip,
	// action, file, invite, p2p, emoticons, ink, caps, profile, mail,
	// system, keepalive or other.
	Kind string `json:"kind"`
	// Text is the message text (text/plain), decoded with its charset.
	Text   string      `json:"text,omitempty"`
	Format *TextFormat `json:"format,omitempty"`
	// TypingUser is who is typing (text/x-msmsgscontrol).
	TypingUser string `json:"typing_user,omitempty"`
	// Chunking (Message-ID / Chunks / Chunk).
	MessageID string `json:"message_id,omitempty"`
	Chunks    int    `json:"chunks,omitempty"`
	Chunk     int    `json:"chunk,omitempty"`
	// Complete is set on the chunk that completed a chunked message; Text
	// then holds the whole reassembled text.
	Complete   bool          `json:"complete,omitempty"`
	Invitation *Invitation   `json:"invitation,omitempty"`
	P2P        *P2PMessage   `json:"p2p,omitempty"`
	Emoticons  []Emoticon    `json:"emoticons,omitempty"`
	Object     *MSNObject    `json:"object,omitempty"`
	Profile    *Profile      `json:"profile,omitempty"`
	Mail       *MailNotice   `json:"mail,omitempty"`
	Headers    []HeaderField `json:"headers,omitempty"`
	meaning    string
}

// Describe implements Fields.
func (f *MSGFields) Describe() string { return f.meaning }

// HeaderField is one MIME header of a message whose kind has no dedicated
// decoding, kept so nothing is hidden.
type HeaderField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TextFormat is a decoded X-MMS-IM-Format header.
type TextFormat struct {
	Font        string `json:"font,omitempty"`
	Effects     string `json:"effects,omitempty"`
	Color       string `json:"color,omitempty"` // #RRGGBB
	Charset     string `json:"charset,omitempty"`
	PitchFamily string `json:"pitch_family,omitempty"`
	RightToLeft bool   `json:"right_to_left,omitempty"`
}

// Invitation is a legacy text/x-msmsgsinvite application invitation.
type Invitation struct {
	Application string `json:"application,omitempty"`
	GUID        string `json:"guid,omitempty"`
	Command     string `json:"command,omitempty"`
	Cookie      string `json:"cookie,omitempty"`
	File        string `json:"file,omitempty"`
	FileSize    int64  `json:"file_size,omitempty"`
}

// Emoticon is one custom emoticon definition.
type Emoticon struct {
	Shortcut string     `json:"shortcut"`
	Object   *MSNObject `json:"object,omitempty"`
}

// Profile is the login profile the NS sends after USR OK. MSPAuth, a
// credential, is deliberately not kept.
type Profile struct {
	LoginTime    string `json:"login_time,omitempty"`
	MemberID     string `json:"member_id,omitempty"`
	Country      string `json:"country,omitempty"`
	Language     string `json:"lang_preference,omitempty"`
	ClientIP     string `json:"client_ip,omitempty"`
	ClientPort   int    `json:"client_port,omitempty"`
	ABCHMigrated string `json:"abch_migrated,omitempty"`
	MPOPEnabled  string `json:"mpop_enabled,omitempty"`
}

// MailNotice is a Hotmail notification.
type MailNotice struct {
	InboxUnread   *int   `json:"inbox_unread,omitempty"`
	FoldersUnread *int   `json:"folders_unread,omitempty"`
	From          string `json:"from,omitempty"`
	FromAddress   string `json:"from_address,omitempty"`
	Subject       string `json:"subject,omitempty"`
}

// maxChunks bounds a chunked message (libpurple's limit) and
// maxChunkedBytes its reassembled size, so a stream of chunk headers cannot
// grow memory.
const (
	maxChunks       = 1024
	maxChunkedBytes = 1 << 20
	maxOpenChunked  = 64
)

// chunked is a chunked message being reassembled.
type chunked struct {
	total int
	next  int
	body  []byte
	first *MSGFields
}

// parseMIME splits a MIME-style payload into headers and body. The
// headers MSNP clients write are simple ("Name: value" lines), and those
// are read here without copying the payload; anything unusual (folded
// lines, malformed names, no blank line) goes to net/textproto, which
// defines the result and the errors.
func parseMIME(p []byte) (mimeHeader, []byte, error) {
	if hdr, body, ok := parseSimpleMIME(p); ok {
		return hdr, body, nil
	}
	br := bufio.NewReader(bytes.NewReader(p))
	tp, err := textproto.NewReader(br).ReadMIMEHeader()
	body, _ := io.ReadAll(br)
	var hdr mimeHeader
	for k, vs := range tp {
		for _, v := range vs {
			hdr = append(hdr, HeaderField{k, v})
		}
	}
	if err != nil && err != io.EOF {
		return hdr, body, err
	}
	return hdr, body, nil
}

// mimeHeader is a message's MIME header, names as written and in order.
// Names compare without regard to ASCII case, which is what comparing
// textproto's canonical keys amounts to; a slice avoids building a map
// for the four or five headers of a chat message.
type mimeHeader []HeaderField

// Get returns the first value of the header name, or "".
func (h mimeHeader) Get(name string) string {
	for _, f := range h {
		if len(f.Name) == len(name) && strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// canonical returns the header keyed by canonical names, for the few
// decoders that list every header.
func (h mimeHeader) canonical() textproto.MIMEHeader {
	m := make(textproto.MIMEHeader, len(h))
	for _, f := range h {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		m[k] = append(m[k], f.Value)
	}
	return m
}

// maxSimpleHeaders bounds the fast path; longer header blocks are rare
// and go to textproto.
const maxSimpleHeaders = 16

// parseSimpleMIME is the fast path of parseMIME: it reports ok only when
// the header block has at most maxSimpleHeaders lines of the form
// "Name: value" (Name made of token characters), each ended by CR LF or
// LF, followed by an empty line. Then its result equals textproto's. Values
// share one string with the header block: one allocation for all of them.
func parseSimpleMIME(p []byte) (mimeHeader, []byte, bool) {
	var lines [maxSimpleHeaders][2]int // start and end (exclusive, before CR LF) of each line
	n, i := 0, 0
	for {
		nl := bytes.IndexByte(p[i:], '\n')
		if nl < 0 {
			return nil, nil, false
		}
		end := i + nl
		if end > i && p[end-1] == '\r' {
			end--
		}
		if end == i {
			i += nl + 1
			break // the empty line
		}
		if n == maxSimpleHeaders || p[i] == ' ' || p[i] == '\t' {
			return nil, nil, false
		}
		lines[n] = [2]int{i, end}
		n++
		i += nl + 1
	}
	if n == 0 {
		return mimeHeader{}, p[i:], true
	}
	block := string(p[lines[0][0]:lines[n-1][1]])
	base := lines[0][0]
	hdr := make(mimeHeader, n)
	for k := 0; k < n; k++ {
		line := block[lines[k][0]-base : lines[k][1]-base]
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || !isTokenString(line[:colon]) {
			return nil, nil, false
		}
		v := strings.Trim(line[colon+1:], " \t")
		for j := 0; j < len(v); j++ {
			// textproto refuses control bytes (but HTAB) and DEL in values.
			if c := v[j]; c < ' ' && c != '\t' || c == 0x7f {
				return nil, nil, false
			}
		}
		hdr[k] = HeaderField{line[:colon], v}
	}
	return hdr, p[i:], true
}

// parseContentType returns the media type and charset of a Content-Type
// value as mime.ParseMediaType does. The shapes clients write ("text/plain"
// or "text/plain; charset=UTF-8") are read without building a parameter
// map; anything else goes to mime.ParseMediaType.
func parseContentType(ct string) (mediaType, charset string, err error) {
	main, param, hasParam := strings.Cut(ct, ";")
	main = strings.TrimSpace(main)
	typ, sub, ok := strings.Cut(main, "/")
	fast := ok && isTokenString(typ) && isTokenString(sub)
	if fast && hasParam {
		name, value, ok := strings.Cut(strings.TrimSpace(param), "=")
		fast = ok && strings.EqualFold(name, "charset") && isTokenString(value)
		charset = value
	}
	if fast {
		return strings.ToLower(main), charset, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	return mt, params["charset"], err
}

// isTokenString reports whether s is a non-empty RFC 7230 token, the
// header names textproto accepts without complaint.
func isTokenString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenByte[s[i]] {
			return false
		}
	}
	return s != ""
}

// tokenByte marks the bytes of an RFC 7230 token: visible ASCII but the
// separators. A table, as every header name of every MSG is checked.
var tokenByte = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", c)
	}
	return t
}()

// msgRole is what Options.ListsOnly keeps of decodeMSG: a client's MSG, or
// a server's from anyone but Hotmail, shows a switchboard.
func (c *Conn) msgRole(m *Message) {
	a := m.Args
	if m.Dir == ClientToServer && len(a) >= 1 {
		c.switchboard = true
	} else if m.Dir == ServerToClient && len(a) >= 2 && ParseHandle(a[0]).Passport != "Hotmail" {
		c.switchboard = true
	}
}

func decodeMSG(c *Conn, m *Message) {
	a := m.Args
	f := &MSGFields{Kind: "other"}
	m.Fields = f
	if m.Dir == ClientToServer && len(a) >= 1 {
		// Clients send MSG only on switchboards.
		c.switchboard = true
		f.Ack = a[0]
		switch f.Ack {
		case "U", "N", "A", "D", "S":
		default:
			m.Note("unknown acknowledgement mode " + f.Ack)
		}
	} else if m.Dir == ServerToClient && len(a) >= 2 {
		f.From, f.Nickname = ParseHandle(a[0]).Passport, decodeText(m, a[1])
		if f.From != "Hotmail" {
			c.switchboard = true
			c.participant(f.From, f.Nickname)
		}
	}
	defer c.chatMSG(m, f)
	if !m.HasPayload || len(m.Payload) == 0 {
		f.meaning = "empty message"
		return
	}
	hdr, body, err := parseMIME(m.Payload)
	if err != nil && len(hdr) == 0 {
		m.Note("payload is not a MIME message: " + err.Error())
		return
	}
	if err != nil {
		m.Note("malformed MIME header: " + err.Error())
	}
	if ct := hdr.Get("Content-Type"); ct != "" {
		mt, charset, perr := parseContentType(ct)
		if perr != nil {
			f.ContentType = strings.TrimSpace(strings.SplitN(ct, ";", 2)[0])
			m.Note("malformed Content-Type: " + ct)
		} else {
			f.ContentType, f.Charset = mt, charset
		}
	}
	f.MessageID = hdr.Get("Message-ID")
	// Most messages have neither header: no failed parse (and its error
	// value) for them.
	if v := hdr.Get("Chunks"); v != "" {
		f.Chunks, _ = strconv.Atoi(v)
	}
	if v := hdr.Get("Chunk"); v != "" {
		f.Chunk, _ = strconv.Atoi(v)
	}
	sender := f.From
	if sender == "" {
		sender = c.user
	}
	switch ct := f.ContentType; {
	case ct == "text/plain" || ct == "" && f.Chunk > 0:
		f.Kind = "text"
		f.Text = decodeCharset(m, body, f.Charset)
		if v := hdr.Get("X-MMS-IM-Format"); v != "" {
			f.Format = parseTextFormat(v)
		}
		c.chunkText(m, f, body)
		if f.Chunks > 1 && !f.Complete {
			f.meaning = fmt.Sprintf("text from %s, chunk 1 of %d", sender, f.Chunks)
		} else if f.Chunk > 0 && !f.Complete {
			f.meaning = fmt.Sprintf("text from %s, chunk %d", sender, f.Chunk+1)
		} else {
			f.meaning = "text from " + sender + ": " + quote(clip(f.Text, 120))
		}
	case ct == "text/x-msmsgscontrol":
		f.Kind = "typing"
		f.TypingUser = hdr.Get("TypingUser")
		if f.TypingUser == "" {
			f.TypingUser = hdr.Get("RecordingUser")
		}
		if m.Dir == ClientToServer && c.user == "" && f.TypingUser != "" {
			// A capture that missed USR/ANS still learns who the client is.
			c.user = detach(ParseHandle(f.TypingUser).Passport)
		}
		f.meaning = f.TypingUser + " is typing"
	case ct == "text/x-msnmsgr-datacast":
		decodeDatacast(m, f, body, sender)
	case ct == "text/x-msmsgsinvite":
		decodeInvitation(m, f, body, sender)
	case ct == "application/x-msnmsgrp2p":
		f.Kind = "p2p"
		decodeP2P(m, f, body, sender)
	case ct == "text/x-mms-emoticon" || ct == "text/x-mms-animemoticon":
		f.Kind = "emoticons"
		f.Emoticons = parseEmoticons(m, body)
		f.meaning = fmt.Sprintf("%s defines %d custom emoticons", sender, len(f.Emoticons))
	case ct == "image/gif" || ct == "application/x-ms-ink":
		f.Kind = "ink"
		f.meaning = "handwriting (ink) from " + sender
	case ct == "text/x-clientcaps":
		f.Kind = "caps"
		f.Headers = bodyHeaders(body)
		f.meaning = "client announcement from " + sender
	case ct == "text/x-keepalive":
		f.Kind = "keepalive"
		f.meaning = "keep-alive"
	case ct == "text/x-msmsgsprofile":
		f.Kind = "profile"
		decodeProfile(c, m, f, hdr)
	case strings.HasPrefix(ct, "text/x-msmsgs") && strings.Contains(ct, "mail") ||
		ct == "text/x-msmsgsinitialmdatanotification" || ct == "text/x-msmsgsoimnotification":
		f.Kind = "mail"
		decodeMail(f, hdr, body)
	case ct == "application/x-msmsgssystemmessage":
		f.Kind = "system"
		hs := bodyHeaders(body)
		f.Headers = hs
		f.meaning = "system message"
		for _, h := range hs {
			if h.Name == "Arg1" {
				f.meaning += ": server maintenance in " + h.Value + " minutes"
			}
		}
	default:
		for k, v := range hdr.canonical() {
			if k != "Mime-Version" && k != "Content-Type" {
				f.Headers = append(f.Headers, HeaderField{k, strings.Join(v, ", ")})
			}
		}
		sortHeaders(f.Headers)
		f.meaning = fmt.Sprintf("message (%s) from %s", orNone(f.ContentType), sender)
	}
}

func orNone(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}

// quote is strconv.Quote, with a shortcut for the text it leaves as it
// is (valid UTF-8 of printable characters, no quote or backslash), which
// most chat text is.
func quote(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
				return strconv.Quote(s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
		i += size
	}
	return `"` + s + `"`
}

// clip shortens s to n runes for a one-line meaning.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n; k++ {
		if i == len(s) {
			return s
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i == len(s) {
		return s
	}
	if !utf8.ValidString(s[:i]) {
		// As the rune conversion does: invalid bytes become U+FFFD.
		return string([]rune(s)[:n]) + "…"
	}
	return s[:i] + "…"
}

// decodeCharset turns a body into text with its declared charset (WHATWG
// labels through golang.org/x/text). Without one, valid UTF-8 is read as
// UTF-8 and anything else as ISO-8859-1, the old clients' convention.
func decodeCharset(m *Message, body []byte, charset string) string {
	cs := strings.ToLower(charset)
	switch {
	case cs == "utf-8" || cs == "utf8" || cs == "" && utf8.Valid(body):
		if utf8.Valid(body) {
			return string(body)
		}
		m.Note("text is not valid UTF-8; read as Windows-1252")
		return decodeWith(charmap.Windows1252, body)
	case cs == "" || cs == "iso-8859-1" || cs == "latin1":
		return decodeWith(charmap.ISO8859_1, body)
	}
	// The WHATWG label index maps the labels clients really wrote (gb2312,
	// ks_c_5601-1987, shift_jis, windows-1251 …) to a decoder, taking
	// supersets such as GBK for GB2312 as browsers do.
	enc, err := htmlindex.Get(charset)
	if err != nil || enc == nil {
		m.Note("unknown charset " + charset + "; text shown as UTF-8")
		return strings.ToValidUTF8(string(body), "\uFFFD")
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		m.Note("text does not decode as " + charset)
		return strings.ToValidUTF8(string(body), "\uFFFD")
	}
	return string(out)
}

func decodeWith(cm *charmap.Charmap, b []byte) string {
	out, _ := cm.NewDecoder().Bytes(b)
	return string(out)
}

// parseTextFormat reads "FN=Arial; EF=B; CO=ff0000; CS=0; PF=22".
func parseTextFormat(v string) *TextFormat {
	t := &TextFormat{}
	for part := range strings.SplitSeq(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "FN":
			t.Font, _, _ = DecodeURLText(val)
		case "EF":
			t.Effects = val
		case "CO":
			t.Color = bgrToRGB(val)
		case "CS":
			t.Charset = val
		case "PF":
			t.PitchFamily = val
		case "RL":
			t.RightToLeft = val == "1"
		}
	}
	return t
}

const hexDigit = "0123456789abcdef"

// bgrToRGB turns the BBGGRR colour (leading zeros dropped) into #RRGGBB.
func bgrToRGB(v string) string {
	n, err := strconv.ParseUint(v, 16, 32)
	if err != nil || n > 0xffffff {
		return v
	}
	return string([]byte{'#', hexDigit[n>>4&0xf], hexDigit[n&0xf], hexDigit[n>>12&0xf], hexDigit[n>>8&0xf],
		hexDigit[n>>20&0xf], hexDigit[n>>16&0xf]})
}

// chunkText reassembles chunked text (Message-ID, Chunks, Chunk): the
// chunk that completes the message carries the whole text.
func (c *Conn) chunkText(m *Message, f *MSGFields, body []byte) {
	if f.MessageID == "" || f.Chunks <= 1 && f.Chunk == 0 {
		return
	}
	key := fmt.Sprintf("%d/%s", m.Dir, f.MessageID)
	if f.Chunks > 1 {
		if f.Chunks > maxChunks {
			m.Note(fmt.Sprintf("%d chunks announced, more than the %d allowed", f.Chunks, maxChunks))
			return
		}
		if c.chunks == nil {
			c.chunks = map[string]*chunked{}
		}
		if len(c.chunks) >= maxOpenChunked {
			m.Note("too many chunked messages in progress; this one is not reassembled")
			return
		}
		c.chunks[key] = &chunked{total: f.Chunks, next: 1, body: append([]byte(nil), body...), first: f}
		return
	}
	ch := c.chunks[key]
	if ch == nil {
		m.Note("chunk of a message whose first chunk was not seen")
		return
	}
	if f.Chunk != ch.next {
		m.Note(fmt.Sprintf("chunk %d arrived, expected %d", f.Chunk, ch.next))
	}
	if len(ch.body)+len(body) > maxChunkedBytes {
		m.Note("chunked message exceeds the reassembly limit")
		delete(c.chunks, key)
		return
	}
	ch.body = append(ch.body, body...)
	ch.next = f.Chunk + 1
	if ch.next >= ch.total {
		delete(c.chunks, key)
		f.Complete = true
		f.Text = decodeCharset(m, ch.body, ch.first.Charset)
		if f.Format == nil {
			f.Format = ch.first.Format
		}
	}
}

// datacastIDs are the text/x-msnmsgr-datacast ids.
var datacastIDs = map[string]string{"1": "nudge", "2": "wink", "3": "voice_clip", "4": "action"}

func decodeDatacast(m *Message, f *MSGFields, body []byte, sender string) {
	hs := bodyHeaders(body)
	id, data := "", ""
	for _, h := range hs {
		switch h.Name {
		case "ID":
			id = h.Value
		case "Data":
			data = h.Value
		}
	}
	f.Kind = datacastIDs[id]
	if f.Kind == "" {
		f.Kind = "datacast"
		m.Note("unknown datacast id " + id)
	}
	if data != "" {
		if obj, err := ParseMSNObject(data); err == nil {
			f.Object = obj
		}
	}
	switch f.Kind {
	case "nudge":
		f.meaning = sender + " sent a nudge"
	case "action":
		f.Text = data
		f.meaning = fmt.Sprintf("%s: action %q", sender, data)
	default:
		f.meaning = fmt.Sprintf("%s sent a %s", sender, strings.ReplaceAll(f.Kind, "_", " "))
	}
}

// bodyHeaders reads a header-style body ("Name: value" lines).
func bodyHeaders(body []byte) []HeaderField {
	var out []HeaderField
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" {
			continue
		}
		out = append(out, HeaderField{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out
}

func sortHeaders(h []HeaderField) {
	sort.Slice(h, func(i, j int) bool { return h[i].Name < h[j].Name })
}

func decodeInvitation(m *Message, f *MSGFields, body []byte, sender string) {
	inv := &Invitation{}
	for _, h := range bodyHeaders(body) {
		switch h.Name {
		case "Application-Name":
			inv.Application = h.Value
		case "Application-GUID":
			inv.GUID = h.Value
		case "Invitation-Command":
			inv.Command = h.Value
		case "Invitation-Cookie":
			inv.Cookie = h.Value
		case "Application-File":
			inv.File = h.Value
		case "Application-FileSize":
			inv.FileSize, _ = strconv.ParseInt(h.Value, 10, 64)
		}
	}
	f.Invitation = inv
	f.Kind = "invite"
	if inv.File != "" {
		f.Kind = "file"
	}
	switch {
	case inv.Command == "INVITE" && inv.File != "":
		f.meaning = fmt.Sprintf("%s offers file %q (%d bytes)", sender, inv.File, inv.FileSize)
	case inv.Command == "INVITE":
		f.meaning = fmt.Sprintf("%s invites to %s", sender, orNone(inv.Application))
	default:
		f.meaning = fmt.Sprintf("%s: invitation %s %s", sender, inv.Command, inv.Cookie)
	}
}

func parseEmoticons(m *Message, body []byte) []Emoticon {
	parts := strings.Split(strings.TrimRight(string(body), "\r\n"), "\t")
	var out []Emoticon
	for i := 0; i+1 < len(parts); i += 2 {
		e := Emoticon{Shortcut: parts[i]}
		if obj, err := ParseMSNObject(parts[i+1]); err == nil {
			e.Object = obj
		} else {
			m.Note("emoticon " + parts[i] + ": " + err.Error())
		}
		out = append(out, e)
	}
	return out
}

func decodeProfile(c *Conn, m *Message, f *MSGFields, hdr mimeHeader) {
	p := &Profile{
		LoginTime: hdr.Get("LoginTime"), Country: hdr.Get("country"),
		Language: hdr.Get("lang_preference"), ClientIP: hdr.Get("ClientIP"),
		ABCHMigrated: hdr.Get("ABCHMigrated"), MPOPEnabled: hdr.Get("MPOPEnabled"),
	}
	if hi, lo := hdr.Get("MemberIdHigh"), hdr.Get("MemberIdLow"); hi != "" && lo != "" {
		h, err1 := strconv.ParseInt(hi, 10, 64)
		l, err2 := strconv.ParseInt(lo, 10, 64)
		if err1 == nil && err2 == nil {
			p.MemberID = fmt.Sprintf("%016x", uint64(h)<<32|uint64(uint32(l)))
		}
	}
	if port, err := strconv.Atoi(hdr.Get("ClientPort")); err == nil && port >= 0 && port <= 0xffff {
		// auth.md §7: ClientPort is sent byte-swapped.
		p.ClientPort = port>>8 | (port&0xff)<<8
	}
	f.Profile = p
	if m.Dir == ServerToClient {
		switch p.ABCHMigrated {
		case "1":
			c.abch = 1
		case "0":
			c.abch = 0
		}
	}
	f.meaning = "login profile"
	if c.abch >= 0 {
		f.meaning += fmt.Sprintf(" (ABCHMigrated %d)", c.abch)
	}
	if p.ClientIP != "" {
		f.meaning += fmt.Sprintf(", client seen as %s:%d", p.ClientIP, p.ClientPort)
	}
}

func decodeMail(f *MSGFields, hdr mimeHeader, body []byte) {
	n := &MailNotice{}
	all := map[string]string{}
	for k, v := range hdr.canonical() {
		all[k] = strings.Join(v, ", ")
	}
	for _, h := range bodyHeaders(body) {
		all[textproto.CanonicalMIMEHeaderKey(h.Name)] = h.Value
	}
	if v, err := strconv.Atoi(all["Inbox-Unread"]); err == nil {
		n.InboxUnread = &v
	}
	if v, err := strconv.Atoi(all["Folders-Unread"]); err == nil {
		n.FoldersUnread = &v
	}
	n.From, n.FromAddress, n.Subject = all["From"], all["From-Addr"], all["Subject"]
	f.Mail = n
	switch {
	case n.Subject != "" || n.From != "":
		f.meaning = fmt.Sprintf("new mail from %s: %q", n.From, n.Subject)
	case n.InboxUnread != nil:
		f.meaning = fmt.Sprintf("mailbox: %d unread in the inbox", *n.InboxUnread)
	default:
		f.meaning = "mail notification (" + f.ContentType + ")"
	}
}
