// Command floor is the baseline of scripts/bench.sh: the fastest that the
// disk (or page cache) plus gopacket/pcapgo alone can walk a capture file.
//
// It opens the file, reads every packet with pcapgo's ReadPacketData (the
// reading loop of most gopacket programs, which copies each packet; with
// -zerocopy, ZeroCopyReadPacketData, which does not) and only touches each one (its length goes into a byte total and one of its
// bytes into a checksum, so the compiler cannot drop the read). Nothing is
// decoded: no link, IP or TCP layer, no reassembly, no MSNP. Whatever
// msnsniff spends beyond this time is the cost of its own work, so the
// benchmark reports every tool as a ratio to the floor on the same file.
//
//	floor [-zerocopy] FILE
//
// prints one line to stdout:
//
//	packets=N bytes=B capbytes=C checksum=X
//
// where bytes is the size of the file and capbytes the sum of the captured
// lengths. Classic pcap (optionally gzip-compressed, which pcapgo.Reader
// handles itself) and pcapng are told apart by their first four bytes.
// Errors go to stderr and make the exit status 1.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/pcapgo"
)

// bufferSize is the read buffer in front of the file. pcapgo wraps its
// input in bufio.NewReader, which returns a *bufio.Reader that is already
// at least 4 KiB as is, so this buffer is the only one.
const bufferSize = 1 << 20

// ngSectionHeader is the block type of a pcapng Section Header Block, the
// first four bytes of every pcapng file; a palindrome, so the same in
// either byte order.
const ngSectionHeader = 0x0a0d0d0a

// packetReader is what both pcapgo readers offer.
type packetReader interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// read is the reading call the floor times.
var read = packetReader.ReadPacketData

type result struct {
	packets  int64
	bytes    int64 // size of the file
	capBytes int64 // sum of captured lengths
	checksum uint64
}

func main() {
	args := os.Args[1:]
	if len(args) == 2 && args[0] == "-zerocopy" {
		read, args = packetReader.ZeroCopyReadPacketData, args[1:]
	}
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: floor [-zerocopy] FILE\n\nReads every packet of a pcap or pcapng file with pcapgo (ReadPacketData, or\nZeroCopyReadPacketData with -zerocopy), decoding nothing, and prints:\npackets=N bytes=B capbytes=C checksum=X")
		os.Exit(1)
	}
	res, err := run(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("packets=%d bytes=%d capbytes=%d checksum=%x\n", res.packets, res.bytes, res.capBytes, res.checksum)
}

func run(name string) (result, error) {
	var res result
	f, err := os.Open(name)
	if err != nil {
		return res, fmt.Errorf("opening capture: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("stat %s: %w", name, err)
	}
	res.bytes = st.Size()

	br := bufio.NewReaderSize(f, bufferSize)
	magic, err := br.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return res, fmt.Errorf("reading %s: file too short for a capture header (%d bytes)", name, len(magic))
		}
		return res, fmt.Errorf("reading %s: %w", name, err)
	}

	var pr packetReader
	if binary.LittleEndian.Uint32(magic) == ngSectionHeader {
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return res, fmt.Errorf("reading pcapng header of %s: %w", name, err)
		}
		pr = r
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return res, fmt.Errorf("reading pcap header of %s: %w", name, err)
		}
		pr = r
	}

	for {
		data, ci, err := read(pr)
		// io.EOF is the clean end. pcapgo.Reader reports a record cut short
		// as io.ErrUnexpectedEOF, an error here; pcapgo.NgReader reports a
		// block cut short as plain io.EOF, so a truncated pcapng file ends
		// quietly at its last whole packet.
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("reading packet %d of %s: %w", res.packets+1, name, err)
		}
		res.packets++
		res.capBytes += int64(ci.CaptureLength)
		if len(data) > 0 {
			// Fold in the last byte: it is the one a short read would
			// leave unset, and it varies from packet to packet.
			res.checksum = res.checksum*31 + uint64(data[len(data)-1])
		}
	}
}
