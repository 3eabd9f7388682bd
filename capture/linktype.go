package capture

import "strconv"

// LinkType is a LINKTYPE_ value from a pcap file header or pcapng interface
// description (https://www.tcpdump.org/linktypes.html).
type LinkType uint16

// Link types this package decodes.
const (
	LinkNull      LinkType = 0   // BSD loopback, address family in the capturing host's byte order
	LinkEthernet  LinkType = 1   // Ethernet II, with any stack of 802.1Q/802.1ad tags
	LinkRawDLT12  LinkType = 12  // DLT_RAW as stored by some writers; raw IPv4 or IPv6
	LinkRawDLT14  LinkType = 14  // DLT_RAW on OpenBSD; raw IPv4 or IPv6
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6, version taken from the first nibble
	LinkLoop      LinkType = 108 // OpenBSD loopback, address family in network byte order
	LinkLinuxSLL  LinkType = 113 // Linux "cooked" capture, version 1
	LinkIPv4      LinkType = 228
	LinkIPv6      LinkType = 229
	LinkLinuxSLL2 LinkType = 276 // Linux "cooked" capture, version 2
)

var linkTypeNames = map[LinkType]string{
	LinkNull:      "NULL",
	LinkEthernet:  "EN10MB",
	LinkRawDLT12:  "RAW(12)",
	LinkRawDLT14:  "RAW(14)",
	LinkRaw:       "RAW",
	LinkLoop:      "LOOP",
	LinkLinuxSLL:  "LINUX_SLL",
	LinkIPv4:      "IPV4",
	LinkIPv6:      "IPV6",
	LinkLinuxSLL2: "LINUX_SLL2",
}

// String returns the tcpdump name of the link type, or its number.
func (t LinkType) String() string {
	if s, ok := linkTypeNames[t]; ok {
		return s
	}
	return "LinkType(" + strconv.Itoa(int(t)) + ")"
}

// Supported reports whether frames of this link type can be decoded.
func (t LinkType) Supported() bool {
	_, ok := linkTypeNames[t]
	return ok
}
