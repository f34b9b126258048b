package quic

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// captureInitial is one client datagram from the shared captures that
// starts with a v1/v2 Initial, with the DCID of its flow's first Initial
// (the one its keys come from) and, when it opens, its plaintext frames.
type captureInitial struct {
	dgram, dcid, frames []byte
}

// captureInitials returns up to max client Initial datagrams of the shared
// captures (none when they are absent), for seeds and benchmarks.
func captureInitials(tb testing.TB, max int) []captureInitial {
	tb.Helper()
	var out []captureInitial
	for _, path := range pcaptest.Files(tb) {
		for _, f := range captureFlows(tb, path) {
			var (
				dcid []byte
				k    Keys
			)
			for _, d := range f.dgrams {
				var h Header
				if ParseHeader(d, &h) != nil {
					continue
				}
				if dcid == nil {
					dcid = slices.Clone(h.DCID)
					if k.Derive(h.Version, dcid) != nil {
						break
					}
				}
				ci := captureInitial{dgram: d, dcid: dcid}
				if k.Version() == h.Version {
					if frames, _, _, err := Open(&k, d, nil); err == nil {
						ci.frames = slices.Clone(frames)
					}
				}
				out = append(out, ci)
				if len(out) == max {
					return out
				}
			}
		}
	}
	return out
}

func FuzzOpen(f *testing.F) {
	f.Add(pcaptest.Hex(f, rfcPacketV1), rfcDCID)
	f.Add(pcaptest.Hex(f, rfcPacketV2), rfcDCID)
	k := keysFor(f, Version1, clientDCID)
	f.Add(packetOf(f, k, clientDCID, 3, cryptoFrame(0, testMsg())), clientDCID)
	f.Add(initial{version: Version1, dcid: clientDCID, token: []byte{1, 2}, pn: 1, pnLen: 2,
		payload: []byte{framePing, 0, 0, 0}}.seal(f, k), clientDCID)
	for _, ci := range captureInitials(f, 300) {
		f.Add(ci.dgram, ci.dcid)
	}
	scratch := make([]byte, 0, 1500)
	f.Fuzz(func(t *testing.T, dgram, dcid []byte) {
		dcid = dcid[:min(len(dcid), MaxCIDLen)]
		version := Version1
		var h Header
		parsed := ParseHeader(dgram, &h) == nil
		if parsed {
			version = h.Version
		}
		var k Keys
		if err := k.Derive(version, dcid); err != nil {
			t.Fatal(err)
		}
		orig := bytes.Clone(dgram)
		frames, pn, rest, err := Open(&k, dgram, scratch)
		if !bytes.Equal(dgram, orig) {
			t.Fatal("Open modified the datagram")
		}
		switch {
		case parsed && errors.Is(err, ErrNotInitial):
			t.Fatalf("header parsed, then %v", err)
		case !parsed && !errors.Is(err, ErrNotInitial) && !errors.Is(err, ErrMalformed):
			t.Fatalf("header did not parse, then %v", err)
		}
		if err == nil || errors.Is(err, ErrDecrypt) {
			if !parsed || len(rest) != len(dgram)-h.End() || (len(rest) > 0 && &rest[len(rest)-1] != &dgram[len(dgram)-1]) {
				t.Fatalf("rest of %d bytes, header %+v, datagram %d", len(rest), h, len(dgram))
			}
		}
		if err != nil {
			return
		}
		if len(frames) == 0 || len(frames) > h.Length-17 || pn >= 1<<32 {
			t.Fatalf("frames %d bytes (length %d), pn %d", len(frames), h.Length, pn)
		}
		var c Crypto
		_ = c.AddFrames(frames)
	})
}

// refCrypto is the reference for FuzzCrypto: the same frame grammar and
// stream rules, written the plain way (one byte at a time, a bool per
// stream byte).
type refCrypto struct {
	buf  [MaxCrypto]byte
	have [MaxCrypto]bool
}

