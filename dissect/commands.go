package dissect

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Decoders for the commands whose parameters are positional: each reads
// its layouts (commands.md) into NamedFields with a plain-words meaning.

func decodeINF(c *Conn, m *Message) {
	if m.Dir == ClientToServer {
		layout(m, m.Args).Meaning = "ask which login methods the server accepts"
		return
	}
	f := &NamedFields{List: []Field{{"packages", m.Args}}}
	m.Fields = f
	f.Meaning = "server accepts login by " + strings.Join(m.Args, ", ")
}

func decodePNG(c *Conn, m *Message) {
	layout(m, m.Args).Meaning = "keep-alive ping"
}

func decodeQNG(c *Conn, m *Message) {
	f := layout(m, m.Args, num("seconds"))
	f.Meaning = "keep-alive reply"
	if s := f.String("seconds"); s != "" {
		f.Meaning += ": ping again in " + s + " s"
	}
}

// hasListVersion says whether a server reply carries a list version after
// the list name (MSNP2–9 and MSNP10 without ABCH): a number where the
// handle or id would be.
func hasListVersion(a []string, at int) bool {
	return len(a) > at+1 && isDigits(a[at])
}

func decodeADD(c *Conn, m *Message) {
	a := m.Args
	var f *NamedFields
	if m.Dir == ServerToClient && hasListVersion(a, 1) {
		f = layout(m, a, list("list"), num("list_version"), handle("passport"), text("nickname"), word("group"))
	} else {
		f = layout(m, a, list("list"), handle("passport"), text("nickname"), word("group"))
	}
	f.Meaning = listChange(m, "add", f.String("passport"), f.String("list"), f.String("group"))
}

// listChange words an add or a remove: "add bob to FL" (request),
// "bob added to FL" (reply), "bob added you to their contact list" (the
// asynchronous RL form).
func listChange(m *Message, verb, who, list, group string) string {
	if m.Dir == ServerToClient && m.HasTrID && m.TrID == 0 && list == "RL" {
		if verb == "add" {
			return who + " added you to their contact list"
		}
		return who + " removed you from their contact list"
	}
	var s string
	if m.Dir == ClientToServer {
		prep := map[string]string{"add": "to", "remove": "from"}[verb]
		s = fmt.Sprintf("%s %s %s %s", verb, who, prep, list)
	} else {
		past := map[string]string{"add": "added to", "remove": "removed from"}[verb]
		s = fmt.Sprintf("%s %s %s", who, past, list)
	}
	if group != "" {
		s += " (group " + group + ")"
	}
	return s
}

// decodeADC reads ADC TrID list N=handle {F=friendly} {C=guid} or
// ADC TrID FL C=guid groupID.
func decodeADC(c *Conn, m *Message) {
	a := m.Args
	f := &NamedFields{}
	m.Fields = f
	if len(a) == 0 {
		m.Note("ADC without a list")
		return
	}
	f.List = append(f.List, Field{"list", a[0]})
	who, group := "", ""
	for _, t := range a[1:] {
		k, v, ok := strings.Cut(t, "=")
		switch {
		case ok && k == "N":
			f.List = append(f.List, Field{"passport", v})
			who = v
		case ok && k == "F":
			f.List = append(f.List, Field{"nickname", decodeText(m, v)})
		case ok && k == "C":
			f.List = append(f.List, Field{"guid", v})
			if who == "" {
				who = v
			}
		default:
			f.List = append(f.List, Field{"group", t})
			group = t
		}
	}
	f.Meaning = listChange(m, "add", who, a[0], group)
}

func decodeREM(c *Conn, m *Message) {
	a := m.Args
	var f *NamedFields
	if m.Dir == ServerToClient && hasListVersion(a, 1) {
		f = layout(m, a, list("list"), num("list_version"), handle("id"), word("group"))
	} else {
		f = layout(m, a, list("list"), handle("id"), word("group"))
	}
	f.Meaning = listChange(m, "remove", f.String("id"), f.String("list"), f.String("group"))
}

// isGroupID recognises a group reference: a small number (MSNP7–9) or a
// GUID (MSNP10+ with ABCH).
func isGroupID(s string) bool {
	return isDigits(s) && len(s) <= 3 || len(s) == 36 && strings.Count(s, "-") == 4
}

