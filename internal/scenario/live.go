package scenario

import (
	"github.com/msnsniff/msnsniff/internal/capgen"
)

// Turn is what one side of a scripted connection sends before the other
// side speaks: the bytes a test client or server writes to a real socket.
type Turn struct {
	FromClient bool
	Data       []byte
}

// Turns returns the byte script of a conversation as alternating turns,
// in order, for replaying it over a real TCP connection (live-capture
// tests): consecutive sends of the same side are one turn, since over a
// socket nothing separates them.
func Turns(c *capgen.Conversation) []Turn {
	var out []Turn
	// The in-order, unperturbed packets carry the script exactly once,
	// one send after the other.
	for _, p := range c.Packets(capgen.Options{}) {
		if len(p.Payload) == 0 {
			continue
		}
		fromClient := p.Src == c.Client
		if n := len(out); n > 0 && out[n-1].FromClient == fromClient {
			out[n-1].Data = append(out[n-1].Data, p.Payload...)
			continue
		}
		out = append(out, Turn{FromClient: fromClient, Data: append([]byte(nil), p.Payload...)})
	}
	return out
}
