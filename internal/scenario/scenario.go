// Package scenario scripts complete MSNP sessions, byte-exact, for the
// bundled captures in testdata/pcaps and for end-to-end tests. Every
// payload length is computed from the payload, so the scripts cannot lie
// unless a test makes them.
package scenario

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/msnsniff/msnsniff/internal/capgen"
)

// Script accumulates what each side of one connection sends.
type Script struct {
	Conv *capgen.Conversation
}

// New starts a script for a connection from client to server.
func New(client, server string, start time.Time) *Script {
	return &Script{Conv: &capgen.Conversation{
		Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		Start: start, Step: 7 * time.Millisecond, Handshake: true, Close: true,
	}}
}

// C sends command lines from the client, each terminated by CR LF.
func (s *Script) C(lines ...string) *Script {
	s.Conv.ClientSends([]byte(crlf(lines)))
	return s
}

// S sends command lines from the server.
func (s *Script) S(lines ...string) *Script {
	s.Conv.ServerSends([]byte(crlf(lines)))
	return s
}

// CP sends a client payload command: head is the line without its length.
func (s *Script) CP(head, payload string) *Script {
	s.Conv.ClientSends([]byte(head + " " + strconv.Itoa(len(payload)) + "\r\n" + payload))
	return s
}

// SP sends a server payload command.
func (s *Script) SP(head, payload string) *Script {
	s.Conv.ServerSends([]byte(head + " " + strconv.Itoa(len(payload)) + "\r\n" + payload))
	return s
}

func crlf(lines []string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// Profile is the login profile MSG body; abch is "" (pre-MSNP10), "0" or "1".
func Profile(user string, abch string) string {
	p := "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\n" +
		"LoginTime: 1114300000\r\nEmailEnabled: 1\r\nMemberIdHigh: 94502\r\nMemberIdLow: -1651305472\r\n" +
		"lang_preference: 1033\r\npreferredEmail: " + user + "\r\ncountry: US\r\nKid: 0\r\nFlags: 1027\r\nsid: 507\r\n" +
		"MSPAuth: 7QnVZ0cFakeTicketForTests0000000000$$\r\nClientIP: 192.0.2.10\r\nClientPort: 36867\r\n"
	if abch != "" {
		p += "ABCHMigrated: " + abch + "\r\n"
	}
	return p + "\r\n"
}

// Text is a switchboard text message body.
func Text(text string) string {
	return "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=; CO=0; CS=0; PF=22\r\n\r\n" + text
}

// Typing is a switchboard typing notification body.
func Typing(user string) string {
	return "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: " + user + "\r\n\r\n"
}

// Capture is one bundled capture: its file name and its connections.
type Capture struct {
	Name   string
	Format capgen.Format
	Link   capgen.Link
	Convs  []*capgen.Conversation
	Opts   capgen.Options
	// Description says what the capture shows (for README and tests).
	Description string
}

// Packets returns the capture's packets, connections interleaved in time.
func (c *Capture) Packets() []capgen.Packet {
	var all [][]capgen.Packet
	for i, conv := range c.Convs {
		o := c.Opts
		o.Seed += int64(i)
		all = append(all, conv.Packets(o))
	}
	return capgen.Interleave(all...)
}

// Write writes the capture in its format and link type.
func (c *Capture) Write(w io.Writer) error {
	if err := capgen.Write(w, c.Format, c.Link, c.Packets()); err != nil {
		return fmt.Errorf("writing %s: %w", c.Name, err)
	}
	return nil
}
