package dissect

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// statusNames are the presence codes of presence.md §1.
var statusNames = map[string]string{
	"NLN": "online", "BSY": "busy", "IDL": "idle", "BRB": "be right back",
	"AWY": "away", "PHN": "on the phone", "LUN": "out to lunch",
	"HDN": "hidden (appear offline)", "FLN": "offline",
}

// StatusName names a presence code, or returns "" for an unknown one.
func StatusName(code string) string { return statusNames[code] }

// capFlags names the client capability bits (presence.md §2), low bit first.
var capFlags = []string{
	"OnlineViaMobile", "OnlineViaTexas", "SupportsGifInk", "SupportsIsfInk",
	"WebCamDetected", "SupportsChunking", "MobileEnabled", "WebWatchEnabled",
	"SupportsActivities", "OnlineViaWebIM", "MobileDevice", "OnlineViaFederatedInterface",
	"HasSpace", "IsMceUser", "SupportsDirectIM", "SupportsWinks",
	"SupportsSharedSearch", "IsBot", "SupportsVoiceIM", "SupportsSChannel",
	"SupportsSipInvite", "SupportsMultipartyMedia", "SupportsSDrive", "SupportsPageModeMessaging",
	"HasOneCare", "SupportsTurn", "SupportsDirectBootstrapping", "UsingAlias",
}

// extCapFlags names the MSNP16+ extended capability bits by value.
var extCapFlags = map[uint32]string{
	0x01: "IsSmsOnly", 0x02: "SupportsVoiceOverMsnp", 0x04: "SupportsUucpSipStack",
	0x08: "SupportsApplicationMessages", 0x10: "RTCVideoEnabled", 0x20: "SupportsPeerToPeerV2",
	0x40: "IsAuthenticatedWebIMUser", 0x80: "Supports1On1ViaGroup", 0x100: "SupportsOfflineIM",
	0x200: "SupportsSharingVideo", 0x400: "SupportsNudges", 0x800: "CircleVoiceIMEnabled",
	0x1000: "SharingEnabled", 0x2000: "MobileSuspendIMFanoutDisable", 0x8000: "SupportsPeerToPeerMixerRelay",
	0x20000: "ConvWindowFileTransfer", 0x40000: "VideoCallSupports16x9", 0x80000: "SupportsPeerToPeerEnveloping",
	0x400000: "YahooIMDisabled", 0x800000: "SIPTunnelVersion2", 0x1000000: "VoiceClipSupportsWMAFormat",
	0x2000000: "VoiceClipSupportsCircleIM", 0x4000000: "SupportsSocialNewsObjectTypes", 0x8000000: "CustomEmoticonsCapable",
	0x10000000: "SupportsUTF8MoodMessages", 0x20000000: "FTURNCapable", 0x40000000: "SupportsP4Activity",
	0x80000000: "SupportsMultipartyConversations",
}

// msncClients names the MSNC version nibble (caps >> 28).
var msncClients = []string{
	"MSN 5.0 or older", "MSN 6.0", "MSN 6.1", "MSN 6.2", "MSN 7.0", "MSN 7.5",
	"WLM 8.0", "WLM 8.1", "WLM 8.5", "WLM 9 beta", "WLM 2009", "WLM 2011",
}

// Caps is a decoded client capability field ("caps" or "caps:extcaps").
type Caps struct {
	Value uint32 `json:"value"`
	// MSNC is the client protocol version in the top four bits.
	MSNC   int      `json:"msnc"`
	Client string   `json:"client,omitempty"`
	Flags  []string `json:"flags"`
	// Ext and ExtFlags are the MSNP16+ extended capabilities.
	Ext      *uint32  `json:"ext,omitempty"`
	ExtFlags []string `json:"ext_flags,omitempty"`
}

// ParseCaps decodes a capability field; ok is false when it is not one.
func ParseCaps(s string) (*Caps, bool) {
	main, ext, hasExt := strings.Cut(s, ":")
	v, err := strconv.ParseUint(main, 10, 32)
	if err != nil {
		return nil, false
	}
	c := &Caps{Value: uint32(v), MSNC: int(v >> 28), Flags: []string{}}
	if c.MSNC < len(msncClients) {
		c.Client = msncClients[c.MSNC]
	}
	for i, name := range capFlags {
		if v&(1<<i) != 0 {
			c.Flags = append(c.Flags, name)
		}
	}
	if hasExt {
		e, err := strconv.ParseUint(ext, 10, 32)
		if err != nil {
			return nil, false
		}
		ev := uint32(e)
		c.Ext = &ev
		for bit := uint32(1); bit != 0; bit <<= 1 {
			if ev&bit == 0 {
				continue
			}
			if n, ok := extCapFlags[bit]; ok {
				c.ExtFlags = append(c.ExtFlags, n)
			} else {
				c.ExtFlags = append(c.ExtFlags, fmt.Sprintf("0x%x", bit))
			}
		}
	}
	return c, true
}

