package dissect

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"unicode/utf16"
)

// P2PMessage is a decoded application/x-msnmsgrp2p body (switchboard.md
// §5): the MSNC P2Pv1 binary header, the footer, and the MSNSLP text when
// the data is session negotiation.
type P2PMessage struct {
	Version       int         `json:"version"` // 1, or 2 for P2Pv2 (only sized, not decoded further)
	SessionID     uint32      `json:"session_id"`
	Identifier    uint32      `json:"identifier"`
	DataOffset    uint64      `json:"data_offset"`
	TotalDataSize uint64      `json:"total_data_size"`
	MessageLength uint32      `json:"message_length"`
	Flags         uint32      `json:"flags"`
	FlagNames     []string    `json:"flag_names,omitempty"`
	AckSessionID  uint32      `json:"ack_session_id"`
	AckUniqueID   uint32      `json:"ack_unique_id"`
	AckDataSize   uint64      `json:"ack_data_size"`
	AppID         uint32      `json:"app_id"`
	SLP           *SLPMessage `json:"slp,omitempty"`
}

// SLPMessage is an MSNSLP request or response carried in P2P data.
type SLPMessage struct {
	StartLine   string `json:"start_line"`
	Method      string `json:"method"` // INVITE, BYE, ACK, or the status ("200 OK") of a response
	To          string `json:"to,omitempty"`
	From        string `json:"from,omitempty"`
	CallID      string `json:"call_id,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	EUFGUID     string `json:"euf_guid,omitempty"`
	// Application names what EUF-GUID offers.
	Application string     `json:"application,omitempty"`
	SessionID   string     `json:"session_id,omitempty"`
	AppID       string     `json:"app_id,omitempty"`
	FileName    string     `json:"file_name,omitempty"`
	FileSize    uint64     `json:"file_size,omitempty"`
	Object      *MSNObject `json:"object,omitempty"`
}

// p2pFlagNames names the P2Pv1 flags.
var p2pFlagNames = []struct {
	v    uint32
	name string
}{
	{0x1, "NAK"}, {0x2, "ACK"}, {0x4, "waiting"}, {0x8, "error"}, {0x10, "file data"},
	{0x20, "MSNObject data"}, {0x40, "bye ACK"}, {0x80, "transport error"}, {0x100, "direct handshake"},
	{0x1000000, "WLM 2009"},
}

// eufGUIDs names the MSNSLP applications (libpurple's GUIDs).
var eufGUIDs = map[string]string{
	"{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}": "MSNObject (display picture or emoticon)",
	"{5D3E02AB-6190-11D3-BBBB-00C04F795683}": "file transfer",
	"{4BD96FC0-AB17-4425-A14A-439185962DC8}": "webcam",
	"{1C9AA97E-9C05-4583-A3BD-908A196F1E92}": "webcam request",
}

// DecodeP2P reads a P2P body (the MIME body of the MSG).
func DecodeP2P(body []byte) (*P2PMessage, error) {
	if len(body) < 48 {
		return nil, fmt.Errorf("P2P body of %d bytes is shorter than the 48-byte header", len(body))
	}
	le := binary.LittleEndian
	p := &P2PMessage{
		Version: 1, SessionID: le.Uint32(body[0:]), Identifier: le.Uint32(body[4:]),
		DataOffset: le.Uint64(body[8:]), TotalDataSize: le.Uint64(body[16:]),
		MessageLength: le.Uint32(body[24:]), Flags: le.Uint32(body[28:]),
		AckSessionID: le.Uint32(body[32:]), AckUniqueID: le.Uint32(body[36:]), AckDataSize: le.Uint64(body[40:]),
	}
	for _, fl := range p2pFlagNames {
		if p.Flags&fl.v != 0 {
			p.FlagNames = append(p.FlagNames, fl.name)
		}
	}
	rest := body[48:]
	if uint64(p.MessageLength) > uint64(len(rest)) {
		return p, fmt.Errorf("P2P MessageLength %d runs past the %d bytes present", p.MessageLength, len(rest))
	}
	data := rest[:p.MessageLength]
	footer := rest[p.MessageLength:]
	if len(footer) >= 4 {
		p.AppID = binary.BigEndian.Uint32(footer)
	}
	var err error
	if len(footer) != 4 {
		err = fmt.Errorf("P2P footer is %d bytes, want 4", len(footer))
	}
	if p.DataOffset+uint64(p.MessageLength) > p.TotalDataSize && p.MessageLength > 0 {
		err = fmt.Errorf("P2P chunk ends at %d, past TotalDataSize %d", p.DataOffset+uint64(p.MessageLength), p.TotalDataSize)
	}
	if p.SessionID == 0 && p.MessageLength > 0 && p.DataOffset == 0 {
		p.SLP = parseSLP(data)
	}
	return p, err
}

// parseSLP reads MSNSLP text: a start line, SIP-like headers, and a body
// of the same header style. Only complete first chunks are parsed.
func parseSLP(data []byte) *SLPMessage {
	data = bytes.TrimRight(data, "\x00")
	br := bufio.NewReader(bytes.NewReader(data))
	tp := textproto.NewReader(br)
	start, err := tp.ReadLine()
	if err != nil || !strings.Contains(start, "MSNSLP/") {
		return nil
	}
	s := &SLPMessage{StartLine: start}
	if strings.HasPrefix(start, "MSNSLP/") {
		s.Method = strings.TrimSpace(strings.TrimPrefix(start, strings.Fields(start)[0]))
	} else {
		s.Method = strings.Fields(start)[0]
	}
	hdr, _ := tp.ReadMIMEHeader()
	s.To, s.From, s.CallID, s.ContentType = hdr.Get("To"), hdr.Get("From"), hdr.Get("Call-ID"), hdr.Get("Content-Type")
	bodyHdr, _ := tp.ReadMIMEHeader()
	s.EUFGUID = strings.ToUpper(bodyHdr.Get("EUF-GUID"))
	s.Application = eufGUIDs[s.EUFGUID]
	s.SessionID, s.AppID = bodyHdr.Get("SessionID"), bodyHdr.Get("AppID")
	if ctx := bodyHdr.Get("Context"); ctx != "" {
		raw, err := base64.StdEncoding.DecodeString(ctx)
		if err == nil {
			switch s.EUFGUID {
			case "{5D3E02AB-6190-11D3-BBBB-00C04F795683}":
				s.FileName, s.FileSize = fileContext(raw)
			case "{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}":
				s.Object, _ = ParseMSNObject(strings.TrimRight(string(raw), "\x00"))
			}
		}
	}
	return s
}

// fileContext reads the file-transfer Context: a little-endian header with
// the file size at offset 8 and a UTF-16LE file name of up to 260 units at
// offset 20.
func fileContext(b []byte) (string, uint64) {
	if len(b) < 20 {
		return "", 0
	}
	size := binary.LittleEndian.Uint64(b[8:])
	end := min(len(b), 20+520)
	u := make([]uint16, 0, 260)
	for i := 20; i+1 < end; i += 2 {
		v := binary.LittleEndian.Uint16(b[i:])
		if v == 0 {
			break
		}
		u = append(u, v)
	}
	return string(utf16.Decode(u)), size
}

func decodeP2P(m *Message, f *MSGFields, body []byte, sender string) {
	p, err := DecodeP2P(body)
	if err != nil {
		m.Note(err.Error())
	}
	f.P2P = p
	if p == nil {
		f.meaning = "P2P data from " + sender + " (undecodable)"
		return
	}
	switch {
	case p.SLP != nil && p.SLP.Method == "INVITE" && p.SLP.FileName != "":
		f.Kind = "file"
		f.meaning = fmt.Sprintf("%s offers file %q (%d bytes)", sender, p.SLP.FileName, p.SLP.FileSize)
	case p.SLP != nil && p.SLP.Method == "INVITE":
		what := p.SLP.Application
		if what == "" {
			what = "application " + p.SLP.EUFGUID
		}
		if p.SLP.Object != nil && p.SLP.Object.TypeName != "" {
			what = p.SLP.Object.TypeName
		}
		f.meaning = fmt.Sprintf("%s invites: %s", sender, what)
	case p.SLP != nil:
		f.meaning = fmt.Sprintf("%s: MSNSLP %s", sender, p.SLP.Method)
	case len(p.FlagNames) > 0:
		// Every chunk of a transfer: no fmt for it.
		f.meaning = "P2P " + strings.Join(p.FlagNames, ", ") + " from " + sender
	default:
		// The commonest P2P message: built without fmt.
		b := make([]byte, 0, 64+len(sender))
		b = append(b, "P2P data from "...)
		b = append(b, sender...)
		b = append(b, ": session "...)
		b = strconv.AppendUint(b, uint64(p.SessionID), 10)
		b = append(b, ", bytes "...)
		b = strconv.AppendUint(b, p.DataOffset, 10)
		b = append(b, '-')
		b = strconv.AppendUint(b, p.DataOffset+uint64(p.MessageLength), 10)
		b = append(b, " of "...)
		b = strconv.AppendUint(b, p.TotalDataSize, 10)
		f.meaning = string(b)
	}
}
