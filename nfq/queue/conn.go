package queue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/safeinternet/cpe/nfq/ctmark"
)

// ctmarkZero is a layout for verdicts that carry no mark.
var ctmarkZero ctmark.Layout

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

// conn is one queue's netlink socket. It is a plain blocking socket read by
// a goroutine locked to its own thread: a packet wakes that thread straight
// from the kernel, with no poller and no goroutine hand-off, and verdicts for
// all packets read in one go are written back in a single send. Nothing is
// allocated per packet.
type conn struct {
	fd  int
	num uint16
	seq uint32
	buf []byte // receive buffer; a Packet's Payload aliases it
	out []byte // verdicts of the current batch
	// early answers packets that arrive while the queue is being
	// configured (a restart with the table still in place).
	early Verdict
}

// Socket options not named in x/sys/unix.
const (
	solNetlink       = 270
	netlinkNoENOBUFS = 5
	// recvTimeout bounds how long a stopped queue takes to notice.
	recvTimeout = 200 * time.Millisecond
	// maxBatch bounds the packets decided before their verdicts are sent.
	maxBatch = 64
	// maxOut flushes verdicts early when rewritten packets make them big.
	maxOut = 32 << 10
)

// dial opens a netfilter netlink socket in the calling thread's network
// namespace.
func dial(num uint16) (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("queue: socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("queue: bind socket: %w", err)
	}
	// Keep receiving after the kernel dropped messages (queue overflow is
	// the nft rule's business: bypass or drop).
	_ = unix.SetsockoptInt(fd, solNetlink, netlinkNoENOBUFS, 1)
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 2<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 2<<20)
	}
	tv := unix.NsecToTimeval(recvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("queue: receive timeout: %w", err)
	}
	return &conn{fd: fd, num: num, buf: make([]byte, recvBufSize)}, nil
}

// config sends one configuration message for the queue and waits for the
// kernel's acknowledgement.
func (c *conn) config(attrs []byte) error {
	c.seq++
	msg := make([]byte, nlmsgHdrLen, nlmsgHdrLen+nfgenHdrLen+len(attrs))
	msg = append(msg, unix.AF_UNSPEC, nfnetlinkV0, byte(c.num>>8), byte(c.num))
	msg = append(msg, attrs...)
	binary.NativeEndian.PutUint32(msg[0:4], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:6], nfnlSubsysQueue<<8|nfqnlMsgConfig)
	binary.NativeEndian.PutUint16(msg[6:8], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:12], c.seq)
	if _, err := unix.Write(c.fd, msg); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err == unix.EAGAIN || err == unix.EINTR || err == unix.ENOBUFS {
			continue
		}
		if err != nil {
			return err
		}
		for b := c.buf[:n]; len(b) >= nlmsgHdrLen; {
			l := int(binary.NativeEndian.Uint32(b[0:4]))
			if l < nlmsgHdrLen || l > len(b) {
				break
			}
			typ := binary.NativeEndian.Uint16(b[4:6])
			seq := binary.NativeEndian.Uint32(b[8:12])
			switch {
			case typ == nlmsgError && seq == c.seq && l >= nlmsgHdrLen+4:
				if errno := -int32(binary.NativeEndian.Uint32(b[nlmsgHdrLen:])); errno != 0 {
					return unix.Errno(errno)
				}
				return nil
			case typ == nfnlSubsysQueue<<8|nfqnlMsgPacket:
				var p Packet
				if parsePacket(b[nlmsgHdrLen:l], &p) {
					v := c.early
					_ = c.send(appendVerdict(nil, c.num, p.ID, &v, MarkPacket, p.Mark, ctmarkZero))
				}
			}
			adv := (l + 3) &^ 3
			if adv >= len(b) {
				break
			}
			b = b[adv:]
		}
	}
	return errors.New("no acknowledgement from the kernel")
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
// w. It runs on its own locked thread; it returns nil when ctx ended.
func (c *conn) serve(ctx context.Context, w *worker) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			if ctx.Err() != nil {
				return nil
			}
			continue
		case err == unix.ENOBUFS:
			w.set.Stats.RecvErrors.Add(1)
			continue
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			w.set.Stats.RecvErrors.Add(1)
			return fmt.Errorf("queue: receive %d: %w", c.num, err)
		}
		c.out = c.out[:0]
		c.dispatch(c.buf[:n], w)
		// Decide whatever else is already waiting, then answer the batch
		// in one send.
		for range maxBatch - 1 {
			if len(c.out) >= maxOut {
				c.flush(w)
			}
			n, _, err = unix.Recvfrom(c.fd, c.buf, unix.MSG_DONTWAIT)
			if err != nil {
				break
			}
			c.dispatch(c.buf[:n], w)
		}
		c.flush(w)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// flush sends the verdicts of the batch.
func (c *conn) flush(w *worker) {
	if len(c.out) == 0 {
		return
	}
	if err := c.send(c.out); err != nil {
		w.set.Stats.SendErrors.Add(1)
		w.set.log.Warn("queue: verdicts", "queue", c.num, "err", err)
	}
	c.out = c.out[:0]
}

// send writes netlink messages to the kernel.
func (c *conn) send(msg []byte) error {
	for {
		_, err := unix.Write(c.fd, msg)
		if err != unix.EINTR {
			return err
		}
	}
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
func (c *conn) close() error { return unix.Close(c.fd) }