// String names the client version: "MSNC5 (MSN 7.5)".
func (c *Caps) String() string {
	s := "MSNC" + strconv.Itoa(c.MSNC)
	if c.Client != "" {
		s += " (" + c.Client + ")"
	}
	return s
}

// cachedCaps is a decoded capability field and its name.
type cachedCaps struct {
	caps *Caps
	name string
}

// maxCachedCaps bounds the capability fields a dissection remembers: a
// network has a few dozen distinct ones (one per client version and
// setting), every presence line carries one, and decoding it allocated
// a flag list per line; past the bound they are decoded each time.
const maxCachedCaps = 1024

// capsOf decodes a capability field once per dissection. The Caps it
// returns are shared by every message that carries the same field, so
// they are read-only, as all Fields are to their readers.
func (s *setup) capsOf(field string) (cachedCaps, bool) {
	if cc, ok := s.caps[field]; ok {
		return cc, true
	}
	caps, ok := ParseCaps(field)
	if !ok {
		return cachedCaps{}, false
	}
	cc := cachedCaps{caps: caps, name: caps.String()}
	if len(s.caps) < maxCachedCaps {
		if s.caps == nil {
			s.caps = make(map[string]cachedCaps)
		}
		s.caps[strings.Clone(field)] = cc
	}
	return cc, true
}

// MSNObject is a decoded MSNObject (presence.md §5).
type MSNObject struct {
	Creator  string `json:"creator"`
	Size     int    `json:"size"`
	Type     int    `json:"type"`
	TypeName string `json:"type_name,omitempty"`
	Location string `json:"location,omitempty"`
	Friendly string `json:"friendly,omitempty"`
	SHA1D    string `json:"sha1d,omitempty"`
	SHA1C    string `json:"sha1c,omitempty"`
}

var msnObjectTypes = map[int]string{2: "custom emoticon", 3: "display picture", 5: "background", 7: "deluxe display picture", 8: "wink", 11: "voice clip"}

type msnObjectXML struct {
	Creator  string `xml:"Creator,attr"`
	Size     string `xml:"Size,attr"`
	Type     string `xml:"Type,attr"`
	Location string `xml:"Location,attr"`
	Friendly string `xml:"Friendly,attr"`
	SHA1D    string `xml:"SHA1D,attr"`
	SHA1C    string `xml:"SHA1C,attr"`
}

// ParseMSNObject decodes an MSNObject element (already URL-decoded). It
// returns nil for "0", "<msnobj/>" and anything that is not an msnobj.
func ParseMSNObject(s string) (*MSNObject, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return nil, nil
	}
	x, err := decodeXML(s, scanMSNObject)
	if err != nil {
		return nil, fmt.Errorf("MSNObject: %w", err)
	}
	if x.Creator == "" && x.Size == "" && x.SHA1D == "" {
		return nil, nil // <msnobj/>: no object
	}
	o := &MSNObject{Creator: x.Creator, Location: x.Location, SHA1D: x.SHA1D, SHA1C: x.SHA1C}
	o.Size, _ = strconv.Atoi(x.Size)
	o.Type, _ = strconv.Atoi(x.Type)
	o.TypeName = msnObjectTypes[o.Type]
	o.Friendly = decodeUTF16Base64(x.Friendly)
	return o, nil
}

// scanMSNObject reads an MSNObject of the plain subset (xmlscan.go),
// nearly every one, as xml.Unmarshal would; ok is false when it leaves it.
func scanMSNObject(s string) (o msnObjectXML, ok bool) {
	x := xmlScanner{s: s}
	root, ok := x.root()
	if !ok {
		return o, false
	}
	a := root.attrs
	o = msnObjectXML{Creator: xmlAttr(a, "Creator"), Size: xmlAttr(a, "Size"), Type: xmlAttr(a, "Type"),
		Location: xmlAttr(a, "Location"), Friendly: xmlAttr(a, "Friendly"), SHA1D: xmlAttr(a, "SHA1D"), SHA1C: xmlAttr(a, "SHA1C")}
	return o, x.skip(root)
}

