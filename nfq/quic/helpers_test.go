package quic

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/safeinternet/cpe/nfq/hello"
)

// appendVarint appends v as a QUIC variable-length integer of the shortest
// encoding, or of width bytes (1, 2, 4, 8) when width is not 0.
func appendVarint(b []byte, v uint64, width int) []byte {
	if width == 0 {
		switch {
		case v < 1<<6:
			width = 1
		case v < 1<<14:
			width = 2
		case v < 1<<30:
			width = 4
		default:
			width = 8
		}
	}
	var enc [8]byte
	binary.BigEndian.PutUint64(enc[:], v)
	out := enc[8-width:]
	out[0] |= map[int]byte{1: 0, 2: 0x40, 4: 0x80, 8: 0xc0}[width]
	return append(b, out...)
}

// initial describes a client Initial packet for the test sealer.
type initial struct {
	version           uint32
	dcid, scid, token []byte
	pn                uint64
	pnLen             int    // 1..4
	payload           []byte // plaintext frames
	reserved          byte   // reserved header bits (0x0c) to set, for negative tests
}

// header returns the unprotected header (with the packet number).
func (p initial) header() []byte {
	typ := byte(0)
	if p.version == Version2 {
		typ = 1
	}
	h := []byte{0xc0 | typ<<4 | p.reserved | byte(p.pnLen-1)}
	h = binary.BigEndian.AppendUint32(h, p.version)
	h = append(h, byte(len(p.dcid)))
	h = append(h, p.dcid...)
	h = append(h, byte(len(p.scid)))
	h = append(h, p.scid...)
	h = appendVarint(h, uint64(len(p.token)), 0)
	h = append(h, p.token...)
	h = appendVarint(h, uint64(p.pnLen+len(p.payload)+16), 2)
	for i := p.pnLen - 1; i >= 0; i-- {
		h = append(h, byte(p.pn>>(8*i)))
	}
	return h
}

// seal protects the packet with k (the client's Initial keys of its
// version and original DCID), independently of Open: AEAD first, then
// header protection (RFC 9001 §5.3, §5.4).
func (p initial) seal(t testing.TB, k *Keys) []byte {
	t.Helper()
	if !k.Valid() {
		t.Fatal("seal: keys not derived")
	}
	h := p.header()
	var nonce [12]byte
	copy(nonce[:], k.iv[:])
	for i := range 8 {
		nonce[4+i] ^= byte(p.pn >> (56 - 8*i))
	}
	sealed := k.aead.Seal(nil, nonce[:], p.payload, h)
	pnOff := len(h) - p.pnLen
	if len(sealed) < 4-p.pnLen+16 {
		t.Fatalf("seal: payload of %d bytes too short to sample", len(p.payload))
	}
	sample := sealed[4-p.pnLen : 4-p.pnLen+16]
	var mask [16]byte
	k.hp.Encrypt(mask[:], sample)
	h[0] ^= mask[0] & 0x0f
	for i := range p.pnLen {
		h[pnOff+i] ^= mask[1+i]
	}
	return append(h, sealed...)
}

// cryptoFrame returns a CRYPTO frame carrying data at offset off.
func cryptoFrame(off uint64, data []byte) []byte {
	f := []byte{frameCrypto}
	f = appendVarint(f, off, 0)
	f = appendVarint(f, uint64(len(data)), 0)
	return append(f, data...)
}

// serverName reads the server name of a ClientHello handshake message with
// the project's ClientHello reader (nfq/hello): normalised (lowercased, no
// trailing dot), "" when the hello has none. It fails when msg is not a
// well-formed ClientHello.
func serverName(msg []byte) (string, error) {
	h := new(hello.Hello)
	if err := hello.Parse(msg, h); err != nil {
		return "", err
	}
	return string(h.Name()), nil
}

// errStop ends the server handshake once the ClientHello has been read.
var errStop = errors.New("test: stop after client hello")

// tlsServerName feeds msg to crypto/tls as a QUIC server's Initial data and
// returns the ServerName crypto/tls read from it, and whether it got that
// far (false: crypto/tls rejected the hello before GetConfigForClient).
func tlsServerName(t testing.TB, msg []byte) (name string, ok bool) {
	t.Helper()
	cfg := &tls.QUICConfig{TLSConfig: &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			name, ok = chi.ServerName, true
			return nil, errStop
		},
	}}
	conn := tls.QUICServer(cfg)
	defer conn.Close()
	if err := conn.Start(context.Background()); err != nil {
		t.Fatalf("tls: start: %v", err)
	}
	_ = conn.HandleData(tls.QUICEncryptionLevelInitial, msg)
	return name, ok
}

// goClientHello returns the ClientHello crypto/tls's QUIC client sends
// (Initial level CRYPTO data) for serverName, with the default curves (a
// post-quantum X25519MLKEM768 key share, so well over 1 KB).
func goClientHello(t testing.TB, serverName string) []byte {
	t.Helper()
	conn := tls.QUICClient(&tls.QUICConfig{TLSConfig: &tls.Config{
		ServerName: serverName,
		MinVersion: tls.VersionTLS13,
		NextProtos: []string{"h3"},
	}})
	defer conn.Close()
	// Transport parameters: initial_max_data 1 MiB, as bytes on the wire.
	conn.SetTransportParameters([]byte{0x04, 0x80, 0x10, 0x00, 0x00})
	if err := conn.Start(context.Background()); err != nil {
		t.Fatalf("tls: client start: %v", err)
	}
	var hello []byte
	for {
		e := conn.NextEvent()
		if e.Kind == tls.QUICNoEvent {
			break
		}
		if e.Kind == tls.QUICWriteData && e.Level == tls.QUICEncryptionLevelInitial {
			hello = append(hello, e.Data...)
		}
	}
	if len(hello) == 0 {
		t.Fatal("tls: client wrote no initial data")
	}
	return hello
}
