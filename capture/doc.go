// Package capture turns capture files (classic pcap and pcapng, optionally
// gzip-compressed, or standard input) into TCP segments with timestamps.
//
// It owns everything about link layers (Ethernet, 802.1Q/QinQ, Linux cooked
// SLL and SLL2, raw IP, BSD loopback) and IPv4/IPv6, so that later stages see
// only TCP. A damaged file stops with a *FormatError naming the file and the
// byte offset; every segment before that point has already been returned.
package capture
