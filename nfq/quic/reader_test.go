package quic

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// Connection IDs of the generated connections.
var (
	clientDCID = []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}       // client's first DCID
	retryDCID  = []byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8} // DCID after a Retry
	serverSCID = []byte{0x5e, 0x5e, 0x5e, 0x5e}                               // server's chosen CID
	clientSCID = []byte{0xc1, 0xc1, 0xc1, 0xc1, 0xc1}
)

// keysFor derives client Initial keys or fails the test.
func keysFor(t testing.TB, version uint32, dcid []byte) *Keys {
	t.Helper()
	k := new(Keys)
	if err := k.Derive(version, dcid); err != nil {
		t.Fatal(err)
	}
	return k
}

// packetOf seals frames (padded to at least 1162 bytes of payload unless
// they are longer) into one Initial addressed to dcid, with keys k.
func packetOf(t testing.TB, k *Keys, dcid []byte, pn uint64, frames ...[]byte) []byte {
	t.Helper()
	payload := bytes.Join(frames, nil)
	if len(payload) < 1162 {
		payload = append(payload, make([]byte, 1162-len(payload))...)
	}
	return initial{version: k.version, dcid: dcid, scid: clientSCID, pn: pn, pnLen: 1 + int(pn%4), payload: payload}.seal(t, k)
}

// flight is one generated client flight: the datagrams that carry hello.
type flight struct {
	version uint32
	dcid    []byte // header DCID of every packet (keys are of clientDCID)
	hello   []byte
}

// datagrams cuts the hello into CRYPTO frames over 2–4 Initials, shuffles
// the frames of each packet among PING, ACK and PADDING frames, coalesces
// some neighbouring packets and shuffles the datagrams, all from rng.
func (f flight) datagrams(t testing.TB, rng *rand.Rand) [][]byte {
	t.Helper()
	k := keysFor(t, f.version, clientDCID)
	nPackets := 2 + rng.IntN(3)
	// Cut points for CRYPTO frames: about three frames per packet.
	cuts := []int{0, len(f.hello)}
	for range 3*nPackets - 1 {
		cuts = append(cuts, rng.IntN(len(f.hello)))
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var frames [][]byte
	for i := 1; i < len(cuts); i++ {
		frames = append(frames, cryptoFrame(uint64(cuts[i-1]), f.hello[cuts[i-1]:cuts[i]]))
	}
	// A few retransmitted (identical, overlapping) pieces.
	for range rng.IntN(3) {
		a := rng.IntN(len(f.hello))
		b := min(len(f.hello), a+1+rng.IntN(200))
		frames = append(frames, cryptoFrame(uint64(a), f.hello[a:b]))
	}
	rng.Shuffle(len(frames), func(i, j int) { frames[i], frames[j] = frames[j], frames[i] })
	packets := make([][][]byte, nPackets)
	for i, fr := range frames {
		p := i % nPackets
		packets[p] = append(packets[p], fr)
	}
	var sealed [][]byte
	for pn, fr := range packets {
		fr = append(fr, []byte{framePing}, []byte{frameAck, 0x00, 0x00, 0x00, 0x00}, []byte{framePadding, 0, 0})
		rng.Shuffle(len(fr), func(i, j int) { fr[i], fr[j] = fr[j], fr[i] })
		payload := bytes.Join(fr, nil)
		if len(payload) > 1400 {
			t.Fatalf("packet payload of %d bytes", len(payload))
		}
		sealed = append(sealed, packetOf(t, k, f.dcid, uint64(pn), payload))
	}
	var dgrams [][]byte
	for i := 0; i < len(sealed); i++ {
		d := slices.Clone(sealed[i])
		if i+1 < len(sealed) && rng.IntN(3) == 0 {
			i++
			d = append(d, sealed[i]...) // coalesced
		}
		dgrams = append(dgrams, d)
	}
	rng.Shuffle(len(dgrams), func(i, j int) { dgrams[i], dgrams[j] = dgrams[j], dgrams[i] })
	return dgrams
}

// TestReaderGenerated builds Initials from crypto/tls's own QUIC client
// hello (post-quantum, so over 1 KB) with the test sealer, in v1 and v2,
// split, shuffled, padded and coalesced, and checks that Reader recovers
// the exact bytes and that crypto/tls reads the same server name from them.
func TestReaderGenerated(t *testing.T) {
	hello := goClientHello(t, "video.example.com")
	if len(hello) < 1100 {
		t.Logf("crypto/tls client hello is %d bytes (no post-quantum key share?)", len(hello))
	}
	for _, c := range []struct {
		name    string
		version uint32
		dcid    []byte
	}{
		{"v1", Version1, clientDCID},
		{"v2", Version2, clientDCID},
		{"v1 switched to server SCID", Version1, serverSCID},
		{"v2 switched to server SCID", Version2, serverSCID},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []byte
			for seed := range uint64(40) {
				rng := rand.New(rand.NewPCG(seed, 0x5afe))
				var r Reader
				if !bytes.Equal(c.dcid, clientDCID) {
					// The first Initial sets the keys: a PING-only packet to the first DCID.
					k := keysFor(t, c.version, clientDCID)
					if h, err := r.Add(packetOf(t, k, clientDCID, 9, []byte{framePing})); h != nil || err != nil {
						t.Fatalf("seed %d: first packet: %x %v", seed, h, err)
					}
				}
				got = nil
				for i, d := range (flight{c.version, c.dcid, hello}).datagrams(t, rng) {
					h, err := r.Add(d)
					if err != nil {
						t.Fatalf("seed %d: datagram %d: %v", seed, i, err)
					}
					if got != nil && !bytes.Equal(h, got) {
						t.Fatalf("seed %d: datagram %d: hello changed once complete", seed, i)
					}
					got = h
				}
				if !bytes.Equal(got, hello) {
					t.Fatalf("seed %d: hello %d bytes, want the %d bytes crypto/tls wrote", seed, len(got), len(hello))
				}
			}
			if name, ok := tlsServerName(t, got); !ok || name != "video.example.com" {
				t.Errorf("crypto/tls read %q (%v)", name, ok)
			}
			if name, err := serverName(got); err != nil || name != "video.example.com" {
				t.Errorf("nfq/hello read %q (%v)", name, err)
			}
		})
	}
}

