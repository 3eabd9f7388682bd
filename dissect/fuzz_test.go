package dissect

import (
	"testing"
)

// FuzzFramer feeds arbitrary bytes, in arbitrary chunks, to one direction
// and checks that every byte is accounted for exactly once: as a command
// line, as payload, or as skipped garbage.
func FuzzFramer(f *testing.F) {
	seeds := []string{
		crlf("VER 1 MSNP8 CVR0", "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 5.0.0540 MSMSGS alice@hotmail.com"),
		msg("3", "A", "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nLST N=x 11\r\nOUT\r\n") + "OUT\r\n",
		"MSG 1 N 3\r\nHello worldMSG 2 N 2\r\nhiPNG\r\n",
		"241 11 10\r\n<ml></ml>XADL 0 OK\r\n",
		"201 5 7\r\nQNG\r\n",
		"NOT 100\r\n<NOTIFICATION/>",
		"MSG 1 N 4000000000\r\nxyz",
		"\x00\x01\x02garbage\nQNG 50\r\n",
		"UBX bob@x.com 0\r\nUBX 1:bob@x.com 3\r\nabc",
		"VER 1 MSNP15\r\nGCF 0 5\r\n<a/>xSBS 0 null\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, server bool) {
		d := ClientToServer
		if server {
			d = ServerToClient
		}
		col := &collector{}
		c := NewConn(ConnInfo{ID: "f"}, Options{Limits: Limits{MaxLine: 256, MaxPayload: 1024}}, col)
		step := int(chunk%64) + 1
		for i := 0; i < len(data); i += step {
			c.Data(d, t0, data[i:min(i+step, len(data))])
		}
		c.End(ClientToServer, t0, "FIN")
		c.End(ServerToClient, t0, "FIN")
		total := 0
		for _, ev := range col.events {
			switch ev.Kind {
			case KindMessage:
				m := ev.Message
				total += m.WireLen + len(m.Payload)
				if m.HasPayload && len(m.Payload)+m.PayloadMissing != m.PayloadLen {
					t.Fatalf("payload %d + missing %d != declared %d", len(m.Payload), m.PayloadMissing, m.PayloadLen)
				}
			case KindSkip:
				if ev.Bytes <= 0 {
					t.Fatalf("empty skip event")
				}
				total += ev.Bytes
			}
		}
		if total != len(data) {
			t.Fatalf("accounted for %d bytes of %d", total, len(data))
		}
	})
}

// FuzzSyncLines feeds arbitrary lines into an MSNP8, MSNP10 or MSNP12
// sync burst to exercise the SYN/GTC/BLP/PRP/LSG/LST/BPR decoders.
func FuzzSyncLines(f *testing.F) {
	f.Add(uint8(8), []byte("LST bob@hotmail.com Bob 11 0,2\r\nBPR PHH 555%201234\r\nLSG 0 Other%20Contacts 0\r\n"))
	f.Add(uint8(10), []byte("LSG Friends 6d3f\r\nLST N=bob@x F=B%ZZ C=1 11 6D3F\r\nBPR MOB N\r\n"))
	f.Add(uint8(12), []byte("LST N=a@b F=%E4%B8%AD 11 1 g1,g2\r\nLST N=y@y 10 32\r\nPRP MFN %\r\n"))
	f.Add(uint8(7), []byte("LSG 5 14 1 2 0 Other%20Contacts 0\r\nLST 5 FL 14 1 2 bob@hotmail.com Bob 1\r\nBPR 14 bob@x PHH 1\r\n"))
	f.Add(uint8(3), []byte("LST 5 RL 14 0 0\r\nGTC 5 14 Q\r\n"))
	f.Fuzz(func(t *testing.T, ver uint8, lines []byte) {
		v := int(ver%18) + 2
		col := &collector{}
		c := NewConn(ConnInfo{ID: "f"}, Options{}, col)
		c.Data(ClientToServer, t0, []byte("VER 1 MSNP"+itoa(v)+"\r\nSYN 5 0 0\r\n"))
		head := "VER 1 MSNP" + itoa(v) + "\r\nSYN 5 1 1 3 3\r\n"
		if v <= 7 {
			head = "VER 1 MSNP" + itoa(v) + "\r\nSYN 5 1\r\n"
		}
		c.Data(ServerToClient, t0, []byte(head))
		c.Data(ServerToClient, t0, lines)
		c.End(ClientToServer, t0, "FIN")
		c.End(ServerToClient, t0, "FIN")
		for _, m := range col.messages() {
			if m.Fields != nil {
				_ = m.Fields.Describe()
			}
			for _, n := range m.Notes {
				if len(n) > 0 && n[0:min(15, len(n))] == "decoder failed:" {
					t.Fatalf("decoder panicked on %q: %s", m.Line, n)
				}
			}
		}
		if l := c.ContactList(); l != nil {
			for _, ct := range l.Contacts {
				if len(ct.Groups) != len(ct.GroupIDs) {
					t.Fatalf("groups %v vs ids %v", ct.Groups, ct.GroupIDs)
				}
			}
		}
	})
}
