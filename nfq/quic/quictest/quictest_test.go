package quictest_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
)

// TestRFCVectors: Packet.Seal reproduces the protected client Initials of
// RFC 9001 A.2 (v1) and RFC 9369 A.2 (v2), packet number 2 in 4 bytes. The
// header, the start of the ciphertext and the AEAD tag (which depends on
// every byte of header and payload) are compared with the RFCs' dumps.
func TestRFCVectors(t *testing.T) {
	frames := pcaptest.Hex(t, quictest.RFCFrames)
	frames = quictest.AppendPadding(frames, 1162-len(frames))
	for _, c := range []struct {
		name    string
		version uint32
		header  string // protected header, packet number included
		head    string // first 16 bytes of the ciphertext
		tag     string // last 16 bytes of the packet
	}{
		{"v1 RFC 9001", quic.Version1,
			"c0 00000001 08 8394c8f03e515708 00 00 449e 7b9aec34 # protected first byte, version 1, DCID, SCID, token, length 1182, pn",
			"d1b1c98dd7689fb8ec11d242b123dc9b", "e221af44860018ab0856972e194cd934"},
		{"v2 RFC 9369", quic.Version2,
			"d7 6b3343cf 08 8394c8f03e515708 00 00 449e a0c95e82 # protected first byte, version 2, DCID, SCID, token, length 1182, pn",
			"ffe67b6abcdb4298b485dd04de806071", "a18b2faa745b6fe189cf772a9f84cbfc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := quictest.Packet{Version: c.version, DCID: quictest.RFCDCID, PN: 2, PNLen: 4, Frames: frames}
			got, err := p.Seal(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1200 {
				t.Fatalf("packet of %d bytes, want 1200", len(got))
			}
			hdr := pcaptest.Hex(t, c.header)
			if !bytes.Equal(got[:len(hdr)], hdr) {
				t.Errorf("header %x, want %x", got[:len(hdr)], hdr)
			}
			if head := pcaptest.Hex(t, c.head); !bytes.Equal(got[len(hdr):len(hdr)+16], head) {
				t.Errorf("ciphertext starts %x, want %x", got[len(hdr):len(hdr)+16], head)
			}
			if tag := pcaptest.Hex(t, c.tag); !bytes.Equal(got[len(got)-16:], tag) {
				t.Errorf("tag %x, want %x", got[len(got)-16:], tag)
			}
			// Appending keeps what dst held.
			prefix := []byte("kept")
			if again, _ := p.Seal(prefix); !bytes.Equal(again, append([]byte("kept"), got...)) {
				t.Error("Seal(dst) does not append to dst")
			}
		})
	}
}

// serverNameOf feeds hello to crypto/tls as a QUIC server's Initial data
// and returns the server name crypto/tls read, and whether crypto/tls got
// as far as reading one.
func serverNameOf(t testing.TB, hello []byte) (name string, ok bool) {
	t.Helper()
	stop := errors.New("stop after the client hello")
	conn := tls.QUICServer(&tls.QUICConfig{TLSConfig: &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			name, ok = chi.ServerName, true
			return nil, stop
		},
	}})
	defer conn.Close()
	if err := conn.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = conn.HandleData(tls.QUICEncryptionLevelInitial, hello)
	return name, ok
}

// TestHello: Hello is a ClientHello crypto/tls's own QUIC server reads the
// name from, post-quantum sized; "" has no name.
func TestHello(t *testing.T) {
	for _, name := range []string{"video.example.com", "games.test", ""} {
		hello, err := quictest.Hello(name)
		if err != nil {
			t.Fatal(err)
		}
		if hello[0] != 1 {
			t.Errorf("%q: handshake type %d, want client_hello", name, hello[0])
		}
		if len(hello) < 1100 {
			t.Errorf("%q: ClientHello of %d bytes: expected a post-quantum key share", name, len(hello))
		}
		if got, ok := serverNameOf(t, hello); !ok || got != name {
			t.Errorf("%q: crypto/tls read %q (%v)", name, got, ok)
		}
	}
}

