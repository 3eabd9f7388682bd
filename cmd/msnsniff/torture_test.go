package main

import (
	"bufio"
	"bytes"
	binenc "encoding/binary"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msnsniff/msnsniff/capture"
	"github.com/msnsniff/msnsniff/internal/capgen"
	"github.com/msnsniff/msnsniff/internal/scenario"
	"github.com/msnsniff/msnsniff/internal/workload"
)

// The torture suite (go test -run Torture ./...): damaged captures and
// adversarial traffic. Nothing may panic or hang, memory must stay under a
// stated bound, and everything before or beside the damage is analysed.

// pcapStream writes a classic pcap file packet by packet, so that captures
// of hundreds of megabytes never sit in memory.
type pcapStream struct {
	f  *os.File
	w  *bufio.Writer
	ts time.Time
}

func newPcapStream(t *testing.T, path string) *pcapStream {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	hdr := make([]byte, 24)
	binenc.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binenc.LittleEndian.PutUint16(hdr[4:], 2)
	binenc.LittleEndian.PutUint16(hdr[6:], 4)
	binenc.LittleEndian.PutUint32(hdr[16:], 262144)
	binenc.LittleEndian.PutUint32(hdr[20:], 1) // Ethernet
	w.Write(hdr)
	return &pcapStream{f: f, w: w, ts: time.Date(2005, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (s *pcapStream) packet(t *testing.T, p capgen.Packet) {
	s.ts = s.ts.Add(time.Millisecond)
	p.TS = s.ts
	frame, err := capgen.Frame(capgen.Ethernet, p)
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 16)
	binenc.LittleEndian.PutUint32(rec[0:], uint32(p.TS.Unix()))
	binenc.LittleEndian.PutUint32(rec[4:], uint32(p.TS.Nanosecond()/1000))
	binenc.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
	binenc.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	s.w.Write(rec)
	s.w.Write(frame)
}

// conversation appends a whole scripted conversation.
func (s *pcapStream) conversation(t *testing.T, c *capgen.Conversation) {
	for _, p := range c.Packets(capgen.Options{}) {
		s.packet(t, p)
	}
}

func (s *pcapStream) close(t *testing.T) {
	if err := s.w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.f.Close(); err != nil {
		t.Fatal(err)
	}
}

var (
	tortureClient = netip.MustParseAddrPort("192.0.2.99:4000")
	tortureServer = netip.MustParseAddrPort("198.51.100.99:1863")
)

// runMeasured runs the binary and returns stdout, stderr, exit code and
// peak resident memory in MiB.
func runMeasured(t *testing.T, args ...string) (string, string, int, int64) {
	t.Helper()
	var stdout bytes.Buffer
	errOut, code, rss := runMeasuredTo(t, &stdout, args...)
	return stdout.String(), errOut, code, rss
}

// runMeasuredTo is runMeasured writing the standard output to stdout.
func runMeasuredTo(t *testing.T, stdout io.Writer, args ...string) (string, int, int64) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	// The child's own peak, from itself: the rusage of a child started by
	// vfork counts the parent's peak too (this test process's, over
	// 100 MiB under -race).
	peakFile := filepath.Join(t.TempDir(), "peak-rss")
	cmd.Env = append(os.Environ(), "MSNSNIFF_PEAK_RSS_FILE="+peakFile)
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("msnsniff %v hung", args)
	}
	code := cmd.ProcessState.ExitCode()
	raw, err := os.ReadFile(peakFile)
	if err != nil {
		t.Fatalf("msnsniff %v reported no peak RSS: %v", args, err)
	}
	kib, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || kib <= 0 {
		t.Fatalf("msnsniff %v reported peak RSS %q", args, raw)
	}
	return stderr.String(), code, kib / 1024
}

