package capture_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/msnsniff/msnsniff/capture"
)

// TestKernelAcceptsFilters attaches every shape of program to an ordinary
// UDP socket (no privilege needed), where the kernel runs the same checker
// as for a packet socket: valid jumps, initialised scratch memory, known
// extension loads.
func TestKernelAcceptsFilters(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no UDP socket: %v", err)
	}
	defer unix.Close(fd)
	expr, err := capture.ParseFilter("(host 10.0.0.5 or net 2001:db8::/32) and not src portrange 1000-2000 or ip6 and dst port 7")
	if err != nil {
		t.Fatal(err)
	}
	var many []uint16
	for p := uint16(20000); p < 20800; p += 2 {
		many = append(many, p)
	}
	for _, cooked := range []bool{false, true} {
		for _, k := range []capture.KernelFilter{
			{Ports: []uint16{1863}},
			{Ports: []uint16{1863, 1864, 1865, 7001}, Filter: expr},
			{Ports: []uint16{1863}, DropOutgoingOn: []uint32{1, 12}},
			{Ports: many, Filter: expr, DropOutgoingOn: []uint32{1}},
		} {
			k.Cooked, k.Snaplen = cooked, snaplen
			prog, err := k.Compile()
			if err != nil {
				t.Fatal(err)
			}
			if err := capture.AttachFilter(fd, prog); err != nil {
				t.Errorf("cooked %v, %d ports, filter %v: kernel rejects the %d-instruction program: %v", cooked, len(k.Ports), k.Filter != nil, len(prog), err)
			}
		}
	}
}

// TestOpenLiveNoSuchInterface: the error says so and names the interfaces
// there are; it needs no privilege, because the name is checked first.
func TestOpenLiveNoSuchInterface(t *testing.T) {
	_, err := capture.OpenLive(capture.LiveConfig{Interface: "nosuch0"})
	if !errors.Is(err, capture.ErrNoSuchInterface) || !strings.Contains(err.Error(), "nosuch0") || !strings.Contains(err.Error(), "any") {
		t.Fatalf("error %v", err)
	}
	ifs, err2 := net.Interfaces()
	if err2 == nil && len(ifs) > 0 && !strings.Contains(err.Error(), ifs[0].Name) {
		t.Errorf("error %q does not list %s", err, ifs[0].Name)
	}
}

func TestLiveInterfaces(t *testing.T) {
	ifs, err := capture.LiveInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ifs); n == 0 || ifs[n-1].Name != capture.AnyInterface || ifs[n-1].LinkType != capture.LinkLinuxSLL {
		t.Fatalf("interfaces %+v do not end with any", ifs)
	}
	for _, it := range ifs {
		if it.Loopback && (it.LinkType != capture.LinkEthernet || it.Hardware != "loopback") {
			t.Errorf("loopback %+v", it)
		}
	}
}

// needRoot skips a test that opens packet sockets unless the process may.
func needRoot(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("needs CAP_NET_RAW (run as root): %v", err)
	}
	unix.Close(fd)
}

// TestLiveLoopback captures a real TCP exchange on loopback, as an
// Ethernet-framed capture on lo and as a cooked capture on any: every byte
// arrives once (the outgoing copies are dropped in the kernel), other
// ports never reach user space, Stop drains what was queued before it,
// and the kernel's counters agree.
func TestLiveLoopback(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		iface string
		link  capture.LinkType
	}{{"lo", capture.LinkEthernet}, {capture.AnyInterface, capture.LinkLinuxSLL}} {
		t.Run(c.iface, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			other, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			port := uint16(ln.Addr().(*net.TCPAddr).Port)
			l, err := capture.OpenLive(capture.LiveConfig{Interface: c.iface, Ports: []uint16{port}})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if l.LinkType() != c.link || l.Interface() != c.iface {
				t.Fatalf("link type %v on %s", l.LinkType(), l.Interface())
			}

			// Traffic on another port first: the filter must keep it out.
			go func() {
				if conn, err := net.Dial("tcp", other.Addr().String()); err == nil {
					conn.Write([]byte("not for us\r\n"))
					conn.Close()
				}
			}()
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				buf := make([]byte, 64)
				n, _ := conn.Read(buf)
				conn.Write(append([]byte("echo "), buf[:n]...))
			}()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			conn.Write([]byte("VER 1 MSNP8 CVR0\r\n"))
			io.ReadAll(conn)
			conn.Close()

			// Stop once the exchange is over: what was captured before the
			// stop is still returned, then io.EOF.
			time.Sleep(100 * time.Millisecond)
			if err := l.Stop(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(10*time.Second, func() { l.Close() })
			defer timer.Stop()
			var c2s, s2c string
			var syns, fins int
			for {
				s, err := l.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("after %q / %q: %v", c2s, s2c, err)
				}
				if s.Src.Port() != port && s.Dst.Port() != port {
					t.Fatalf("segment %v -> %v passed the filter", s.Src, s.Dst)
				}
				if s.Flags&capture.SYN != 0 {
					syns++
				}
				if s.Flags&capture.FIN != 0 {
					fins++
				}
				if s.Dst.Port() == port {
					c2s += string(s.Payload)
				} else {
					s2c += string(s.Payload)
				}
			}
			if c2s != "VER 1 MSNP8 CVR0\r\n" || s2c != "echo VER 1 MSNP8 CVR0\r\n" || syns != 2 || fins != 2 {
				t.Errorf("captured %q / %q with %d SYNs and %d FINs: each packet must be seen exactly once", c2s, s2c, syns, fins)
			}
			l.Close()
			if _, err := l.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("Next after Close: %v", err)
			}
			st := l.Stats()
			if st.Received < uint64(st.Frames) || st.Frames < 6 || st.Segments != st.Frames || st.Dropped != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestOpenLiveNeedsRoot: without CAP_NET_RAW the error says which
// capability is missing. It only runs unprivileged (as root it cannot
// fail this way); the command-line tests drop the capability to check it.
func TestOpenLiveNeedsRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root; cmd/msnsniff tests the message without CAP_NET_RAW")
	}
	_, err := capture.OpenLive(capture.LiveConfig{Interface: "lo"})
	if !errors.Is(err, capture.ErrNoPermission) || !strings.Contains(err.Error(), "CAP_NET_RAW") {
		t.Errorf("error %v", err)
	}
}
