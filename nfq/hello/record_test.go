package hello

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

func TestHandshake(t *testing.T) {
	msg := chrome("www.example.com").msg()
	sniAt := bytes.Index(msg, []byte("www.example.com"))
	ccs := record(20, 0x0303, []byte{1})
	tests := []struct {
		name    string
		stream  []byte
		records int // how many records msg spans
		rest    []byte
	}{
		{"one record", records(msg), 1, nil},
		{"one record then change_cipher_spec", cat(records(msg), ccs), 1, ccs},
		{"one-byte first record", records(msg, 1), 2, nil},
		{"header split 2+2", records(msg, 2, 2), 3, nil},
		{"split inside the header length", records(msg, 3), 2, nil},
		{"split inside the server name", records(msg, sniAt+4), 2, nil},
		{"split before the server name", records(msg, sniAt), 2, nil},
		{"every record one byte", records(msg, ones(len(msg))...), len(msg), nil},
		{"then a second hello", cat(records(msg, 100), records(msg)), 2, records(msg)},
		{"record version 3.0 and 3.9", cat(record(22, 0x0300, msg[:10]), record(22, 0x0309, msg[10:])), 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]byte, 0, MaxHello)
			got, used, err := Handshake(dst, tt.stream)
			if err != nil {
				t.Fatalf("Handshake: %v", err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("msg differs (len %d, want %d)", len(got), len(msg))
			}
			if !bytes.Equal(tt.stream[used:], tt.rest) {
				t.Errorf("stream[used:] = %d bytes, want %d", len(tt.stream)-used, len(tt.rest))
			}
			inStream := &got[0] == &tt.stream[recordHeaderLen]
			if inStream != (tt.records == 1) {
				t.Errorf("msg aliases stream: %v; records %d", inStream, tt.records)
			}
			if tt.records > 1 && &got[0] != &dst[:1][0] {
				t.Error("msg of several records is not in dst")
			}
			if cap(got) != len(got) {
				t.Errorf("cap(msg) = %d, len %d", cap(got), len(got))
			}
			var h Hello
			if err := Parse(got, &h); err != nil || string(h.Name()) != "www.example.com" {
				t.Errorf("Parse: %v, name %q", err, h.Name())
			}
		})
	}
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// TestHandshakeAppendsToDst checks that Handshake appends after dst's
// contents and leaves them alone.
func TestHandshakeAppendsToDst(t *testing.T) {
	msg := chb{exts: []ext{sni("a.example")}}.msg()
	dst := []byte("keep")
	got, _, err := Handshake(dst, records(msg, 10))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Handshake: %v, msg equal %v", err, bytes.Equal(got, msg))
	}
	if string(dst) != "keep" {
		t.Errorf("dst changed to %q", dst)
	}
}

// TestHandshakePrefixNeedsMore cuts valid streams at every length: each
// prefix must say ErrNeedMore, never ErrMalformed or a guess.
func TestHandshakePrefixNeedsMore(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	msg := chrome("split.example.com").msg()
	streams := map[string][]byte{
		"one record":        records(msg),
		"one-byte records":  records(msg, ones(40)...),
		"split in the name": records(msg, bytes.Index(msg, []byte("split"))+3),
		"random splits":     records(msg, randomSizes(rng, len(msg))...),
		"no extensions":     records(chb{noExts: true}.msg(), 7),
		"huge padded hello": records(chb{exts: []ext{sni("big.example"), padding(MaxHello - 200)}}.msg(), 1, 9000),
	}
	for name, s := range streams {
		t.Run(name, func(t *testing.T) {
			dst := make([]byte, 0, MaxHello)
			full, used, err := Handshake(dst, s)
			if err != nil || used != len(s) {
				t.Fatalf("whole stream: %v, used %d of %d", err, used, len(s))
			}
			full = bytes.Clone(full)
			for n := range len(s) {
				if _, used, err := Handshake(dst, s[:n]); err != ErrNeedMore || used != 0 {
					t.Fatalf("prefix of %d bytes: %v, used %d; want ErrNeedMore", n, err, used)
				}
			}
			var h Hello
			for n := range len(full) {
				if err := Parse(full[:n], &h); err != ErrNeedMore {
					t.Fatalf("Parse of a %d-byte prefix: %v; want ErrNeedMore", n, err)
				}
			}
		})
	}
}

func randomSizes(rng *rand.Rand, n int) []int {
	var s []int
	for n > 0 {
		k := 1 + rng.IntN(min(n, 300))
		s = append(s, k)
		n -= k
	}
	return s
}