// decodeUTF16Base64 reads the MSNObject Friendly attribute: base64 of
// UTF-16LE text with a terminating NUL.
func decodeUTF16Base64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) < 2 {
		return ""
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.LittleEndian.Uint16(b[i:]))
	}
	return strings.TrimRight(string(utf16.Decode(u)), "\x00")
}

// PresenceFields is a decoded CHG, ILN, NLN or FLN line.
type PresenceFields struct {
	Status     string     `json:"status,omitempty"`
	StatusName string     `json:"status_name,omitempty"`
	Passport   string     `json:"passport,omitempty"`
	NetworkID  int        `json:"network_id,omitempty"`
	Nickname   string     `json:"nickname,omitempty"`
	Caps       *Caps      `json:"caps,omitempty"`
	MSNObject  *MSNObject `json:"msnobject,omitempty"`
	IconURL    string     `json:"icon_url,omitempty"`
	meaning    string
}

// Describe implements Fields.
func (f *PresenceFields) Describe() string { return f.meaning }

// knownNetworkIDs are the values of presence.md §3.
var knownNetworkIDs = map[string]bool{"1": true, "2": true, "4": true, "8": true, "9": true, "10": true, "13": true, "14": true, "16": true, "32": true}

// networkNames names network ids.
var networkNames = map[int]string{1: "Windows Live", 2: "Office Communicator", 4: "telephone", 8: "mobile network", 9: "circle", 10: "temporary group", 13: "Connect", 14: "remote network", 16: "SMTP", 32: "Yahoo!"}

// presenceTail reads the fields after the nickname (or CHG's status); it
// returns the client's name (Caps.String(), cached) for the meaning.
func (c *Conn) presenceTail(m *Message, f *PresenceFields, a []string) (client string) {
	if len(a) > 0 {
		if cc, ok := c.capsOf(a[0]); ok {
			f.Caps, client = cc.caps, cc.name
		} else {
			m.Note("capabilities " + a[0] + " are not a number")
		}
	}
	if len(a) > 1 {
		obj, err := ParseMSNObject(decodeText(m, a[1]))
		if err != nil {
			m.Note(err.Error())
		}
		f.MSNObject = obj
	}
	if len(a) > 2 {
		f.IconURL = decodeText(m, a[2])
	}
	if len(a) > 3 {
		m.Note("extra parameters after the presence fields")
	}
	return client
}

func (f *PresenceFields) setStatus(m *Message, s string) {
	f.Status = s
	f.StatusName = StatusName(s)
	if f.StatusName == "" {
		m.Note("unknown status " + s)
	}
}

func decodeCHG(c *Conn, m *Message) {
	a := m.Args
	f := &PresenceFields{}
	m.Fields = f
	if len(a) == 0 {
		m.Note("CHG without a status")
		return
	}
	f.setStatus(m, a[0])
	client := c.presenceTail(m, f, a[1:])
	who := "set own status"
	if m.Dir == ServerToClient {
		who = "own status is now"
	}
	f.meaning = fmt.Sprintf("%s %s (%s)", who, f.Status, f.StatusName)
	if f.Caps != nil {
		f.meaning += ", client " + client
	}
	if f.MSNObject != nil {
		f.meaning += ", " + f.MSNObject.TypeName
	}
}

