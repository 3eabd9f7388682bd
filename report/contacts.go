package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/msnsniff/msnsniff/dissect"
)

// WriteContactsJSON writes the contact lists, in the order given, as one
// JSON array.
func WriteContactsJSON(w io.Writer, lists []*dissect.ContactList) error {
	return writeContacts(w, lists, true)
}

// writeContacts writes lists in the order given through a ContactsStream,
// the one writer of the contacts report.
func writeContacts(w io.Writer, lists []*dissect.ContactList, asJSON bool) error {
	s := NewContactsStream(w, asJSON)
	for i, l := range lists {
		s.Add(i+1, l)
	}
	return s.Close()
}

// newTable returns a table in the project's one style: ASCII borders (safe
// on every terminal and in logs), headers as written, no wrapping.
func newTable(w io.Writer, header ...string) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	t.Header(hdr...)
	return t
}

// WriteContactsTable writes each contact list, in the order given, as a
// short summary followed by a table of its contacts.
func WriteContactsTable(w io.Writer, lists []*dissect.ContactList) error {
	return writeContacts(w, lists, false)
}

func writeOneList(w io.Writer, l *dissect.ContactList) error {
	proto := l.Protocol
	if proto == "" {
		proto = "unknown dialect"
	}
	if l.ProtocolInferred {
		proto += " (inferred)"
	}
	user := l.User
	if user == "" {
		user = "(user not seen)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Contact list of %s on %s, %s, rebuilt from %s\n", user, l.Conn, proto, l.Source)
	if l.ListVersion != "" {
		fmt.Fprintf(&b, "  list version %s", l.ListVersion)
		if l.SettingsVersion != "" {
			fmt.Fprintf(&b, ", settings version %s", l.SettingsVersion)
		}
		b.WriteString("\n")
	}
	switch {
	case l.CacheCurrent:
		b.WriteString("  the client's cached list was current: the server sent no list\n")
	case l.ExpectedContacts != nil:
		state := "complete"
		if !l.Complete {
			state = "INCOMPLETE"
		}
		fmt.Fprintf(&b, "  SYN announced %d contacts and %d groups; %d contacts and %d groups seen (%s)\n",
			*l.ExpectedContacts, *l.ExpectedGroups, len(l.Contacts), len(l.Groups), state)
	case l.Source == "SYN":
		state := "complete"
		if !l.Complete {
			state = "INCOMPLETE"
		}
		fmt.Fprintf(&b, "  %d contacts and %d groups seen (burst %s)\n", len(l.Contacts), len(l.Groups), state)
	default:
		fmt.Fprintf(&b, "  %d contacts and %d groups seen\n", len(l.Contacts), len(l.Groups))
	}
	if l.GTC != "" || l.BLP != "" {
		fmt.Fprintf(&b, "  GTC %s, BLP %s\n", orDash(l.GTC), orDash(l.BLP))
	}
	if len(l.Properties) > 0 {
		fmt.Fprintf(&b, "  properties: %s\n", formatProps(l.Properties))
	}
	if len(l.Groups) > 0 {
		var gs []string
		for _, g := range l.Groups {
			gs = append(gs, fmt.Sprintf("%s (%s)", g.Name, g.ID))
		}
		fmt.Fprintf(&b, "  groups: %s\n", strings.Join(gs, ", "))
	}
	for _, p := range l.Problems {
		fmt.Fprintf(&b, "  ! %s\n", p)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(l.Contacts) == 0 {
		return nil
	}
	rows := make([][]string, len(l.Contacts))
	for i, c := range l.Contacts {
		net := ""
		if c.NetworkID != 0 {
			net = strconv.Itoa(c.NetworkID)
		}
		rows[i] = []string{c.Passport, printable(c.Nickname), strings.Join(c.Lists, ","), strings.Join(c.Groups, ", "),
			c.GUID, net, formatProps(c.Properties)}
	}
	return writeTable(w, []string{"Passport", "Nickname", "Lists", "Groups", "GUID", "Network", "Properties"}, rows)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatProps renders properties sorted by key.
func formatProps(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+printable(p[k]))
	}
	return strings.Join(parts, " ")
}
