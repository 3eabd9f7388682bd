package dissect

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// step is one chunk of bytes sent by one side.
type step struct {
	dir  Dir
	data string
}

func c2s(s string) step { return step{ClientToServer, s} }
func s2c(s string) step { return step{ServerToClient, s} }

// crlf joins lines with CR LF and ends with one.
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

var t0 = time.Date(2005, 4, 23, 18, 57, 44, 0, time.UTC)

// collector records events.
type collector struct{ events []*Event }

func (c *collector) Event(ev *Event) { c.events = append(c.events, ev) }

func (c *collector) messages() []*Message {
	var out []*Message
	for _, ev := range c.events {
		if ev.Kind == KindMessage {
			out = append(out, ev.Message)
		}
	}
	return out
}

// run feeds steps to a fresh Conn, chunking each step into pieces of at
// most chunk bytes (0 = whole), and ends both directions.
func run(t testing.TB, steps []step, chunk int, mid bool) (*Conn, *collector) {
	t.Helper()
	col := &collector{}
	c := NewConn(ConnInfo{ID: "c1", Client: "10.0.0.1:1025", Server: "10.0.0.2:1863", MidStream: mid}, Options{Chats: true}, col)
	ts := t0
	for _, s := range steps {
		data := []byte(s.data)
		for len(data) > 0 {
			n := len(data)
			if chunk > 0 && n > chunk {
				n = chunk
			}
			c.Data(s.dir, ts, data[:n])
			data = data[n:]
			ts = ts.Add(time.Millisecond)
		}
	}
	c.End(ClientToServer, ts, "FIN")
	c.End(ServerToClient, ts, "FIN")
	return c, col
}

// summary renders messages compactly for comparisons.
func summary(msgs []*Message) []string {
	var out []string
	for _, m := range msgs {
		s := m.Dir.String() + " " + m.Cmd
		if m.HasTrID {
			s += fmt.Sprintf(" #%d", m.TrID)
		}
		if m.HasPayload {
			s += fmt.Sprintf(" [%d]", len(m.Payload))
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
