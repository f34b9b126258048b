package quic

import (
	"bytes"
	"errors"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

func TestParseHeader(t *testing.T) {
	body := bytes.Repeat([]byte{0xee}, 20) // packet number and payload: the minimum Length
	cases := []struct {
		name    string
		hex     string
		tail    []byte
		wantErr error
		check   func(*Header) bool
	}{
		{"v1 initial with token", `
			c3 00000001        # long header, Initial, version 1
			04 d1d2d3d4        # DCID
			02 5151            # SCID
			03 0a0b0c          # token
			14                 # length 20`, body, nil,
			func(h *Header) bool {
				return h.Version == Version1 && bytes.Equal(h.DCID, []byte{0xd1, 0xd2, 0xd3, 0xd4}) &&
					bytes.Equal(h.SCID, []byte{0x51, 0x51}) && bytes.Equal(h.Token, []byte{0x0a, 0x0b, 0x0c}) &&
					h.Length == 20 && h.PNOffset == 18 && h.End() == 38
			}},
		{"v2 initial, empty CIDs, 2-byte length", `
			d0 6b3343cf        # long header, v2 Initial type 0b01
			00 00 00           # DCID, SCID, token: empty
			4014               # length 20 in two bytes`, body, nil,
			func(h *Header) bool { return h.Version == Version2 && len(h.DCID) == 0 && h.PNOffset == 10 }},
		{"coalesced remainder", `c0 00000001 00 00 00 14`, append(bytes.Clone(body), 0xff, 0xfe), nil,
			func(h *Header) bool { return h.End() == 29 }},
		{"empty", ``, nil, ErrNotInitial, nil},
		{"short header", `41 0203`, nil, ErrNotInitial, nil},
		{"version negotiation", `c0 00000000 00 00`, nil, ErrNotInitial, nil},
		{"draft-29", `c0 ff00001d 00 00 00 14`, body, ErrNotInitial, nil},
		{"v1 0-RTT", `d0 00000001 00 00 14`, body, ErrNotInitial, nil},
		{"v1 handshake", `e0 00000001 00 00 14`, body, ErrNotInitial, nil},
		{"v2 type 0 is Retry", `c0 6b3343cf 00 00 00 14`, body, ErrNotInitial, nil},
		{"truncated version", `c0 0000`, nil, ErrMalformed, nil},
		{"DCID of 21 bytes", `c0 00000001 15` + " 00000000000000000000000000000000000000000000 00 00 14", body, ErrMalformed, nil},
		{"DCID beyond datagram", `c0 00000001 08 0102`, nil, ErrMalformed, nil},
		{"no SCID length", `c0 00000001 00`, nil, ErrMalformed, nil},
		{"token beyond datagram", `c0 00000001 00 00 44 00 ff`, nil, ErrMalformed, nil},
		{"truncated token length varint", `c0 00000001 00 00 80 00`, nil, ErrMalformed, nil},
		{"length beyond datagram", `c0 00000001 00 00 00 15`, body, ErrMalformed, nil},
		{"length below sample", `c0 00000001 00 00 00 13`, body, ErrMalformed, nil},
		{"8-byte length varint huge", `c0 00000001 00 00 00 ffffffffffffffff`, body, ErrMalformed, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := append(pcaptest.Hex(t, c.hex), c.tail...)
			var h Header
			err := ParseHeader(d, &h)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("error %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(&h) {
				t.Errorf("header %+v", h)
			}
		})
	}
}

