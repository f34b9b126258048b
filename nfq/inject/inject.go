// Package inject sends packets the agent makes up — the answer to a DNS
// query it answers itself, the reset of a blocked TCP flow, the redirect or
// 403 of a blocked plain-HTTP request — straight onto a LAN interface,
// addressed to the device's MAC.
//
// Sending through an AF_PACKET socket bypasses routing and netfilter: the
// packet reaches the device even though it claims to come from the server the
// device asked (a resolver, which may be any address, or the site), and the
// agent's own table never sees it again.
package inject

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Sender writes IP packets as Ethernet frames. It is safe for concurrent use.
type Sender struct {
	mu sync.Mutex // mu guards fd against Close while sending
	fd int
}

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("inject: sender closed")

// Open returns a Sender. It needs CAP_NET_RAW.
func Open() (*Sender, error) {
	// Protocol 0: the socket only sends, it never receives a copy of traffic.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("inject: socket: %w", err)
	}
	return &Sender{fd: fd}, nil
}

// Send writes ipPacket (starting at its IP header; version 4 or 6) out of the
// interface ifindex to the link-layer address dst. The kernel adds the Ethernet
// header with the interface's own address as the source. ipPacket is not
// retained.
func (s *Sender) Send(ifindex int, dst [6]byte, ipPacket []byte) error {
	if len(ipPacket) == 0 {
		return errors.New("inject: empty packet")
	}
	var proto uint16
	switch ipPacket[0] >> 4 {
	case 4:
		proto = unix.ETH_P_IP
	case 6:
		proto = unix.ETH_P_IPV6
	default:
		return fmt.Errorf("inject: IP version %d", ipPacket[0]>>4)
	}
	sa := &unix.SockaddrLinklayer{
		Ifindex:  ifindex,
		Protocol: htons(proto),
		Halen:    6,
	}
	copy(sa.Addr[:], dst[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd < 0 {
		return ErrClosed
	}
	if err := unix.Sendto(s.fd, ipPacket, 0, sa); err != nil {
		return fmt.Errorf("inject: send on ifindex %d: %w", ifindex, err)
	}
	return nil
}

// Close closes the socket.
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}

// htons returns v with its bytes in network order in memory, whatever the
// host's byte order (MIPS is big-endian, ARM and x86 little).
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
