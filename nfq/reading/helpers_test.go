package reading

import (
	"crypto/tls"
	"io"
	"net"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
)

// tinyHello is the smallest ClientHello that names a server: one handshake
// record holding a TLS 1.2-style client_hello with one extension,
// server_name "A.Test." (normalised to "a.test").
const tinyHello = `
	16 0301 003f                 # handshake record, version 3.1, 63 bytes
	01 00003b                    # client_hello, 59 bytes
	0303                         # legacy_version
	1111111111111111111111111111111111111111111111111111111111111111  # random
	00                           # session id: empty
	0002 1301                    # cipher suites: TLS_AES_128_GCM_SHA256
	01 00                        # compression methods: null
	0010                         # extensions: 16 bytes
	0000 000c                    #   server_name, 12 bytes
	000a                         #     server name list, 10 bytes
	00 0007 412e546573742e       #     host_name (7 bytes) "A.Test."
`

// noSNIHello is tinyHello with no extension at all.
const noSNIHello = `
	16 0301 002d                 # handshake record, 45 bytes
	01 000029                    # client_hello, 41 bytes
	0303                         # legacy_version
	2222222222222222222222222222222222222222222222222222222222222222  # random
	00                           # session id: empty
	0002 1301                    # cipher suites
	01 00                        # compression methods: null
`

// ccs is a change_cipher_spec record, as clients send in middlebox
// compatibility mode after their ClientHello.
const ccs = `14 0303 0001 01`

func mustHex(tb testing.TB, s string) []byte { tb.Helper(); return pcaptest.Hex(tb, s) }

// goHello returns the first flight of Go's crypto/tls client for
// serverName: one handshake record holding its ClientHello, about 1.8 KB
// with the post-quantum key share Go offers by default.
func goHello(tb testing.TB, serverName string) []byte {
	tb.Helper()
	cc, sc := net.Pipe()
	defer sc.Close()
	go func() {
		c := tls.Client(cc, &tls.Config{ServerName: serverName, InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		c.Handshake() // fails once sc is closed
		cc.Close()
	}()
	var hdr [5]byte
	if _, err := io.ReadFull(sc, hdr[:]); err != nil {
		tb.Fatal(err)
	}
	rec := make([]byte, 5+(int(hdr[3])<<8|int(hdr[4])))
	copy(rec, hdr[:])
	if _, err := io.ReadFull(sc, rec[5:]); err != nil {
		tb.Fatal(err)
	}
	return rec
}

// recordSplit re-frames a one-record ClientHello into two records, the
// first carrying n bytes of the handshake message.
func recordSplit(rec []byte, n int) []byte {
	body := rec[5:]
	frame := func(b []byte) []byte { return append([]byte{0x16, 3, 1, byte(len(b) >> 8), byte(len(b))}, b...) }
	return slices.Concat(frame(body[:n]), frame(body[n:]))
}

// cut cuts b into pieces at the given offsets.
func cut(b []byte, at ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, a := range at {
		out = append(out, b[prev:a])
		prev = a
	}
	return append(out, b[prev:])
}

// quicHello is the ClientHello of Go's QUIC client for name.
func quicHello(tb testing.TB, name string) []byte {
	tb.Helper()
	h, err := quictest.Hello(name)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// initials seals hello into client Initial datagrams.
func initials(tb testing.TB, hello []byte, o quictest.Options) [][]byte {
	tb.Helper()
	d, err := quictest.Initials(hello, o)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// zeroRTT is a QUIC v1 0-RTT packet of 1200 bytes: no keys are needed to
// see that it is not an Initial.
func zeroRTT(tb testing.TB) []byte {
	return append(mustHex(tb, `
		d0 00000001          # long header, type 0-RTT; version 1
		08 0102030405060708  # DCID
		00                   # SCID: empty
		44 a0                # length: 1184
	`), make([]byte, 1184)...)
}
