package capture

// Stats counts what a Reader has seen so far. Every frame read is counted in
// Frames and in exactly one of Segments, NonTCP, Malformed, Fragments and
// Unsupported.
type Stats struct {
	// Frames is the number of packet records read.
	Frames int
	// Segments is the number of TCP segments returned by Next.
	Segments int
	// NonTCP counts well-formed frames that carry something other than TCP
	// over IPv4/IPv6 (ARP, UDP, ICMP, non-TCP fragments, ...).
	NonTCP int
	// Malformed counts frames dropped because a header could not be decoded.
	Malformed int
	// Fragments counts IP fragments of TCP datagrams, which are skipped
	// rather than reassembled.
	Fragments int
	// Unsupported counts frames on pcapng interfaces whose link type cannot
	// be decoded.
	Unsupported int
	// Truncated counts returned segments whose payload is shorter than the
	// IP header announces (usually a snap length); it is a subset of
	// Segments.
	Truncated int
	// Bytes is how much of the uncompressed capture stream has been consumed,
	// headers included.
	Bytes int64
	// LinkTypes counts Frames by link type; pcapng packets that name an
	// undeclared interface have none and are only in Malformed.
	LinkTypes map[LinkType]int
}
