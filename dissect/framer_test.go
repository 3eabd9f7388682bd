package dissect

import (
	"strings"
	"testing"
	"time"
)

func msg(trid, ack, body string) string {
	return "MSG " + trid + " " + ack + " " + itoa(len(body)) + "\r\n" + body
}

func TestFraming(t *testing.T) {
	chatBody := "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nLST N=evil@x.com F=x 11\r\nOUT\r\n"
	tests := []struct {
		name  string
		steps []step
		mid   bool
		// want is the summary of the messages ("dir CMD #trid [payload]").
		want []string
		// events are the non-message events in order ("gap 5", "skip 3").
		events []string
		// notes lists substrings expected among all notes.
		notes []string
	}{
		{
			name:  "payload that looks like commands is never framed",
			steps: []step{c2s(msg("3", "A", chatBody) + "OUT\r\n")},
			want:  []string{"c2s MSG #3 [" + itoa(len(chatBody)) + "]", "c2s OUT"},
		},
		{
			name:  "bare LF accepted with a note",
			steps: []step{c2s("VER 1 MSNP8 CVR0\n"), s2c("VER 1 MSNP8\r\n")},
			want:  []string{"c2s VER #1", "s2c VER #1"},
			notes: []string{"bare LF"},
		},
		{
			name:  "zero-length payload",
			steps: []step{s2c("UBX bob@x.com 0\r\nQNG 50\r\n")},
			want:  []string{"s2c UBX [0]", "s2c QNG"},
		},
		{
			name:   "garbage before a command is skipped and reported",
			steps:  []step{c2s("VER 1 MSNP10\r\n"), s2c("VER 1 MSNP10\r\n\x00\x01garbage here\r\nmore junk\r\nQNG 50\r\n")},
			want:   []string{"c2s VER #1", "s2c VER #1", "s2c QNG"},
			events: []string{"skip 27"},
		},
		{
			name:  "payload length running past the end of the stream",
			steps: []step{s2c("NOT 100\r\n<NOTIFICATION/>")},
			want:  []string{"s2c NOT [15]"},
			notes: []string{"stream ended 85 bytes before the end of the declared payload"},
		},
		{
			name:   "payload length too short: resync finds the next command",
			steps:  []step{c2s("MSG 1 N 3\r\nHello worldMSG 2 N 2\r\nhiPNG\r\n")},
			want:   []string{"c2s MSG #1 [3]", "c2s MSG #2 [2]", "c2s PNG"},
			events: []string{"skip 8"},
			notes:  []string{"not a MIME message"},
		},
		{
			name:   "payload length over the limit",
			steps:  []step{c2s("MSG 1 N 4000000000\r\nxyzPNG\r\n")},
			want:   []string{"c2s MSG #1", "c2s PNG"},
			events: []string{"skip 3"},
			notes:  []string{"exceeds the 1048576-byte payload limit"},
		},
		{
			name: "MSNP13 error with payload",
			steps: []step{
				c2s("VER 1 MSNP15\r\n"), s2c("VER 1 MSNP15\r\n"),
				s2c("241 11 10\r\n<ml></ml>XSBS 0 null\r\n"),
			},
			want: []string{"c2s VER #1", "s2c VER #1", "s2c 241 #11 [10]", "s2c SBS #0"},
		},
		{
			name: "pre-MSNP13 error with a numeric second parameter followed by a command",
			steps: []step{
				c2s("VER 1 MSNP8\r\n"), s2c("VER 1 MSNP8\r\n"),
				s2c("201 5 7\r\nQNG\r\n"),
			},
			want:  []string{"c2s VER #1", "s2c VER #1", "s2c 201 #5", "s2c QNG"},
			notes: []string{"no payload taken"},
		},
		{
			name:   "mid-stream start inside a payload",
			steps:  []step{s2c("Data></Data>ILN 9 NLN bob@x.com Bob 0\r\n")},
			mid:    true,
			want:   []string{"s2c ILN #9"},
			events: []string{"skip 12"},
		},
		{
			name:  "mid-stream start on a line boundary loses nothing",
			steps: []step{s2c("QNG 50\r\n")},
			mid:   true,
			want:  []string{"s2c QNG"},
		},
		{
			name:   "line longer than the cap",
			steps:  []step{c2s("USR 1 TWN S " + strings.Repeat("x", 20000) + "\r\nPNG\r\n")},
			want:   []string{"c2s PNG"},
			events: []string{"skip 20014"},
		},
		{
			name:  "unterminated last line",
			steps: []step{c2s("OUT")},
			want:  []string{"c2s OUT"},
			notes: []string{"no line end"},
		},
		{
			name:  "unknown command is framed with a note",
			steps: []step{c2s("ZZZ 4 foo\r\nPNG\r\n")},
			want:  []string{"c2s ZZZ #4", "c2s PNG"},
			notes: []string{"unknown command"},
		},
		{
			name:  "runs of spaces",
			steps: []step{s2c("ILN  9 NLN bob@x.com Bob\r\n")},
			want:  []string{"s2c ILN #9"},
			notes: []string{"other than single spaces"},
		},
		{
			name:  "QRY payload has no CRLF and percent is literal",
			steps: []step{c2s("QRY 10 PROD0118R6%2WYOS 32\r\ne00ce87d7db6b0c57bd39fbdcb22598aPNG\r\n")},
			want:  []string{"c2s QRY #10 [32]", "c2s PNG"},
		},
		{
			name:  "server replies without payload",
			steps: []step{s2c("ADL 6 OK\r\nUUN 7 OK\r\nQRY 10\r\nGCF 6 Shields.xml 3\r\nabcPNG\r\n")},
			want:  []string{"s2c ADL #6", "s2c UUN #7", "s2c QRY #10", "s2c GCF #6 [3]", "s2c PNG"},
			notes: []string{"PNG is not sent by the server"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 3} {
				_, col := run(t, tc.steps, chunk, tc.mid)
				got := summary(col.messages())
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Fatalf("chunk %d: messages\n got %q\nwant %q", chunk, got, tc.want)
				}
				var events []string
				var notes []string
				for _, ev := range col.events {
					switch ev.Kind {
					case KindGap:
						events = append(events, "gap "+itoa(ev.Bytes))
					case KindSkip:
						events = append(events, "skip "+itoa(ev.Bytes))
					case KindMessage:
						notes = append(notes, ev.Message.Notes...)
					}
				}
				if strings.Join(events, "|") != strings.Join(tc.events, "|") {
					t.Errorf("chunk %d: events %q, want %q", chunk, events, tc.events)
				}
				all := strings.Join(notes, "\n")
				for _, n := range tc.notes {
					if !strings.Contains(all, n) {
						t.Errorf("chunk %d: no note containing %q in %q", chunk, n, notes)
					}
				}
				if len(tc.notes) == 0 && len(notes) > 0 {
					t.Errorf("chunk %d: unexpected notes %q", chunk, notes)
				}
			}
		})
	}
}

