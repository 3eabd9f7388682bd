package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/msnsniff/msnsniff/internal/capgen"
	"github.com/msnsniff/msnsniff/internal/scenario"
)

// The end-to-end tests of msnsniff live run the built binary against real
// TCP connections. Capturing needs CAP_NET_RAW, so most of them skip
// unless run as root (CI runs the suite as root); the ones across network
// namespaces also need ip(8) from iproute2.

// needCapture skips the test unless this process can open packet sockets.
func needCapture(t *testing.T) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("live capture test skipped: opening a packet socket needs CAP_NET_RAW (run the tests as root): %v", err)
	}
	syscall.Close(fd)
}

// liveProc is a running msnsniff live process.
type liveProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string // stdout, line by line
	mu     sync.Mutex
	stdout []string
	stderr bytes.Buffer
	exited chan struct{}
	code   int
}

// startLive starts msnsniff live (prefixed by prefix, e.g. ip netns exec)
// and waits until it is capturing.
func startLive(t *testing.T, prefix []string, args ...string) *liveProc {
	t.Helper()
	argv := append(append(prefix, binary, "live"), args...)
	lp := &liveProc{t: t, cmd: exec.Command(argv[0], argv[1:]...), lines: make(chan string, 1024), exited: make(chan struct{})}
	stdout, err := lp.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := lp.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lp.mu.Lock()
			lp.stdout = append(lp.stdout, sc.Text())
			lp.mu.Unlock()
			lp.lines <- sc.Text()
		}
		close(lp.lines)
	}()
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			lp.mu.Lock()
			lp.stderr.WriteString(sc.Text() + "\n")
			lp.mu.Unlock()
			if strings.Contains(sc.Text(), "listening on") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() {
		wg.Wait()
		err := lp.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			lp.code = ee.ExitCode()
		} else if err != nil {
			lp.code = -1
		}
		close(lp.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-lp.exited:
		default:
			lp.cmd.Process.Kill()
			<-lp.exited
		}
	})
	select {
	case <-ready:
	case <-lp.exited:
		t.Fatalf("msnsniff live exited with %d before capturing: %s", lp.code, lp.errors())
	case <-time.After(10 * time.Second):
		t.Fatalf("msnsniff live did not start capturing: %s", lp.errors())
	}
	return lp
}

func (lp *liveProc) errors() string {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	return lp.stderr.String()
}

// waitLine waits for a stdout line containing s, which must come while
// the process runs: that is what shows output is not held back.
func (lp *liveProc) waitLine(s string) {
	lp.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lp.lines:
			if !ok {
				lp.t.Fatalf("output ended without a line containing %q; stderr: %s", s, lp.errors())
			}
			if strings.Contains(line, s) {
				return
			}
		case <-timeout:
			lp.t.Fatalf("no line containing %q within 10s; stderr: %s", s, lp.errors())
		}
	}
}

// wait waits for the process to exit (after signalling it, if sig is not
// nil) and returns its exit code and whole output.
func (lp *liveProc) wait(sig os.Signal) (int, string) {
	lp.t.Helper()
	if sig != nil {
		if err := lp.cmd.Process.Signal(sig); err != nil {
			lp.t.Fatal(err)
		}
	}
	go func() {
		for range lp.lines {
		}
	}()
	select {
	case <-lp.exited:
	case <-time.After(10 * time.Second):
		lp.t.Fatalf("msnsniff live did not stop; stderr: %s", lp.errors())
	}
	lp.mu.Lock()
	defer lp.mu.Unlock()
	return lp.code, strings.Join(lp.stdout, "\n") + "\n"
}

