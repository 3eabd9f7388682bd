package capgen

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/msnsniff/msnsniff/capture"
)

// Conversation scripts one TCP connection: the bytes each side sends, in
// order, and whether the capture shows its opening and closing.
type Conversation struct {
	Client, Server netip.AddrPort
	// Start is the time of the first packet; zero means 2005-06-01 12:00 UTC.
	Start time.Time
	// Step separates consecutive packets; zero means one millisecond.
	Step time.Duration
	// Handshake adds SYN, SYN-ACK, ACK before the data.
	Handshake bool
	// Close adds FIN from the client, FIN-ACK from the server and the last
	// ACK after the data.
	Close bool
	// ClientISN and ServerISN are the initial sequence numbers; zero picks
	// fixed defaults. Set them near 2^32 to test wrap-around.
	ClientISN, ServerISN uint32

	sends []send
}

type send struct {
	fromClient bool
	data       []byte
}

// ClientSends appends data sent by the client after everything scripted so
// far. The data is copied.
func (c *Conversation) ClientSends(data []byte) {
	c.sends = append(c.sends, send{true, slices.Clone(data)})
}

// ServerSends appends data sent by the server after everything scripted so
// far. The data is copied.
func (c *Conversation) ServerSends(data []byte) {
	c.sends = append(c.sends, send{false, slices.Clone(data)})
}

// Options shapes how a conversation's bytes become segments.
type Options struct {
	// MaxSegment is the largest payload per segment; zero means 1460.
	MaxSegment int
	// Seed makes every random choice below reproducible.
	Seed int64
	// RandomSegments draws each segment's size from 1..MaxSegment instead
	// of always using MaxSegment.
	RandomSegments bool
	// Reorder is the probability that a data segment swaps places with the
	// next data segment in the same direction (repeatable, so segments can
	// travel further).
	Reorder float64
	// Duplicate is the probability that a data segment is captured twice.
	Duplicate float64
	// Overlap is the probability that a data segment is retransmitted later
	// re-cut so that it also covers part of its neighbours.
	Overlap float64
	// Drop lists data segments (0-based, in sending order over both
	// directions, before any other option applies) that the capture misses.
	// Their bytes appear nowhere else.
	Drop []int
}

// Default initial sequence numbers, deliberately unlike each other.
const (
	defaultClientISN = 0x1000_0000
	defaultServerISN = 0x8000_0000
)

// item is a packet with what the perturbations need to know about it.
type item struct {
	Packet
	data   bool // carries conversation bytes
	client bool // sent by the client
	off    int  // stream offset of the payload
}

// Packets returns the conversation as packets in capture order, with
// timestamps Start, Start+Step, ... in that order. Whatever Reorder,
// Duplicate and Overlap do, every byte sent is in at least one packet
// unless its segment is in Drop, and acknowledgement numbers stay those
// of the in-order conversation.
func (c *Conversation) Packets(opt Options) []Packet {
	maxSeg := opt.MaxSegment
	if maxSeg <= 0 {
		maxSeg = mss
	}
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0x6d736e736e696666))
	cISN, sISN := c.ClientISN, c.ServerISN
	if cISN == 0 {
		cISN = defaultClientISN
	}
	if sISN == 0 {
		sISN = defaultServerISN
	}

	// The streams exist whole before any packet, so payloads can alias them.
	var cStream, sStream []byte
	for _, s := range c.sends {
		if s.fromClient {
			cStream = append(cStream, s.data...)
		} else {
			sStream = append(sStream, s.data...)
		}
	}
	fromClient := func(seq, ack uint32, f capture.Flags) item {
		return item{Packet: Packet{Src: c.Client, Dst: c.Server, Seq: seq, Ack: ack, Flags: f}, client: true}
	}
	fromServer := func(seq, ack uint32, f capture.Flags) item {
		return item{Packet: Packet{Src: c.Server, Dst: c.Client, Seq: seq, Ack: ack, Flags: f}}
	}

	var items []item
	if c.Handshake {
		items = append(items,
			fromClient(cISN, 0, capture.SYN),
			fromServer(sISN, cISN+1, capture.SYN|capture.ACK),
			fromClient(cISN+1, sISN+1, capture.ACK))
	}
	// cSent and sSent are the bytes each side has sent so far.
	cSent, sSent := 0, 0
	for _, s := range c.sends {
		for done := 0; done < len(s.data); {
			n := maxSeg
			if opt.RandomSegments {
				n = 1 + rng.IntN(maxSeg)
			}
			n = min(n, len(s.data)-done)
			var it item
			if s.fromClient {
				it = fromClient(cISN+1+uint32(cSent), sISN+1+uint32(sSent), capture.ACK)
				it.Payload, it.off = cStream[cSent:cSent+n], cSent
				cSent += n
			} else {
				it = fromServer(sISN+1+uint32(sSent), cISN+1+uint32(cSent), capture.ACK)
				it.Payload, it.off = sStream[sSent:sSent+n], sSent
				sSent += n
			}
			it.data = true
			items = append(items, it)
			done += n
		}
		if len(s.data) == 0 {
			continue
		}
		// The receiver acknowledges each message, as a real peer would.
		if s.fromClient {
			items = append(items, fromServer(sISN+1+uint32(sSent), cISN+1+uint32(cSent), capture.ACK))
		} else {
			items = append(items, fromClient(cISN+1+uint32(cSent), sISN+1+uint32(sSent), capture.ACK))
		}
	}
	if c.Close {
		cFin, sFin := cISN+1+uint32(cSent), sISN+1+uint32(sSent)
		items = append(items,
			fromClient(cFin, sFin, capture.FIN|capture.ACK),
			fromServer(sFin, cFin+1, capture.FIN|capture.ACK),
			fromClient(cFin+1, sFin+1, capture.ACK))
	}

	items = perturb(items, opt, rng, cStream, sStream)

	start, step := c.Start, c.Step
	if start.IsZero() {
		start = time.Date(2005, 6, 1, 12, 0, 0, 0, time.UTC)
	}
	if step == 0 {
		step = time.Millisecond
	}
	pkts := make([]Packet, len(items))
	for i, it := range items {
		pkts[i] = it.Packet
		pkts[i].TS = start.Add(time.Duration(i) * step)
	}
	return pkts
}