// TestOpenTruncated opens every prefix of the RFC packet and of a packet
// with a token: nothing may panic, and only the whole packet opens.
func TestOpenTruncated(t *testing.T) {
	var k Keys
	if err := k.Derive(Version1, rfcDCID); err != nil {
		t.Fatal(err)
	}
	withToken := initial{version: Version1, dcid: rfcDCID, scid: []byte{1, 2, 3}, token: bytes.Repeat([]byte{7}, 70),
		pn: 1, pnLen: 2, payload: cryptoFrame(0, []byte{1, 0, 0, 1, 0xaa})}.seal(t, &k)
	for _, c := range []struct {
		name string
		pkt  []byte
	}{{"rfc", pcaptest.Hex(t, rfcPacketV1)}, {"token", withToken}} {
		t.Run(c.name, func(t *testing.T) {
			scratch := make([]byte, 0, 2048)
			for n := range len(c.pkt) + 1 {
				_, _, _, err := Open(&k, c.pkt[:n], scratch)
				if n == len(c.pkt) {
					if err != nil {
						t.Fatalf("whole packet: %v", err)
					}
					continue
				}
				if err == nil {
					t.Fatalf("prefix of %d bytes opened", n)
				}
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotInitial) {
					t.Fatalf("prefix of %d bytes: %v", n, err)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	pkt := pcaptest.Hex(t, rfcPacketV1)
	var k1, k2, other Keys
	for _, d := range []struct {
		k    *Keys
		v    uint32
		dcid []byte
	}{{&k1, Version1, rfcDCID}, {&k2, Version2, rfcDCID}, {&other, Version1, []byte{1, 2, 3, 4, 5, 6, 7, 8}}} {
		if err := d.k.Derive(d.v, d.dcid); err != nil {
			t.Fatal(err)
		}
	}
	flip := func(i int) []byte {
		p := bytes.Clone(pkt)
		p[i] ^= 0x01
		return p
	}
	cases := []struct {
		name    string
		k       *Keys
		dgram   []byte
		scratch []byte
		wantErr error
	}{
		{"no keys", &Keys{}, pkt, nil, ErrDecrypt},
		{"keys of another DCID", &other, pkt, nil, ErrDecrypt},
		{"keys of another version", &k2, pkt, nil, ErrNotInitial},
		{"protected packet number flipped", &k1, flip(19), nil, ErrDecrypt},
		{"ciphertext flipped", &k1, flip(100), nil, ErrDecrypt},
		{"tag flipped", &k1, flip(len(pkt) - 1), nil, ErrDecrypt},
		{"header (DCID) flipped", &k1, flip(7), nil, ErrDecrypt},
		{"scratch overlaps datagram", &k1, pkt, pkt[:0], ErrMalformed},
		{"small scratch allocates", &k1, pkt, make([]byte, 10), nil},
		{"nil scratch allocates", &k1, pkt, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orig := bytes.Clone(c.dgram)
			frames, _, rest, err := Open(c.k, c.dgram, c.scratch)
			if c.wantErr == nil {
				if err != nil || len(frames) != 1162 || len(rest) != 0 {
					t.Fatalf("%v, %d bytes of frames", err, len(frames))
				}
			} else if !errors.Is(err, c.wantErr) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			if errors.Is(err, ErrDecrypt) && c.k.Valid() && len(rest) != 0 {
				t.Errorf("rest of %d bytes after ErrDecrypt of a single packet", len(rest))
			}
			if !bytes.Equal(c.dgram, orig) {
				t.Error("Open modified the datagram")
			}
		})
	}
}

func TestDecodePN(t *testing.T) {
	for _, c := range []struct {
		name    string
		largest int64
		trunc   uint64
		pnLen   int
		want    uint64
	}{
		{"first packet", -1, 2, 4, 2},
		{"first packet, 1 byte", -1, 0xff, 1, 0xff},
		{"RFC 9000 A.3 example", 0xa82f30ea, 0x9b32, 2, 0xa82f9b32},
		{"wraps forward", 0xff, 0x01, 1, 0x101},
		{"just behind", 0x100, 0xff, 1, 0xff},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := decodePN(c.largest, c.trunc, c.pnLen); got != c.want {
				t.Errorf("decodePN = %#x, want %#x", got, c.want)
			}
		})
	}
}

func TestDerive(t *testing.T) {
	var k Keys
	if err := k.Derive(0xff00001d, rfcDCID); !errors.Is(err, ErrNotInitial) || k.Valid() {
		t.Errorf("draft-29: %v, valid %v", err, k.Valid())
	}
	if err := k.Derive(Version1, make([]byte, 21)); !errors.Is(err, ErrMalformed) || k.Valid() {
		t.Errorf("21-byte DCID: %v", err)
	}
	if err := k.Derive(Version1, nil); err != nil || !k.Matches(Version1, nil) || k.Matches(Version2, nil) {
		t.Errorf("empty DCID: %v", err)
	}
	dcid := bytes.Clone(rfcDCID)
	if err := k.Derive(Version2, dcid); err != nil {
		t.Fatal(err)
	}
	dcid[0] ^= 0xff // Derive copied it
	if !k.Matches(Version2, rfcDCID) || k.Matches(Version2, dcid) || k.Matches(Version1, rfcDCID) {
		t.Error("Matches")
	}
}
