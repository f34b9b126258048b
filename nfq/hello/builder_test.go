package hello

import (
	"golang.org/x/crypto/cryptobyte"
)

// This file builds readable ClientHellos for the tests: a chb lists the
// extensions in the order they go on the wire, and the helpers below make
// each extension from plain values.

// ext is one extension: its type and its raw data.
type ext struct {
	typ  uint16
	data []byte
}

// chb describes a ClientHello. The zero value is a TLS 1.2 hello with one
// cipher suite, no session id and an empty extensions block; noExts leaves
// the block out altogether.
type chb struct {
	version   uint16 // legacy_version; 0 means 0x0303
	sessionID []byte
	suites    []uint16 // nil means {0x1301}
	exts      []ext
	noExts    bool
}

// msg returns the handshake message: type client_hello, uint24 length, body.
func (c chb) msg() []byte {
	var b cryptobyte.Builder
	b.AddUint8(typeClientHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		v := c.version
		if v == 0 {
			v = 0x0303
		}
		b.AddUint16(v)
		b.AddBytes(make([]byte, 32)) // random
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c.sessionID) })
		suites := c.suites
		if suites == nil {
			suites = []uint16{0x1301}
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range suites {
				b.AddUint16(s)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // null compression
		if c.noExts {
			return
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range c.exts {
				b.AddUint16(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
			}
		})
	})
	return b.BytesOrPanic()
}

// sniEntry is one entry of a server_name list.
type sniEntry struct {
	typ  uint8
	name string
}

// sni is a server_name extension with one host_name entry per name.
func sni(names ...string) ext {
	entries := make([]sniEntry, len(names))
	for i, n := range names {
		entries[i] = sniEntry{0, n}
	}
	return sniEntries(entries...)
}

// sniEntries is a server_name extension with the given entries.
func sniEntries(entries ...sniEntry) ext {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range entries {
			b.AddUint8(e.typ)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(e.name)) })
		}
	})
	return ext{extServerName, b.BytesOrPanic()}
}

// alpn is an application_layer_protocol_negotiation extension.
func alpn(protos ...string) ext {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range protos {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
		}
	})
	return ext{extALPN, b.BytesOrPanic()}
}

// groups is a supported_groups extension.
func groups(ids ...uint16) ext {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, g := range ids {
			b.AddUint16(g)
		}
	})
	return ext{extSupportedGroups, b.BytesOrPanic()}
}

// keyShare is a key_share extension with a 32-byte key per group.
func keyShare(ids ...uint16) ext {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, g := range ids {
			b.AddUint16(g)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
		}
	})
	return ext{extKeyShare, b.BytesOrPanic()}
}

// versions is a supported_versions extension.
func versions(vs ...uint16) ext {
	var b cryptobyte.Builder
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
	return ext{extSupportedVers, b.BytesOrPanic()}
}

// raw is an extension with the given data, for anything else.
func raw(typ uint16, data ...byte) ext { return ext{typ, data} }

// padding is a padding extension (21) of n zero bytes.
func padding(n int) ext { return ext{21, make([]byte, n)} }

// records cuts a handshake message into TLS handshake records: one per
// size in sizes, the last one taking what is left (a record of every size
// given, then one more if bytes remain). Record version 0x0301, as browsers
// send it.
func records(msg []byte, sizes ...int) []byte {
	var out []byte
	add := func(p []byte) {
		out = append(out, recordTypeHandshake, 3, 1, byte(len(p)>>8), byte(len(p)))
		out = append(out, p...)
	}
	for _, n := range sizes {
		if n > len(msg) {
			n = len(msg)
		}
		if n == 0 {
			break
		}
		add(msg[:n])
		msg = msg[n:]
	}
	for len(msg) > 0 {
		n := min(len(msg), maxRecordPayload)
		add(msg[:n])
		msg = msg[n:]
	}
	return out
}

// record wraps payload in one record of the given type and version.
func record(typ uint8, vers uint16, payload []byte) []byte {
	out := []byte{typ, byte(vers >> 8), byte(vers), byte(len(payload) >> 8), byte(len(payload))}
	return append(out, payload...)
}

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// chrome is a hand-built hello shaped like a current Chrome's: GREASE,
// post-quantum key share, GREASE ECH, ALPN h2 and http/1.1.
func chrome(name string) chb {
	return chb{
		sessionID: make([]byte, 32),
		suites:    []uint16{0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f},
		exts: []ext{
			raw(0x2a2a),
			sni(name),
			raw(23),        // extended_master_secret
			raw(0xff01, 0), // renegotiation_info
			groups(0x4a4a, 0x11ec, 29, 23, 24),
			raw(11, 1, 0), // ec_point_formats
			raw(35),       // session_ticket
			alpn("h2", "http/1.1"),
			raw(5, 1, 0, 0, 0, 0),     // status_request
			raw(13, 0, 4, 4, 3, 8, 4), // signature_algorithms
			raw(18),                   // signed_certificate_timestamp
			{extKeyShare, keyShareData(map[uint16]int{0x4a4a: 1, 0x11ec: 1216, 29: 32})},
			raw(45, 1, 1), // psk_key_exchange_modes
			versions(0x5a5a, 0x0304, 0x0303),
			raw(27, 2, 0, 2),               // compress_certificate
			raw(0x44cd, 0, 3, 2, 'h', '2'), // application_settings
			{extECH, echOuter(32, 144)},
			raw(0x1a1a, 0),
		},
	}
}

// keyShareData is key_share data with a key of the given size per group,
// in ascending group order from a fixed list (GREASE, PQ, x25519).
func keyShareData(sizes map[uint16]int) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, g := range []uint16{0x4a4a, 0x11ec, 0x6399, 29} {
			if n, ok := sizes[g]; ok {
				b.AddUint16(g)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, n)) })
			}
		}
	})
	return b.BytesOrPanic()
}

// echOuter is an outer encrypted_client_hello extension (type outer,
// HKDF-SHA256, AES-128-GCM, config id 0x7f) with an enc and a payload of
// the given sizes, the shape of Chrome's GREASE ECH.
func echOuter(enc, payload int) []byte {
	var b cryptobyte.Builder
	b.AddUint8(0)
	b.AddUint16(1)
	b.AddUint16(1)
	b.AddUint8(0x7f)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, enc)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, payload)) })
	return b.BytesOrPanic()
}
