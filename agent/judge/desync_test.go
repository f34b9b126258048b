package judge

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// Options of the fakes circumvention tools send first ("desync"): segments
// the server drops, meant for the filter only.
var (
	optMD5 = layers.TCPOption{OptionType: 19, OptionLength: 18, OptionData: make([]byte, 16)}
	optAO  = layers.TCPOption{OptionType: 29, OptionLength: 16, OptionData: make([]byte, 14)}
	optNOP = layers.TCPOption{OptionType: layers.TCPOptionKindNop}
)

func optTS(val uint32) layers.TCPOption {
	data := make([]byte, 8)
	binary.BigEndian.PutUint32(data, val)
	return layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: data}
}

// synWith and atWith are tcpSeg's syn and at with a TTL and options.
func (f tcpSeg) synWith(ttl uint8, opts ...layers.TCPOption) []byte {
	return ipPacketTTL(f.t, f.src, f.dst, ttl, &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport),
		SYN: true, Seq: f.isn, Window: 64240, Options: opts}, nil)
}

func (f tcpSeg) atWith(off int, payload []byte, ttl uint8, opts ...layers.TCPOption) []byte {
	return ipPacketTTL(f.t, f.src, f.dst, ttl, &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport),
		ACK: true, PSH: true, Seq: f.isn + 1 + uint32(off), Ack: f.serverNext, Window: 502, Options: opts}, payload)
}

// TestDesyncFakesNotRead: a fake ClientHello the server drops — signed
// with TCP MD5 or TCP-AO, with a timestamp older than the flow's (PAWS), or
// with a TTL that expires on the way — sent before the real one is not
// read: the real one is, and decides the flow. Each way and all of them at
// once, with the fake's name allowed and the real one blocked, and the
// other way round.
func TestDesyncFakesNotRead(t *testing.T) {
	games, school := goHello(t, "games.test"), goHello(t, "school.test")
	ts := []layers.TCPOption{optNOP, optNOP, optTS(100000)}
	for _, c := range []struct {
		name    string
		syn     []layers.TCPOption
		fakeTTL uint8
		fake    []layers.TCPOption
	}{
		{"TCP MD5 signature", ts, 64, []layers.TCPOption{optNOP, optNOP, optTS(100001), optMD5}},
		{"TCP-AO", nil, 64, []layers.TCPOption{optNOP, optNOP, optAO}},
		{"old timestamp", ts, 64, []layers.TCPOption{optNOP, optNOP, optTS(1)}},
		{"short TTL", ts, 3, []layers.TCPOption{optNOP, optNOP, optTS(100001)}},
		{"all at once", ts, 2, []layers.TCPOption{optNOP, optNOP, optTS(5), optMD5}},
	} {
		for _, d := range []struct {
			order        string
			fake, real   []byte
			macA, macB   string
			wantA, wantB bool // allowed
		}{
			{order: "allowed fake, blocked real", fake: school, real: games},
			{order: "blocked fake, allowed real", fake: games, real: school, wantA: true},
		} {
			t.Run(c.name+"/"+d.order, func(t *testing.T) {
				h, _ := newFlowHandler(t)
				fl := newSeg(t, 443)
				h.handle(pkt(fl.synWith(64, c.syn...), macA))
				if v := h.handle(pkt(fl.atWith(0, d.fake, c.fakeTTL, c.fake...), macA)); !same(v, accepted) {
					t.Fatalf("the fake got %+v, want it passed unread", v)
				}
				want := blocked
				if d.wantA {
					want = allowed
				}
				realOpts := []layers.TCPOption{optNOP, optNOP}
				if c.syn != nil {
					realOpts = append(realOpts, optTS(100002))
				}
				if v := h.handle(pkt(fl.atWith(0, d.real, 64, realOpts...), macA)); !same(v, want) {
					t.Errorf("the real ClientHello got %+v, want %+v", v, want)
				}
				if n := h.counters.Desync.Load(); n != 1 {
					t.Errorf("desync = %d, want 1", n)
				}
				if n := h.counters.Evasions.Load(); n != 0 {
					t.Errorf("evasions = %d: the fake was read", n)
				}
			})
		}
	}
}

// TestTimestampsMovingOn: a flow whose timestamps grow, whose SYN and
// segments carry the same signature and TTL, is read as always.
func TestTimestampsMovingOn(t *testing.T) {
	h, _ := newFlowHandler(t)
	fl := newSeg(t, 443)
	hello := goHello(t, "games.test")
	h.handle(pkt(fl.synWith(64, optNOP, optNOP, optTS(7), optMD5), macA))
	parts := split(hello, 600)
	off := 0
	var v = accepted
	for i, part := range parts {
		v = h.handle(pkt(fl.atWith(off, part, 64, optNOP, optNOP, optTS(uint32(8+i)), optMD5), macA))
		off += len(part)
	}
	if !same(v, blocked) || h.counters.Desync.Load() != 0 {
		t.Errorf("got %+v, desync %d", v, h.counters.Desync.Load())
	}
}

// TestSecondSYN: a SYN with another sequence number inside a flow being
// read is an evasion (it would have restarted the reading, so that the
// flow's real bytes passed unread); the SYN again (a retransmission) lets
// the reading go on; a SYN on the same ports after the reading's time is a
// new connection.
func TestSecondSYN(t *testing.T) {
	t.Run("another sequence number", func(t *testing.T) {
		for _, d := range []struct {
			mac  [6]byte
			want bool // allowed
		}{{macA, false}, {macB, true}} {
			h, _ := newFlowHandler(t)
			fl := newSeg(t, 443)
			h.handle(pkt(fl.syn(nil), d.mac))
			other := fl
			other.isn += 1 + uint32(len(goHello(t, "school.test")))
			v := h.handle(pkt(other.syn(nil), d.mac))
			if got := v.State; (got == blocked.State) == d.want || h.counters.Evasions.Load() != 1 {
				t.Errorf("device %x: second SYN got %+v, evasions %d", d.mac[5], v, h.counters.Evasions.Load())
			}
		}
	})
	t.Run("the same SYN again", func(t *testing.T) {
		h, _ := newFlowHandler(t)
		fl := newSeg(t, 443)
		h.handle(pkt(fl.syn(nil), macA))
		if v := h.handle(pkt(fl.syn(nil), macA)); !same(v, accepted) {
			t.Fatalf("retransmitted SYN: %+v", v)
		}
		hello := goHello(t, "games.test")
		parts := split(hello, 1000)
		h.handle(pkt(fl.at(0, parts[0]), macA))
		h.handle(pkt(fl.syn(nil), macA)) // and once more, between the segments
		if v := h.handle(pkt(fl.at(len(parts[0]), parts[1]), macA)); !same(v, blocked) {
			t.Errorf("the ClientHello after a retransmitted SYN: %+v, want blocked", v)
		}
	})
	t.Run("new connection on the same ports later", func(t *testing.T) {
		h, _ := newFlowHandler(t)
		var clock int64
		h.now = func() int64 { return clock }
		fl := newSeg(t, 443)
		h.handle(pkt(fl.syn(nil), macA))
		clock += 6e9
		next := fl
		next.isn += 12345
		if v := h.handle(pkt(next.syn(nil), macA)); !same(v, accepted) {
			t.Fatalf("a later SYN: %+v", v)
		}
		if v := h.handle(pkt(next.at(0, goHello(t, "school.test")), macA)); !same(v, allowed) {
			t.Errorf("the new connection's ClientHello: %+v, want allowed", v)
		}
	})
}