// replay plays the turns over a real connection: the server side on a
// connection accepted from ln, the client side on a connection from dial.
// Each side checks it receives exactly the other's bytes; the client
// closes first, as the scripts end with the client's OUT.
func replay(t *testing.T, ln net.Listener, dial func() (net.Conn, error), turns []scenario.Turn, afterFirst func()) {
	t.Helper()
	side := func(conn net.Conn, client bool) error {
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		for i, turn := range turns {
			if turn.FromClient == client {
				if _, err := conn.Write(turn.Data); err != nil {
					return fmt.Errorf("turn %d: %w", i, err)
				}
				if i == 0 && afterFirst != nil {
					afterFirst()
				}
				continue
			}
			got := make([]byte, len(turn.Data))
			if _, err := io.ReadFull(conn, got); err != nil {
				return fmt.Errorf("turn %d: %w", i, err)
			}
			if !bytes.Equal(got, turn.Data) {
				return fmt.Errorf("turn %d: received %q, want %q", i, got, turn.Data)
			}
		}
		if !client {
			// Wait for the client's FIN before closing.
			if n, err := conn.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				return fmt.Errorf("after the script: %d bytes, %v", n, err)
			}
		}
		return nil
	}
	errc := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		errc <- side(conn, false)
	}()
	conn, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	if err := side(conn, true); err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server: %v", err)
	}
}

// msnp10Turns is the scripted MSNP10 login and SYN burst.
func msnp10Turns() []scenario.Turn { return scenario.Turns(scenario.MSNP10Login()[0]) }

