package dissect

import (
	"reflect"
	"strings"
	"testing"
)

func TestChallengeResponse(t *testing.T) {
	tests := []struct{ challenge, product, want string }{
		// auth.md §8.1 and §8.2 vectors, and the reference examples.
		{"29409134351025259292", "msmsgs@msnmsgr.com", "d0c1178c689350104350d99f8c36ed9c"},
		{"22940274951814684551", "PROD0090YUAUV{2B", "ffeb4c3cf93db6a4b708b246baade0d9"},
		{"36817465126843515620", "PROD0061VRRZH@4F", "fb157dc3a803a63d2712e0b0a52bbac3"},
		{"15570131571988941333", "PROD0118R6%2WYOS", "e00ce87d7db6b0c57bd39fbdcb22598a"},
	}
	for _, tc := range tests {
		got, ok := ChallengeResponse(tc.challenge, tc.product)
		if !ok || got != tc.want {
			t.Errorf("%s %s: %q %v, want %q", tc.challenge, tc.product, got, ok, tc.want)
		}
	}
	if _, ok := ChallengeResponse("1", "PROD9999XXXXXXXX"); ok {
		t.Error("unknown product reported as known")
	}
}

func TestParseCaps(t *testing.T) {
	tests := []struct {
		in     string
		msnc   int
		flags  string
		ext    string
		wantOK bool
	}{
		{"268435456", 1, "", "", true},
		{"1342177316", 5, "SupportsGifInk,SupportsChunking", "", true},
		{"2789003324:48", 10, "SupportsGifInk,SupportsIsfInk,WebCamDetected,SupportsChunking,HasSpace,SupportsDirectIM,SupportsWinks,SupportsVoiceIM,SupportsSChannel,SupportsSipInvite,SupportsMultipartyMedia,SupportsTurn,SupportsDirectBootstrapping", "RTCVideoEnabled,SupportsPeerToPeerV2", true},
		{"0:0", 0, "", "", true},
		{"x", 0, "", "", false},
		{"1:x", 0, "", "", false},
	}
	for _, tc := range tests {
		c, ok := ParseCaps(tc.in)
		if ok != tc.wantOK {
			t.Errorf("%s: ok %v", tc.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if c.MSNC != tc.msnc || strings.Join(c.Flags, ",") != tc.flags || strings.Join(c.ExtFlags, ",") != tc.ext {
			t.Errorf("%s: msnc %d flags %v ext %v", tc.in, c.MSNC, c.Flags, c.ExtFlags)
		}
	}
}

func TestParseHandle(t *testing.T) {
	tests := map[string]Handle{
		"bob@x.com":         {Passport: "bob@x.com"},
		"1:bob@x.com":       {Passport: "bob@x.com", NetworkID: 1},
		"32:gina@yahoo.com": {Passport: "gina@yahoo.com", NetworkID: 32},
		"bob@x.com;{F26D1F07-95E2-403C-BC18-D4BFED493428}": {Passport: "bob@x.com", MachineGUID: "F26D1F07-95E2-403C-BC18-D4BFED493428"},
		"tel:+15551234": {Passport: "tel:+15551234"},
	}
	for in, want := range tests {
		if got := ParseHandle(in); got != want {
			t.Errorf("%s: %+v, want %+v", in, got, want)
		}
	}
}

func TestParseMSNObject(t *testing.T) {
	o, err := ParseMSNObject(`<msnobj Creator="alice@hotmail.com" Size="25235" Type="3" Location="TFR2C.tmp" Friendly="QQBsAGkAYwBlAAAA" SHA1D="trC8SlFx2sWQxZMIBAWSEnXc8oQ=" SHA1C="U32o6bosZzluJq82eAtMpx5dIEI="/>`)
	if err != nil || o == nil {
		t.Fatal(o, err)
	}
	want := &MSNObject{Creator: "alice@hotmail.com", Size: 25235, Type: 3, TypeName: "display picture", Location: "TFR2C.tmp",
		Friendly: "Alice", SHA1D: "trC8SlFx2sWQxZMIBAWSEnXc8oQ=", SHA1C: "U32o6bosZzluJq82eAtMpx5dIEI="}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("%+v", o)
	}
	for _, empty := range []string{"0", "", "<msnobj/>", " <msnobj /> "} {
		if o, err := ParseMSNObject(empty); o != nil || err != nil {
			t.Errorf("%q: %v %v", empty, o, err)
		}
	}
	if _, err := ParseMSNObject("<msnobj Creator="); err == nil {
		t.Error("broken msnobj accepted")
	}
}

func TestParseCurrentMedia(t *testing.T) {
	m := ParseCurrentMedia(`\0Music\01\0{0} - {1}\0Clocks\0Coldplay\0A Rush of Blood to the Head\0\0`)
	if m == nil || m.Type != "Music" || !m.Enabled || m.Text != "Clocks - Coldplay" {
		t.Errorf("%+v", m)
	}
	if ParseCurrentMedia("nothing") != nil {
		t.Error("garbage parsed as media")
	}
}

func TestTextFormat(t *testing.T) {
	f := parseTextFormat("FN=Segoe%20UI; EF=BIU; CO=ff0000; CS=86; PF=22; RL=1")
	want := &TextFormat{Font: "Segoe UI", Effects: "BIU", Color: "#0000ff", Charset: "86", PitchFamily: "22", RightToLeft: true}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("%+v", f)
	}
	for in, want := range map[string]string{"0": "#000000", "ff": "#ff0000", "ff00": "#00ff00", "123456": "#563412", "zz": "zz"} {
		if got := bgrToRGB(in); got != want {
			t.Errorf("CO=%s: %s, want %s", in, got, want)
		}
	}
}