// TestGaps drives the framer through capture gaps at different places.
func TestGaps(t *testing.T) {
	tests := []struct {
		name   string
		before string // bytes before the gap
		gap    int
		after  string
		want   []string
		events []string
		notes  []string
	}{
		{
			name: "gap inside a payload keeps framing exact", before: "NOT 10\r\n0123", gap: 3, after: "789QNG 50\r\n",
			want: []string{"s2c NOT [7]", "s2c QNG"}, events: []string{"gap 3"}, notes: []string{"3 payload bytes missing"},
		},
		{
			name: "gap ending exactly at the payload end", before: "NOT 10\r\n0123", gap: 6, after: "QNG 50\r\n",
			want: []string{"s2c NOT [4]", "s2c QNG"}, events: []string{"gap 6"}, notes: []string{"6 payload bytes missing"},
		},
		{
			name: "gap beyond the payload end resynchronises", before: "NOT 10\r\n0123", gap: 9, after: " 50\r\nQNG 50\r\n",
			want: []string{"s2c NOT [4]", "s2c QNG"}, events: []string{"gap 9", "skip 5"}, notes: []string{"6 payload bytes missing"},
		},
		{
			name: "gap inside a command line", before: "QNG 50\r\nILN 9 NLN bo", gap: 4, after: "x.com Bob 0\r\nQNG 50\r\n",
			want: []string{"s2c QNG", "s2c QNG"}, events: []string{"skip 12", "gap 4", "skip 13"},
		},
		{
			name: "gap on a message boundary", before: "QNG 50\r\n", gap: 8, after: "QNG 51\r\n",
			want: []string{"s2c QNG", "s2c QNG"}, events: []string{"gap 8"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := &collector{}
			c := NewConn(ConnInfo{ID: "c1"}, Options{}, col)
			c.Data(ServerToClient, t0, []byte(tc.before))
			c.Gap(ServerToClient, t0, tc.gap)
			c.Data(ServerToClient, t0, []byte(tc.after))
			c.End(ServerToClient, t0, "FIN")
			got := summary(col.messages())
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("messages %q, want %q", got, tc.want)
			}
			var events, notes []string
			for _, ev := range col.events {
				switch ev.Kind {
				case KindGap:
					events = append(events, "gap "+itoa(ev.Bytes))
				case KindSkip:
					events = append(events, "skip "+itoa(ev.Bytes))
				case KindMessage:
					notes = append(notes, ev.Message.Notes...)
				}
			}
			if strings.Join(events, "|") != strings.Join(tc.events, "|") {
				t.Errorf("events %q, want %q", events, tc.events)
			}
			for _, n := range tc.notes {
				if !strings.Contains(strings.Join(notes, "\n"), n) {
					t.Errorf("no note %q in %q", n, notes)
				}
			}
		})
	}
}