// TestTortureTruncation cuts captures at every byte offset: no panic, the
// error names the file and an offset, and never more is reported than the
// whole capture holds.
func TestTortureTruncation(t *testing.T) {
	files := []string{filepath.Join(pcaps, "msnp8-visit.pcap")}
	if dirExists(filepath.Join(sharedDirNoSkip(), "pcaps")) {
		files = append(files, filepath.Join(sharedDirNoSkip(), "pcaps", "hc9725-my_etherdump__pcap__msn.pcap"))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		whole := countMessages(analyse(t, f))
		dir := t.TempDir()
		prev := 0
		step := 1
		if testing.Short() {
			step = 97
		}
		for cut := 0; cut < len(raw); cut += step {
			path := filepath.Join(dir, "cut.pcap")
			if err := os.WriteFile(path, raw[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			a := analyse(t, path)
			n := countMessages(a)
			if n > whole {
				t.Fatalf("cut at %d: %d messages, more than the whole capture's %d", cut, n, whole)
			}
			if a.bad > 0 && (!strings.Contains(a.stderr, "cut.pcap") || !strings.Contains(a.stderr, "offset")) {
				t.Fatalf("cut at %d: error does not name the file and offset: %s", cut, a.stderr)
			}
			if n+3 < prev {
				// Cutting later can lose a partial message and a pending
				// line, never a run of complete ones.
				t.Fatalf("cut at %d: %d messages, %d at the previous cut", cut, n, prev)
			}
			prev = n
		}
	}
}

func countMessages(a *analysis) int {
	n := 0
	for _, m := range a.messages {
		n += len(m)
	}
	return n
}

// TestTortureBitFlips corrupts random bytes the way editcap -E does: no
// panic, no hang, JSON output stays line-complete.
func TestTortureBitFlips(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(pcaps, "*"))
	if dirExists(filepath.Join(sharedDirNoSkip(), "pcaps")) {
		real, _ := filepath.Glob(filepath.Join(sharedDirNoSkip(), "pcaps", "*.pcap"))
		files = append(files, real...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rounds := 60
	if testing.Short() {
		rounds = 5
	}
	dir := t.TempDir()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < rounds; i++ {
			b := append([]byte(nil), raw...)
			prob := []float64{0.0005, 0.005, 0.05}[i%3]
			for k := range b {
				if rng.Float64() < prob {
					b[k] = byte(rng.UintN(256))
				}
			}
			path := filepath.Join(dir, "flipped.pcap")
			os.WriteFile(path, b, 0o644)
			analyse(t, path) // must not panic
		}
	}
	// And once through the binary: the NDJSON stays line-complete.
	b, _ := os.ReadFile(filepath.Join(pcaps, "msnp8-visit.pcap"))
	for k := 100; k < len(b); k += 37 {
		b[k] ^= 0x5a
	}
	path := filepath.Join(dir, "flipped.pcap")
	os.WriteFile(path, b, 0o644)
	out, _, code := cli(t, nil, "read", "--format", "json", path)
	if code != 0 && code != 2 {
		t.Errorf("exit %d", code)
	}
	decodeNDJSON(t, out)
}

// adversarial builds a capture with one hostile connection beside a normal
// MSNP8 visit, runs msnsniff on it, and checks the normal visit's contact
// list survives and peak memory stays under bound MiB.
func adversarial(t *testing.T, name string, boundMiB int64, hostile func(s *pcapStream)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".pcap")
	s := newPcapStream(t, path)
	hostile(s)
	for _, c := range scenario.MSNP8Visit() {
		s.conversation(t, c)
	}
	s.close(t)
	out, errOut, code, rss := runMeasured(t, "contacts", "--format", "json", path)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", name, code, errOut)
	}
	if !strings.Contains(out, `"passport": "frank@example.com"`) || !strings.Contains(out, `"complete": true`) {
		t.Errorf("%s: the normal visit's contact list was lost:\n%.500s", name, out)
	}
	t.Logf("%s: peak RSS %d MiB (bound %d MiB)", name, rss, boundMiB)
	if rss > boundMiB {
		t.Errorf("%s: peak RSS %d MiB over the %d MiB bound", name, rss, boundMiB)
	}
	return errOut
}

func TestTortureHalfOpenConnections(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 10000
	}
	// Each SYN opens a connection that never speaks: bounded by
	// --max-conns (65536) connections of about 3 KiB each (docs/limits.md).
	adversarial(t, "half-open", 400, func(s *pcapStream) {
		for i := 0; i < n; i++ {
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
			s.packet(t, capgen.Packet{Src: src, Dst: tortureServer, Seq: uint32(i) * 7919, Flags: capture.SYN})
		}
	})
}

