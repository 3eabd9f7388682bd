package dissect

import "strings"

// Sender says who may send a command.
type Sender uint8

// Who sends a command.
const (
	FromClient Sender = 1 << iota
	FromServer
	FromBoth = FromClient | FromServer
)

func (s Sender) allows(d Dir) bool {
	if d == ClientToServer {
		return s&FromClient != 0
	}
	return s&FromServer != 0
}

// Command is one row of the command catalogue: everything the dissector
// knows about a command lives here, so adding a command is adding a row.
type Command struct {
	// Name is the three-letter command.
	Name string
	// Summary says in plain words what the command is for.
	Summary string
	// Sender says which side may send it.
	Sender Sender
	// MinVersion and MaxVersion bound the dialects that have it (0 = open).
	MinVersion, MaxVersion int
	// TrID says whether the first parameter is a transaction id.
	TrID TrIDRule
	// Payload says whether a payload follows the line and how long it is.
	Payload PayloadRule
	// Decode fills Message.Fields and Meaning and updates connection state;
	// nil means the command is only framed.
	Decode Decoder
	// Bulk marks the high-volume commands (chat, presence, keep-alive)
	// whose decoding only describes the message and leaves nothing that
	// contact lists, users or sessions depend on: Options.ListsOnly frames
	// them without decoding (Conn.light has the one exception).
	Bulk bool
}

// TrIDRule decides whether args[0] is a TrID for a line sent in dir.
type TrIDRule func(c *Conn, dir Dir, args []string) bool

// PayloadRule decides whether a payload follows and returns its length.
// args are the parameters after the command and the TrID, if any.
type PayloadRule func(c *Conn, dir Dir, args []string) (payloadKind, int)

// Decoder interprets a framed message.
type Decoder func(c *Conn, m *Message)

// TrID rules.
var (
	// trIDAlways: requests and their replies (asynchronous ones carry 0).
	trIDAlways TrIDRule = func(*Conn, Dir, []string) bool { return true }
	// trIDNever: PNG/QNG, presence pushes, switchboard pushes.
	trIDNever TrIDRule = func(*Conn, Dir, []string) bool { return false }
	// trIDClient: the client's line has one, the server's never (MSG).
	trIDClient TrIDRule = func(_ *Conn, d Dir, _ []string) bool { return d == ClientToServer }
	// trIDIfNumeric: GTC/BLP/PRP — a reply carries the TrID, the same
	// command inside an MSNP8+ SYN burst does not; their values are never
	// numbers, so a leading number followed by more is the TrID.
	trIDIfNumeric TrIDRule = func(_ *Conn, d Dir, a []string) bool {
		return d == ClientToServer || (len(a) >= 2 && isDigits(a[0]))
	}
)

// trIDIfArgs: the server form has a TrID only in its long, MSNP2–7 shape
// (at least n parameters); LSG 0 Other%20Contacts 0 starts with a group id.
func trIDIfArgs(n int) TrIDRule {
	return func(_ *Conn, d Dir, a []string) bool {
		return d == ClientToServer || (len(a) >= n && isDigits(a[0]))
	}
}

// trIDLST: a server LST has a TrID in its MSNP2–7 per-list shape (five
// or more parameters after a number); a number before a handle is a TrID
// an MSNP8+ burst line should not carry, reported by the sync decoder.
var trIDLST TrIDRule = func(c *Conn, d Dir, a []string) bool {
	if d == ClientToServer {
		return true
	}
	if len(a) < 2 || !isDigits(a[0]) {
		return false
	}
	return len(a) >= 5 || strings.Contains(a[1], "@") || strings.HasPrefix(a[1], "N=")
}

// noBody: the command never carries a payload.
var noBody PayloadRule = func(*Conn, Dir, []string) (payloadKind, int) { return noPayload, 0 }

// lastIsLength: in the given directions, a line with at least minArgs
// parameters (after the TrID) carries a payload whose length is the last
// parameter. Forms such as "ADL 5 OK" end in a word and carry none.
func lastIsLength(from Sender, minArgs int) PayloadRule {
	return func(_ *Conn, d Dir, a []string) (payloadKind, int) {
		if !from.allows(d) || len(a) < minArgs {
			return noPayload, 0
		}
		n, ok := parseLength(a[len(a)-1])
		if !ok {
			return noPayload, 0
		}
		return fixedPayload, n
	}
}

// errorPayload implements framing.md §2: an MSNP13+ error with a numeric
// second parameter carries that many bytes; before MSNP13 such a payload is
// taken only when what follows is not a command line.
func errorPayload(c *Conn, d Dir, a []string) (payloadKind, int) {
	if d != ServerToClient || len(a) < 1 {
		return noPayload, 0
	}
	n, ok := parseLength(a[0])
	if !ok {
		return noPayload, 0
	}
	if v := c.dialect.version; v != 0 && v < 13 {
		return probePayload, n
	}
	return fixedPayload, n
}