// decodeILN reads ILN and NLN: status handle [netID] friendly [caps
// [msnobj [iconURL]]], or MSNP18's status netID:handle friendly caps msnobj.
func decodeILN(c *Conn, m *Message) {
	a := m.Args
	f := &PresenceFields{}
	m.Fields = f
	if len(a) < 2 {
		m.Note(m.Cmd + " needs a status and a handle")
		return
	}
	f.setStatus(m, a[0])
	h := ParseHandle(a[1])
	f.Passport, f.NetworkID = h.Passport, h.NetworkID
	rest := a[2:]
	if h.NetworkID == 0 && len(rest) >= 2 && c.presenceHasNetID(rest) {
		f.NetworkID, _ = strconv.Atoi(rest[0])
		rest = rest[1:]
	}
	if len(rest) > 0 {
		f.Nickname = decodeText(m, rest[0])
		rest = rest[1:]
	}
	client := c.presenceTail(m, f, rest)
	verb := "is"
	if m.Cmd == "NLN" {
		verb = "changed to"
	}
	var buf [192]byte // on the stack: the string is the one allocation
	b := append(buf[:0], f.Passport...)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, f.Nickname)
	b = append(b, ' ')
	b = append(b, verb...)
	b = append(b, ' ')
	b = append(b, f.Status...)
	b = append(b, " ("...)
	b = append(b, f.StatusName...)
	b = append(b, ')')
	if f.NetworkID > 1 {
		b = append(b, " on "...)
		b = append(b, networkNames[f.NetworkID]...)
	}
	if f.Caps != nil {
		b = append(b, ", client "...)
		b = append(b, client...)
	}
	if f.MSNObject != nil && f.MSNObject.TypeName != "" {
		b = append(b, ", has a "...)
		b = append(b, f.MSNObject.TypeName...)
	}
	f.meaning = string(b)
	c.rememberNickname(f.Passport, f.Nickname)
}

// presenceHasNetID decides whether ILN/NLN carry the MSNP14–17 network-id
// column: by dialect when known, else by shape (a known network id
// followed by more fields).
func (c *Conn) presenceHasNetID(rest []string) bool {
	if v := c.dialect.version; v != 0 {
		return v >= 14
	}
	return knownNetworkIDs[rest[0]] && len(rest) >= 3
}

func decodeFLN(c *Conn, m *Message) {
	a := m.Args
	f := &PresenceFields{Status: "FLN", StatusName: "offline"}
	m.Fields = f
	if len(a) == 0 {
		m.Note("FLN without a handle")
		return
	}
	h := ParseHandle(a[0])
	f.Passport, f.NetworkID = h.Passport, h.NetworkID
	rest := a[1:]
	if f.NetworkID == 0 && len(rest) > 0 && isDigits(rest[0]) {
		f.NetworkID, _ = strconv.Atoi(rest[0])
		rest = rest[1:]
	}
	if len(rest) > 0 {
		if caps, ok := ParseCaps(rest[0]); ok {
			f.Caps = caps
		}
	}
	f.meaning = f.Passport + " went offline"
}

// PersonalData is a decoded UUX/UBX <Data> document (presence.md §6).
type PersonalData struct {
	Passport     string     `json:"passport,omitempty"`
	NetworkID    int        `json:"network_id,omitempty"`
	PSM          string     `json:"psm"`
	CurrentMedia string     `json:"current_media,omitempty"`
	Media        *Media     `json:"media,omitempty"`
	MachineGUID  string     `json:"machine_guid,omitempty"`
	Endpoints    []Endpoint `json:"endpoints,omitempty"`
	// Empty is set for a zero-length payload (the PSM was cleared).
	Empty   bool `json:"empty,omitempty"`
	meaning string
}

// Describe implements Fields.
func (f *PersonalData) Describe() string { return f.meaning }

// Media is a decoded CurrentMedia string.
type Media struct {
	Application string `json:"application,omitempty"`
	Type        string `json:"type"`
	Enabled     bool   `json:"enabled"`
	Text        string `json:"text"`
}

// Endpoint is one MSNP16+ signed-in endpoint.
type Endpoint struct {
	ID           string `json:"id"`
	Capabilities string `json:"capabilities,omitempty"`
	Name         string `json:"name,omitempty"`
	ClientType   string `json:"client_type,omitempty"`
	State        string `json:"state,omitempty"`
}

type dataXML struct {
	PSM          string            `xml:"PSM"`
	CurrentMedia string            `xml:"CurrentMedia"`
	MachineGUID  string            `xml:"MachineGuid"`
	Endpoints    []dataEndpointXML `xml:"EndpointData"`
	Private      []dataPrivateXML  `xml:"PrivateEndpointData"`
}

type dataEndpointXML struct {
	ID   string `xml:"id,attr"`
	Caps string `xml:"Capabilities"`
}

type dataPrivateXML struct {
	ID         string `xml:"id,attr"`
	Name       string `xml:"EpName"`
	ClientType string `xml:"ClientType"`
	State      string `xml:"State"`
}