func decodeADG(c *Conn, m *Message) {
	a := m.Args
	var f *NamedFields
	switch {
	case m.Dir == ClientToServer:
		f = layout(m, a, text("name"), word("flag"))
		f.Meaning = fmt.Sprintf("create group %q", f.String("name"))
		return
	case len(a) >= 3 && isDigits(a[0]) && !isGroupID(a[1]):
		f = layout(m, a, num("list_version"), text("name"), word("group_id"), word("flag"))
	default:
		// MSNP10+; Escargot keeps the old trailing 0.
		f = layout(m, a, text("name"), word("group_id"), word("flag"))
	}
	f.Meaning = fmt.Sprintf("group %q created with id %s", f.String("name"), f.String("group_id"))
}

func decodeRMG(c *Conn, m *Message) {
	a := m.Args
	var f *NamedFields
	if m.Dir == ServerToClient && len(a) >= 2 {
		// MSNP7–9 list version, or Escargot's placeholder "1" (commands.md).
		f = layout(m, a, num("list_version"), word("group_id"))
	} else {
		f = layout(m, a, word("group_id"))
	}
	verb := "remove group "
	if m.Dir == ServerToClient {
		verb = "removed group "
	}
	f.Meaning = verb + f.String("group_id")
}

func decodeREG(c *Conn, m *Message) {
	a := m.Args
	var f *NamedFields
	switch {
	case m.Dir == ClientToServer:
		f = layout(m, a, word("group_id"), text("name"), word("flag"))
	case len(a) >= 4 && isDigits(a[0]) && isGroupID(a[1]):
		f = layout(m, a, num("list_version"), word("group_id"), text("name"), word("flag"))
	case len(a) >= 3 && isDigits(a[0]) && isGroupID(a[2]):
		// Escargot MSNP10+: REG TrID 1 newName groupGUID 0.
		f = layout(m, a, num("list_version"), text("name"), word("group_id"), word("flag"))
	default:
		f = layout(m, a, word("group_id"), text("name"))
	}
	f.Meaning = fmt.Sprintf("rename group %s to %q", f.String("group_id"), f.String("name"))
}

func decodeREA(c *Conn, m *Message) {
	a := m.Args
	var f *NamedFields
	if m.Dir == ServerToClient && len(a) >= 3 && isDigits(a[0]) {
		f = layout(m, a, num("list_version"), handle("passport"), text("nickname"))
	} else {
		f = layout(m, a, handle("passport"), text("nickname"))
	}
	f.Meaning = fmt.Sprintf("rename %s to %q", f.String("passport"), f.String("nickname"))
}

func decodeSBP(c *Conn, m *Message) {
	f := layout(m, m.Args, word("contact"), word("key"), text("value"), word("mobile_flag"))
	name := propertyNames[f.String("key")]
	if name == "" {
		name = "property " + f.String("key")
	}
	f.Meaning = fmt.Sprintf("set %s of contact %s to %q", name, f.String("contact"), f.String("value"))
}

func decodeURL(c *Conn, m *Message) {
	if m.Dir == ClientToServer {
		f := layout(m, m.Args, word("service"), word("param"))
		f.Meaning = "ask for the " + f.String("service") + " web address"
		return
	}
	f := layout(m, m.Args, word("url"), word("login_url"), num("site_id"))
	f.Meaning = "web address " + f.String("url")
}

func decodeLKP(c *Conn, m *Message) {
	f := layout(m, m.Args, word("number"))
	f.Meaning = "phone number lookup " + f.String("number")
}

func decodeSBS(c *Conn, m *Message) {
	layout(m, m.Args, word("value")).Meaning = "server notice SBS (purpose undocumented)"
}

func decodeIMS(c *Conn, m *Message) {
	var f *NamedFields
	if m.Dir == ServerToClient && len(m.Args) >= 2 {
		f = layout(m, m.Args, num("reserved"), word("state"))
	} else {
		f = layout(m, m.Args, word("state"))
	}
	f.Meaning = "instant messages " + f.String("state")
}

func decodeSND(c *Conn, m *Message) {
	f := layout(m, m.Args, word("address"), word("locale"), word("client"))
	f.Meaning = "invite " + f.String("address") + " by e-mail"
}