// offline is what msnsniff read and contacts report for the bundled
// capture of the same script.
func offline(t *testing.T) (messages []map[string]any, lists []map[string]any) {
	t.Helper()
	path := filepath.Join(pcaps, "msnp10-login.pcapng")
	out, errOut, code := cli(t, nil, "read", "--format", "json", path)
	if code != 0 {
		t.Fatalf("read: exit %d: %s", code, errOut)
	}
	messages = messageRecords(decodeNDJSON(t, out))
	out, errOut, code = cli(t, nil, "contacts", "--format", "json", path)
	if code != 0 {
		t.Fatalf("contacts: exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &lists); err != nil {
		t.Fatal(err)
	}
	return messages, lists
}

// messageRecords keeps the message records, without what differs between
// a capture and a replay of the same script: times and addresses.
func messageRecords(recs []map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["type"] != "message" {
			continue
		}
		m := map[string]any{}
		for k, v := range r {
			if k != "ts" && k != "client" && k != "server" {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// byType returns the records of one type.
func byType(recs []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["type"] == typ {
			out = append(out, r)
		}
	}
	return out
}

// checkMSNP10 checks a live capture's NDJSON output against the offline
// analysis of the same script: every message with its decoded fields (the
// LST contacts in particular), the contacts record of the summary, and
// the capture statistics.
func checkMSNP10(t *testing.T, out string) {
	t.Helper()
	recs := decodeNDJSON(t, out)
	wantMsgs, wantLists := offline(t)
	got := messageRecords(recs)
	if len(got) != len(wantMsgs) {
		t.Fatalf("%d messages, want %d:\n%s", len(got), len(wantMsgs), out)
	}
	var lst int
	for i := range got {
		if !reflect.DeepEqual(got[i], wantMsgs[i]) {
			t.Errorf("message %d:\n got %v\nwant %v", i, got[i], wantMsgs[i])
		}
		if got[i]["cmd"] == "LST" {
			lst++
		}
	}
	// The LST fields in so many words, not only "as offline".
	for _, r := range got {
		f, _ := r["fields"].(map[string]any)
		if r["cmd"] == "LST" && f["passport"] == "bob@example.com" {
			if f["nickname"] != "Bob" || f["guid"] != scenario.GUIDBob || f["list_mask"] != 11.0 ||
				fmt.Sprint(f["lists"]) != "[FL AL RL]" || fmt.Sprint(f["groups"]) != "[6D3F5C1E-2C6C-4F0E-9D1A-3B7C2F8E1A90]" {
				t.Errorf("LST bob fields %v", f)
			}
		}
	}
	if lst != 3 {
		t.Errorf("%d LST messages, want 3", lst)
	}

	contacts := byType(recs, "contacts")
	if len(contacts) != 1 || len(wantLists) != 1 {
		t.Fatalf("%d contacts records (offline: %d lists):\n%s", len(contacts), len(wantLists), out)
	}
	c := contacts[0]
	if _, ok := c["ts"].(string); !ok {
		t.Errorf("contacts record without ts: %v", c)
	}
	delete(c, "type")
	delete(c, "ts")
	if !reflect.DeepEqual(c, wantLists[0]) {
		t.Errorf("contact list in the summary:\n got %v\nwant %v", c, wantLists[0])
	}
	var passports []string
	for _, x := range c["contacts"].([]any) {
		passports = append(passports, x.(map[string]any)["passport"].(string))
	}
	if strings.Join(passports, " ") != "bob@example.com carol@example.com dave@example.com" || c["user"] != "alice@example.com" || c["complete"] != true {
		t.Errorf("contact list of %v: %v, complete %v", c["user"], passports, c["complete"])
	}

	if conns := byType(recs, "connection"); len(conns) != 1 {
		t.Errorf("%d connection records", len(conns))
	}
	if s := byType(recs, "session"); len(s) != 1 || s[0]["user"] != "alice@example.com" {
		t.Errorf("session records %v", s)
	}
	stats := byType(recs, "capture_stats")
	if len(stats) != 1 || recs[len(recs)-1]["type"] != "capture_stats" {
		t.Fatalf("capture_stats is not the last record, once:\n%s", out)
	}
	st := stats[0]
	if st["messages"] != float64(len(got)) || st["connections"] != 1.0 || st["kernel_drops"] != 0.0 ||
		st["frames"].(float64) < 10 || st["packets"].(float64) < st["frames"].(float64) || st["segments"] != st["frames"] {
		t.Errorf("capture_stats %v", st)
	}
}

// TestLiveLoopback is the first end-to-end test of the issue: a real TCP
// listener and client on loopback exchange the scripted MSNP10 login and
// SYN burst while msnsniff live -i lo --format json runs as a separate
// process; the decoded messages, the contact list and the statistics are
// checked, and the -w file read back gives the same messages.
func TestLiveLoopback(t *testing.T) {
	needCapture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	written := filepath.Join(t.TempDir(), "live.pcap")
	lp := startLive(t, nil, "-i", "lo", "--port", port, "--format", "json", "-w", written)

	replay(t, ln, func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) }, msnp10Turns(), nil)
	// The connection record is written when the connection closes, while
	// msnsniff is still capturing: output is not held back until the end.
	lp.waitLine(`"type":"connection"`)
	code, out := lp.wait(os.Interrupt)
	if code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr: %s", code, lp.errors())
	}
	checkMSNP10(t, out)
	validateLive(t, out)
	st := byType(decodeNDJSON(t, out), "capture_stats")[0]
	if st["stop"] != "interrupt" || st["interface"] != "lo" || st["link_type"] != "EN10MB" || st["written"] != st["frames"] || st["write_file"] != written {
		t.Errorf("capture_stats %v", st)
	}

	// -w: msnsniff read gives the same messages, times included.
	readOut, errOut, code := cli(t, nil, "read", "--format", "json", "--port", port, written)
	if code != 0 || errOut != "" {
		t.Fatalf("read %s: exit %d: %s", written, code, errOut)
	}
	liveRecs, readRecs := decodeNDJSON(t, out), decodeNDJSON(t, readOut)
	if lm, rm := byType(liveRecs, "message"), byType(readRecs, "message"); !reflect.DeepEqual(lm, rm) || len(lm) == 0 {
		t.Errorf("-w file read back: %d messages, live: %d, or they differ", len(rm), len(lm))
	}
	raw, err := os.ReadFile(written)
	if err != nil || len(raw) < 24 || !bytes.Equal(raw[:4], []byte{0x4d, 0x3c, 0xb2, 0xa1}) || raw[20] != 1 {
		t.Errorf("-w file is not a nanosecond pcap of link type EN10MB: % x", raw[:min(24, len(raw))])
	}
}

