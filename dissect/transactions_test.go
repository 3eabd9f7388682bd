package dissect

import (
	"reflect"
	"strings"
	"testing"
)

// summaryOf runs steps and returns the connection's closing summary.
func summaryOf(t *testing.T, steps []step, mid bool) *Summary {
	t.Helper()
	_, col := run(t, steps, 0, mid)
	for _, ev := range col.events {
		if ev.Kind == KindSummary {
			return ev.Summary
		}
	}
	t.Fatal("no summary")
	return nil
}

func TestTransactions(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		mid   bool
		want  []string
	}{
		{
			name:  "every request answered, several replies per request",
			steps: []step{c2s(crlf("VER 1 MSNP8", "CHG 2 NLN 0")), s2c(crlf("VER 1 MSNP8", "CHG 2 NLN 0", "ILN 2 NLN a@b A 0", "ILN 2 NLN c@d C 0"))},
		},
		{
			name:  "replies out of order",
			steps: []step{c2s(crlf("CVR 5 0x0409 winnt 5.1 i386 MSNMSGR 5.0 MSMSGS a@b", "USR 6 TWN I a@b")), s2c(crlf("USR 6 TWN S x", "CVR 5 5.0 5.0 1.0 http://x"))},
		},
		{
			name:  "a request delivered after its reply (reordered capture)",
			steps: []step{s2c(crlf("VER 1 MSNP8")), c2s(crlf("VER 1 MSNP8"))},
		},
		{
			name:  "request never answered and reply to nothing",
			steps: []step{c2s(crlf("VER 1 MSNP8", "XFR 9 SB")), s2c(crlf("VER 1 MSNP8", "BLP 12 AL"))},
			want: []string{
				"XFR 9 (XFR 9 SB) was never answered",
				"reply to no request: no client command used TrID 12 (BLP 12 AL)",
			},
		},
		{
			// The request table keeps the latest sixteen requests, and
			// older ones only while they wait: TrID 2, answered, is pushed
			// out by sixteen newer requests, so a late second reply to it
			// is a reply to nothing; TrID 3, pushed out while waiting, is
			// still found, and 4, never answered, is reported.
			name: "a late reply after sixteen newer requests",
			steps: []step{c2s(crlf("CHG 2 NLN 0", "XFR 3 SB", "XFR 4 SB")), s2c(crlf("CHG 2 NLN 0")),
				c2s(changes(5, 20)), s2c(changes(5, 20) + crlf("XFR 3 SB 1.2.3.4:1863 CKI c", "ILN 2 NLN a@b A 0"))},
			want: []string{
				"XFR 4 (XFR 4 SB) was never answered",
				"reply to no request: no client command used TrID 2 (ILN 2 NLN a@b A 0)",
			},
		},
		{
			name:  "MSG U and N need no reply, but N may get a NAK",
			steps: []step{c2s("MSG 1 U 0\r\nMSG 2 N 0\r\nMSG 3 A 0\r\n"), s2c(crlf("NAK 2"))},
			want:  []string{"MSG 3 (MSG 3 A 0) was never answered"},
		},
		{
			name:  "findings quote lines with their credentials redacted",
			steps: []step{c2s(crlf("USR 7 TWN S t=secretticket&p=x", "USR 8 SHA A c2lnbmVk")), s2c(crlf("XFR 9 SB 1.2.3.4:1863 CKI secretcookie"))},
			want: []string{
				"USR 7 (USR 7 TWN S [redacted 18 B]) was never answered",
				"USR 8 (USR 8 SHA A [redacted 8 B]) was never answered",
				"reply to no request: no client command used TrID 9 (XFR 9 SB 1.2.3.4:1863 CKI [redacted 12 B])",
			},
		},
		{
			name:  "asynchronous TrID 0 is not a reply",
			steps: []step{s2c(crlf("CHL 0 123", "ADC 0 RL N=a@b F=A"))},
		},
		{
			name:  "mid-stream: replies to requests before the capture are not findings",
			steps: []step{s2c(crlf("CHG 17 NLN 0")), c2s(crlf("PNG", "CHG 20 BSY 0")), s2c(crlf("QNG 50", "CHG 20 BSY 0"))},
			mid:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summaryOf(t, tc.steps, tc.mid).Unanswered
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestManyRequests: a long session (more requests than the table holds)
// neither crashes nor reports answered requests.
func TestManyRequests(t *testing.T) {
	var steps []step
	for i := 1; i <= 3000; i++ {
		steps = append(steps, c2s(crlf("CHG "+itoa(i)+" NLN 0")), s2c(crlf("CHG "+itoa(i)+" NLN 0")))
	}
	steps = append(steps, c2s(crlf("XFR 5000 SB")))
	got := summaryOf(t, steps, false).Unanswered
	if len(got) != 1 || got[0] != "XFR 5000 (XFR 5000 SB) was never answered" {
		t.Errorf("findings %q", got)
	}
	// A hundred requests before any reply: most wait outside the latest
	// sixteen, and are all answered later.
	late := []step{c2s(changes(1, 100)), s2c(changes(1, 100))}
	if got := summaryOf(t, late, false).Unanswered; len(got) != 0 {
		t.Errorf("findings %q for requests all answered late", got)
	}
	var waiting []step
	for i := 1; i <= 1500; i++ {
		waiting = append(waiting, c2s(crlf("CHG "+itoa(i)+" NLN 0")))
	}
	if got := summaryOf(t, waiting, false).Unanswered; len(got) != maxFindings+1 || !strings.HasPrefix(got[maxFindings], "… and 1400 more") {
		t.Errorf("%d findings for 1500 unanswered requests, want the %d kept and a count", len(got), maxFindings)
	}
}

// TestRedactionAtPosition: the credential itself is replaced in Line, not
// an equal text earlier in the line.
func TestRedactionAtPosition(t *testing.T) {
	for line, want := range map[string]string{
		"USR 1234 CTP S 1234":    "USR 1234 CTP S [redacted 4 B]",
		"USR 5 CTP S S":          "USR 5 CTP S [redacted 1 B]",
		"USR 6 MD5 S 6 6":        "USR 6 MD5 S [redacted 1 B] [redacted 1 B]",
		"USR 7  TWN S  t=a&p=b ": "USR 7  TWN S  [redacted 7 B] ",
	} {
		_, col := run(t, []step{c2s(line + "\r\n")}, 0, false)
		if got := col.messages()[0].Line; got != want {
			t.Errorf("%q redacted to %q, want %q", line, got, want)
		}
	}
}

// changes is CHG lines with TrIDs from..to, as a client sends them and
// as the server echoes them.
func changes(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		b.WriteString("CHG " + itoa(i) + " NLN 0\r\n")
	}
	return b.String()
}
