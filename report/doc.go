// Package report renders dissected MSNP traffic for people and programs:
// an annotated transcript, a newline-delimited JSON event stream, and the
// rebuilt contact lists as tables or JSON.
//
// It consumes dissect's Events and ContactLists and never re-parses raw
// protocol text.
package report