// TestLiveTextStreams: the text transcript shows a message while its
// connection is still open, -c stops the capture by itself after that many
// messages, and the summary has the contact tables and the statistics.
func TestLiveTextStreams(t *testing.T) {
	needCapture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	wantMsgs, _ := offline(t)
	lp := startLive(t, nil, "-i", "lo", "--port", port, "-c", strconv.Itoa(len(wantMsgs)))
	turns := msnp10Turns()
	replay(t, ln, func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) }, turns, func() {
		// The client has sent VER; the server has not answered yet.
		lp.waitLine("C->S VER 1 MSNP10 MSNP9 CVR0")
	})
	code, out := lp.wait(nil)
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, lp.errors())
	}
	for _, want := range []string{
		"S->C LST N=bob@example.com F=Bob C=" + scenario.GUIDBob + " 11",
		"Contact list of alice@example.com on c1, MSNP10",
		"| bob@example.com   |",
		"| c1   | s1      | NS   |",
		"# capture on lo stopped (message count reached)",
		"MSNP messages, 1 connection",
		"0 dropped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, fmt.Sprintf("%d MSNP messages", len(wantMsgs))) {
		t.Errorf("-c %d: summary does not say so many messages:\n%s", len(wantMsgs), out)
	}
}

// TestLiveDuration: --duration stops a quiet capture, with exit status 0
// and the statistics record.
func TestLiveDuration(t *testing.T) {
	needCapture(t)
	lp := startLive(t, nil, "-i", "lo", "--port", "1", "--duration", "300ms", "--format", "json")
	code, out := lp.wait(nil)
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, lp.errors())
	}
	recs := decodeNDJSON(t, out)
	if len(recs) != 1 || recs[0]["type"] != "capture_stats" || recs[0]["stop"] != "duration" || recs[0]["messages"] != 0.0 {
		t.Errorf("output %s", out)
	}
	// SIGTERM stops as cleanly as Ctrl-C, and says so.
	lp = startLive(t, nil, "-i", "lo", "--port", "1")
	code, out = lp.wait(syscall.SIGTERM)
	if code != 0 || !strings.Contains(out, "stopped (terminated (SIGTERM))") || !strings.Contains(out, "No contact list") {
		t.Errorf("SIGTERM: exit %d, output %s", code, out)
	}
}