// TestInitialsRead: quic.Reader, given every datagram in the order
// Initials returns them, gives back exactly the ClientHello, on the last
// datagram and not before, for both versions, 1 to 4 Initials, tidy and
// shuffled clients.
func TestInitialsRead(t *testing.T) {
	hello, err := quictest.Hello("video.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []uint32{quic.Version1, quic.Version2} {
		for n := 1; n <= 4; n++ {
			for _, c := range []struct {
				name  string
				opts  quictest.Options
				seeds int // with Shuffle: how many
			}{
				{"tidy", quictest.Options{}, 0},
				{"padded with PING", quictest.Options{Padding: true, Ping: true, SCID: []byte{1, 2, 3, 4}}, 0},
				{"coalesced 2, 4-byte packet numbers, token", quictest.Options{Coalesce: 2, PNLen: 4, Token: []byte("token")}, 0},
				{"shuffled", quictest.Options{Padding: true}, 30},
				{"shuffled, coalesced, PING", quictest.Options{Padding: true, Ping: true, Coalesce: 3}, 30},
				{"shuffled, 20-byte DCID", quictest.Options{DCID: bytes.Repeat([]byte{0xd5}, 20), Coalesce: 2}, 10},
			} {
				t.Run(fmt.Sprintf("%s/%d/%s", map[uint32]string{quic.Version1: "v1", quic.Version2: "v2"}[version], n, c.name), func(t *testing.T) {
					for seed := range max(1, c.seeds) {
						o := c.opts
						o.Version, o.Initials = version, n
						if c.seeds > 0 {
							o.Shuffle = rand.New(rand.NewPCG(uint64(seed), 0x5afe))
						}
						dgrams, err := quictest.Initials(hello, o)
						if err != nil {
							t.Fatal(err)
						}
						checkDatagrams(t, seed, dgrams, o, n)
						var r quic.Reader
						for i, d := range dgrams {
							got, err := r.Add(d)
							if err != nil {
								t.Fatalf("seed %d: datagram %d/%d: %v", seed, i+1, len(dgrams), err)
							}
							last := i == len(dgrams)-1
							if !last && got != nil {
								t.Fatalf("seed %d: hello complete at datagram %d/%d", seed, i+1, len(dgrams))
							}
							if last && !bytes.Equal(got, hello) {
								t.Fatalf("seed %d: read %d bytes, want the %d of the hello", seed, len(got), len(hello))
							}
						}
					}
				})
			}
		}
	}
}

// checkDatagrams checks the shape of Initials' output: n Initial packets
// of o.Version in all, each datagram's packets to the same DCID, padded
// datagrams at least 1200 bytes, unshuffled coalescing exact.
func checkDatagrams(t *testing.T, seed int, dgrams [][]byte, o quictest.Options, n int) {
	t.Helper()
	packets := 0
	for i, d := range dgrams {
		if o.Padding && len(d) < quictest.MinDatagram {
			t.Errorf("seed %d: datagram %d of %d bytes, padding asked", seed, i, len(d))
		}
		in := 0
		for rest := d; len(rest) > 0; in++ {
			var h quic.Header
			if err := quic.ParseHeader(rest, &h); err != nil {
				t.Fatalf("seed %d: datagram %d, packet %d: %v", seed, i, in, err)
			}
			if h.Version != o.Version || (o.DCID != nil && !bytes.Equal(h.DCID, o.DCID)) ||
				!bytes.Equal(h.SCID, o.SCID) || !bytes.Equal(h.Token, o.Token) {
				t.Fatalf("seed %d: datagram %d, packet %d: header %+v", seed, i, in, h)
			}
			rest = rest[h.End():]
		}
		if o.Shuffle == nil && o.Coalesce > 1 && in != min(o.Coalesce, n-packets) {
			t.Errorf("datagram %d holds %d packets, coalesce %d", i, in, o.Coalesce)
		}
		packets += in
	}
	if packets != n {
		t.Errorf("seed %d: %d packets, want %d", seed, packets, n)
	}
}

// TestInitialsOverlap: an Overlap with other bytes is the conflict a
// reader must reject; with the hello's own bytes it is a harmless
// retransmission.
func TestInitialsOverlap(t *testing.T) {
	hello, err := quictest.Hello("games.test")
	if err != nil {
		t.Fatal(err)
	}
	other, err := quictest.Hello("school.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		overlap  []byte
		at       int
		conflict bool
	}{
		{"other hello's bytes over the middle", other[500:900], 500, true},
		{"one flipped byte", []byte{hello[700] ^ 1}, 700, true},
		{"other bytes past the end", other[len(hello)-10:], len(hello) - 10, true},
		{"same bytes across a cut", hello[400:1100], 400, false},
	} {
		for seed := range 20 {
			for _, n := range []int{2, 4} {
				o := quictest.Options{Version: quic.Version2, Initials: n, Padding: true, Ping: true,
					Shuffle: rand.New(rand.NewPCG(uint64(seed), 7)), Overlap: c.overlap, OverlapAt: c.at}
				dgrams, err := quictest.Initials(hello, o)
				if err != nil {
					t.Fatal(err)
				}
				var r quic.Reader
				var got []byte
				for _, d := range dgrams {
					if got, err = r.Add(d); err != nil {
						break
					}
				}
				switch {
				case c.conflict && !errors.Is(err, quic.ErrConflict):
					t.Errorf("%s, seed %d, %d initials: %v, want a conflict", c.name, seed, n, err)
				case !c.conflict && (err != nil || !bytes.Equal(got, hello)):
					t.Errorf("%s, seed %d, %d initials: %v, hello read %v", c.name, seed, n, err, bytes.Equal(got, hello))
				}
			}
		}
	}
}

