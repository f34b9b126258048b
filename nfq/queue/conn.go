package queue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// nfnetlink_queue message types and attributes not in verdict.go.
const (
	nfqnlMsgPacket = 0
	nfqnlMsgConfig = 2

	nfqaPacketHdr    = 1
	nfqaIfindexIn    = 5
	nfqaHwAddr       = 9
	nfqaCfgCmd       = 1
	nfqaCfgParams    = 2
	nfqaCfgMaxLen    = 3
	nfqaCfgMask      = 4
	nfqaCfgFlags     = 5
	cfgCmdBind       = 1
	cfgCmdUnbind     = 2
	copyPacket       = 2
	cfgFlagFailOpen  = 1 << 0
	cfgFlagConntrack = 1 << 1

	nlaTypeMask = 0x3fff // strips NLA_F_NESTED and NLA_F_NET_BYTEORDER
	nlmsgError  = 2
	nlmsgDone   = 3

	// recvBufSize holds the largest copied packet (copy range 0xffff) and
	// its attributes.
	recvBufSize = 0x10000 + 4096
)

// conn is one queue's netlink socket. Configuration messages go through
// mdlayher/netlink, which matches acknowledgements to requests; packets are
// read and verdicts written directly on the file descriptor through the
// runtime poller, without a goroutine or an allocation per packet.
type conn struct {
	nl  *netlink.Conn
	raw syscall.RawConn
	num uint16
	buf []byte
}

// dial opens a netfilter netlink socket in the calling thread's network
// namespace.
func dial(num uint16) (*conn, error) {
	nl, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if err != nil {
		return nil, fmt.Errorf("queue: dial: %w", err)
	}
	// Keep receiving after the kernel reports dropped messages; they are
	// counted as receive errors.
	_ = nl.SetOption(netlink.NoENOBUFS, true)
	_ = nl.SetReadBuffer(1 << 21)
	raw, err := nl.SyscallConn()
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("queue: raw conn: %w", err)
	}
	return &conn{nl: nl, raw: raw, num: num, buf: make([]byte, recvBufSize)}, nil
}

// config sends one acknowledged configuration message for the queue.
func (c *conn) config(attrs []byte) error {
	data := append([]byte{unix.AF_UNSPEC, nfnetlinkV0, byte(c.num >> 8), byte(c.num)}, attrs...)
	_, err := c.nl.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(nfnlSubsysQueue<<8 | nfqnlMsgConfig),
			Flags: netlink.Request | netlink.Acknowledge,
		},
		Data: data,
	})
	return err
}

// bind binds the queue, asks for whole packets and sets the flags. It
// returns ErrNoGlue when conntrack is asked for and the kernel refuses it.
func (c *conn) bind(maxLen uint32, failOpen, conntrack bool) error {
	var a []byte
	a = appendAttr(a, nfqaCfgCmd, []byte{cfgCmdBind, 0, 0, 0}) // command, pad, pf (unused)
	if err := c.config(a); err != nil {
		return fmt.Errorf("queue: bind %d: %w", c.num, err)
	}
	params := binary.BigEndian.AppendUint32(nil, 0xffff)
	params = append(params, copyPacket)
	if err := c.config(appendAttr(nil, nfqaCfgParams, params)); err != nil {
		return fmt.Errorf("queue: copy mode %d: %w", c.num, err)
	}
	return c.setFlags(maxLen, failOpen, conntrack)
}

// setFlags sets the queue length and flags of a bound queue; see bind.
func (c *conn) setFlags(maxLen uint32, failOpen, conntrack bool) error {
	var flags uint32
	if failOpen {
		flags |= cfgFlagFailOpen
	}
	if conntrack {
		flags |= cfgFlagConntrack
	}
	if maxLen == 0 {
		maxLen = 1024
	}
	a := appendAttr(nil, nfqaCfgMaxLen, binary.BigEndian.AppendUint32(nil, maxLen))
	a = appendAttr(a, nfqaCfgMask, binary.BigEndian.AppendUint32(nil, cfgFlagFailOpen|cfgFlagConntrack))
	a = appendAttr(a, nfqaCfgFlags, binary.BigEndian.AppendUint32(nil, flags))
	if err := c.config(a); err != nil {
		if conntrack && (errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EAGAIN)) {
			return ErrNoGlue
		}
		return fmt.Errorf("queue: flags %d: %w", c.num, err)
	}
	return nil
}