// catalogue is the command table, keyed by name.
var catalogue = map[string]*Command{}

// byCode indexes the catalogue's three-capital-letter names (all of them)
// by codeIndex, and nsOnlyByCode the nsOnly set: every line is looked up
// several times, and hashing a string per lookup showed in profiles.
var (
	byCode       [1 << 15]*Command
	nsOnlyByCode [1 << 15]bool
)

// codeIndex packs a name of three capital letters into 15 bits.
func codeIndex(name string) (int, bool) {
	if len(name) != 3 {
		return 0, false
	}
	a, b, c := name[0]-'A', name[1]-'A', name[2]-'A'
	if a >= 26 || b >= 26 || c >= 26 {
		return 0, false
	}
	return int(a)<<10 | int(b)<<5 | int(c), true
}

func init() {
	for _, cmd := range commands {
		if _, dup := catalogue[cmd.Name]; dup {
			panic("dissect: duplicate catalogue entry " + cmd.Name)
		}
		catalogue[cmd.Name] = cmd
		if i, ok := codeIndex(cmd.Name); ok {
			byCode[i] = cmd
		}
	}
	for name := range nsOnly {
		if i, ok := codeIndex(name); ok {
			nsOnlyByCode[i] = true
		}
	}
}

// isNSOnly reports whether only a notification server connection carries
// the command.
func isNSOnly(name string) bool {
	if i, ok := codeIndex(name); ok {
		return nsOnlyByCode[i]
	}
	return nsOnly[name]
}

// Lookup returns the catalogue row of a command, or nil when unknown.
func Lookup(name string) *Command { return catalogue[name] }