func TestTortureNoLineEnding(t *testing.T) {
	size := 100 << 20
	if testing.Short() {
		size = 10 << 20
	}
	// 100 MB without a line end: the framer keeps at most --max-line bytes.
	adversarial(t, "no-line-end", 48, func(s *pcapStream) {
		chunk := bytes.Repeat([]byte("ABCDEFGHIJ"), 146)
		seq := uint32(1000)
		for sent := 0; sent < size; sent += len(chunk) {
			s.packet(t, capgen.Packet{Src: tortureClient, Dst: tortureServer, Seq: seq, Flags: capture.ACK, Payload: chunk})
			seq += uint32(len(chunk))
		}
	})
}

func TestTortureLyingLengths(t *testing.T) {
	// MSG 1 N 4000000000, then a payload length that runs past the end of
	// its stream: nothing is allocated for the lie.
	errOut := adversarial(t, "lying-lengths", 40, func(s *pcapStream) {
		c := &capgen.Conversation{Client: tortureClient, Server: tortureServer, Handshake: true, Close: true}
		c.ClientSends([]byte("MSG 1 N 4000000000\r\nhello\r\nMSG 2 N 900000\r\nshort"))
		c.ServerSends([]byte("NOT 1000000\r\n<NOTIFICATION/>"))
		s.conversation(t, c)
	})
	if !strings.Contains(errOut, "--max-payload") {
		t.Errorf("the payload limit hit was not reported: %s", errOut)
	}
}

func TestTortureEndlessOutOfOrder(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 20000
	}
	// Segments that never fill the hole at the start: held only up to the
	// per-connection cap, then given up as gaps.
	errOut := adversarial(t, "out-of-order", 100, func(s *pcapStream) {
		seq := uint32(5000)
		payload := bytes.Repeat([]byte("x"), 500)
		for i := 0; i < n; i++ {
			s.packet(t, capgen.Packet{Src: tortureClient, Dst: tortureServer, Seq: seq + 1, Flags: capture.ACK, Payload: payload})
			seq += uint32(len(payload)) + 1 // leave a one-byte hole each time
		}
	})
	if !strings.Contains(errOut, "--max-segments") && !strings.Contains(errOut, "--max-buffer-conn") {
		t.Errorf("the buffer limit hit was not reported: %s", errOut)
	}
}

func TestTortureSYNFlood(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 10000
	}
	rng := rand.New(rand.NewPCG(3, 4))
	adversarial(t, "syn-flood", 400, func(s *pcapStream) {
		for i := 0; i < n; i++ {
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(rng.UintN(256)), byte(rng.UintN(256))}), uint16(1024+rng.UintN(60000)))
			s.packet(t, capgen.Packet{Src: src, Dst: tortureServer, Seq: rng.Uint32(), Flags: capture.SYN})
		}
	})
}

// TestTortureNotMSNP: HTTP, TLS and random bytes on port 1863 are marked
// as not MSNP and skipped; the rest of the capture is analysed normally.
func TestTortureNotMSNP(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	tls := append([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}, random[:508]...)
	protocols := map[string][2][]byte{
		"http":   {[]byte("GET /gateway/gateway.dll HTTP/1.1\r\nHost: x\r\nUser-Agent: test\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")},
		"tls":    {tls, random[1000:3000]},
		"random": {random[:32<<10], random[32<<10:]},
	}
	path := filepath.Join(t.TempDir(), "not-msnp.pcap")
	s := newPcapStream(t, path)
	port := uint16(5000)
	for _, p := range protocols {
		c := &capgen.Conversation{Client: netip.AddrPortFrom(tortureClient.Addr(), port), Server: tortureServer, Handshake: true, Close: true}
		c.ClientSends(p[0])
		c.ServerSends(p[1])
		s.conversation(t, c)
		port++
	}
	for _, c := range scenario.MSNP8Visit() {
		s.conversation(t, c)
	}
	s.close(t)
	out, _, code, _ := runMeasured(t, "sessions", "--format", "json", path)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Count(out, `"not_msnp": true`) != 3 {
		t.Errorf("not all foreign connections marked:\n%s", out)
	}
	out, _, _, _ = runMeasured(t, "contacts", "--format", "json", path)
	if !strings.Contains(out, `"complete": true`) || !strings.Contains(out, "frank@example.com") {
		t.Errorf("the MSNP visit beside them was not analysed:\n%.300s", out)
	}
}