func TestDecodeURLText(t *testing.T) {
	tests := []struct {
		in, want     string
		bad, notUTF8 bool
	}{
		{"Alice%20Smith", "Alice Smith", false, false},
		{"a+b", "a+b", false, false},
		{"%E6%9D%8E", "李", false, false},
		{"100%", "100%", true, false},
		{"%zz", "%zz", true, false},
		{"caf%E9", "café", false, true},
	}
	for _, tc := range tests {
		got, bad, latin := DecodeURLText(tc.in)
		if got != tc.want || bad != tc.bad || latin != tc.notUTF8 {
			t.Errorf("%q: %q %v %v", tc.in, got, bad, latin)
		}
	}
}

func TestDecodeP2PErrors(t *testing.T) {
	if _, err := DecodeP2P(make([]byte, 47)); err == nil {
		t.Error("short header accepted")
	}
	body := []byte(p2pBody(1, 2, []byte("data"), 0x20, 1))
	i := strings.Index(string(body), "\r\n\r\n") + 4
	p, err := DecodeP2P(body[i:])
	if err != nil || p.SessionID != 1 || p.MessageLength != 4 || p.AppID != 1 || p.FlagNames[0] != "MSNObject data" {
		t.Errorf("%+v %v", p, err)
	}
	lying := append([]byte(nil), body[i:]...)
	lying[24] = 200 // MessageLength beyond the data
	if _, err := DecodeP2P(lying); err == nil {
		t.Error("lying MessageLength accepted")
	}
}

// TestUSRMachineGUID: the MSNP16+ machine GUID (USR SSO S's last
// parameter, a switchboard USR's handle decoration) is decoded and shown,
// not redacted as a credential; the ticket and response blob still are.
func TestUSRMachineGUID(t *testing.T) {
	const guid = "{07A22792-B73C-4F26-80F1-BEA9A315D80C}"
	tests := []struct {
		name, line string
		dir        Dir
		sb         bool
		want       USRFields
		redacted   int
	}{
		{"NS SSO S", "USR 4 SSO S t=abc&p=def HAAAAAEAAAADZgAAblob " + guid, ClientToServer, false,
			USRFields{Package: "SSO", Stage: "S", MachineGUID: guid[1:37]}, 2},
		{"NS SSO S without GUID", "USR 4 SSO S t=abc&p=def HAAAAAEAAAADZgAAblob", ClientToServer, false,
			USRFields{Package: "SSO", Stage: "S"}, 2},
		{"NS SSO S, GUID-shaped token not last", "USR 4 SSO S " + guid + " t=abc&p=def", ClientToServer, false,
			USRFields{Package: "SSO", Stage: "S"}, 2},
		{"SB", "USR 1 alice@example.com;" + guid + " 2789003324.1234", ClientToServer, true,
			USRFields{Stage: "SB", Passport: "alice@example.com", MachineGUID: guid[1:37]}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, col := run(t, []step{{tc.dir, crlf(tc.line)}}, 0, false)
			m := col.messages()[0]
			f, ok := m.Fields.(*USRFields)
			if !ok || *f != tc.want {
				t.Fatalf("fields %+v, want %+v", m.Fields, tc.want)
			}
			if n := strings.Count(m.Line, "[redacted "); n != tc.redacted {
				t.Errorf("%d parameters redacted in %q, want %d", n, m.Line, tc.redacted)
			}
			if tc.want.MachineGUID != "" && (!strings.Contains(m.Line, guid) || !strings.Contains(m.Meaning+m.Line, tc.want.MachineGUID)) {
				t.Errorf("machine GUID hidden: %q / %q", m.Line, m.Meaning)
			}
		})
	}
}