// step is one datagram of a Reader case and what Add must answer.
type step struct {
	dgram   []byte
	hello   []byte // nil: incomplete
	wantErr error  // nil: no error
}

func TestReaderCases(t *testing.T) {
	hello := goClientHello(t, "a.example")
	other := goClientHello(t, "b.example")
	half := len(hello) / 2
	k1 := keysFor(t, Version1, clientDCID)
	k2 := keysFor(t, Version2, clientDCID)
	k2orig := keysFor(t, Version2, clientDCID)
	kRetry := keysFor(t, Version1, retryDCID)
	first := cryptoFrame(0, hello[:half])
	second := cryptoFrame(uint64(half), hello[half:])
	whole := cryptoFrame(0, hello)
	corrupt := func(p []byte) []byte {
		p = slices.Clone(p)
		p[len(p)-1] ^= 1 // AEAD tag
		return p
	}
	cat := func(b ...[]byte) []byte { return bytes.Join(b, nil) }
	conflicting := slices.Clone(hello[half-10 : half+10])
	conflicting[5] ^= 0xff
	tooLong := []byte{0x01, 0x00, 0x50, 0x00} // ClientHello header claiming 20480 bytes

	cases := []struct {
		name  string
		steps []step
	}{
		{"v1 in one Initial", []step{
			{packetOf(t, k1, clientDCID, 0, whole), hello, nil},
		}},
		{"v2 in two Initials, out of order", []step{
			{packetOf(t, k2, clientDCID, 1, second), nil, nil},
			{packetOf(t, k2, clientDCID, 0, first), hello, nil},
		}},
		{"two Initials coalesced", []step{
			{cat(packetOf(t, k1, clientDCID, 0, first), packetOf(t, k1, clientDCID, 1, second)), hello, nil},
		}},
		{"coalesced trailing garbage, 0-RTT and zero padding ignored", []step{
			{cat(packetOf(t, k1, clientDCID, 0, first), []byte{0xd0, 0, 0, 0, 1, 0, 0, 7, 1, 2, 3}), nil, nil},
			{cat(packetOf(t, k1, clientDCID, 1, second), make([]byte, 40)), hello, nil},
		}},
		{"coalesced packet to another DCID ignored", []step{
			{cat(packetOf(t, k1, clientDCID, 0, first), packetOf(t, kRetry, retryDCID, 1, cryptoFrame(uint64(half), other[half:]))), nil, nil},
			{packetOf(t, k1, clientDCID, 1, second), hello, nil},
		}},
		{"undecryptable packet skipped, coalesced good one read", []step{
			{cat(corrupt(packetOf(t, k1, clientDCID, 0, first)), packetOf(t, k1, clientDCID, 1, whole)), hello, nil},
		}},
		{"undecryptable datagram then good ones", []step{
			{corrupt(packetOf(t, k1, clientDCID, 0, whole)), nil, ErrDecrypt},
			{packetOf(t, k1, clientDCID, 1, first), nil, nil},
			{corrupt(packetOf(t, k1, serverSCID, 2, second)), nil, ErrDecrypt},
			{packetOf(t, k1, serverSCID, 3, second), hello, nil},
		}},
		{"switch to server SCID keeps the keys and the data", []step{
			{packetOf(t, k1, clientDCID, 0, first), nil, nil},
			{packetOf(t, k1, serverSCID, 1, second), hello, nil},
		}},
		{"retry: new DCID restarts the assembly", []step{
			{packetOf(t, k1, clientDCID, 0, first), nil, nil},
			{packetOf(t, k1, clientDCID, 1, second), hello, nil},
			{packetOf(t, kRetry, retryDCID, 2, first), nil, nil},
			{packetOf(t, kRetry, retryDCID, 3, second), hello, nil},
		}},
		{"keys set by a packet without CRYPTO data, then a new DCID", []step{
			{packetOf(t, k1, clientDCID, 0, []byte{framePing}), nil, nil},
			{packetOf(t, kRetry, retryDCID, 1, whole), hello, nil},
		}},
		{"new connection attempt while a hello is partly received", []step{
			{packetOf(t, k1, clientDCID, 0, cryptoFrame(0, other[:half])), nil, nil},
			{packetOf(t, kRetry, retryDCID, 1, whole), nil, ErrConflict},
			{packetOf(t, k1, clientDCID, 2, cryptoFrame(uint64(half), other[half:])), nil, ErrConflict},
		}},
		{"new connection attempt after a complete hello", []step{
			{packetOf(t, k1, clientDCID, 0, cryptoFrame(0, other)), other, nil},
			{[]byte{0x40, 1, 2, 3}, other, nil}, // 1-RTT: ignored once complete
			{packetOf(t, kRetry, retryDCID, 1, first), nil, nil},
			{packetOf(t, kRetry, retryDCID, 2, second), hello, nil},
		}},
		{"compatible version negotiation: v2 keys of the original DCID", []step{
			{packetOf(t, k1, clientDCID, 0, first), nil, nil},
			{packetOf(t, k2orig, serverSCID, 1, second), hello, nil},
		}},
		{"short header first", []step{
			{[]byte{0x41, 0x02, 0x03}, nil, ErrNotInitial},
			{packetOf(t, k1, clientDCID, 0, whole), hello, nil},
		}},
		{"unknown version", []step{
			{[]byte{0xc0, 0xff, 0x00, 0x00, 0x1d, 0x08}, nil, ErrNotInitial},
		}},
		{"reserved bits set", []step{
			{initial{version: Version1, dcid: clientDCID, pn: 0, pnLen: 1, reserved: 0x04,
				payload: cat(whole, make([]byte, 1000))}.seal(t, k1), nil, ErrMalformed},
		}},
		{"conflicting overlap is sticky", []step{
			{packetOf(t, k1, clientDCID, 0, first), nil, nil},
			{packetOf(t, k1, clientDCID, 1, cryptoFrame(uint64(half-10), conflicting)), nil, ErrConflict},
			{packetOf(t, k1, clientDCID, 2, second), nil, ErrConflict},
		}},
		{"conflict inside one packet", []step{
			{packetOf(t, k1, clientDCID, 0, first, cryptoFrame(uint64(half-10), conflicting)), nil, ErrConflict},
		}},
		{"CRYPTO beyond capacity", []step{
			{packetOf(t, k1, clientDCID, 0, first, cryptoFrame(MaxCrypto-1, []byte{1, 2})), nil, ErrTooBig},
		}},
		{"handshake message longer than capacity", []step{
			{packetOf(t, k1, clientDCID, 0, cryptoFrame(0, tooLong)), nil, ErrTooBig},
		}},
		{"STREAM frame in an Initial", []step{
			{packetOf(t, k1, clientDCID, 0, first, []byte{0x08, 0x00, 0x01, 0xaa}), nil, ErrMalformed},
		}},
		{"CONNECTION_CLOSE and ACK with ECN allowed", []step{
			{packetOf(t, k1, clientDCID, 0, []byte{frameAckECN, 5, 0, 1, 0, 1, 2, 0, 0, 0},
				[]byte{frameConnClose, 0x0a, 0x00, 0x02, 'h', 'i'}, whole), hello, nil},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Reader
			for i, s := range c.steps {
				h, err := r.Add(s.dgram)
				if (s.wantErr == nil) != (err == nil) || (err != nil && !errors.Is(err, s.wantErr)) {
					t.Fatalf("step %d: error %v, want %v", i, err, s.wantErr)
				}
				if !bytes.Equal(h, s.hello) {
					t.Fatalf("step %d: hello of %d bytes, want %d", i, len(h), len(s.hello))
				}
			}
			r.Reset()
			if h, err := r.Add(packetOf(t, k1, clientDCID, 0, whole)); err != nil || !bytes.Equal(h, hello) {
				t.Errorf("after Reset: %v, %d bytes", err, len(h))
			}
		})
	}
}
