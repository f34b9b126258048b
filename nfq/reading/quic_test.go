package reading

import (
	"bytes"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
)

func TestNonInitialLongHeader(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want bool
	}{
		{"v1 0-RTT", `d0 00000001 08 0102030405060708 00`, true},
		{"v1 Handshake", `e0 00000001 08 0102030405060708 00`, true},
		{"v1 Retry", `f0 00000001 08 0102030405060708 00`, true},
		{"v1 Initial", `c0 00000001 08 0102030405060708 00`, false},
		{"v2 Initial (type 1)", `d0 6b3343cf 08 0102030405060708 00`, false},
		{"v2 0-RTT (type 2)", `e0 6b3343cf 08 0102030405060708 00`, true},
		{"v2 Retry (type 0)", `c0 6b3343cf 08 0102030405060708 00`, true},
		{"short header", `40 00000001 08`, false},
		{"draft 29 0-RTT", `d0 ff00001d 08 0102030405060708 00`, false},
		{"version negotiation", `80 00000000 08 0102030405060708 00`, false},
		{"too short for a version", `d0 000000`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NonInitialLongHeader(mustHex(t, tt.hex)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDiscarded(t *testing.T) {
	ch := quicHello(t, "a.test")
	padded := initials(t, ch, quictest.Options{Initials: 2, Padding: true})
	short := initials(t, ch, quictest.Options{Initials: 2})
	shortDCID := initials(t, ch, quictest.Options{Initials: 1, Padding: true, DCID: []byte{1, 2, 3, 4}})
	var opened quic.Reader // has opened an Initial: later ones are not first
	if _, err := opened.Add(padded[0]); err != nil || !opened.Keys().Valid() {
		t.Fatalf("setup: %v", err)
	}
	var fresh quic.Reader
	tests := []struct {
		name       string
		dgram      []byte
		checksumOK bool
		q          *quic.Reader
		want       bool
	}{
		{"a padded Initial", padded[0], true, nil, false},
		{"a bad checksum", padded[0], false, nil, true},
		{"a bad checksum, whatever it holds", []byte("x"), false, &opened, true},
		{"an Initial under 1200 bytes", short[0], true, nil, true},
		{"an Initial under 1200 bytes, not the first", short[1], true, &opened, true},
		{"a first Initial with a 4-byte DCID", shortDCID[0], true, nil, true},
		{"a first Initial with a 4-byte DCID, the flow's reader fresh", shortDCID[0], true, &fresh, true},
		{"a later Initial with a 4-byte DCID (the server's)", shortDCID[0], true, &opened, false},
		{"a 0-RTT packet is no Initial", zeroRTT(t), true, nil, false},
		{"junk is no Initial", []byte("junk"), true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Discarded(tt.dgram, tt.checksumOK, tt.q); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDatagram(t *testing.T) {
	ch := quicHello(t, "WWW.Example.com")
	two := initials(t, ch, quictest.Options{Initials: 2, Padding: true})
	v2 := initials(t, ch, quictest.Options{Version: quic.Version2, Initials: 3, Padding: true})
	rev := slices.Clone(two)
	slices.Reverse(rev)
	conflict := initials(t, ch, quictest.Options{Initials: 2, Padding: true, Overlap: []byte("conflicting bytes"), OverlapAt: 10})
	dcid := []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}
	ping := func(pn int) []byte {
		d, err := (&quictest.Packet{Version: quic.Version1, DCID: dcid, PN: uint64(pn), PNLen: 2,
			Frames: quictest.AppendPadding([]byte{quictest.FramePing}, 1200)}).Seal(nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var pings [][]byte
	for pn := range MaxDatagrams {
		pings = append(pings, ping(pn))
	}
	z := zeroRTT(t)
	zeros := slices.Repeat([][]byte{z}, MaxDatagrams)
	const name = "www.example.com"
	tests := []struct {
		name   string
		dgrams [][]byte
		bound  int
		final  bool // with the last datagram
		want   []want
	}{
		{"two Initials", two, MaxDatagrams, false,
			[]want{{kind: QUIC}, {kind: QUIC, name: name, done: true}}},
		{"two Initials reversed", rev, MaxDatagrams, false,
			[]want{{kind: QUIC}, {kind: QUIC, name: name, done: true}}},
		{"version 2, three Initials", v2, MaxDatagrams, false,
			[]want{{kind: QUIC}, {kind: QUIC}, {kind: QUIC, name: name, done: true}}},
		{"0-RTT overtaking the Initials passes unread", slices.Concat([][]byte{z, z}, two), MaxDatagrams, false,
			[]want{{kind: QUIC}, {kind: QUIC}, {kind: QUIC}, {kind: QUIC, name: name, done: true}}},
		{"0-RTT between the Initials", [][]byte{two[0], z, two[1]}, MaxDatagrams, false,
			[]want{{kind: QUIC}, {kind: QUIC}, {kind: QUIC, name: name, done: true}}},
		{"0-RTT only, to the bound", zeros, MaxDatagrams, false,
			append(slices.Repeat([]want{{kind: QUIC}}, MaxDatagrams-1), want{kind: QUIC, flags: Unreadable, done: true, err: ErrDatagrams})},
		{"0-RTT, final", zeros[:1], MaxDatagrams, true,
			[]want{{kind: QUIC, flags: Unreadable, done: true, err: ErrIncomplete}}},
		{"PING-only Initials, to the guard's bound", pings[:DatagramBound(8)], DatagramBound(8), false,
			append(slices.Repeat([]want{{kind: QUIC}}, DatagramBound(8)-1), want{kind: QUIC, flags: Unreadable, done: true, err: ErrDatagrams})},
		{"half a hello, final", two[:1], MaxDatagrams, true,
			[]want{{kind: QUIC, flags: Unreadable, done: true, err: ErrIncomplete}}},
		{"a first datagram that is no Initial", [][]byte{[]byte("not quic")}, MaxDatagrams, false,
			[]want{{kind: QUIC, flags: Unreadable, done: true, err: quic.ErrNotInitial}}},
		{"a short header packet after an Initial", [][]byte{two[0], append([]byte{0x40}, make([]byte, 1199)...)}, MaxDatagrams, false,
			[]want{{kind: QUIC}, {kind: QUIC, flags: Unreadable, done: true, err: quic.ErrNotInitial}}},
		{"conflicting CRYPTO bytes: evasion", conflict, MaxDatagrams, false,
			[]want{{kind: QUIC, flags: Evasion, done: true, err: quic.ErrConflict}}},
	}
	var r Reader
	var q quic.Reader
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.Reset()
			for i, d := range tt.dgrams {
				res := r.Datagram(&q, d, i+1, tt.bound, tt.final && i == len(tt.dgrams)-1)
				check(t, res, tt.want[i])
				if res.Done {
					if i != len(tt.want)-1 {
						t.Fatalf("done at datagram %d of %d", i+1, len(tt.want))
					}
					if res.Name != nil && !bytes.Equal(res.Random, ch[6:38]) {
						t.Errorf("random %x, want %x", res.Random, ch[6:38])
					}
					return
				}
			}
			t.Fatal("never done")
		})
	}
}

func TestRandom(t *testing.T) {
	msg := make([]byte, 38)
	for i := range msg {
		msg[i] = byte(i)
	}
	if got := Random(msg); !bytes.Equal(got, msg[6:38]) || cap(got) != 32 {
		t.Errorf("Random = %x (cap %d)", got, cap(got))
	}
	if got := Random(msg[:37]); got != nil {
		t.Errorf("Random of 37 bytes = %x, want nil", got)
	}
}

// TestNewConnection: on a judged flow, a new connection's Initial (another
// DCID, another ClientHello) is new; the judged connection's own later
// Initials (a retransmission, an ACK under the server's connection ID) are
// not.
func TestNewConnection(t *testing.T) {
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	first := quicHello(t, "a.test")
	judged := Random(first)
	conn := initials(t, first, quictest.Options{DCID: dcid, Initials: 2, Padding: true})
	ack, err := (&quictest.Packet{Version: quic.Version1, DCID: []byte{9, 9, 9, 9, 9, 9, 9, 9}, KeyDCID: dcid, PN: 5, PNLen: 2,
		Frames: quictest.AppendPadding([]byte{0x02, 0, 0, 0, 0}, 1200)}).Seal(nil)
	if err != nil {
		t.Fatal(err)
	}
	other := initials(t, quicHello(t, "b.test"), quictest.Options{DCID: []byte{7, 7, 7, 7, 7, 7, 7, 7}, Initials: 2, Padding: true})
	retry := initials(t, first, quictest.Options{DCID: []byte{6, 6, 6, 6, 6, 6, 6, 6}, Initials: 2, Padding: true})
	tests := []struct {
		name   string
		dgram  []byte
		judged []byte
		want   bool
	}{
		{"its first Initial again", conn[0], judged, false},
		{"its ACK under the server's connection ID", ack, judged, false},
		{"its hello again under a new DCID (after a Retry)", retry[0], judged, false},
		{"a new connection", other[0], judged, true},
		{"any hello when the flow was judged without one", conn[0], nil, true},
		{"a 0-RTT packet", zeroRTT(t), nil, false},
		{"junk", []byte("junk"), nil, false},
	}
	var p Probe
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.NewConnection(tt.dgram, tt.judged); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
