package dissect

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Conversation is one switchboard session as a chat log: who took part
// and what they said, in order.
type Conversation struct {
	Conn   string `json:"conn"`
	Client string `json:"client"`
	Server string `json:"server"`
	// User is the passport of the client whose connection this is.
	User         string        `json:"user"`
	Participants []Participant `json:"participants"`
	Start        time.Time     `json:"start"`
	End          time.Time     `json:"end"`
	Messages     []ChatMessage `json:"messages"`
}

// Participant is someone in a conversation, with the nickname last
// announced for them.
type Participant struct {
	Passport string `json:"passport"`
	Nickname string `json:"nickname,omitempty"`
}

// ChatMessage is one entry of a chat log.
type ChatMessage struct {
	Time     time.Time `json:"ts"`
	From     string    `json:"from"`
	Nickname string    `json:"nickname,omitempty"`
	// Kind is text, typing, nudge, wink, voice_clip, action, file, invite,
	// ink, join or leave.
	Kind     string      `json:"kind"`
	Text     string      `json:"text,omitempty"`
	Format   *TextFormat `json:"format,omitempty"`
	FileName string      `json:"file_name,omitempty"`
	FileSize uint64      `json:"file_size,omitempty"`
	// Incomplete is set when bytes of the message were lost in a gap.
	Incomplete bool `json:"incomplete,omitempty"`
}

// Conversation returns the chat log of a switchboard connection, or nil
// when the connection is not one or carried nothing.
func (c *Conn) Conversation() *Conversation {
	if c.chat == nil {
		return nil
	}
	c.chat.User = c.user
	return c.chat
}

// conversation returns the chat, starting it on the first switchboard
// evidence.
func (c *Conn) conversation() *Conversation {
	if !c.keepChats {
		return &Conversation{} // scratch: nothing is kept
	}
	if c.chat == nil {
		c.chat = &Conversation{Conn: c.Info.ID, Client: c.Info.Client, Server: c.Info.Server, Participants: []Participant{}, Messages: []ChatMessage{}, Start: c.now}
	}
	c.chat.End = c.now
	return c.chat
}

// rememberNickname records the latest nickname announced for a handle;
// switchboard participants are named with it.
func (c *Conn) rememberNickname(passport, nick string) {
	if passport == "" || c.chat == nil {
		return
	}
	c.participant(passport, nick)
}

// participant adds or updates a participant.
func (c *Conn) participant(passport, nick string) {
	chat := c.conversation()
	for i := range chat.Participants {
		if strings.EqualFold(chat.Participants[i].Passport, passport) {
			if nick != "" {
				chat.Participants[i].Nickname = nick
			}
			return
		}
	}
	chat.Participants = append(chat.Participants, Participant{Passport: passport, Nickname: nick})
}

func (c *Conn) nickname(passport string) string {
	if c.chat == nil {
		return ""
	}
	for _, p := range c.chat.Participants {
		if strings.EqualFold(p.Passport, passport) {
			return p.Nickname
		}
	}
	return ""
}

// chatMSG adds a switchboard MSG to the chat log.
func (c *Conn) chatMSG(m *Message, f *MSGFields) {
	if !c.switchboard || !c.keepChats {
		return
	}
	from := f.From
	if m.Dir == ClientToServer {
		from = c.user
	}
	cm := ChatMessage{Time: c.now, From: from, Nickname: c.nickname(from), Kind: f.Kind, Format: f.Format,
		Incomplete: m.PayloadMissing > 0}
	switch f.Kind {
	case "text":
		if (f.Chunks > 1 || f.Chunk > 0) && !f.Complete {
			return // the chunk that completes it carries the whole text
		}
		cm.Text = f.Text
	case "typing":
		if f.TypingUser != "" {
			cm.From = ParseHandle(f.TypingUser).Passport
		}
	case "action":
		cm.Text = f.Text
	case "file":
		if f.P2P != nil && f.P2P.SLP != nil {
			cm.FileName, cm.FileSize = f.P2P.SLP.FileName, f.P2P.SLP.FileSize
		} else if f.Invitation != nil {
			cm.FileName, cm.FileSize = f.Invitation.File, uint64(max(f.Invitation.FileSize, 0))
		}
	case "invite":
		if f.Invitation != nil {
			cm.Text = f.Invitation.Application
		}
	case "nudge", "wink", "voice_clip", "ink":
	case "p2p":
		if f.P2P == nil || f.P2P.SLP == nil || f.P2P.SLP.Method != "INVITE" {
			return // P2P transport traffic is not part of the conversation
		}
		cm.Kind = "invite"
		cm.Text = f.P2P.SLP.Application
	default:
		return
	}
	chat := c.conversation()
	chat.Messages = append(chat.Messages, cm)
}

