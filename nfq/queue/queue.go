package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"syscall"

	nfqueue "github.com/florianl/go-nfqueue/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/safeinternet/cpe/nfq/ctmark"
)

// Packet is one queued packet. It and its Payload belong to the queue: a
// Handler must not keep either after it returns.
type Packet struct {
	ID      uint32
	Queue   uint16
	Payload []byte // the packet from its IP header on
	// HwAddr is the sender's link-layer address; HasHwAddr is false when the
	// kernel did not report one (not Ethernet, or an outgoing packet).
	HwAddr    [6]byte
	HasHwAddr bool
	InIndex   uint32 // input interface index, 0 if unknown
	Mark      uint32 // packet mark as queued
}

// Handler decides a packet. It runs on its queue's goroutine, never
// concurrently with itself, and must not block for long: the kernel holds the
// packet until the verdict.
type Handler func(p *Packet) Verdict

// Config says which queues to bind and how.
type Config struct {
	First uint16 // first queue number
	Count uint16 // number of queues (First..First+Count-1); 0 means 1
	// FailOpen asks the kernel to accept packets when the queue is full,
	// instead of dropping them.
	FailOpen bool
	Layout   ctmark.Layout
	// MaxLen is the kernel's queue length per queue; 0 means 1024.
	MaxLen uint32
	// Default answers a packet the handler could not decide: an empty
	// payload, or a handler panic. Fail-closed agents drop, fail-open accept.
	Default Verdict
}

// Stats are counters of the queue layer, safe for concurrent reads.
type Stats struct {
	Packets     atomic.Uint64 // packets received
	Verdicts    atomic.Uint64 // verdicts sent
	SendErrors  atomic.Uint64 // verdicts the kernel did not take
	RecvErrors  atomic.Uint64 // receive errors (ENOBUFS: the kernel dropped or bypassed packets)
	Undecodable atomic.Uint64 // messages without a packet id or payload
	Panics      atomic.Uint64 // handler panics recovered (answered with Accept)
}

// Set is a set of bound queues sharing one Handler.
type Set struct {
	log    *slog.Logger
	cfg    Config
	mode   MarkMode
	queues []*nfqueue.Nfqueue
	Stats  Stats
}

// ErrNoGlue reports that the kernel cannot set a ct mark from a verdict.
var ErrNoGlue = errors.New("queue: kernel lacks conntrack glue (CONFIG_NETFILTER_NETLINK_GLUE_CT)")

// Open binds the configured queues and serves each with the Handler that
// newHandler returns for its number, until ctx ends or Close is called. It first asks for conntrack information on the first
// queue; if the kernel refuses, every queue uses MarkPacket (see Mode).
func Open(ctx context.Context, cfg Config, newHandler func(queue uint16) Handler, log *slog.Logger) (*Set, error) {
	if cfg.Count == 0 {
		cfg.Count = 1
	}
	if int(cfg.First)+int(cfg.Count)-1 > 0xffff {
		return nil, fmt.Errorf("queue: queues %d+%d exceed 65535", cfg.First, cfg.Count)
	}
	s := &Set{log: log, cfg: cfg, mode: MarkConntrack}
	for i := range cfg.Count {
		num := cfg.First + i
		h := newHandler(num)
		q, err := s.bind(ctx, num, h, s.mode == MarkConntrack)
		if errors.Is(err, ErrNoGlue) && i == 0 {
			s.mode = MarkPacket
			q, err = s.bind(ctx, num, h, false)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
		s.queues = append(s.queues, q)
	}
	return s, nil
}

// Mode reports how verdicts mark flows.
func (s *Set) Mode() MarkMode { return s.mode }

func (s *Set) bind(ctx context.Context, num uint16, h Handler, conntrack bool) (*nfqueue.Nfqueue, error) {
	var flags uint32
	if s.cfg.FailOpen {
		flags |= nfqueue.NfQaCfgFlagFailOpen
	}
	if conntrack {
		flags |= nfqueue.NfQaCfgFlagConntrack
	}
	q, err := nfqueue.Open(&nfqueue.Config{
		NfQueue:      num,
		MaxPacketLen: 0xffff,
		MaxQueueLen:  s.cfg.MaxLen,
		Copymode:     nfqueue.NfQnlCopyPacket,
		Flags:        flags,
		AfFamily:     unix.AF_UNSPEC,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: open %d: %w", num, err)
	}
	// Keep receiving after the kernel reports dropped messages; count them.
	if err := q.SetOption(netlink.NoENOBUFS, true); err != nil {
		s.log.Debug("queue: NETLINK_NO_ENOBUFS not set", "err", err)
	}
	_ = q.Con.SetReadBuffer(1 << 20)
	raw, err := q.Con.SyscallConn()
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("queue: raw conn %d: %w", num, err)
	}
	w := &worker{set: s, num: num, h: h, raw: raw}
	err = q.RegisterWithErrorFunc(ctx, w.hook, w.onError)
	if err != nil {
		q.Close()
		if conntrack && (errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EAGAIN)) {
			return nil, ErrNoGlue
		}
		return nil, fmt.Errorf("queue: bind %d: %w", num, err)
	}
	return q, nil
}