// TestInitialsDeterministic: the same seed gives the same datagrams, so a
// failing variant can be replayed from its seed.
func TestInitialsDeterministic(t *testing.T) {
	hello := bytes.Repeat([]byte{1, 0, 3, 0xfc}, 400)
	build := func() [][]byte {
		d, err := quictest.Initials(hello, quictest.Options{Initials: 3, Padding: true, Coalesce: 2,
			Shuffle: rand.New(rand.NewPCG(42, 42))})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := build(), build()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("two builds from one seed differ")
	}
}

// TestKeyDCID: a packet sealed with the keys of another DCID than its
// header's opens with those keys only.
func TestKeyDCID(t *testing.T) {
	frames := quictest.AppendCrypto([]byte{quictest.FramePing}, 0, []byte{1, 0, 0, 1, 0xaa})
	p := quictest.Packet{Version: quic.Version1, DCID: []byte{5, 5, 5, 5}, KeyDCID: quictest.RFCDCID, PNLen: 2, PN: 7, Frames: frames}
	pkt, err := p.Seal(nil)
	if err != nil {
		t.Fatal(err)
	}
	var own, orig quic.Keys
	if err := own.Derive(quic.Version1, p.DCID); err != nil {
		t.Fatal(err)
	}
	if err := orig.Derive(quic.Version1, quictest.RFCDCID); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := quic.Open(&own, pkt, nil); !errors.Is(err, quic.ErrDecrypt) {
		t.Errorf("keys of the header's DCID: %v, want ErrDecrypt", err)
	}
	got, pn, rest, err := quic.Open(&orig, pkt, nil)
	if err != nil || pn != 7 || len(rest) != 0 || !bytes.Equal(got, frames) {
		t.Errorf("keys of KeyDCID: %x pn %d rest %d %v", got, pn, len(rest), err)
	}
}

// TestShortFrames: frames too short for the header protection sample are
// padded by Seal, and still open.
func TestShortFrames(t *testing.T) {
	p := quictest.Packet{Version: quic.Version2, DCID: quictest.RFCDCID, PNLen: 1, Frames: []byte{quictest.FramePing}}
	pkt, err := p.Seal(nil)
	if err != nil {
		t.Fatal(err)
	}
	var k quic.Keys
	if err := k.Derive(quic.Version2, quictest.RFCDCID); err != nil {
		t.Fatal(err)
	}
	got, _, _, err := quic.Open(&k, pkt, nil)
	if err != nil || !bytes.Equal(got, []byte{quictest.FramePing, 0, 0}) {
		t.Errorf("frames %x, %v; want PING and 2 PADDING", got, err)
	}
}

func TestOptionErrors(t *testing.T) {
	hello := bytes.Repeat([]byte{7}, 10)
	for _, c := range []struct {
		name  string
		hello []byte
		o     quictest.Options
	}{
		{"empty hello", nil, quictest.Options{}},
		{"unknown version", hello, quictest.Options{Version: 0xff00001d}},
		{"too many initials", hello, quictest.Options{Initials: quictest.MaxInitials + 1}},
		{"more initials than bytes", hello, quictest.Options{Initials: 11}},
		{"negative initials", hello, quictest.Options{Initials: -1}},
		{"21-byte DCID", hello, quictest.Options{DCID: make([]byte, 21)}},
		{"21-byte SCID", hello, quictest.Options{SCID: make([]byte, 21)}},
		{"5-byte packet numbers", hello, quictest.Options{PNLen: 5}},
		{"negative coalesce", hello, quictest.Options{Coalesce: -1}},
		{"negative overlap offset", hello, quictest.Options{Overlap: []byte{1}, OverlapAt: -1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if d, err := quictest.Initials(c.hello, c.o); !errors.Is(err, quictest.ErrOptions) {
				t.Errorf("%d datagrams, %v; want ErrOptions", len(d), err)
			}
		})
	}
	p := quictest.Packet{Version: quic.Version1, PNLen: 0}
	if _, err := p.Seal(nil); !errors.Is(err, quictest.ErrOptions) {
		t.Errorf("packet number length 0: %v, want ErrOptions", err)
	}
}
