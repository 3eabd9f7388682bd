// Package reassembly rebuilds the two ordered byte streams of every TCP
// connection to a configured set of server ports.
//
// It is exact under reordering, retransmission, overlap and duplication;
// a hole that can never be filled becomes a Gap; buffered out-of-order data
// is capped per connection and in total so memory stays bounded. It knows
// nothing about files or about MSNP: input is Segment, output is calls on a
// Handler.
package reassembly
