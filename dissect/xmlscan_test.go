package dissect

import (
	"strings"
	"testing"
)

// TestXMLFastPath pins which documents the plain-subset scanner takes
// itself: the shapes clients and servers write must not fall back to the
// XML decoder (the fuzz targets prove only that what is taken is read
// right), and what the subset leaves out must.
func TestXMLFastPath(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		scan      func(string) bool
		want      bool
	}{
		{"ml", `<ml l="1"><d n="hotmail.com"><c n="bob" l="3" t="1"/><c n="eve" l="11" t="1"/></d></ml>`, mlOK, true},
		{"ml spaced", "<ml l=\"2\">\n <d n=\"x.org\" >\n  <c n=\"al\" l=\"1\" t=\"32\" />\n </d>\n</ml>", mlOK, true},
		{"ml empty", `<ml></ml>`, mlOK, true},
		{"ml unknown element", `<ml><d n="a"><s l="3" n="ABCH"/><c n="b" l="1" t="1"/></d></ml>`, mlOK, true},
		{"ml prolog", `<?xml version="1.0" encoding="utf-8"?><ml/>`, mlOK, false},
		{"ml entity", `<ml><d n="a&amp;b"/></ml>`, mlOK, false},
		{"ml mismatched end", `<ml><d n="a"></c></ml>`, mlOK, false},
		{"ml unclosed", `<ml><d n="a">`, mlOK, false},
		{"ml single quotes", `<ml l='1'/>`, mlOK, false},
		{"ml nested unknown", "<ml>" + strings.Repeat("<x>", 10) + strings.Repeat("</x>", 10) + "</ml>", mlOK, true},
		{"ml nested too deep", "<ml>" + strings.Repeat("<x>", maxXMLDepth+1) + strings.Repeat("</x>", maxXMLDepth+1) + "</ml>", mlOK, false},
		{"data", `<Data><PSM>at work</PSM><CurrentMedia></CurrentMedia><MachineGuid>{F26D1F07-95E2-403C-BC18-D4BFED493428}</MachineGuid></Data>`, dataOK, true},
		{"data msnp18", `<Data><PSM>café ☕</PSM><CurrentMedia/><DDP></DDP><SignatureSound></SignatureSound><Scene></Scene><ColorScheme>-1</ColorScheme></Data>`, dataOK, true},
		{"data endpoints", `<Data><EndpointData id="{1}"><Capabilities>2789003324:48</Capabilities></EndpointData><PrivateEndpointData id="{1}"><EpName>home</EpName><Idle>false</Idle><ClientType>1</ClientType><State>NLN</State></PrivateEndpointData></Data>`, dataOK, true},
		{"data entity", `<Data><PSM>fish &amp; chips</PSM></Data>`, dataOK, false},
		{"data CR", "<Data><PSM>a\r\nb</PSM></Data>", dataOK, false},
		{"data nested in text", `<Data><PSM>a<i>b</i></PSM></Data>`, dataOK, false},
		{"data bad UTF-8", "<Data><PSM>\xff</PSM></Data>", dataOK, false},
		{"msnobj", `<msnobj Creator="alice@hotmail.com" Size="25235" Type="3" Location="TFR2C.tmp" Friendly="QQBsAGkAYwBlAAAA" SHA1D="trC8SlFx2sWQxZMIBAWSEnXc8oQ=" SHA1C="U32o6bosZzluJq82eAtMpx5dIEI="/>`, objOK, true},
		{"msnobj repeated attribute", `<msnobj Creator="a" Creator="b"/>`, objOK, false},
		{"msnobj spaces around =", `<msnobj Creator = "a"/>`, objOK, false},
	} {
		if got := tc.scan(tc.doc); got != tc.want {
			t.Errorf("%s: fast path took it = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func mlOK(s string) bool   { _, ok := scanML(s); return ok }
func dataOK(s string) bool { _, ok := scanData(s); return ok }
func objOK(s string) bool  { _, ok := scanMSNObject(s); return ok }
