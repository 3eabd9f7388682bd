// Package capgen writes synthetic captures for tests: classic pcap and
// pcapng files with valid Ethernet, VLAN, Linux cooked, raw IP or BSD
// loopback frames, and scripted TCP conversations that can be cut into
// small segments, reordered, duplicated, overlapped and made to lose data,
// deterministically for a seed. Everything it writes can be read back by
// package capture; it is not meant for production code.
package capgen