// TestLiveUnknownInterface: exit 2, naming the interfaces there are.
func TestLiveUnknownInterface(t *testing.T) {
	_, errOut, code := cli(t, nil, "live", "-i", "nosuch0")
	if code != 2 || !strings.Contains(errOut, `"nosuch0": no such interface`) || !strings.Contains(errOut, "lo") ||
		!strings.Contains(errOut, "msnsniff interfaces") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestInterfacesCmd lists the interfaces, as a table and as JSON.
func TestInterfacesCmd(t *testing.T) {
	out, errOut, code := cli(t, nil, "interfaces")
	if code != 0 || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "\nlo ") || !strings.Contains(out, "\nany ") {
		t.Fatalf("exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	out, _, code = cli(t, nil, "interfaces", "--format", "json")
	var ifs []interfaceRecord
	if err := json.Unmarshal([]byte(out), &ifs); err != nil || code != 0 {
		t.Fatalf("exit %d: %v: %s", code, err, out)
	}
	for _, it := range ifs {
		if it.Name == "lo" && (it.LinkType != "EN10MB" || !it.Loopback || it.Hardware != "loopback") {
			t.Errorf("lo: %+v", it)
		}
	}
	if ifs[len(ifs)-1].Name != "any" || ifs[len(ifs)-1].LinkType != "LINUX_SLL" {
		t.Errorf("last interface %+v", ifs[len(ifs)-1])
	}
}

// worldBinary copies the binary where any user can run it (the test
// binary's directory is private) and returns its path.
func worldBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "msnsniff")
	if err := os.WriteFile(path, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// runAs runs argv and returns its exit code and stderr.
func runAs(t *testing.T, argv ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Dir = "/"
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	} else if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return 0, stderr.String()
}

// TestLiveNoPermission: without CAP_NET_RAW, exit 2 with a message that
// names the capability and both remedies. As root the test drops the
// capability (setpriv); the unprivileged user nobody then gets it back
// from setcap cap_net_raw+ep on the binary, as the README advises.
func TestLiveNoPermission(t *testing.T) {
	check := func(what string, code int, errOut string) {
		t.Helper()
		for _, want := range []string{"CAP_NET_RAW", "run msnsniff as root", "setcap cap_net_raw+ep"} {
			if code != 2 || !strings.Contains(errOut, want) {
				t.Errorf("%s: exit %d, stderr %q lacks %q", what, code, errOut, want)
			}
		}
	}
	if os.Geteuid() != 0 {
		_, errOut, code := cli(t, nil, "live", "-i", "lo")
		check("unprivileged", code, errOut)
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skipf("setpriv (util-linux) not installed: %v", err)
	}
	code, errOut := runAs(t, setpriv, "--inh-caps=-net_raw", "--bounding-set=-net_raw", "--", binary, "live", "-i", "lo")
	check("root without CAP_NET_RAW", code, errOut)

	bin := worldBinary(t)
	nobody := []string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"}
	code, errOut = runAs(t, append(nobody, bin, "live", "-i", "lo")...)
	check("nobody", code, errOut)

	setcap, err := exec.LookPath("setcap")
	if err != nil {
		t.Skipf("setcap (libcap2-bin) not installed: %v", err)
	}
	if out, err := exec.Command(setcap, "cap_net_raw+ep", bin).CombinedOutput(); err != nil {
		t.Skipf("file capabilities unsupported here: %v: %s", err, out)
	}
	code, errOut = runAs(t, append(nobody, bin, "live", "-i", "lo", "--port", "1", "--duration", "200ms", "--no-promiscuous")...)
	if code != 0 || !strings.Contains(errOut, "listening on lo") {
		t.Errorf("nobody with cap_net_raw+ep on the binary: exit %d, stderr %q", code, errOut)
	}
}

// needNetns skips the test unless it can capture and create network
// namespaces with ip(8), and returns the path of ip.
func needNetns(t *testing.T) string {
	t.Helper()
	needCapture(t)
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skipf("network namespace test skipped: ip (iproute2) is not installed: %v", err)
	}
	name := fmt.Sprintf("msnsniff-%d-probe", os.Getpid())
	if out, err := exec.Command(ip, "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("network namespace test skipped: ip netns add fails here: %v: %s", err, out)
	}
	exec.Command(ip, "netns", "del", name).Run()
	return ip
}

// addNetns creates a network namespace named for this process, deleted
// when the test ends, and returns its name.
func addNetns(t *testing.T, ip, suffix string) string {
	t.Helper()
	name := fmt.Sprintf("msnsniff-%d-%s", os.Getpid(), suffix)
	mustRun(t, ip, "netns", "add", name)
	t.Cleanup(func() { exec.Command(ip, "netns", "del", name).Run() })
	return name
}

func mustRun(t *testing.T, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out)
	}
}

