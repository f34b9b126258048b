package quic

import (
	"bytes"
	"errors"
	"testing"
)

// testMsg is a handshake message of 300 bytes: type 1, length 296, body
// bytes counting up, so misplaced bytes show.
func testMsg() []byte {
	m := []byte{0x01, 0x00, 0x01, 0x28}
	for i := range 296 {
		m = append(m, byte(i*7+3))
	}
	return m
}

func TestCrypto(t *testing.T) {
	m := testMsg()
	cf := cryptoFrame
	cat := func(b ...[]byte) []byte { return bytes.Join(b, nil) }
	changed := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 0x80
		return b
	}
	cases := []struct {
		name    string
		packets [][]byte // frames of each packet, added in order
		wantErr error
		done    bool // the message is complete
	}{
		{"one frame", [][]byte{cf(0, m)}, nil, true},
		{"header only", [][]byte{cf(0, m[:4])}, nil, false},
		{"missing last byte", [][]byte{cf(0, m[:299])}, nil, false},
		{"reverse order, word boundaries", [][]byte{cf(200, m[200:]), cf(63, m[63:200]), cf(1, m[1:63]), cf(0, m[:1])}, nil, true},
		{"gap in the middle", [][]byte{cf(0, m[:100]), cf(101, m[101:])}, nil, false},
		{"gap filled later", [][]byte{cf(0, m[:100]), cf(101, m[101:]), cf(100, m[100:101])}, nil, true},
		{"equal overlaps across partly filled words", [][]byte{cf(10, m[10:20]), cf(70, m[70:75]), cf(0, m[:150]), cf(5, m[5:290]), cf(0, m)}, nil, true},
		{"frames of one packet in any order", [][]byte{cat(cf(150, m[150:]), []byte{framePing}, cf(0, m[:150]))}, nil, true},
		{"padding, ping, acks, close", [][]byte{cat([]byte{0, 0, 0, framePing, frameAck, 0x40, 0x10, 0, 0, 0},
			[]byte{frameAckECN, 1, 0, 0, 0, 0, 0, 0}, []byte{frameConnClose, 0x01, 0x06, 0x00}, cf(0, m), []byte{0, 0})}, nil, true},
		{"empty CRYPTO far away", [][]byte{cat(cf(0, m), []byte{frameCrypto, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00})}, nil, true},
		{"conflict with a complete message", [][]byte{cf(0, m), cf(100, changed(m[100:120], 7))}, ErrConflict, true},
		{"conflict in a partly filled word", [][]byte{cf(0, m[:66]), cf(64, changed(m[64:80], 1))}, ErrConflict, false},
		{"conflict in a partly filled word, new byte first", [][]byte{cf(66, m[66:80]), cf(60, changed(m[60:70], 9))}, ErrConflict, false},
		{"conflict on the header", [][]byte{cf(0, m[:4]), cf(4, m[4:10]), cf(0, []byte{0x01, 0x00, 0x01, 0x29})}, ErrConflict, false},
		{"data at the last offset", [][]byte{cf(MaxCrypto-1, []byte{1})}, nil, false},
		{"data beyond capacity", [][]byte{cf(MaxCrypto-1, []byte{1, 2})}, ErrTooBig, false},
		{"offset 2^62-1", [][]byte{{frameCrypto, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xaa}}, ErrTooBig, false},
		{"declared message beyond capacity", [][]byte{cf(0, []byte{0x01, 0x00, 0x3f, 0xfd})}, ErrTooBig, false},
		{"declared message at capacity", [][]byte{cf(0, []byte{0x01, 0x00, 0x3f, 0xfc})}, nil, false},
		{"length beyond packet", [][]byte{{frameCrypto, 0x00, 0x05, 0x01, 0x02}}, ErrMalformed, false},
		{"truncated offset", [][]byte{{frameCrypto, 0x40}}, ErrMalformed, false},
		{"truncated length", [][]byte{{frameCrypto, 0x00}}, ErrMalformed, false},
		{"truncated ack", [][]byte{{frameAck, 0x01, 0x00}}, ErrMalformed, false},
		{"ack with absurd range count", [][]byte{{frameAck, 0x01, 0x00, 0xbf, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00}}, ErrMalformed, false},
		{"ack ecn missing counts", [][]byte{{frameAckECN, 0x01, 0x00, 0x00, 0x00, 0x00}}, ErrMalformed, false},
		{"close reason beyond packet", [][]byte{{frameConnClose, 0x01, 0x00, 0x09, 'x'}}, ErrMalformed, false},
		{"application close", [][]byte{{0x1d, 0x00, 0x00}}, ErrMalformed, false},
		{"stream frame", [][]byte{{0x08, 0x00, 0x00}}, ErrMalformed, false},
		{"new token", [][]byte{{0x07, 0x00}}, ErrMalformed, false},
		{"CRYPTO type in two bytes", [][]byte{{0x40, 0x06, 0x00, 0x01, 0x01}}, ErrMalformed, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cr Crypto
			var err error
			for _, p := range c.packets {
				if err = cr.AddFrames(p); err != nil {
					break
				}
			}
			if (c.wantErr == nil) != (err == nil) || (err != nil && !errors.Is(err, c.wantErr)) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			msg, ok := cr.Hello()
			if ok != c.done || (ok && !bytes.Equal(msg, m)) {
				t.Fatalf("Hello: %v, %d bytes", ok, len(msg))
			}
			cr.Reset()
			if _, ok := cr.Hello(); ok || cr.Contiguous() != 0 {
				t.Fatal("not empty after Reset")
			}
			if err := cr.AddFrames(cf(0, m)); err != nil {
				t.Fatalf("after Reset: %v", err)
			}
		})
	}
}

// TestCryptoHelloStable: a complete message's bytes do not change as more
// (equal) data arrives, and data beyond the message is accepted.
func TestCryptoHelloStable(t *testing.T) {
	m := testMsg()
	var c Crypto
	if err := c.AddFrames(cryptoFrame(0, m)); err != nil {
		t.Fatal(err)
	}
	msg, _ := c.Hello()
	if err := c.AddFrames(cat2(cryptoFrame(0, m), cryptoFrame(300, []byte("beyond")))); err != nil {
		t.Fatal(err)
	}
	again, ok := c.Hello()
	if !ok || &again[0] != &msg[0] || !bytes.Equal(again, m) || c.Contiguous() != 306 {
		t.Errorf("Hello changed: %v, contiguous %d", ok, c.Contiguous())
	}
}

func cat2(a, b []byte) []byte { return append(bytes.Clone(a), b...) }
