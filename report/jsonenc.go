package report

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/msnsniff/msnsniff/dissect"
)

// The message and event records are most of what read --format json
// writes, and encoding/json spends most of its time finding their fields
// by reflection. They are written here field by field instead, exactly as
// encoding/json writes them with SetEscapeHTML(false) (a test compares);
// only the decoded Fields, which vary by command, still go through it.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// does without HTML escaping.
func appendJSONString(b []byte, s string) []byte { return appendJSONStringEsc(b, s, false) }

// appendJSONStringEsc appends s as a JSON string, escaped as encoding/json
// does, with HTML escaping (<, >, & as \u003c, \u003e, \u0026) when html
// is set: json.Marshal's default.
func appendJSONStringEsc(b []byte, s string, html bool) []byte {
	b = append(b, '"')
	start, i := 0, 0 // s[start:i] is still to be copied as it is
	for {
		i += plainLen(s[i:], html)
		if i == len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			default:
				i += size
				continue
			}
			i += size
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainLen returns how many leading bytes of s a JSON string holds as
// they are: ASCII but control characters, quote and backslash (and, with
// html, <, > and &). Most strings are all such bytes: this small loop,
// eight bytes at a time, is where the encoder spends its time, kept apart
// from the escaping so that it stays in registers.
func plainLen(s string, html bool) int {
	i := 0
	if html {
		for ; i+8 <= len(s); i += 8 {
			if x := load64(s[i:]); !plainWord(x) || !htmlFreeWord(x) {
				break
			}
		}
		for ; i < len(s) && plainByte[s[i]]&plainHTML != 0; i++ {
		}
		return i
	}
	for ; i+8 <= len(s); i += 8 {
		if !plainWord(load64(s[i:])) {
			break
		}
	}
	for ; i < len(s) && plainByte[s[i]]&plainJSON != 0; i++ {
	}
	return i
}

// plainByte marks, per byte, whether a JSON string holds it as it is
// (plainJSON) and whether it does so with HTML escaping too (plainHTML).
var plainByte = func() (t [256]uint8) {
	const (
		json = plainJSON
		html = plainHTML
	)
	for c := 0x20; c < utf8.RuneSelf; c++ {
		if c != '"' && c != '\\' {
			t[c] = json | html
		}
	}
	t['<'], t['>'], t['&'] = json, json, json
	return t
}()

const (
	plainJSON = 1 << iota
	plainHTML
)

// Bytes of a word, for telling in a few operations whether any of its
// eight bytes is one of a set (the "has zero byte" test of Hacker's
// Delight, exact once no byte has its high bit set).
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainWord says whether the eight bytes of x (a little-endian load) are
// all ASCII that a JSON string holds as they are: none that
// appendJSONStringEsc would escape (control characters, quote, backslash)
// or decode as UTF-8. Each term has the high bit of a byte set when that
// byte is one of those (or a lower byte is), so their union is exact.
func plainWord(x uint64) bool {
	q, bs := x^ones*'"', x^ones*'\\'
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs == 0
}

// htmlFreeWord says whether none of the eight bytes of x, known to be
// plain ASCII, is one that HTML escaping rewrites.
func htmlFreeWord(x uint64) bool {
	lt, gt, amp := x^ones*'<', x^ones*'>', x^ones*'&'
	return ((lt-ones)&^lt|(gt-ones)&^gt|(amp-ones)&^amp)&highs == 0
}

// load64 reads eight bytes of s little-endian (one load on amd64).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// appendKey appends ,"name": (or "name": first, when b ends with '{').
func appendKey(b []byte, name string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendStringField(b []byte, name, v string) []byte {
	return appendJSONString(appendKey(b, name), v)
}

// appendHead appends the fields every connection record starts with.
func appendHead(b []byte, typ, conn, session, ts, client, server, dir string) []byte {
	b = append(b, '{')
	b = appendStringField(b, "type", typ)
	b = appendStringField(b, "conn", conn)
	if session != "" {
		b = appendStringField(b, "session", session)
	}
	b = appendStringField(b, "ts", ts)
	b = appendStringField(b, "client", client)
	b = appendStringField(b, "server", server)
	return appendStringField(b, "dir", dir)
}

// recordHead is what every message record starts with: its connection,
// time and direction.
type recordHead struct {
	typ, conn, session, ts, client, server, dir string
}

// msgEncoder writes message records, with scratch space for the decoded
// Fields that go through encoding/json.
type msgEncoder struct {
	fieldsBuf bytes.Buffer
	fieldsEnc *json.Encoder
}

// appendMessage appends the record of m under h as encoding/json writes
// jsonMessage (without the newline); args is always an array. The
// decoded Fields of shapes not written here go through encoding/json.
func (e *msgEncoder) appendMessage(b []byte, h *recordHead, m *dissect.Message) ([]byte, error) {
	b = appendHead(b, h.typ, h.conn, h.session, h.ts, h.client, h.server, h.dir)
	b = appendStringField(b, "cmd", m.Cmd)
	b = appendKey(b, "trid")
	if m.HasTrID {
		b = strconv.AppendUint(b, uint64(m.TrID), 10)
	} else {
		b = append(b, "null"...)
	}
	b = appendStrings(appendKey(b, "args"), m.Args)
	if m.HasPayload {
		b = strconv.AppendInt(appendKey(b, "payload_len"), int64(m.PayloadLen), 10)
	}
	if m.PayloadMissing != 0 {
		b = strconv.AppendInt(appendKey(b, "payload_missing"), int64(m.PayloadMissing), 10)
	}
	if m.Fields != nil {
		b = appendKey(b, "fields")
		var ok bool
		switch f := m.Fields.(type) {
		case *dissect.NamedFields:
			b, ok = appendNamedFields(b, f)
		case *dissect.MSGFields:
			b, ok = appendMSGFields(b, f)
		case *dissect.LSTFields:
			b, ok = appendLSTFields(b, f)
		case *dissect.PresenceFields:
			b, ok = appendPresenceFields(b, f)
		case *dissect.PersonalData:
			b, ok = appendPersonalData(b, f)
		case *dissect.PropertyFields:
			b, ok = appendPropertyFields(b, f)
		}
		if !ok {
			if e.fieldsEnc == nil {
				e.fieldsEnc = json.NewEncoder(&e.fieldsBuf)
				e.fieldsEnc.SetEscapeHTML(false)
			}
			e.fieldsBuf.Reset()
			if err := e.fieldsEnc.Encode(m.Fields); err != nil {
				return b, err
			}
			b = append(b, bytes.TrimSuffix(e.fieldsBuf.Bytes(), []byte("\n"))...)
		}
	}
	if m.Meaning != "" {
		b = appendStringField(b, "meaning", m.Meaning)
	}
	if len(m.Notes) > 0 {
		b = appendStrings(appendKey(b, "notes"), m.Notes)
	}
	if m.Limit != "" {
		b = appendStringField(b, "limit", m.Limit)
	}
	b = strconv.AppendInt(appendKey(b, "offset"), m.Offset, 10)
	return append(b, '}'), nil
}

// appendEvent appends r as encoding/json would (without the newline).
func appendEvent(b []byte, r *jsonEvent) []byte {
	b = appendHead(b, r.Type, r.Conn, r.Session, r.TS, r.Client, r.Server, r.Dir)
	if r.Bytes != 0 {
		b = strconv.AppendInt(appendKey(b, "bytes"), int64(r.Bytes), 10)
	}
	if r.Reason != "" {
		b = appendStringField(b, "reason", r.Reason)
	}
	if r.Limit != "" {
		b = appendStringField(b, "limit", r.Limit)
	}
	b = strconv.AppendInt(appendKey(b, "offset"), r.Offset, 10)
	return append(b, '}')
}

// appendConnection appends r as encoding/json would (without the
// newline): one record per connection, but all of them at once when a
// capture ends with thousands open.
func appendConnection(b []byte, r *jsonConnection) []byte {
	b = append(b, '{')
	b = appendStringField(b, "type", r.Type)
	b = appendStringField(b, "conn", r.Conn)
	b = appendStringField(b, "ts", r.TS)
	b = appendStringField(b, "client", r.Client)
	b = appendStringField(b, "server", r.Server)
	b = appendStringField(b, "start", r.Start)
	b = strconv.AppendBool(appendKey(b, "mid_stream"), r.MidStream)
	b = appendStringField(b, "role", r.Role)
	b = appendOmitEmpty(b, "session", r.Session)
	b = appendOmitEmpty(b, "parent", r.Parent)
	b = appendStringField(b, "protocol", r.Protocol)
	b = strconv.AppendBool(appendKey(b, "protocol_inferred"), r.ProtocolInferred)
	b = appendStringField(b, "protocol_source", r.ProtocolSource)
	b = appendStringField(b, "user", r.User)
	for _, f := range [...]struct {
		name string
		v    perDir[int]
	}{{"messages", r.Messages}, {"bytes", r.Bytes}, {"gap_bytes", r.GapBytes}, {"skipped_bytes", r.SkippedBytes}} {
		b = append(appendKey(b, f.name), `{"c2s":`...)
		b = strconv.AppendInt(b, int64(f.v.C2S), 10)
		b = append(b, `,"s2c":`...)
		b = append(strconv.AppendInt(b, int64(f.v.S2C), 10), '}')
	}
	b = append(appendKey(b, "end"), `{"c2s":`...)
	b = appendJSONString(b, r.End.C2S)
	b = append(b, `,"s2c":`...)
	b = append(appendJSONString(b, r.End.S2C), '}')
	if len(r.Unanswered) > 0 {
		b = appendStrings(appendKey(b, "unanswered"), r.Unanswered)
	}
	if r.NotMSNP {
		b = append(appendKey(b, "not_msnp"), "true"...)
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// The decoded fields of the commonest records are written here too; any
// value of a shape not handled below sends the whole record's fields to
// encoding/json (ok false, b unchanged), which defines the output.

// appendNamedFields writes what NamedFields.MarshalJSON writes: it encodes
// keys and values with json.Marshal, which escapes HTML characters.
func appendNamedFields(b []byte, f *dissect.NamedFields) ([]byte, bool) {
	if f == nil {
		return b, false
	}
	start := len(b)
	b = append(b, '{')
	for i, x := range f.List {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONStringEsc(b, x.Name, true)
		b = append(b, ':')
		switch v := x.Value.(type) {
		case string:
			b = appendJSONStringEsc(b, v, true)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case bool:
			b = strconv.AppendBool(b, v)
		case nil:
			b = append(b, "null"...)
		default:
			return b[:start], false
		}
	}
	return append(b, '}'), true
}

// appendMSGFields writes a text, typing or other plain MSG's fields as
// encoding/json does (without HTML escaping); those with nested records
// other than a text format (P2P, invitations, profiles…) are not handled.
func appendMSGFields(b []byte, f *dissect.MSGFields) ([]byte, bool) {
	if f == nil || f.Invitation != nil || len(f.Emoticons) > 0 || f.Object != nil || f.Profile != nil ||
		f.Mail != nil || len(f.Headers) > 0 || f.P2P != nil && f.P2P.SLP != nil && f.P2P.SLP.Object != nil {
		return b, false
	}
	b = append(b, '{')
	b = appendOmitEmpty(b, "from", f.From)
	b = appendOmitEmpty(b, "nickname", f.Nickname)
	b = appendOmitEmpty(b, "ack", f.Ack)
	b = appendOmitEmpty(b, "content_type", f.ContentType)
	b = appendOmitEmpty(b, "charset", f.Charset)
	b = appendStringField(b, "kind", f.Kind)
	b = appendOmitEmpty(b, "text", f.Text)
	if t := f.Format; t != nil {
		b = append(appendKey(b, "format"), '{')
		b = appendOmitEmpty(b, "font", t.Font)
		b = appendOmitEmpty(b, "effects", t.Effects)
		b = appendOmitEmpty(b, "color", t.Color)
		b = appendOmitEmpty(b, "charset", t.Charset)
		b = appendOmitEmpty(b, "pitch_family", t.PitchFamily)
		if t.RightToLeft {
			b = append(appendKey(b, "right_to_left"), "true"...)
		}
		b = append(b, '}')
	}
	b = appendOmitEmpty(b, "typing_user", f.TypingUser)
	b = appendOmitEmpty(b, "message_id", f.MessageID)
	if f.Chunks != 0 {
		b = strconv.AppendInt(appendKey(b, "chunks"), int64(f.Chunks), 10)
	}
	if f.Chunk != 0 {
		b = strconv.AppendInt(appendKey(b, "chunk"), int64(f.Chunk), 10)
	}
	if f.Complete {
		b = append(appendKey(b, "complete"), "true"...)
	}
	if f.P2P != nil {
		b = appendP2P(appendKey(b, "p2p"), f.P2P)
	}
	return append(b, '}'), true
}

// appendP2P appends a P2P header and its MSNSLP message, but for an
// MSNObject, as encoding/json would.
func appendP2P(b []byte, p *dissect.P2PMessage) []byte {
	u := func(b []byte, name string, v uint64) []byte { return strconv.AppendUint(appendKey(b, name), v, 10) }
	b = append(b, '{')
	b = strconv.AppendInt(appendKey(b, "version"), int64(p.Version), 10)
	b = u(b, "session_id", uint64(p.SessionID))
	b = u(b, "identifier", uint64(p.Identifier))
	b = u(b, "data_offset", p.DataOffset)
	b = u(b, "total_data_size", p.TotalDataSize)
	b = u(b, "message_length", uint64(p.MessageLength))
	b = u(b, "flags", uint64(p.Flags))
	if len(p.FlagNames) > 0 {
		b = appendStrings(appendKey(b, "flag_names"), p.FlagNames)
	}
	b = u(b, "ack_session_id", uint64(p.AckSessionID))
	b = u(b, "ack_unique_id", uint64(p.AckUniqueID))
	b = u(b, "ack_data_size", p.AckDataSize)
	b = u(b, "app_id", uint64(p.AppID))
	if s := p.SLP; s != nil {
		b = append(appendKey(b, "slp"), '{')
		b = appendStringField(b, "start_line", s.StartLine)
		b = appendStringField(b, "method", s.Method)
		b = appendOmitEmpty(b, "to", s.To)
		b = appendOmitEmpty(b, "from", s.From)
		b = appendOmitEmpty(b, "call_id", s.CallID)
		b = appendOmitEmpty(b, "content_type", s.ContentType)
		b = appendOmitEmpty(b, "euf_guid", s.EUFGUID)
		b = appendOmitEmpty(b, "application", s.Application)
		b = appendOmitEmpty(b, "session_id", s.SessionID)
		b = appendOmitEmpty(b, "app_id", s.AppID)
		b = appendOmitEmpty(b, "file_name", s.FileName)
		if s.FileSize != 0 {
			b = u(b, "file_size", s.FileSize)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendLSTFields writes a contact-list entry, the commonest record of a
// server-side capture.
func appendLSTFields(b []byte, f *dissect.LSTFields) ([]byte, bool) {
	if f == nil {
		return b, false
	}
	b = append(b, '{')
	b = appendStringField(b, "passport", f.Passport)
	b = appendStringField(b, "nickname", f.Nickname)
	b = appendOmitEmpty(b, "guid", f.GUID)
	b = strconv.AppendInt(appendKey(b, "list_mask"), int64(f.ListMask), 10)
	b = appendStringsOrNull(appendKey(b, "lists"), f.Lists)
	b = appendStringsOrNull(appendKey(b, "groups"), f.Groups)
	b = appendOmitZero(b, "network_id", f.NetworkID)
	b = appendOmitEmpty(b, "list", f.List)
	b = appendOmitZero(b, "index", f.Index)
	b = appendOmitZero(b, "total", f.Total)
	b = appendOmitEmpty(b, "list_version", f.ListVersion)
	return append(b, '}'), true
}

// appendPresenceFields writes an ILN, NLN, FLN or CHG with its client
// capabilities and MSNObject.
func appendPresenceFields(b []byte, f *dissect.PresenceFields) ([]byte, bool) {
	if f == nil {
		return b, false
	}
	b = append(b, '{')
	b = appendOmitEmpty(b, "status", f.Status)
	b = appendOmitEmpty(b, "status_name", f.StatusName)
	b = appendOmitEmpty(b, "passport", f.Passport)
	b = appendOmitZero(b, "network_id", f.NetworkID)
	b = appendOmitEmpty(b, "nickname", f.Nickname)
	if c := f.Caps; c != nil {
		b = append(appendKey(b, "caps"), '{')
		b = strconv.AppendUint(appendKey(b, "value"), uint64(c.Value), 10)
		b = strconv.AppendInt(appendKey(b, "msnc"), int64(c.MSNC), 10)
		b = appendOmitEmpty(b, "client", c.Client)
		b = appendStringsOrNull(appendKey(b, "flags"), c.Flags)
		if c.Ext != nil {
			b = strconv.AppendUint(appendKey(b, "ext"), uint64(*c.Ext), 10)
		}
		if len(c.ExtFlags) > 0 {
			b = appendStrings(appendKey(b, "ext_flags"), c.ExtFlags)
		}
		b = append(b, '}')
	}
	if o := f.MSNObject; o != nil {
		b = append(appendKey(b, "msnobject"), '{')
		b = appendStringField(b, "creator", o.Creator)
		b = strconv.AppendInt(appendKey(b, "size"), int64(o.Size), 10)
		b = strconv.AppendInt(appendKey(b, "type"), int64(o.Type), 10)
		b = appendOmitEmpty(b, "type_name", o.TypeName)
		b = appendOmitEmpty(b, "location", o.Location)
		b = appendOmitEmpty(b, "friendly", o.Friendly)
		b = appendOmitEmpty(b, "sha1d", o.SHA1D)
		b = appendOmitEmpty(b, "sha1c", o.SHA1C)
		b = append(b, '}')
	}
	b = appendOmitEmpty(b, "icon_url", f.IconURL)
	return append(b, '}'), true
}

// appendPersonalData writes a UUX or UBX without media or endpoints (the
// rest go to encoding/json).
func appendPersonalData(b []byte, f *dissect.PersonalData) ([]byte, bool) {
	if f == nil || f.Media != nil || len(f.Endpoints) > 0 {
		return b, false
	}
	b = append(b, '{')
	b = appendOmitEmpty(b, "passport", f.Passport)
	b = appendOmitZero(b, "network_id", f.NetworkID)
	b = appendStringField(b, "psm", f.PSM)
	b = appendOmitEmpty(b, "current_media", f.CurrentMedia)
	b = appendOmitEmpty(b, "machine_guid", f.MachineGUID)
	if f.Empty {
		b = append(appendKey(b, "empty"), "true"...)
	}
	return append(b, '}'), true
}

// appendPropertyFields writes a BPR or PRP.
func appendPropertyFields(b []byte, f *dissect.PropertyFields) ([]byte, bool) {
	if f == nil {
		return b, false
	}
	b = append(b, '{')
	b = appendOmitEmpty(b, "passport", f.Passport)
	b = appendStringField(b, "key", f.Key)
	b = appendStringField(b, "value", f.Value)
	b = appendOmitEmpty(b, "list_version", f.ListVersion)
	return append(b, '}'), true
}

// appendStringsOrNull writes a slice that is not omitempty: null when nil.
func appendStringsOrNull(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	return appendStrings(b, ss)
}

func appendOmitZero(b []byte, name string, v int) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(appendKey(b, name), int64(v), 10)
}

func appendOmitEmpty(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendStringField(b, name, v)
}