// scanData reads a <Data> document of the plain subset (xmlscan.go) as
// xml.Unmarshal would into a dataXML; ok is false when it leaves it.
func scanData(s string) (d dataXML, ok bool) {
	x := xmlScanner{s: s}
	root, ok := x.root()
	if !ok {
		return d, false
	}
	// A repeated element replaces the earlier one, as in xml.Unmarshal.
	ok = x.children(root, func(t xmlToken) (ok bool) {
		switch t.name {
		case "PSM":
			d.PSM, ok = x.text(t)
		case "CurrentMedia":
			d.CurrentMedia, ok = x.text(t)
		case "MachineGuid":
			d.MachineGUID, ok = x.text(t)
		case "EndpointData":
			e := dataEndpointXML{ID: xmlAttr(t.attrs, "id")}
			ok = x.children(t, func(t xmlToken) (ok bool) {
				if t.name == "Capabilities" {
					e.Caps, ok = x.text(t)
					return ok
				}
				return x.skip(t)
			})
			d.Endpoints = append(d.Endpoints, e)
		case "PrivateEndpointData":
			p := dataPrivateXML{ID: xmlAttr(t.attrs, "id")}
			ok = x.children(t, func(t xmlToken) (ok bool) {
				switch t.name {
				case "EpName":
					p.Name, ok = x.text(t)
				case "ClientType":
					p.ClientType, ok = x.text(t)
				case "State":
					p.State, ok = x.text(t)
				default:
					ok = x.skip(t)
				}
				return ok
			})
			d.Private = append(d.Private, p)
		default:
			ok = x.skip(t)
		}
		return ok
	})
	return d, ok
}

// ParseCurrentMedia reads "\0Music\01\0{0} - {1}\0Title\0Artist\0…".
func ParseCurrentMedia(s string) *Media {
	parts := strings.Split(s, `\0`)
	if len(parts) < 4 {
		return nil
	}
	md := &Media{Application: parts[0], Type: parts[1], Enabled: parts[2] == "1"}
	format, values := parts[3], parts[4:]
	for i := len(values) - 1; i >= 0; i-- {
		format = strings.ReplaceAll(format, "{"+strconv.Itoa(i)+"}", values[i])
	}
	md.Text = format
	return md
}

func decodeDataPayload(c *Conn, m *Message) {
	f := &PersonalData{}
	m.Fields = f
	a := m.Args
	if m.Cmd == "UBX" && len(a) >= 2 {
		h := ParseHandle(a[0])
		f.Passport, f.NetworkID = h.Passport, h.NetworkID
		if len(a) >= 3 && isDigits(a[1]) {
			f.NetworkID, _ = strconv.Atoi(a[1])
		}
	}
	if !m.HasPayload {
		f.meaning = "personal data accepted"
		return
	}
	if len(m.Payload) == 0 {
		f.Empty = true
		if m.Dir == ServerToClient && m.Cmd == "UUX" {
			f.meaning = "personal data accepted"
		} else {
			f.meaning = "personal message cleared"
			if f.Passport != "" {
				f.meaning = f.Passport + " cleared the personal message"
			}
		}
		return
	}
	x, err := decodeXML(string(m.Payload), scanData)
	if err != nil {
		m.Note("payload is not a <Data> document: " + err.Error())
		return
	}
	f.PSM, f.CurrentMedia, f.MachineGUID = x.PSM, x.CurrentMedia, strings.Trim(x.MachineGUID, "{}")
	if x.CurrentMedia != "" {
		f.Media = ParseCurrentMedia(x.CurrentMedia)
	}
	for _, e := range x.Endpoints {
		f.Endpoints = append(f.Endpoints, Endpoint{ID: strings.Trim(e.ID, "{}"), Capabilities: e.Caps})
	}
	for _, p := range x.Private {
		id := strings.Trim(p.ID, "{}")
		found := false
		for i := range f.Endpoints {
			if strings.EqualFold(f.Endpoints[i].ID, id) {
				f.Endpoints[i].Name, f.Endpoints[i].ClientType, f.Endpoints[i].State = p.Name, p.ClientType, p.State
				found = true
			}
		}
		if !found {
			f.Endpoints = append(f.Endpoints, Endpoint{ID: id, Name: p.Name, ClientType: p.ClientType, State: p.State})
		}
	}
	f.meaning = fmt.Sprintf("%s personal message %q", personalWho(f), f.PSM)
	if f.Media != nil && f.Media.Enabled {
		f.meaning += fmt.Sprintf(", %s: %s", f.Media.Type, f.Media.Text)
	}
}

func personalWho(f *PersonalData) string {
	if f.Passport != "" {
		return f.Passport + "'s"
	}
	return "own"
}
