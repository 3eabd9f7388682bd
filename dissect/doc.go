// Package dissect frames MSNP byte streams into messages and decodes them.
//
// It works on the two ordered byte streams of one TCP connection and knows
// nothing of packets: a Conn is fed bytes, gaps and stream ends, and emits
// Events (messages, gaps, skipped bytes) to a Sink. Framing follows the
// per-command, per-direction, per-dialect payload rules of the command
// catalogue (catalogue.go); the contact-list synchronisation burst (SYN, GTC,
// BLP, PRP, LSG, LST, BPR) is decoded for every generation into a ContactList.
package dissect