// Close unbinds every queue. Packets queued afterwards follow the nft rule's
// bypass flag: accepted (fail-open) or dropped.
func (s *Set) Close() error {
	var errs []error
	for _, q := range s.queues {
		if err := q.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.queues = nil
	return errors.Join(errs...)
}

// worker serves one queue. Its fields are used only by the queue's receive
// goroutine.
type worker struct {
	set *Set
	num uint16
	h   Handler
	raw syscall.RawConn
	pkt Packet
	buf []byte
}

func (w *worker) onError(err error) int {
	if errors.Is(err, unix.ENOBUFS) {
		w.set.Stats.RecvErrors.Add(1)
		return 0
	}
	var op *netlink.OpError
	if errors.As(err, &op) && (op.Timeout() || op.Temporary()) {
		return 0
	}
	if errors.Is(err, context.Canceled) {
		return 1
	}
	w.set.Stats.RecvErrors.Add(1)
	w.set.log.Warn("queue: receive", "queue", w.num, "err", err)
	return 1
}

func (w *worker) hook(a nfqueue.Attribute) int {
	st := &w.set.Stats
	st.Packets.Add(1)
	if a.PacketID == nil {
		st.Undecodable.Add(1)
		return 0
	}
	p := &w.pkt
	*p = Packet{ID: *a.PacketID, Queue: w.num}
	if a.Payload != nil {
		p.Payload = *a.Payload
	}
	if a.HwAddr != nil && len(*a.HwAddr) >= 6 {
		copy(p.HwAddr[:], *a.HwAddr)
		p.HasHwAddr = true
	}
	if a.InDev != nil {
		p.InIndex = *a.InDev
	}
	if a.Mark != nil {
		p.Mark = *a.Mark
	}
	v := w.decide(p)
	w.buf = appendVerdict(w.buf[:0], w.num, p.ID, &v, w.set.mode, p.Mark, w.set.cfg.Layout)
	if err := w.send(w.buf); err != nil {
		st.SendErrors.Add(1)
		w.set.log.Warn("queue: verdict", "queue", w.num, "id", p.ID, "err", err)
		return 0
	}
	st.Verdicts.Add(1)
	return 0
}

// decide calls the handler, turning a panic into the configured default
// verdict.
func (w *worker) decide(p *Packet) (v Verdict) {
	defer func() {
		if r := recover(); r != nil {
			w.set.Stats.Panics.Add(1)
			w.set.log.Error("queue: handler panic", "queue", w.num, "panic", fmt.Sprint(r))
			v = w.set.cfg.Default
		}
	}()
	if len(p.Payload) == 0 {
		w.set.Stats.Undecodable.Add(1)
		return w.set.cfg.Default
	}
	return w.h(p)
}

// send writes one netlink message to the kernel on the queue's socket.
func (w *worker) send(msg []byte) error {
	var werr error
	err := w.raw.Write(func(fd uintptr) bool {
		_, werr = unix.Write(int(fd), msg)
		return werr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return werr
}
