package quic

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// generatedFlight returns the datagrams of a v1 flight that carries
// crypto/tls's post-quantum ClientHello over several Initials, and the hello.
func generatedFlight(tb testing.TB) ([][]byte, []byte) {
	tb.Helper()
	hello := goClientHello(tb, "video.example.com")
	return (flight{Version1, clientDCID, hello}).datagrams(tb, rand.New(rand.NewPCG(7, 7))), hello
}

// TestNoAllocs: with keys derived, opening packets and reassembling frames
// allocate nothing, and neither does turning junk away.
func TestNoAllocs(t *testing.T) {
	dgrams, hello := generatedFlight(t)
	k := keysFor(t, Version1, clientDCID)
	scratch := make([]byte, 0, 2048)
	c := new(Crypto)
	r := new(Reader)
	for _, d := range dgrams {
		if _, err := r.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := r.crypto.Hello(); !bytes.Equal(got, hello) {
		t.Fatal("reader did not complete")
	}
	// Addressed to serverSCID, protected with keys of neither DCID.
	undecryptable := packetOf(t, keysFor(t, Version1, retryDCID), serverSCID, 5, []byte{framePing})
	junk := [][]byte{
		{0x40, 1, 2, 3},             // short header
		{0xc0, 0xff, 0, 0, 0x1d, 0}, // draft-29
		{0xc0, 0, 0, 0, 1},          // truncated v1 long header
		undecryptable,
	}

	cases := []struct {
		name string
		fn   func(t testing.TB)
	}{
		{"Open and AddFrames of every packet", func(t testing.TB) {
			c.Reset()
			for _, d := range dgrams {
				for rest := d; len(rest) > 0; {
					frames, _, r2, err := Open(k, rest, scratch)
					if err != nil {
						t.Fatal(err)
					}
					if err := c.AddFrames(frames); err != nil {
						t.Fatal(err)
					}
					rest = r2
				}
			}
			if _, ok := c.Hello(); !ok {
				t.Fatal("incomplete")
			}
		}},
		{"Reader.Add of the flight, keys derived", func(t testing.TB) {
			r.crypto.Reset()
			r.nextPN = 0
			var got []byte
			for _, d := range dgrams {
				got, _ = r.Add(d)
			}
			if got == nil {
				t.Fatal("incomplete")
			}
		}},
		{"Reader.Add of junk", func(t testing.TB) {
			r.crypto.Reset()
			for _, d := range junk {
				if _, err := r.Add(d); err == nil {
					t.Fatalf("junk %x accepted", d[:min(8, len(d))])
				}
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t) // warm: the Reader's candidate keys for the junk's DCID are derived once
			if n := testing.AllocsPerRun(20, func() { c.fn(t) }); n != 0 {
				t.Errorf("%v allocations per run, want 0", n)
			}
		})
	}
}

func BenchmarkDerive(b *testing.B) {
	b.ReportAllocs()
	var k Keys
	for b.Loop() {
		if err := k.Derive(Version1, clientDCID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen opens one 1200-byte Initial (a CRYPTO frame and padding).
func BenchmarkOpen(b *testing.B) {
	k := keysFor(b, Version1, clientDCID)
	payload := cryptoFrame(0, testMsg())
	payload = append(payload, make([]byte, 1160-len(payload))...) // PADDING
	// 24 bytes of header (8-byte DCID, 5-byte SCID, 1-byte packet number),
	// 1160 of payload, 16 of tag.
	pkt := initial{version: Version1, dcid: clientDCID, scid: clientSCID, pnLen: 1, payload: payload}.seal(b, k)
	if len(pkt) != 1200 {
		b.Fatalf("packet of %d bytes", len(pkt))
	}
	scratch := make([]byte, 0, 1500)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if _, _, _, err := Open(k, pkt, scratch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddFrames reassembles the frames of a generated flight
// (crypto/tls's post-quantum ClientHello) from plaintext.
func BenchmarkAddFrames(b *testing.B) {
	dgrams, _ := generatedFlight(b)
	k := keysFor(b, Version1, clientDCID)
	var frames [][]byte
	for _, d := range dgrams {
		for rest := d; len(rest) > 0; {
			f, _, r2, err := Open(k, rest, nil)
			if err != nil {
				b.Fatal(err)
			}
			frames = append(frames, f)
			rest = r2
		}
	}
	c := new(Crypto)
	b.ReportAllocs()
	for b.Loop() {
		c.Reset()
		for _, f := range frames {
			if err := c.AddFrames(f); err != nil {
				b.Fatal(err)
			}
		}
		if _, ok := c.Hello(); !ok {
			b.Fatal("incomplete")
		}
	}
}

// BenchmarkReaderChrome reads, end to end (key derivation, decryption,
// reassembly), the real post-quantum ClientHello of
// zeek/quic/quic-multiple-initial-fragmented-crypto.pcap: 2246 bytes over
// three Initials, as the packet path would for one new flow.
func BenchmarkReaderChrome(b *testing.B) {
	dir := pcaptest.DataDir(b)
	flows := captureFlows(b, filepath.Join(dir, "zeek/quic/quic-multiple-initial-fragmented-crypto.pcap"))
	if len(flows) != 1 {
		b.Fatalf("%d flows", len(flows))
	}
	var dgrams [][]byte
	var size int
	r := new(Reader)
	for _, d := range flows[0].dgrams {
		dgrams = append(dgrams, d)
		size += len(d)
		if h, _ := r.Add(d); h != nil {
			if len(h) != 2246 {
				b.Fatalf("hello of %d bytes", len(h))
			}
			break
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		r.Reset()
		var hello []byte
		for _, d := range dgrams {
			hello, _ = r.Add(d)
		}
		if hello == nil {
			b.Fatal("incomplete")
		}
	}
}