// commands lists every command of MSNP2–MSNP18 the dissector frames, with
// the payload forms of framing.md §3 and the TrID rules of commands.md.
var commands = []*Command{
	// Connection setup and keep-alive.
	{Name: "VER", Summary: "protocol version negotiation", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeVER},
	{Name: "CVR", Summary: "client version information", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeCVR},
	{Name: "CVQ", Summary: "client version information (CVR alias)", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeCVR},
	{Name: "INF", Summary: "security packages for login", Sender: FromBoth, MaxVersion: 7, TrID: trIDAlways, Payload: noBody, Decode: decodeINF},
	{Name: "USR", Summary: "authentication", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeUSR},
	{Name: "XFR", Summary: "transfer to another server", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeXFR},
	{Name: "OUT", Summary: "sign out / close", Sender: FromBoth, TrID: trIDNever, Payload: noBody, Decode: decodeOUT},
	{Name: "PNG", Summary: "keep-alive ping", Sender: FromClient, TrID: trIDNever, Payload: noBody, Decode: decodePNG, Bulk: true},
	{Name: "QNG", Summary: "keep-alive reply", Sender: FromServer, TrID: trIDNever, Payload: noBody, Decode: decodeQNG, Bulk: true},
	{Name: "CHL", Summary: "challenge", Sender: FromBoth, MinVersion: 6, TrID: trIDAlways, Payload: noBody, Decode: decodeCHL, Bulk: true},
	{Name: "QRY", Summary: "challenge response", Sender: FromBoth, MinVersion: 6, TrID: trIDAlways, Payload: lastIsLength(FromClient, 2), Decode: decodeQRY, Bulk: true},

	// Contact-list synchronisation (sync.go).
	{Name: "SYN", Summary: "contact-list synchronisation", Sender: FromBoth, MaxVersion: 12, TrID: trIDAlways, Payload: noBody, Decode: decodeSYN},
	{Name: "GTC", Summary: "prompt when someone adds you", Sender: FromBoth, MaxVersion: 12, TrID: trIDIfNumeric, Payload: noBody, Decode: decodeGTC},
	{Name: "BLP", Summary: "default privacy", Sender: FromBoth, TrID: trIDIfNumeric, Payload: noBody, Decode: decodeBLP},
	{Name: "PRP", Summary: "own property", Sender: FromBoth, MinVersion: 5, TrID: trIDIfNumeric, Payload: noBody, Decode: decodePRP},
	{Name: "BPR", Summary: "contact property", Sender: FromServer, MinVersion: 5, MaxVersion: 12, TrID: trIDNever, Payload: noBody, Decode: decodeBPR},
	{Name: "LSG", Summary: "group", Sender: FromBoth, MinVersion: 7, MaxVersion: 12, TrID: trIDIfArgs(6), Payload: noBody, Decode: decodeLSG},
	{Name: "LST", Summary: "contact list entry", Sender: FromBoth, MaxVersion: 12, TrID: trIDLST, Payload: noBody, Decode: decodeLST},

	// List changes.
	{Name: "ADD", Summary: "add a contact to a list", Sender: FromBoth, MaxVersion: 9, TrID: trIDAlways, Payload: noBody, Decode: decodeADD},
	{Name: "ADC", Summary: "add a contact to a list or group", Sender: FromBoth, MinVersion: 10, MaxVersion: 12, TrID: trIDAlways, Payload: noBody, Decode: decodeADC},
	{Name: "REM", Summary: "remove a contact from a list or group", Sender: FromBoth, MaxVersion: 12, TrID: trIDAlways, Payload: noBody, Decode: decodeREM},
	{Name: "ADG", Summary: "add a group", Sender: FromBoth, MinVersion: 7, MaxVersion: 12, TrID: trIDAlways, Payload: noBody, Decode: decodeADG},
	{Name: "RMG", Summary: "remove a group", Sender: FromBoth, MinVersion: 7, MaxVersion: 12, TrID: trIDAlways, Payload: noBody, Decode: decodeRMG},
	{Name: "REG", Summary: "rename a group", Sender: FromBoth, MinVersion: 7, MaxVersion: 12, TrID: trIDAlways, Payload: noBody, Decode: decodeREG},
	{Name: "REA", Summary: "rename (friendly name)", Sender: FromBoth, MaxVersion: 9, TrID: trIDAlways, Payload: noBody, Decode: decodeREA},
	{Name: "SBP", Summary: "set a contact property", Sender: FromBoth, MinVersion: 10, MaxVersion: 12, TrID: trIDAlways, Payload: noBody, Decode: decodeSBP},
	{Name: "ADL", Summary: "add contacts (XML list)", Sender: FromBoth, MinVersion: 13, TrID: trIDAlways, Payload: lastIsLength(FromBoth, 1), Decode: decodeADL},
	{Name: "RML", Summary: "remove contacts (XML list)", Sender: FromBoth, MinVersion: 13, TrID: trIDAlways, Payload: lastIsLength(FromBoth, 1), Decode: decodeADL},
	{Name: "FQY", Summary: "network lookup (XML list)", Sender: FromBoth, MinVersion: 14, TrID: trIDAlways, Payload: lastIsLength(FromBoth, 1), Decode: decodeFQY},

	// Presence.
	{Name: "CHG", Summary: "change own status", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeCHG, Bulk: true},
	{Name: "ILN", Summary: "initial presence of a contact", Sender: FromServer, TrID: trIDAlways, Payload: noBody, Decode: decodeILN, Bulk: true},
	{Name: "NLN", Summary: "contact changed status", Sender: FromServer, TrID: trIDNever, Payload: noBody, Decode: decodeILN, Bulk: true},
	{Name: "FLN", Summary: "contact went offline", Sender: FromServer, TrID: trIDNever, Payload: noBody, Decode: decodeFLN, Bulk: true},
	{Name: "UUX", Summary: "set own personal data (XML)", Sender: FromBoth, MinVersion: 11, TrID: trIDAlways, Payload: lastIsLength(FromBoth, 1), Decode: decodeDataPayload, Bulk: true},
	{Name: "UBX", Summary: "contact's personal data (XML)", Sender: FromServer, MinVersion: 11, TrID: trIDNever, Payload: lastIsLength(FromServer, 2), Decode: decodeDataPayload, Bulk: true},

	// Other notification-server commands.
	{Name: "GCF", Summary: "configuration file", Sender: FromBoth, MinVersion: 11, TrID: trIDAlways, Payload: lastIsLength(FromServer, 1), Decode: decodeGCF},
	{Name: "SBS", Summary: "unexplained server notice", Sender: FromServer, MinVersion: 11, TrID: trIDAlways, Payload: noBody, Decode: decodeSBS},
	{Name: "LKP", Summary: "phone number lookup", Sender: FromBoth, MinVersion: 11, TrID: trIDAlways, Payload: noBody, Decode: decodeLKP},
	{Name: "UUN", Summary: "notification to a contact or endpoint", Sender: FromBoth, MinVersion: 13, TrID: trIDAlways, Payload: lastIsLength(FromClient, 3), Decode: decodeUUN},
	{Name: "UBN", Summary: "notification from a contact or endpoint", Sender: FromServer, MinVersion: 13, TrID: trIDNever, Payload: lastIsLength(FromServer, 3), Decode: decodeUUN},
	{Name: "UUM", Summary: "message to a federated contact", Sender: FromClient, MinVersion: 14, TrID: trIDAlways, Payload: lastIsLength(FromClient, 4), Decode: decodeUUM},
	{Name: "UBM", Summary: "message from a federated contact", Sender: FromServer, MinVersion: 14, TrID: trIDNever, Payload: lastIsLength(FromServer, 4), Decode: decodeUUM},
	{Name: "URL", Summary: "web service address", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeURL},
	{Name: "NOT", Summary: "notification (XML)", Sender: FromServer, MinVersion: 5, TrID: trIDNever, Payload: lastIsLength(FromServer, 1), Decode: decodeNOT},
	{Name: "IPG", Summary: "incoming mobile page (XML)", Sender: FromServer, MinVersion: 6, TrID: trIDNever, Payload: lastIsLength(FromServer, 1), Decode: decodeNOT},
	{Name: "PAG", Summary: "page a mobile device", Sender: FromClient, MinVersion: 5, TrID: trIDAlways, Payload: lastIsLength(FromClient, 3), Decode: decodePAG},
	{Name: "PGD", Summary: "page a mobile device", Sender: FromClient, MinVersion: 5, TrID: trIDAlways, Payload: lastIsLength(FromClient, 3), Decode: decodePAG},
	{Name: "SND", Summary: "e-mail invitation", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeSND},
	{Name: "SDC", Summary: "e-mail invitation with text", Sender: FromBoth, MinVersion: 5, TrID: trIDAlways, Payload: lastIsLength(FromClient, 8), Decode: decodeSDC},
	{Name: "FND", Summary: "member directory search", Sender: FromBoth, MaxVersion: 7, TrID: trIDAlways, Payload: noBody, Decode: decodeFND},
	{Name: "IMS", Summary: "instant messages on/off (WebTV)", Sender: FromBoth, MinVersion: 3, TrID: trIDAlways, Payload: noBody, Decode: decodeIMS},
	{Name: "RNG", Summary: "switchboard invitation", Sender: FromServer, TrID: trIDNever, Payload: noBody, Decode: decodeRNG},
	{Name: "MSG", Summary: "message", Sender: FromBoth, TrID: trIDClient, Payload: lastIsLength(FromBoth, 2), Decode: decodeMSG, Bulk: true},
	{Name: "PUT", Summary: "publish (MSNP18 circles)", Sender: FromBoth, MinVersion: 18, TrID: trIDAlways, Payload: lastIsLength(FromBoth, 1), Decode: decodeRouted},
	{Name: "DEL", Summary: "delete (MSNP18 circles)", Sender: FromBoth, MinVersion: 18, TrID: trIDAlways, Payload: lastIsLength(FromBoth, 1), Decode: decodeRouted},
	{Name: "NFY", Summary: "notify (MSNP18 circles)", Sender: FromServer, MinVersion: 18, TrID: trIDNever, Payload: lastIsLength(FromServer, 2), Decode: decodeRouted},
	{Name: "SDG", Summary: "circle message", Sender: FromBoth, MinVersion: 18, TrID: trIDAlways, Payload: lastIsLength(FromBoth, 1), Decode: decodeRouted},
	{Name: "VAS", Summary: "abuse report", Sender: FromClient, MinVersion: 18, TrID: trIDAlways, Payload: lastIsLength(FromClient, 4), Decode: decodeVAS},

	// Switchboard.
	{Name: "ANS", Summary: "answer a switchboard invitation", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeANS},
	{Name: "IRO", Summary: "participant already in the conversation", Sender: FromServer, TrID: trIDAlways, Payload: noBody, Decode: decodeIRO},
	{Name: "CAL", Summary: "invite a contact to the conversation", Sender: FromBoth, TrID: trIDAlways, Payload: noBody, Decode: decodeCAL},
	{Name: "JOI", Summary: "contact joined the conversation", Sender: FromServer, TrID: trIDNever, Payload: noBody, Decode: decodeJOI},
	{Name: "BYE", Summary: "contact left the conversation", Sender: FromServer, TrID: trIDNever, Payload: noBody, Decode: decodeBYE},
	{Name: "ACK", Summary: "message delivered", Sender: FromServer, TrID: trIDAlways, Payload: noBody, Decode: decodeACK, Bulk: true},
	{Name: "NAK", Summary: "message not delivered", Sender: FromServer, TrID: trIDAlways, Payload: noBody, Decode: decodeACK, Bulk: true},
}

// errorCommand frames every three-digit error reply.
var errorCommand = &Command{
	Name: "error", Summary: "error reply", Sender: FromServer,
	TrID: trIDAlways, Payload: errorPayload, Decode: decodeError,
}