// perturb applies Drop, Overlap, Duplicate and Reorder, in that order, to
// items in sending order.
func perturb(items []item, opt Options, rng *rand.Rand, cStream, sStream []byte) []item {
	dropped := make(map[int]bool, len(opt.Drop))
	for _, d := range opt.Drop {
		dropped[d] = true
	}
	// kept holds the surviving items; neighbour links data segments to the
	// previous and next segment of the same direction, or -1 when that
	// neighbour is missing or was dropped (an overlap must not resupply
	// dropped bytes).
	var kept []item
	type link struct{ prev, next int }
	var neighbour []link
	lastKept := map[bool]int{true: -1, false: -1}
	lastDropped := map[bool]bool{}
	dataIdx := 0
	for _, it := range items {
		if !it.data {
			kept = append(kept, it)
			neighbour = append(neighbour, link{-1, -1})
			continue
		}
		if dropped[dataIdx] {
			dataIdx++
			lastDropped[it.client] = true
			continue
		}
		dataIdx++
		l := link{-1, -1}
		if p := lastKept[it.client]; p >= 0 && !lastDropped[it.client] {
			l.prev = p
			neighbour[p].next = len(kept)
		}
		lastKept[it.client] = len(kept)
		lastDropped[it.client] = false
		kept = append(kept, it)
		neighbour = append(neighbour, l)
	}

	// Overlapping retransmissions go after the later neighbour, where a
	// sender that timed out would put them.
	after := make([][]item, len(kept))
	if opt.Overlap > 0 {
		for i, it := range kept {
			if !it.data || rng.Float64() >= opt.Overlap {
				continue
			}
			from, to := it.off, it.off+len(it.Payload)
			if p := neighbour[i].prev; p >= 0 {
				from -= 1 + rng.IntN(len(kept[p].Payload))
			}
			at := i
			if n := neighbour[i].next; n >= 0 {
				to += 1 + rng.IntN(len(kept[n].Payload))
				at = n
			}
			stream := sStream
			if it.client {
				stream = cStream
			}
			re := it
			re.Seq = it.Seq - uint32(it.off-from)
			re.Payload, re.off = stream[from:to], from
			re.Ack = kept[at].Ack
			after[at] = append(after[at], re)
		}
	}
	var out []item
	for i, it := range kept {
		out = append(out, it)
		if it.data && opt.Duplicate > 0 && rng.Float64() < opt.Duplicate {
			out = append(out, it)
		}
		out = append(out, after[i]...)
	}

	if opt.Reorder > 0 {
		for i := range out {
			if !out[i].data || rng.Float64() >= opt.Reorder {
				continue
			}
			for j := i + 1; j < len(out); j++ {
				if out[j].data && out[j].client == out[i].client {
					out[i], out[j] = out[j], out[i]
					break
				}
			}
		}
	}
	return out
}

// Interleave merges several packet sequences into one ordered by
// timestamp. It is stable: each sequence keeps its own order, and on equal
// timestamps the earlier argument goes first.
func Interleave(convs ...[]Packet) []Packet {
	n := 0
	for _, c := range convs {
		n += len(c)
	}
	out := make([]Packet, 0, n)
	next := make([]int, len(convs))
	for len(out) < n {
		best := -1
		for i, c := range convs {
			if next[i] == len(c) {
				continue
			}
			if best < 0 || c[next[i]].TS.Before(convs[best][next[best]].TS) {
				best = i
			}
		}
		out = append(out, convs[best][next[best]])
		next[best]++
	}
	return out
}
