// Package quictest builds the client side of a QUIC handshake's start as a
// router sees it: the ClientHello that Go's crypto/tls QUIC client writes,
// cut into CRYPTO frames and sealed into client Initial packets of QUIC
// version 1 or 2, in the shapes real clients (and evasive ones) send.
//
// It is test support, for the tests of other packages and for lab tools;
// the daemon never imports it. It uses the standard library's crypto only
// (crypto/hkdf, crypto/aes, crypto/cipher) and shares no code with package
// quic, so that a fault in the reader's key derivation or header protection
// cannot hide behind the same fault in the sealer; its tests check it
// against the test vectors of RFC 9001 and RFC 9369.
//
// Nothing here keeps state between calls: every function is safe for
// concurrent use, except that an Options.Shuffle source must not be shared
// by concurrent calls.
package quictest

import (
	"context"
	"crypto/tls"
	"fmt"
)

// transportParameters are the QUIC transport parameters the ClientHello
// carries (RFC 9000 §18.2): id, length, value, each id and value a varint.
var transportParameters = []byte{
	0x01, 0x04, 0x80, 0x00, 0x75, 0x30, // max_idle_timeout 30000 ms
	0x04, 0x04, 0x80, 0x10, 0x00, 0x00, // initial_max_data 1 MiB
	0x05, 0x04, 0x80, 0x04, 0x00, 0x00, // initial_max_stream_data_bidi_local 256 KiB
	0x06, 0x04, 0x80, 0x04, 0x00, 0x00, // initial_max_stream_data_bidi_remote 256 KiB
	0x07, 0x04, 0x80, 0x04, 0x00, 0x00, // initial_max_stream_data_uni 256 KiB
	0x08, 0x02, 0x40, 0x64, // initial_max_streams_bidi 100
	0x09, 0x02, 0x40, 0x64, // initial_max_streams_uni 100
	0x0f, 0x00, // initial_source_connection_id: empty
}

// Hello returns the CRYPTO stream data of the Initial encryption level that
// Go's crypto/tls QUIC client (tls.QUICClient) writes for serverName with a
// default configuration and ALPN "h3": the ClientHello handshake message,
// 4-byte header included. With this Go's default key shares it is
// post-quantum (X25519MLKEM768), about 1.2–1.8 KB, so it needs two
// Initials of common size. serverName "" gives a ClientHello without the
// server_name extension (crypto/tls also leaves it out for IP addresses).
// Every call returns a new ClientHello (fresh random and key shares); the
// slice is the caller's.
func Hello(serverName string) ([]byte, error) {
	conn := tls.QUICClient(&tls.QUICConfig{TLSConfig: &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: serverName == "", // crypto/tls wants one or the other
		MinVersion:         tls.VersionTLS13,
		NextProtos:         []string{"h3"},
	}})
	defer conn.Close()
	conn.SetTransportParameters(transportParameters)
	if err := conn.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("quictest: hello: start: %w", err)
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
	if len(hello) < 4 || len(hello) != 4+(int(hello[1])<<16|int(hello[2])<<8|int(hello[3])) {
		return nil, fmt.Errorf("quictest: hello: crypto/tls wrote %d bytes of initial data, not one handshake message", len(hello))
	}
	return hello, nil
}