// unbind releases the queue; the kernel then applies the rule's bypass
// flag to new packets.
func (c *conn) unbind() error {
	return c.config(appendAttr(nil, nfqaCfgCmd, []byte{cfgCmdUnbind, 0, 0, 0}))
}

// appendAttr appends a netlink attribute (header in host byte order) with
// data, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = appendAttrHeader(b, typ, len(data))
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// serve reads packets until ctx ends or the socket fails, handing each to
// w. It returns nil when ctx ended.
func (c *conn) serve(ctx context.Context, w *worker) error {
	stop := context.AfterFunc(ctx, func() {
		c.nl.SetReadDeadline(time.Unix(1, 0)) // wakes the blocked read
	})
	defer stop()
	for {
		n, err := c.recv()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, unix.ENOBUFS) {
				w.set.Stats.RecvErrors.Add(1)
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			w.set.Stats.RecvErrors.Add(1)
			return fmt.Errorf("queue: receive %d: %w", c.num, err)
		}
		c.dispatch(c.buf[:n], w)
	}
}

// recv reads one datagram into c.buf.
func (c *conn) recv() (int, error) {
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), c.buf, 0)
		return rerr != unix.EAGAIN
	})
	if err != nil {
		return 0, err
	}
	return n, rerr
}

// send writes one netlink message to the kernel.
func (c *conn) send(msg []byte) error {
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		_, werr = unix.Write(int(fd), msg)
		return werr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return werr
}

// dispatch walks the netlink messages of one datagram.
func (c *conn) dispatch(b []byte, w *worker) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:4]))
		typ := binary.NativeEndian.Uint16(b[4:6])
		if l < nlmsgHdrLen || l > len(b) {
			w.set.Stats.Undecodable.Add(1)
			return
		}
		if typ == nfnlSubsysQueue<<8|nfqnlMsgPacket {
			if parsePacket(b[nlmsgHdrLen:l], &w.pkt) {
				w.pkt.Queue = c.num
				w.serve(&w.pkt)
			} else {
				w.set.Stats.Undecodable.Add(1)
			}
		}
		adv := (l + 3) &^ 3
		if adv >= len(b) {
			return
		}
		b = b[adv:]
	}
}

// parsePacket reads a NFQNL_MSG_PACKET body (nfgenmsg and attributes) into
// p. It reports false when the message has no packet id. p.Payload aliases b.
func parsePacket(b []byte, p *Packet) bool {
	*p = Packet{}
	if len(b) < nfgenHdrLen {
		return false
	}
	hasID := false
	for a := b[nfgenHdrLen:]; len(a) >= 4; {
		l := int(binary.NativeEndian.Uint16(a[0:2]))
		typ := binary.NativeEndian.Uint16(a[2:4]) & nlaTypeMask
		if l < 4 || l > len(a) {
			break
		}
		data := a[4:l]
		switch typ {
		case nfqaPacketHdr:
			if len(data) >= 4 {
				p.ID, hasID = binary.BigEndian.Uint32(data), true
			}
		case nfqaMark:
			if len(data) >= 4 {
				p.Mark = binary.BigEndian.Uint32(data)
			}
		case nfqaIfindexIn:
			if len(data) >= 4 {
				p.InIndex = binary.BigEndian.Uint32(data)
			}
		case nfqaHwAddr:
			// struct nfqnl_msg_packet_hw { __be16 hw_addrlen; __u16 _pad; __u8 hw_addr[8]; }
			if len(data) >= 10 && binary.BigEndian.Uint16(data) == 6 {
				copy(p.HwAddr[:], data[4:10])
				p.HasHwAddr = true
			}
		case nfqaPayload:
			p.Payload = data
		}
		adv := (l + 3) &^ 3
		if adv >= len(a) {
			break
		}
		a = a[adv:]
	}
	return hasID
}

// close closes the socket.
func (c *conn) close() error { return c.nl.Close() }
