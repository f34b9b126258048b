package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

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
	// Packets counts packet messages read with a packet id; each gets one
	// verdict.
	Packets atomic.Uint64
	// Verdicts counts verdicts decided and put in a batch to send (one per
	// packet).
	Verdicts atomic.Uint64
	// SendErrors counts sends of a batch of verdicts (up to 64) that failed;
	// those packets get no verdict from the agent. (A verdict the kernel
	// rejects on its own, such as one for an unknown packet id, is answered
	// by an error message on the socket and not counted.)
	SendErrors atomic.Uint64
	// RecvErrors counts receives that failed other than by the receive
	// timeout or an interruption: ENOBUFS, and the error that stops a
	// queue. The socket asks not to be told of overruns (NETLINK_NO_ENOBUFS),
	// so packets the kernel could not deliver show in
	// /proc/net/netfilter/nfnetlink_queue, not here.
	RecvErrors atomic.Uint64
	// Undecodable counts a netlink message with a bad length (the rest of
	// its datagram is skipped), a packet message without a packet id (it
	// cannot be answered) and a packet without payload (answered with
	// Config.Default).
	Undecodable atomic.Uint64
	// Panics counts handler panics recovered; each packet is answered with
	// Config.Default (Drop when the agent fails closed).
	Panics atomic.Uint64
}

// Set is a set of bound queues, each served by its own goroutine.
type Set struct {
	log    *slog.Logger
	cfg    Config
	mode   MarkMode
	conns  []*conn
	cancel context.CancelFunc
	wg     sync.WaitGroup
	Stats  Stats
}

// ErrNoGlue reports that the kernel cannot set a ct mark from a verdict.
var ErrNoGlue = errors.New("queue: kernel lacks conntrack glue (CONFIG_NETFILTER_NETLINK_GLUE_CT)")

// Open binds the configured queues in the calling thread's network
// namespace and serves each with the Handler that newHandler returns for its
// number, until ctx ends or Close is called. It first asks for conntrack
// information on the first queue; if the kernel refuses, every queue uses
// MarkPacket (see Mode).
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
		c, err := s.bind(num)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.conns = append(s.conns, c)
	}
	ctx, s.cancel = context.WithCancel(ctx)
	for _, c := range s.conns {
		w := &worker{set: s, num: c.num, h: newHandler(c.num), c: c}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := c.serve(ctx, w); err != nil {
				s.log.Error("queue: stopped", "queue", c.num, "err", err)
			}
		}()
	}
	return s, nil
}

// bind dials and binds one queue, settling the mark mode on the first.
func (s *Set) bind(num uint16) (*conn, error) {
	c, err := dial(num)
	if err != nil {
		return nil, err
	}
	c.early = s.cfg.Default
	err = c.bind(s.cfg.MaxLen, s.cfg.FailOpen, s.mode == MarkConntrack)
	if errors.Is(err, ErrNoGlue) && len(s.conns) == 0 {
		s.mode = MarkPacket
		err = c.setFlags(s.cfg.MaxLen, s.cfg.FailOpen, false)
	}
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// Mode reports how verdicts mark flows.
func (s *Set) Mode() MarkMode { return s.mode }

// Close stops serving, unbinds every queue and closes the sockets. Packets
// queued afterwards follow the nft rule's bypass flag: accepted (fail-open)
// or dropped.
func (s *Set) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	var errs []error
	for _, c := range s.conns {
		if err := c.unbind(); err != nil {
			errs = append(errs, fmt.Errorf("queue: unbind %d: %w", c.num, err))
		}
		if err := c.close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.conns = nil
	return errors.Join(errs...)
}

// worker serves one queue. Its fields are used only by the queue's
// goroutine.
type worker struct {
	set *Set
	num uint16
	h   Handler
	c   *conn
	pkt Packet
}

// serve decides one packet and sends the verdict.
func (w *worker) serve(p *Packet) {
	st := &w.set.Stats
	st.Packets.Add(1)
	v := w.decide(p)
	w.c.out = appendVerdict(w.c.out, w.num, p.ID, &v, w.set.mode, p.Mark, w.set.cfg.Layout)
	st.Verdicts.Add(1)
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
