package main

import (
	"net/netip"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/reassembly"
)

// recorder is a reassembly.Handler that hands each connection's in-order
// bytes to data, in delivery order across both directions.
type recorder struct {
	*pipeline
	data func(client, server string, start time.Time, c2s bool, b []byte)
}

func (r *recorder) Open(*reassembly.Conn, time.Time) {}

func (r *recorder) Data(c *reassembly.Conn, d reassembly.Dir, _ time.Time, b []byte) {
	r.data(c.Client.String(), c.Server.String(), c.Start, d == reassembly.ClientToServer, b)
}

func (r *recorder) Gap(c *reassembly.Conn, d reassembly.Dir, _ time.Time, n int) {
	panic("recorder: the source capture has a gap")
}

func (r *recorder) End(*reassembly.Conn, reassembly.Dir, time.Time, reassembly.EndReason) {}

func (r *recorder) Close(*reassembly.Conn, time.Time) {}

func newAssemblerFor(t testing.TB, o *options, h reassembly.Handler) *reassembly.Assembler {
	t.Helper()
	cfg, err := o.assembly()
	if err != nil {
		t.Fatal(err)
	}
	return reassembly.New(cfg, h)
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
