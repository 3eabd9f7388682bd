package dissect

import (
	"fmt"
	"strconv"
	"strings"
)

// dialect is what a connection is known to speak: exactly, from the
// server's VER reply, or as bounds inferred from line shapes
// (framing.md §8) when VER was not captured.
type dialect struct {
	version int // from VER; 0 unknown
	// lo and hi bound the dialect inferred so far (0 = no bound).
	lo, hi int
	// offered are the dialects the client listed in VER.
	offered []int
	// inherited is the dialect of the NS a switchboard was opened from
	// (switchboards never state theirs).
	inherited     int
	inheritedName string
}

// name returns "MSNP10" and whether it was inferred; "" when nothing is
// known.
func (d *dialect) name() (string, bool) {
	switch {
	case d.version > 0:
		return "MSNP" + strconv.Itoa(d.version), false
	case d.inheritedName != "":
		return d.inheritedName, true
	case d.lo > 0 && d.lo == d.hi:
		return "MSNP" + strconv.Itoa(d.lo), true
	case d.lo > 0 && d.hi > 0:
		return fmt.Sprintf("MSNP%d-%d", d.lo, d.hi), true
	case d.lo > 0:
		return fmt.Sprintf("MSNP%d+", d.lo), true
	case d.hi > 0:
		return fmt.Sprintf("MSNP2-%d", d.hi), true
	case d.inheritedName != "":
		return d.inheritedName, true
	case len(d.offered) == 1:
		return "MSNP" + strconv.Itoa(d.offered[0]), true
	}
	return "", false
}

// source says how the dialect was learnt: "VER", "inherited" (a
// switchboard's NS) or "line shapes"; "" when nothing is known.
func (d *dialect) source() string {
	switch n, _ := d.name(); {
	case n == "":
		return ""
	case d.version > 0:
		return "VER"
	case d.inheritedName != "":
		return "inherited"
	}
	return "line shapes"
}

// atLeast records evidence that the dialect is v or newer.
func (d *dialect) atLeast(v int) {
	if v > d.lo {
		d.lo = v
	}
	if d.hi != 0 && d.hi < d.lo {
		// Contradicting evidence: trust the newer feature.
		d.hi = 0
	}
}

// atMost records evidence that the dialect is v or older.
func (d *dialect) atMost(v int) {
	if d.hi == 0 || v < d.hi {
		d.hi = v
	}
	if d.lo > d.hi {
		d.hi = 0
	}
}

// effective is the dialect used for decisions: the known version, else
// the lowest inferred bound (0 when nothing is known).
func (d *dialect) effective() int {
	if d.version > 0 {
		return d.version
	}
	if d.lo > 0 {
		return d.lo
	}
	if d.inherited > 0 {
		return d.inherited
	}
	if d.hi > 0 && d.hi <= 7 {
		return d.hi
	}
	return 0
}

// parseDialect reads "MSNP10" → 10.
func parseDialect(tok string) (int, bool) {
	rest, ok := strings.CutPrefix(tok, "MSNP")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(rest)
	if err != nil || v < 1 || v > 99 {
		return 0, false
	}
	return v, true
}

// infer narrows the dialect from the shape of a message when VER was not
// captured (framing.md §8). Only evidence that is unambiguous is used.
func (c *Conn) infer(dir Dir, m *Message) {
	d := &c.dialect
	if d.version != 0 {
		return
	}
	a := m.Args
	for _, t := range a {
		if len(t) > 2 && t[1] == ':' && t[0] >= '0' && t[0] <= '9' && strings.Contains(t, "@") {
			d.atLeast(18) // 1:user@host
		} else if strings.Contains(t, "@") && strings.Contains(t, ";{") {
			d.atLeast(16) // user@host;{machine-guid}
		}
	}
	switch m.Cmd {
	case "USR":
		if len(a) >= 1 {
			switch a[0] {
			case "SSO":
				d.atLeast(15)
			case "TWN":
				d.atLeast(8)
				d.atMost(14)
			case "MD5":
				d.atMost(7)
			}
		}
	case "INF":
		d.atMost(7)
	case "ADL", "RML", "UUN", "UBN":
		d.atLeast(13)
	case "FQY", "UUM", "UBM":
		d.atLeast(14)
	case "GCF":
		if m.HasTrID && m.TrID == 0 {
			d.atLeast(13)
		} else {
			d.atLeast(11)
		}
	case "UUX", "UBX", "SBS":
		d.atLeast(11)
	case "ADC", "SBP":
		d.atLeast(10)
		d.atMost(12)
	case "ADD", "REA":
		d.atMost(9)
	case "CHL", "QRY", "IPG":
		d.atLeast(6)
	case "NOT", "PRP", "BPR":
		d.atLeast(5)
	case "QNG":
		if len(a) == 1 {
			d.atLeast(9)
		}
	case "MSG":
		if dir == ClientToServer && len(a) >= 1 && a[0] == "D" {
			d.atLeast(9)
		}
	case "SYN":
		if dir == ServerToClient {
			switch len(a) {
			case 2, 4:
				d.atLeast(10)
				d.atMost(12)
			case 3:
				d.atLeast(8)
				d.atMost(9)
			}
		}
	case "LST":
		if dir == ServerToClient && !m.HasTrID && len(a) > 0 {
			if strings.HasPrefix(a[0], "N=") {
				d.atLeast(10)
				d.atMost(12)
			} else {
				d.atLeast(8)
				d.atMost(9)
			}
		} else if dir == ServerToClient && m.HasTrID {
			d.atMost(7)
		}
	case "LSG":
		if dir == ServerToClient && m.HasTrID && len(a) >= 6 {
			d.atLeast(7)
		} else if dir == ServerToClient && len(a) == 2 {
			d.atLeast(10)
			d.atMost(12)
		} else if dir == ServerToClient && len(a) == 3 {
			d.atLeast(8)
			d.atMost(9)
		}
	case "XFR":
		if len(a) >= 4 && a[0] == "NS" && a[2] == "U" {
			d.atLeast(13)
		}
		if len(a) >= 6 && a[0] == "SB" && a[4] == "U" {
			d.atLeast(14)
		} else if len(a) == 5 && a[0] == "SB" && a[3] == "U" {
			d.atLeast(13)
		}
	case "IRO":
		// IRO TrID index total handle friendly {caps}: caps from MSNP12.
		if len(a) >= 5 {
			d.atLeast(12)
		}
	case "JOI":
		if len(a) >= 3 {
			d.atLeast(12)
		}
	case "CHG":
		if len(a) >= 2 && strings.Contains(a[1], ":") {
			d.atLeast(16)
		} else if len(a) >= 3 {
			d.atLeast(9)
		} else if len(a) == 2 {
			d.atLeast(8)
		}
	}
}

// setVersion records the dialect the server chose in its VER reply.
func (c *Conn) setVersion(v int) {
	c.dialect.version = v
	c.dialect.lo, c.dialect.hi = v, v
}
