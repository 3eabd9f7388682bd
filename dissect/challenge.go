package dissect

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// productKey is a product id's secret and whether it uses the MSNP11+
// hash (auth.md §8.3).
type productKey struct {
	key    string
	msnp11 bool
}

var productKeys = map[string]productKey{
	"msmsgs@msnmsgr.com": {"Q1P7W2E4J9R8U3S5", false},
	"PROD0038W!61ZTF9":   {"VT6PX?UQTM4WM%YR", false},
	"PROD0058#7IL2{QD":   {"QHDCY@7R1TB6W?5B", false},
	"PROD0061VRRZH@4F":   {"JXQ6J@TUOGYV@N0M", false},
	"PROD00504RLUG%WL":   {"I2EBK%PYNLZL5_J4", false},
	"PROD0076ENE8*@AW":   {"CEQJ8}OE0!WTSWII", false},
	"PROD0090YUAUV{2B":   {"YMM8C_H7KCQ2S_KL", true},
	"PROD0101{0RM?UBW":   {"CFHUR$52U_{VIX5T", true},
	"PROD01065C%ZFN6F":   {"O4BG@C7BWLYQX?5G", true},
	"PROD0112J1LW7%NB":   {"RH96F{PHI8PPX_TJ", true},
	"PROD0113H11T8$X_":   {"RG@XY*28Q5QHS%Q5", true},
	"PROD0114ES4Z%Q5W":   {"PK}_A_0N_K%O?A9S", true},
	"PROD0118R6%2WYOS":   {"YIXPX@5I2P0UT*LK", true},
	"PROD0119GSJUC$18":   {"ILTXC!4IXB5FB*PX", true},
	"PROD0120PW!CCV9@":   {"C1BX{V4W}Q3*10SM", true},
}

// ChallengeResponse computes the QRY answer to a CHL challenge for a known
// product id; ok is false for an unknown product.
func ChallengeResponse(challenge, productID string) (string, bool) {
	pk, ok := productKeys[productID]
	if !ok {
		return "", false
	}
	sum := md5.Sum([]byte(challenge + pk.key))
	if !pk.msnp11 {
		return hex.EncodeToString(sum[:]), true
	}
	return msnp11Hash(sum, challenge+productID), true
}

// msnp11Hash is the MSNP11+ challenge algorithm of auth.md §8.2.
func msnp11Hash(sum [16]byte, s string) string {
	var h, k [4]uint32
	for i := range h {
		h[i] = binary.LittleEndian.Uint32(sum[i*4:])
		k[i] = h[i] & 0x7FFFFFFF
	}
	b := []byte(s)
	for len(b)%8 != 0 {
		b = append(b, '0')
	}
	const mod = 0x7FFFFFFF
	var high, low uint64
	for i := 0; i+8 <= len(b); i += 8 {
		c0 := uint64(binary.LittleEndian.Uint32(b[i:]))
		c1 := uint64(binary.LittleEndian.Uint32(b[i+4:]))
		t := (c0 * 0x0E79A9C1) % mod
		t = (uint64(k[0])*(t+high) + uint64(k[1])) % mod
		high = (uint64(k[2])*((c1+t)%mod) + uint64(k[3])) % mod
		low += high + t
	}
	high = (high + uint64(k[1])) % mod
	low = (low + uint64(k[3])) % mod
	var out [16]byte
	binary.LittleEndian.PutUint32(out[0:], h[0]^uint32(high))
	binary.LittleEndian.PutUint32(out[4:], h[1]^uint32(low))
	binary.LittleEndian.PutUint32(out[8:], h[2]^uint32(high))
	binary.LittleEndian.PutUint32(out[12:], h[3]^uint32(low))
	return hex.EncodeToString(out[:])
}

func decodeCHL(c *Conn, m *Message) {
	if m.Dir == ClientToServer {
		f := layout(m, m.Args)
		f.Meaning = "ask for a challenge"
		return
	}
	f := layout(m, m.Args, word("challenge"))
	c.challenge = detach(f.String("challenge"))
	f.Meaning = "challenge " + c.challenge
}

// QRYFields is a decoded QRY and, for the client's, the check of its answer.
type QRYFields struct {
	ProductID string `json:"product_id,omitempty"`
	Response  string `json:"response,omitempty"`
	// Check is "valid", "invalid", "unknown product" or "no challenge seen".
	Check    string `json:"check,omitempty"`
	Expected string `json:"expected,omitempty"`
	meaning  string
}

// Describe implements Fields.
func (f *QRYFields) Describe() string { return f.meaning }

func decodeQRY(c *Conn, m *Message) {
	f := &QRYFields{}
	m.Fields = f
	if m.Dir == ServerToClient {
		f.meaning = "challenge response accepted"
		return
	}
	if len(m.Args) < 1 {
		m.Note("QRY without a product id")
		return
	}
	f.ProductID = m.Args[0]
	f.Response = string(m.Payload)
	if m.HasPayload && m.PayloadLen != 32 {
		m.Note(fmt.Sprintf("QRY payload is %d bytes, always 32", m.PayloadLen))
	}
	want, known := ChallengeResponse(c.challenge, f.ProductID)
	switch {
	case c.challenge == "":
		f.Check = "no challenge seen"
	case !known:
		f.Check = "unknown product"
	case want == f.Response:
		f.Check = "valid"
	default:
		f.Check, f.Expected = "invalid", want
		m.Note(fmt.Sprintf("wrong challenge response: %s expects %s for challenge %s", f.ProductID, want, c.challenge))
	}
	f.meaning = fmt.Sprintf("challenge response for %s (%s)", f.ProductID, f.Check)
}
