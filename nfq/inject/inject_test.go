package inject

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestHtonsIsNetworkOrderInMemory(t *testing.T) {
	v := htons(0x86dd)
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], v)
	if b != [2]byte{0x86, 0xdd} {
		t.Errorf("htons(0x86dd) in memory = % x, want 86 dd", b)
	}
}

// inNetns runs f on a thread inside the named network namespace.
func inNetns(t *testing.T, name string, f func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	ns, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
			panic(err) // the thread is unusable; crash rather than run tests in the wrong namespace
		}
	}()
	f()
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

// TestSendReachesDevice sends a UDP packet, made up with a foreign source
// address, from one namespace to a socket in another over a veth pair.
func TestSendReachesDevice(t *testing.T) {
	if os.Geteuid() != 0 || os.Getenv("SAFEINTERNET_NO_KERNEL") != "" {
		t.Skip("needs root and a real kernel (network namespaces)")
	}
	a, b := "inj-a-"+strconv.Itoa(os.Getpid()), "inj-b-"+strconv.Itoa(os.Getpid())
	run(t, "ip", "netns", "add", a)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", a).Run() })
	run(t, "ip", "netns", "add", b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", b).Run() })
	run(t, "ip", "-n", a, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", b)
	run(t, "ip", "-n", b, "link", "set", "v1", "address", "02:00:00:00:01:01")
	run(t, "ip", "-n", a, "link", "set", "v0", "up")
	run(t, "ip", "-n", b, "link", "set", "v1", "up")
	run(t, "ip", "-n", b, "addr", "add", "192.168.77.2/24", "dev", "v1")
	run(t, "ip", "-n", b, "addr", "add", "fd77::2/64", "dev", "v1", "nodad")

	var v4, v6 net.PacketConn
	inNetns(t, b, func() {
		var err error
		if v4, err = net.ListenPacket("udp4", "192.168.77.2:5300"); err != nil {
			t.Fatal(err)
		}
		if v6, err = net.ListenPacket("udp6", "[fd77::2]:5300"); err != nil {
			t.Fatal(err)
		}
	})
	defer v4.Close()
	defer v6.Close()

	var s *Sender
	var ifindex int
	inNetns(t, a, func() {
		var err error
		if s, err = Open(); err != nil {
			t.Fatal(err)
		}
		ifi, err := net.InterfaceByName("v0")
		if err != nil {
			t.Fatal(err)
		}
		ifindex = ifi.Index
	})
	defer s.Close()

	dst := [6]byte{2, 0, 0, 0, 1, 1}
	tests := []struct {
		name     string
		conn     net.PacketConn
		src, dst netip.Addr
	}{
		{"ipv4 from an address the sender does not own", v4, netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("192.168.77.2")},
		{"ipv6", v6, netip.MustParseAddr("2001:db8::53"), netip.MustParseAddr("fd77::2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := udpPacket(tt.src, tt.dst, 53, 5300, []byte("answer"))
			if err := s.Send(ifindex, dst, pkt); err != nil {
				t.Fatal(err)
			}
			tt.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			n, from, err := tt.conn.ReadFrom(buf)
			if err != nil {
				t.Fatalf("nothing received: %v", err)
			}
			if string(buf[:n]) != "answer" {
				t.Errorf("payload %q", buf[:n])
			}
			if got := from.(*net.UDPAddr).AddrPort().Addr().Unmap(); got != tt.src {
				t.Errorf("from %v, want %v", got, tt.src)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ifindex, dst, []byte{0x45}); err != ErrClosed {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

// udpPacket builds an IPv4 or IPv6 UDP packet with valid checksums. It is
// written out here so this test does not depend on the agent's own builder.
func udpPacket(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	udp := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	copy(udp[8:], payload)
	var pseudo []byte
	pseudo = append(pseudo, src.AsSlice()...)
	pseudo = append(pseudo, dst.AsSlice()...)
	pseudo = append(pseudo, 0, 17)
	pseudo = binary.BigEndian.AppendUint16(pseudo, uint16(len(udp)))
	binary.BigEndian.PutUint16(udp[6:], ^sum(append(pseudo, udp...)))
	if src.Is4() {
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		copy(ip[12:], src.AsSlice())
		copy(ip[16:], dst.AsSlice())
		binary.BigEndian.PutUint16(ip[10:], ^sum(ip))
		return append(ip, udp...)
	}
	ip := make([]byte, 40)
	ip[0], ip[6], ip[7] = 0x60, 17, 64
	binary.BigEndian.PutUint16(ip[4:], uint16(len(udp)))
	copy(ip[8:], src.AsSlice())
	copy(ip[24:], dst.AsSlice())
	return append(ip, udp...)
}

func sum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}