// TestBudget: the shared payload budget counts allocated capacity; a
// payload that would exceed it is counted, not kept, and framing goes on.
func TestBudget(t *testing.T) {
	b := &Budget{Limit: 1000}
	col := &collector{}
	a := NewConn(ConnInfo{ID: "c1"}, Options{Budget: b}, col)
	z := NewConn(ConnInfo{ID: "c2"}, Options{Budget: b}, col)
	body := strings.Repeat("x", 800)
	a.Data(ClientToServer, t0, []byte("MSG 1 N 800\r\n"+body[:400]))
	z.Data(ClientToServer, t0, []byte("MSG 1 N 800\r\n"+body[:400]))
	a.Data(ClientToServer, t0, []byte(body[400:]+"PNG\r\n"))
	z.Data(ClientToServer, t0, []byte(body[400:]+"PNG\r\n"))
	if b.Peak() > b.Limit {
		t.Errorf("peak %d over the %d limit", b.Peak(), b.Limit)
	}
	var kept, dropped, pngs int
	for _, m := range col.messages() {
		switch {
		case m.Cmd == "PNG":
			pngs++
		case m.Limit == "max-pending-total" && len(m.Payload) == 0:
			dropped++
		case len(m.Payload) == 800:
			kept++
		}
	}
	if kept != 1 || dropped != 1 || pngs != 2 {
		t.Errorf("kept %d, dropped %d, PNGs framed %d", kept, dropped, pngs)
	}
	if b.held.Load() != 0 {
		t.Errorf("%d bytes still charged after both payloads completed", b.held.Load())
	}
}

// TestLineLimitExact: a line of exactly MaxLine bytes passes however the
// packets cut its CR LF; one byte more never does.
func TestLineLimitExact(t *testing.T) {
	for _, tc := range []struct {
		chunks []string
		framed bool
	}{
		{[]string{"CHG 12 NLN\r\n"}, true},
		{[]string{"CHG 12 NLN\r", "\n"}, true},
		{[]string{"CHG 12 NLN\n"}, true},
		{[]string{"CHG 12 NLNX\n"}, false},
		{[]string{"CHG 12 NLNX\r\n"}, false},
		{[]string{"CHG 12 NLNX", "\r\n"}, false},
	} {
		col := &collector{}
		c := NewConn(ConnInfo{ID: "c1"}, Options{Limits: Limits{MaxLine: 10}}, col)
		for _, ch := range tc.chunks {
			c.Data(ClientToServer, t0, []byte(ch))
		}
		c.End(ClientToServer, t0, "FIN")
		if got := len(col.messages()) == 1; got != tc.framed {
			t.Errorf("%q: framed %v, want %v", tc.chunks, got, tc.framed)
		}
	}
}

// TestParkedFramers checks that a direction keeps a framer only while it
// holds something between two feeds, and that parking loses nothing: the
// offsets, the messages and their payloads are those of one feed.
func TestParkedFramers(t *testing.T) {
	tests := []struct {
		name   string
		feeds  []string
		held   []bool // whether a framer is held after each feed
		cmds   []string
		endOff int64
	}{
		{"whole lines", []string{"VER 1 MSNP8 CVR0\r\n", "CVR 2 0x0409 winnt\r\n"}, []bool{false, false}, []string{"VER", "CVR"}, 38},
		{"split line", []string{"VER 1 MS", "NP8 CVR0\r\n"}, []bool{true, false}, []string{"VER"}, 18},
		{"split payload", []string{"MSG 3 N 5\r\nab", "cde", "OUT\r\n"}, []bool{true, false, false}, []string{"MSG", "OUT"}, 21},
		{"garbage then line", []string{"\x00\x01garbage", "\r\nOUT\r\n"}, []bool{true, false}, []string{"OUT"}, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := &collector{}
			c := NewConn(ConnInfo{ID: "c1"}, Options{}, col)
			for i, f := range tt.feeds {
				c.Data(ClientToServer, time.Unix(int64(i), 0), []byte(f))
				if held := c.framer[ClientToServer] != nil; held != tt.held[i] {
					t.Errorf("after feed %d: framer held %v, want %v", i, held, tt.held[i])
				}
				if c.framer[ServerToClient] != nil {
					t.Errorf("after feed %d: the silent direction holds a framer", i)
				}
			}
			c.End(ClientToServer, time.Unix(9, 0), "FIN")
			var cmds []string
			for _, m := range col.messages() {
				cmds = append(cmds, m.Cmd)
				if m.Cmd == "MSG" && string(m.Payload) != "abcde" {
					t.Errorf("MSG payload %q, want %q", m.Payload, "abcde")
				}
			}
			if strings.Join(cmds, " ") != strings.Join(tt.cmds, " ") {
				t.Errorf("messages %v, want %v", cmds, tt.cmds)
			}
			var end *Event
			for _, ev := range col.events {
				if ev.Kind == KindEnd {
					end = ev
				}
			}
			if end == nil || end.Offset != tt.endOff {
				t.Fatalf("end event %+v, want offset %d", end, tt.endOff)
			}
			if c.framer[ClientToServer] != nil || c.offset(ClientToServer) != tt.endOff {
				t.Errorf("after the end: framer %v, offset %d", c.framer[ClientToServer], c.offset(ClientToServer))
			}
		})
	}
}