// TestTortureCommandShapedGarbage: bytes that look like a command start
// at every fourth offset ("MSG MSG MSG …") cost linear time to skip: 40 MB
// of it would take minutes if every candidate were probed in full, and the
// run is killed after three.
func TestTortureCommandShapedGarbage(t *testing.T) {
	size := 40 << 20
	if testing.Short() {
		size = 4 << 20
	}
	adversarial(t, "command-shaped", 80, func(s *pcapStream) {
		line := []byte(strings.Repeat("MSG ", 4000) + "\n")
		seq := uint32(1000)
		for sent := 0; sent < size; sent += 1460 {
			off := sent % len(line)
			chunk := make([]byte, 0, 1460)
			for len(chunk) < 1460 {
				n := min(1460-len(chunk), len(line)-off)
				chunk = append(chunk, line[off:off+n]...)
				off = (off + n) % len(line)
			}
			s.packet(t, capgen.Packet{Src: tortureClient, Dst: tortureServer, Seq: seq, Flags: capture.ACK, Payload: chunk})
			seq += uint32(len(chunk))
		}
	})
}

// TestTortureBusyServer: a capture taken at a busy server, 10,000 logins
// open at once, each with its whole contact list (100 to 150 contacts),
// stays under the memory promise in every report that keeps per-login
// state, the lists spilling to disk beyond --max-lists-memory (and saying
// so), and every list the generator sent comes out complete.
func TestTortureBusyServer(t *testing.T) {
	logins := 10000
	if testing.Short() {
		logins = 2000
	}
	path := filepath.Join(t.TempDir(), "busy-server.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	_, err = workload.Generate(bufio.NewWriterSize(f, 1<<20), workload.Config{Seed: 21, Size: 1 << 40, Duration: 30 * time.Second, Sessions: logins, Hold: true, LoginWindow: 10 * time.Second,
		MinContacts: 100, MaxContacts: 150, OnList: func(user string, contacts, _ int) { sent[user] = contacts }})
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != logins {
		t.Fatalf("%d of %d logins sent their list: the capture is too short to test anything", len(sent), logins)
	}
	const boundMiB = 256
	for _, args := range [][]string{{"check"}, {"read", "--format", "json"}} {
		errOut, code, rss := runMeasuredTo(t, io.Discard, append(args, path)...)
		t.Logf("%v: peak RSS %d MiB", args, rss)
		if code != 0 && code != 3 || rss > boundMiB {
			t.Errorf("%v: exit %d, peak RSS %d MiB (bound %d), stderr %q", args, code, rss, boundMiB, errOut)
		}
	}
	out, errOut, code, rss := runMeasured(t, "contacts", "--format", "json", path)
	t.Logf("contacts: peak RSS %d MiB", rss)
	if code != 0 || rss > boundMiB {
		t.Errorf("contacts: exit %d, peak RSS %d MiB (bound %d), stderr %q", code, rss, boundMiB, errOut)
	}
	if !testing.Short() && !strings.Contains(errOut, "limit --max-lists-memory hit") {
		t.Errorf("contacts: the lists did not spill, or it was not reported: %q", errOut)
	}
	var lists []struct {
		User     string            `json:"user"`
		Complete bool              `json:"complete"`
		Expected *int              `json:"expected_contacts"`
		Contacts []json.RawMessage `json:"contacts"`
	}
	if err := json.Unmarshal([]byte(out), &lists); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, l := range lists {
		want, ok := sent[l.User]
		if !ok {
			continue
		}
		got[l.User] = true
		if !l.Complete || len(l.Contacts) != want || l.Expected != nil && *l.Expected != want {
			t.Errorf("%s: complete %v, %d contacts printed, %v announced, %d sent", l.User, l.Complete, len(l.Contacts), l.Expected, want)
		}
	}
	if len(got) != len(sent) {
		t.Errorf("%d lists printed of the %d sent", len(got), len(sent))
	}

	// Under heap pressure (a memory limit far below what the logins
	// take), the lists are shed to the spill file, it is said, and the
	// report is the same.
	pressed, errOut, code, _ := runMeasured(t, "contacts", "--format", "json", "--memory-limit", strconv.Itoa(32<<20), path)
	if code != 0 || !strings.Contains(errOut, "limit --memory-limit hit") {
		t.Errorf("contacts --memory-limit 32 MiB: exit %d, no shedding reported: %q", code, errOut)
	}
	if pressed != out {
		t.Errorf("contacts --memory-limit 32 MiB: the report differs (%d bytes, want %d)", len(pressed), len(out))
	}
}