func refVarint(b []byte, i *int) (uint64, bool) {
	if *i >= len(b) {
		return 0, false
	}
	n := 1 << (b[*i] >> 6)
	if *i+n > len(b) {
		return 0, false
	}
	v := uint64(b[*i] & 0x3f)
	for j := 1; j < n; j++ {
		v = v<<8 | uint64(b[*i+j])
	}
	*i += n
	return v, true
}

func (r *refCrypto) addFrames(b []byte) error {
	for i := 0; i < len(b); {
		typ := b[i]
		i++
		var n int
		switch typ {
		case framePadding, framePing:
		case frameAck, frameAckECN:
			n = 4
			var count uint64
			for k := range n {
				v, ok := refVarint(b, &i)
				if !ok {
					return ErrMalformed
				}
				if k == 2 {
					count = v
				}
			}
			for range count {
				for range 2 {
					if _, ok := refVarint(b, &i); !ok {
						return ErrMalformed
					}
				}
			}
			if typ == frameAckECN {
				for range 3 {
					if _, ok := refVarint(b, &i); !ok {
						return ErrMalformed
					}
				}
			}
		case frameConnClose:
			for range 2 {
				if _, ok := refVarint(b, &i); !ok {
					return ErrMalformed
				}
			}
			l, ok := refVarint(b, &i)
			if !ok || l > uint64(len(b)-i) {
				return ErrMalformed
			}
			i += int(l)
		case frameCrypto:
			off, ok1 := refVarint(b, &i)
			l, ok2 := refVarint(b, &i)
			if !ok1 || !ok2 || l > uint64(len(b)-i) {
				return ErrMalformed
			}
			data := b[i : i+int(l)]
			i += int(l)
			if l == 0 {
				continue
			}
			if off+l > MaxCrypto {
				return ErrTooBig
			}
			for j, c := range data {
				p := int(off) + j
				if r.have[p] && r.buf[p] != c {
					return ErrConflict
				}
				r.buf[p], r.have[p] = c, true
			}
			if n := r.contig(); n >= 4 && 4+(int(r.buf[1])<<16|int(r.buf[2])<<8|int(r.buf[3])) > MaxCrypto {
				return ErrTooBig
			}
		default:
			return ErrMalformed
		}
	}
	return nil
}

func (r *refCrypto) contig() int {
	n := 0
	for n < MaxCrypto && r.have[n] {
		n++
	}
	return n
}

func (r *refCrypto) hello() ([]byte, bool) {
	n := r.contig()
	if n < 4 {
		return nil, false
	}
	l := 4 + (int(r.buf[1])<<16 | int(r.buf[2])<<8 | int(r.buf[3]))
	if l > n {
		return nil, false
	}
	return r.buf[:l], true
}