// inNetns runs f on an OS thread moved into the named network namespace:
// the sockets f creates belong to that namespace for good, whichever
// thread later uses them. The thread is never moved back; it ends with
// its goroutine, locked, so the runtime discards it.
func inNetns(name string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/var/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("opening network namespace %s: %w", name, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering network namespace %s: %w", name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// TestLiveVethNetns is the second end-to-end test of the issue: the same
// MSNP10 exchange between a client in one network namespace and a server
// in another, joined by a veth pair, captured by msnsniff live in the
// client's namespace on the veth (Ethernet) and on any (Linux cooked) at
// the same time.
func TestLiveVethNetns(t *testing.T) {
	ip := needNetns(t)
	a, b := addNetns(t, ip, "client"), addNetns(t, ip, "server")
	mustRun(t, ip, "-n", a, "link", "add", "msv0", "type", "veth", "peer", "name", "msv1", "netns", b)
	mustRun(t, ip, "-n", a, "addr", "add", "10.186.0.1/24", "dev", "msv0")
	mustRun(t, ip, "-n", b, "addr", "add", "10.186.0.2/24", "dev", "msv1")
	mustRun(t, ip, "-n", a, "link", "set", "msv0", "up")
	mustRun(t, ip, "-n", b, "link", "set", "msv1", "up")

	var ln net.Listener
	if err := inNetns(b, func() (err error) {
		ln, err = net.Listen("tcp", "10.186.0.2:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	inA := []string{ip, "netns", "exec", a}
	veth := startLive(t, inA, "-i", "msv0", "--port", port, "--format", "json")
	all := startLive(t, inA, "-i", "any", "--port", port, "--format", "json")

	replay(t, ln, func() (conn net.Conn, err error) {
		err = inNetns(a, func() error {
			conn, err = net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
			return err
		})
		return conn, err
	}, msnp10Turns(), nil)

	for _, c := range []struct {
		lp    *liveProc
		iface string
		link  string
	}{{veth, "msv0", "EN10MB"}, {all, "any", "LINUX_SLL"}} {
		c.lp.waitLine(`"type":"connection"`)
		code, out := c.lp.wait(os.Interrupt)
		if code != 0 {
			t.Fatalf("-i %s: exit %d after SIGINT; stderr: %s", c.iface, code, c.lp.errors())
		}
		checkMSNP10(t, out)
		st := byType(decodeNDJSON(t, out), "capture_stats")[0]
		if st["interface"] != c.iface || st["link_type"] != c.link {
			t.Errorf("-i %s: capture_stats %v", c.iface, st)
		}
	}
}

// TestLiveInterfaceDown: a new network namespace's loopback is down, and
// capturing on it says so and how to bring it up.
func TestLiveInterfaceDown(t *testing.T) {
	ip := needNetns(t)
	ns := addNetns(t, ip, "down")
	code, errOut := runAs(t, ip, "netns", "exec", ns, binary, "live", "-i", "lo")
	if code != 2 || !strings.Contains(errOut, `"lo": interface is down`) || !strings.Contains(errOut, "ip link set lo up") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestLiveTun covers a link type without an Ethernet header: a tun device
// (ARPHRD_NONE), captured as Linux cooked frames. The scripted MSNP10
// packets are written into the tun device, so the kernel receives them on
// it as from a VPN peer; msnsniff must decode them as from the file, and
// the -w file (LINUX_SLL) must read back the same.
func TestLiveTun(t *testing.T) {
	ip := needNetns(t)
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("tun test skipped: no /dev/net/tun: %v", err)
	}
	ns := addNetns(t, ip, "tun")
	mustRun(t, ip, "-n", ns, "tuntap", "add", "mode", "tun", "name", "mstun0")
	mustRun(t, ip, "-n", ns, "link", "set", "mstun0", "up")
	var tun *os.File
	if err := inNetns(ns, func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		ifr, err := unix.NewIfreq("mstun0")
		if err != nil {
			unix.Close(fd)
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF: %w", err)
		}
		tun = os.NewFile(uintptr(fd), "mstun0")
		return nil
	}); err != nil {
		t.Skipf("tun test skipped: %v", err)
	}
	defer tun.Close()

	written := filepath.Join(t.TempDir(), "tun.pcap")
	lp := startLive(t, []string{ip, "netns", "exec", ns}, "-i", "mstun0", "--format", "json", "-w", written)
	for _, p := range scenario.MSNP10Login()[0].Packets(capgen.Options{}) {
		d, err := capgen.Datagram(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tun.Write(d); err != nil {
			t.Fatalf("writing to the tun device: %v", err)
		}
	}
	lp.waitLine(`"type":"connection"`)
	code, out := lp.wait(os.Interrupt)
	if code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr: %s", code, lp.errors())
	}
	checkMSNP10(t, out)
	if st := byType(decodeNDJSON(t, out), "capture_stats")[0]; st["link_type"] != "LINUX_SLL" {
		t.Errorf("capture_stats %v", st)
	}
	readOut, errOut, code := cli(t, nil, "read", "--format", "json", written)
	if code != 0 || errOut != "" {
		t.Fatalf("read %s: exit %d: %s", written, code, errOut)
	}
	if lm, rm := byType(decodeNDJSON(t, out), "message"), byType(decodeNDJSON(t, readOut), "message"); !reflect.DeepEqual(lm, rm) {
		t.Errorf("-w file read back: %d messages differ from the %d live", len(rm), len(lm))
	}
}