func decodeSDC(c *Conn, m *Message) {
	f := layout(m, m.Args, word("address"), word("locale"), word("library"), word("client"), word("x1"), word("x2"), text("nickname"), num("length"))
	f.Meaning = "invite " + f.String("address") + " by e-mail with a personal note"
}

func decodeFND(c *Conn, m *Message) {
	f := &NamedFields{}
	m.Fields = f
	for _, a := range m.Args {
		k, v, ok := strings.Cut(a, "=")
		if ok {
			f.List = append(f.List, Field{k, decodeText(m, v)})
		} else {
			f.List = append(f.List, Field{"value", a})
		}
	}
	f.Meaning = "member directory search"
}

func decodePAG(c *Conn, m *Message) {
	f := layout(m, m.Args, handle("passport"), word("flag"), num("length"))
	f.Meaning = "page " + f.String("passport") + "'s mobile device"
}

func decodeVAS(c *Conn, m *Message) {
	f := layout(m, m.Args, handle("passport"), word("x"), word("y"), num("length"))
	f.Meaning = "report " + f.String("passport") + " for abuse"
}

func decodeRNG(c *Conn, m *Message) {
	f := layout(m, m.Args, word("session_id"), word("address"), word("auth"), word("cookie"),
		handle("caller"), text("nickname"), word("domain_flag"), word("domain"), num("direct"))
	f.set("cookie", c.secret(m, 3))
	f.Meaning = fmt.Sprintf("%s %q invites you to a switchboard at %s", f.String("caller"), f.String("nickname"), f.String("address"))
}

// uunTypes names the UUN/UBN notification types (commands.md §5).
var uunTypes = map[int]string{1: "SNM", 2: "SIP invite", 3: "P2P SLP", 4: "log out other endpoint", 5: "closed conversation window",
	6: "address book resync", 7: "clear RL prompt", 8: "forward to other endpoints", 10: "TURN setup", 11: "SIP metadata", 12: "tunnelled SIP"}

func decodeUUN(c *Conn, m *Message) {
	var f *NamedFields
	switch {
	case m.Dir == ServerToClient && m.Cmd == "UUN":
		f = layout(m, m.Args, word("status"))
		f.Meaning = "notification delivered"
		return
	case m.Cmd == "UUN":
		f = layout(m, m.Args, handle("to"), num("type"), num("length"))
	default:
		f = layout(m, m.Args, handle("from"), num("type"), num("length"))
	}
	t, _ := f.Get("type").(int)
	name := uunTypes[t]
	if name == "" {
		name = "type " + strconv.Itoa(t)
	}
	f.List = append(f.List, Field{"type_name", name})
	if m.Cmd == "UUN" {
		f.Meaning = fmt.Sprintf("%s notification to %s", name, f.String("to"))
	} else {
		f.Meaning = fmt.Sprintf("%s notification from %s", name, f.String("from"))
	}
}

var uumTypes = map[int]string{1: "text", 2: "typing", 3: "nudge"}

func decodeUUM(c *Conn, m *Message) {
	who := "to"
	if m.Cmd == "UBM" {
		who = "from"
	}
	f := layout(m, m.Args, handle(who), num("network_id"), num("type"), num("length"))
	t, _ := f.Get("type").(int)
	kind := uumTypes[t]
	if kind == "" {
		kind = "type " + strconv.Itoa(t)
	}
	f.List = append(f.List, Field{"kind", kind})
	if m.HasPayload && t == 1 {
		if hdr, body, err := parseMIME(m.Payload); err == nil {
			f.List = append(f.List, Field{"text", decodeCharset(m, body, charsetOf(hdr.Get("Content-Type")))})
		}
	}
	f.Meaning = fmt.Sprintf("federated %s message %s %s", kind, who, f.String(who))
	if txt := f.String("text"); txt != "" {
		f.Meaning += fmt.Sprintf(": %q", clip(txt, 120))
	}
}

func charsetOf(ct string) string {
	_, params, _ := strings.Cut(ct, "charset=")
	return strings.Trim(strings.TrimSpace(params), `"`)
}

// xmlSummary names the root element of an XML payload and reads the text
// of a few well-known elements.
type xmlSummary struct {
	XMLName xml.Name
	ID      string `xml:"id,attr"`
	Policy  []struct {
		Type string `xml:"type,attr"`
	} `xml:"Policy"`
	MSG struct {
		ID   string `xml:"id,attr"`
		Text string `xml:"BODY>TEXT"`
	} `xml:"MSG"`
}