func errClass(err error) error {
	for _, s := range []error{ErrMalformed, ErrTooBig, ErrConflict} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// FuzzCrypto adds frames, cut in two packets at cut, to a Crypto and to the
// reference: errors (by sentinel) and the message must agree.
func FuzzCrypto(f *testing.F) {
	m := testMsg()
	f.Add(cryptoFrame(0, m), uint16(0))
	f.Add(append(cryptoFrame(150, m[150:]), cryptoFrame(0, m[:150])...), uint16(len(cryptoFrame(150, m[150:]))))
	f.Add(append(cryptoFrame(0, m[:66]), cryptoFrame(64, m[64:])...), uint16(3))
	f.Add(append(cryptoFrame(0, m), []byte{framePing, frameAck, 1, 0, 1, 0, 0, 0, frameConnClose, 0, 0, 0}...), uint16(50))
	frames := pcaptest.Hex(f, rfcFrames)
	f.Add(frames, uint16(100))
	for _, ci := range captureInitials(f, 300) {
		if ci.frames != nil {
			f.Add(ci.frames, uint16(len(ci.frames)/2))
		}
	}
	f.Fuzz(func(t *testing.T, frames []byte, cut uint16) {
		at := int(cut) % (len(frames) + 1)
		var c Crypto
		ref := new(refCrypto)
		for _, p := range [][]byte{frames[:at], frames[at:]} {
			err := c.AddFrames(p)
			want := ref.addFrames(p)
			if errClass(err) != want {
				t.Fatalf("error %v, reference %v", err, want)
			}
			if err != nil {
				return
			}
		}
		got, ok := c.Hello()
		want, wantOK := ref.hello()
		if ok != wantOK || !bytes.Equal(got, want) {
			t.Fatalf("Hello %v %x, reference %v %x", ok, got, wantOK, want)
		}
		if c.Contiguous() != ref.contig() {
			t.Fatalf("contiguous %d, reference %d", c.Contiguous(), ref.contig())
		}
	})
}

// FuzzReader feeds a Reader a sequence of datagrams, each a 2-byte length
// and the bytes, whose first byte says what the rest is: 0, raw datagram
// bytes; 1 and 2, plaintext frames the harness seals into a v1 or v2
// Initial to clientDCID; 3, frames sealed into a v1 Initial to serverSCID
// with clientDCID's keys; 4, frames sealed with retryDCID's keys. So the
// fuzzer explores both packet parsing and, through real decryption, frames.
func FuzzReader(f *testing.F) {
	enc := func(mode byte, b []byte) []byte {
		out := binary.BigEndian.AppendUint16(nil, uint16(len(b)+1))
		return append(append(out, mode), b...)
	}
	m := testMsg()
	f.Add(enc(1, cryptoFrame(0, m)))
	f.Add(append(enc(2, cryptoFrame(150, m[150:])), enc(2, cryptoFrame(0, m[:150]))...))
	f.Add(append(enc(1, cryptoFrame(0, m[:100])), enc(3, cryptoFrame(100, m[100:]))...))
	f.Add(append(enc(1, cryptoFrame(0, m[:100])), append(enc(4, cryptoFrame(0, m[:100])), enc(4, cryptoFrame(100, m[100:]))...)...))
	f.Add(enc(0, pcaptest.Hex(f, rfcPacketV1)))
	var seed []byte
	for _, ci := range captureInitials(f, 200) {
		if len(seed)+len(ci.dgram) > 6000 || (seed != nil && ci.frames == nil) {
			f.Add(seed)
			seed = nil
		}
		seed = append(seed, enc(0, ci.dgram)...)
		if ci.frames != nil {
			f.Add(enc(1, ci.frames))
		}
	}
	keys := map[byte]*Keys{
		1: keysFor(f, Version1, clientDCID), 2: keysFor(f, Version2, clientDCID),
		3: keysFor(f, Version1, clientDCID), 4: keysFor(f, Version1, retryDCID),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Reader
		for pn := uint64(0); len(data) >= 3; pn++ {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			if n == 0 || n > len(data) {
				return
			}
			mode, body := data[0], data[1:n]
			data = data[n:]
			dgram := body
			if k := keys[mode]; k != nil {
				dcid := clientDCID
				switch mode {
				case 3:
					dcid = serverSCID
				case 4:
					dcid = retryDCID
				}
				payload := body
				if len(payload) < 4 {
					payload = append(slices.Clone(payload), make([]byte, 4-len(payload))...)
				}
				dgram = initial{version: k.version, dcid: dcid, pn: pn, pnLen: 4, payload: payload}.seal(t, k)
			}
			orig := bytes.Clone(dgram)
			hello, err := r.Add(dgram)
			if !bytes.Equal(orig, dgram) {
				t.Fatal("Add modified the datagram")
			}
			if hello != nil {
				if err != nil || len(hello) < 4 || len(hello) != 4+(int(hello[1])<<16|int(hello[2])<<8|int(hello[3])) {
					t.Fatalf("hello of %d bytes, %v", len(hello), err)
				}
			}
		}
	})
}