// chatEvent adds a join or leave to the log.
func (c *Conn) chatEvent(kind, passport, nick string) {
	if nick != "" || kind == "join" {
		c.participant(passport, nick)
	}
	chat := c.conversation()
	chat.Messages = append(chat.Messages, ChatMessage{Time: c.now, From: passport, Nickname: c.nickname(passport), Kind: kind})
}

// SBFields is a decoded switchboard roster line (IRO, JOI, BYE).
type SBFields struct {
	Passport    string `json:"passport"`
	MachineGUID string `json:"machine_guid,omitempty"`
	Nickname    string `json:"nickname,omitempty"`
	Index       int    `json:"index,omitempty"`
	Total       int    `json:"total,omitempty"`
	Caps        *Caps  `json:"caps,omitempty"`
	IdleTimeout bool   `json:"idle_timeout,omitempty"`
	meaning     string
}

// Describe implements Fields.
func (f *SBFields) Describe() string { return f.meaning }

func (f *SBFields) setHandle(s string) {
	h := ParseHandle(s)
	f.Passport, f.MachineGUID = h.Passport, h.MachineGUID
}

func decodeIRO(c *Conn, m *Message) {
	a := m.Args
	f := &SBFields{}
	m.Fields = f
	if len(a) < 4 {
		m.Note("IRO needs index, total, handle and friendly name")
		return
	}
	fmt.Sscan(a[0], &f.Index)
	fmt.Sscan(a[1], &f.Total)
	f.setHandle(a[2])
	f.Nickname = decodeText(m, a[3])
	if len(a) > 4 {
		cc, _ := c.capsOf(a[4]) // nil Caps when it is not a number
		f.Caps = cc.caps
	}
	c.switchboard = true
	c.participant(f.Passport, f.Nickname)
	f.meaning = fmt.Sprintf("%s %q is already in the conversation (%d of %d)", f.Passport, f.Nickname, f.Index, f.Total)
}

func decodeJOI(c *Conn, m *Message) {
	a := m.Args
	f := &SBFields{}
	m.Fields = f
	if len(a) < 1 {
		m.Note("JOI without a handle")
		return
	}
	f.setHandle(a[0])
	if len(a) < 2 {
		m.Note("JOI without a friendly name")
	} else {
		f.Nickname = decodeText(m, a[1])
	}
	if len(a) > 2 {
		cc, _ := c.capsOf(a[2]) // nil Caps when it is not a number
		f.Caps = cc.caps
	}
	c.switchboard = true
	c.chatEvent("join", f.Passport, f.Nickname)
	f.meaning = fmt.Sprintf("%s %q joined the conversation", f.Passport, f.Nickname)
}

func decodeBYE(c *Conn, m *Message) {
	a := m.Args
	f := &SBFields{}
	m.Fields = f
	if len(a) < 1 {
		m.Note("BYE without a handle")
		return
	}
	f.setHandle(a[0])
	f.IdleTimeout = len(a) > 1 && a[1] == "1"
	c.switchboard = true
	c.chatEvent("leave", f.Passport, "")
	f.meaning = f.Passport + " left the conversation"
	if f.IdleTimeout {
		f.meaning += " (idle timeout)"
	}
}

func decodeCAL(c *Conn, m *Message) {
	c.switchboard = true
	if m.Dir == ClientToServer {
		f := layout(m, m.Args, handle("passport"))
		f.Meaning = "invite " + f.String("passport") + " to the conversation"
		return
	}
	f := layout(m, m.Args, word("status"), word("session_id"))
	f.Meaning = "invitation " + strings.ToLower(f.String("status")) + ", session " + f.String("session_id")
}

func decodeACK(c *Conn, m *Message) {
	f := layout(m, m.Args)
	// One ACK for every acknowledged chat line: no fmt for it.
	outcome := " delivered"
	if m.Cmd != "ACK" {
		outcome = " NOT delivered"
	}
	f.Meaning = "message " + strconv.FormatUint(uint64(m.TrID), 10) + outcome
}