// PayloadFields describes a command whose payload is an XML or MIME
// document (NOT, IPG, GCF, PUT, NFY, SDG, DEL).
type PayloadFields struct {
	File     string   `json:"file,omitempty"`
	Root     string   `json:"root,omitempty"`
	Policies []string `json:"policies,omitempty"`
	Text     string   `json:"text,omitempty"`
	To       string   `json:"to,omitempty"`
	From     string   `json:"from,omitempty"`
	Verb     string   `json:"verb,omitempty"`
	meaning  string
}

// Describe implements Fields.
func (f *PayloadFields) Describe() string { return f.meaning }

func (f *PayloadFields) readXML(m *Message) {
	if len(m.Payload) == 0 {
		return
	}
	var x xmlSummary
	if err := xml.Unmarshal(m.Payload, &x); err != nil {
		m.Note("payload is not well-formed XML: " + err.Error())
		return
	}
	f.Root = x.XMLName.Local
	for _, p := range x.Policy {
		f.Policies = append(f.Policies, p.Type)
	}
	f.Text = strings.TrimSpace(x.MSG.Text)
}

func decodeNOT(c *Conn, m *Message) {
	f := &PayloadFields{}
	m.Fields = f
	f.readXML(m)
	what := "notification"
	if m.Cmd == "IPG" {
		what = "mobile page"
	}
	f.meaning = fmt.Sprintf("%s (%d B XML <%s>)", what, len(m.Payload), f.Root)
	if f.Text != "" {
		f.meaning += fmt.Sprintf(": %q", clip(f.Text, 80))
	}
	if strings.Contains(string(m.Payload), "ABCHInternal") {
		f.meaning = "address book changed elsewhere (ABCHInternal notification)"
	}
}

func decodeGCF(c *Conn, m *Message) {
	f := &PayloadFields{}
	m.Fields = f
	a := m.Args
	if len(a) > 0 && !isDigits(a[0]) {
		f.File = a[0]
	}
	if m.Dir == ClientToServer {
		f.meaning = "ask for configuration file " + f.File
		return
	}
	f.readXML(m)
	name := "configuration"
	if f.File != "" {
		name += " " + f.File
	}
	f.meaning = fmt.Sprintf("%s (%d B XML <%s>)", name, len(m.Payload), f.Root)
	if len(f.Policies) > 0 {
		f.meaning += ": policies " + strings.Join(f.Policies, ", ")
	}
}

// decodeRouted reads the MSNP18/21 routing stack (PUT, DEL, NFY, SDG):
// MIME header blocks with To/From.
func decodeRouted(c *Conn, m *Message) {
	f := &PayloadFields{}
	m.Fields = f
	if m.Cmd == "NFY" && len(m.Args) > 0 {
		f.Verb = m.Args[0]
	}
	if len(m.Payload) > 0 {
		if hdr, _, err := parseMIME(m.Payload); err == nil || len(hdr) > 0 {
			f.To, f.From = hdr.Get("To"), hdr.Get("From")
		}
	}
	if !m.HasPayload || len(m.Payload) == 0 {
		f.meaning = m.Cmd + " accepted"
		return
	}
	f.meaning = fmt.Sprintf("%s %d B routed message", m.Cmd, len(m.Payload))
	if f.To != "" {
		f.meaning += " to " + f.To
	}
}

// decodeFQY reads the network lookup: an <ml> list with t= filled in by
// the server.
func decodeFQY(c *Conn, m *Message) {
	if !m.HasPayload {
		return
	}
	if len(m.Payload) == 0 {
		m.Fields = &ADLFields{Contacts: []ADLContact{}, meaning: "network lookup with an empty list"}
		return
	}
	f := parseML(m)
	if f == nil {
		return
	}
	m.Fields = f
	var parts []string
	for _, ct := range f.Contacts {
		s := ct.Passport
		if ct.NetworkID != 0 {
			s += " on " + networkNames[ct.NetworkID]
		}
		parts = append(parts, s)
	}
	if m.Dir == ClientToServer {
		f.meaning = "which network is " + strings.Join(parts, ", ") + "?"
	} else {
		f.meaning = strings.Join(parts, ", ")
	}
}