func TestHandshakeErrors(t *testing.T) {
	msg := chb{exts: []ext{sni("example.com")}}.msg()
	alert := record(21, 0x0301, []byte{1, 0})
	// withLen returns msg with its uint24 length set to n (body unchanged).
	withLen := func(n int) []byte {
		m := bytes.Clone(msg)
		m[1], m[2], m[3] = byte(n>>16), byte(n>>8), byte(n)
		return m
	}
	tests := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"empty", nil, ErrNeedMore},
		{"type only", []byte{22}, ErrNeedMore},
		{"record header only", []byte{22, 3, 1, 0, 10}, ErrNeedMore},
		{"http request", []byte("GET / HTTP/1.1\r\n"), ErrNotTLS},
		{"application data first", record(23, 0x0303, msg), ErrNotTLS},
		{"alert first", alert, ErrNotTLS},
		{"ssl2 hello", []byte{0x80, 0x2e, 0x01, 0x03, 0x01}, ErrNotTLS},
		{"version major 2", []byte{22, 2}, ErrNotTLS},
		{"version major 0x13", record(22, 0x1301, msg), ErrNotTLS},
		{"zero-length first record", record(22, 0x0301, nil), errEmptyRecord},
		{"zero-length record in the middle", cat(records(msg[:5]), record(22, 0x0301, nil), records(msg[5:])), errEmptyRecord},
		{"record over 2^14", []byte{22, 3, 1, 0x40, 0x01}, errLongRecord},
		{"alert between fragments", cat(records(msg[:5]), alert, records(msg[5:])), errRecordType},
		{"change_cipher_spec between fragments", cat(records(msg[:5]), record(20, 0x0303, []byte{1})), errRecordType},
		{"next record type alone", cat(records(msg[:5]), []byte{21}), errRecordType},
		{"bad version in a later record", cat(records(msg[:5]), record(22, 0x0201, msg[5:])), errRecordVersion},
		{"record carries more than the message", records(append(bytes.Clone(msg), 1, 0, 0, 0)), errTrailing},
		{"known trailing before it arrives", records(append(bytes.Clone(msg), 1, 0, 0, 0))[:20], errTrailing},
		{"empty message with data after", records([]byte{1, 0, 0, 0, 9}), errTrailing},
		{"too big", cat([]byte{22, 3, 1, 0x40, 0}, withLen(MaxHello-3)), ErrTooBig},
		{"too big, header across records", records(withLen(1<<24 - 1)[:4], 1, 1, 1, 1), ErrTooBig},
		{"largest allowed waits", cat([]byte{22, 3, 1, 0x40, 0}, withLen(MaxHello-4)), ErrNeedMore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, used, err := Handshake(nil, tt.stream)
			if err != tt.want {
				t.Fatalf("Handshake = %v, want %v", err, tt.want)
			}
			if msg != nil || used != 0 {
				t.Errorf("msg %d bytes, used %d on error", len(msg), used)
			}
			if tt.want != ErrNeedMore && tt.want != ErrNotTLS && tt.want != ErrTooBig && !errors.Is(err, ErrMalformed) {
				t.Errorf("%v does not wrap ErrMalformed", err)
			}
		})
	}
}

// TestHandshakeMaxHello checks the boundary: a message of exactly MaxHello
// bytes, reassembled from two records, is returned.
func TestHandshakeMaxHello(t *testing.T) {
	base := chb{exts: []ext{sni("max.example")}}.msg()
	msg := chb{exts: []ext{sni("max.example"), padding(MaxHello - len(base) - 4)}}.msg()
	if len(msg) != MaxHello {
		t.Fatalf("built %d bytes, want %d", len(msg), MaxHello)
	}
	got, _, err := Handshake(make([]byte, 0, MaxHello), records(msg))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Handshake: %v", err)
	}
	var h Hello
	if err := Parse(got, &h); err != nil || string(h.Name()) != "max.example" {
		t.Fatalf("Parse: %v, %q", err, h.Name())
	}
}

// TestHandshakeFixture reads a commented hex dump of a minimal stream: two
// records, the second starting inside the server name.
func TestHandshakeFixture(t *testing.T) {
	stream := pcaptest.Hex(t, `
		16 0301 0039          # record 1: handshake, TLS 1.0, 57 bytes
		01 00003b             # client_hello, 59 bytes
		0303                  # legacy_version TLS 1.2
		0000000000000000 0000000000000000 0000000000000000 0000000000000000 # random
		00                    # session id: none
		0002 1301             # cipher suites: TLS_AES_128_GCM_SHA256
		01 00                 # compression: null
		0010                  # extensions: 16 bytes
		0000 0007 0005 00 0002 61  # server_name: list 5, host_name, 2 bytes, "a"...
		16 0303 0006          # record 2: handshake, TLS 1.2, 6 bytes
		42                    # ..."B": the name is "aB"
		ff01 0001 00          # renegotiation_info: empty
	`)
	msg, used, err := Handshake(nil, stream)
	if err != nil || used != len(stream) || len(msg) != 0x3f {
		t.Fatalf("Handshake: %v, used %d, msg %d bytes", err, used, len(msg))
	}
	var h Hello
	if err := Parse(msg, &h); err != nil || string(h.Name()) != "ab" || h.NumExtensions() != 2 {
		t.Fatalf("Parse: %v, name %q, %d extensions", err, h.Name(), h.NumExtensions())
	}
}
