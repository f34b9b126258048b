// Package quic reads the ClientHello out of the client's QUIC Initial
// packets, as a router sees them: the UDP payload of a datagram from a LAN
// device (possibly several coalesced QUIC packets), one datagram at a time.
//
// It knows QUIC version 1 (RFC 9000, RFC 9001) and version 2 (RFC 9369) and
// nothing else: it removes header protection and the AEAD of client Initial
// packets with the Initial keys derived from the Destination Connection ID,
// walks the frames an Initial may carry and reassembles the CRYPTO stream up
// to the first handshake message. It never writes into the caller's
// datagram; plaintext goes to a scratch buffer.
//
// The pieces, from low to high level:
//
//   - ParseHeader: cheap, keyless check that a datagram starts with a long
//     header Initial of a supported version, and where its fields are.
//   - Keys and Open: Initial keys for one (version, DCID), derived once
//     (Derive allocates the AES and GCM state), then used to decrypt
//     packets without allocating.
//   - Crypto: a fixed-capacity (MaxCrypto) CRYPTO stream assembler that
//     accepts frames at any offset, in any order, and rejects overlapping
//     bytes that differ (ErrConflict), an evasion a middlebox must not
//     resolve differently from the server.
//   - Reader: all of the above for one flow.
//
// Every length read from the wire is checked before it is used; malformed
// input becomes an error wrapping one of the sentinel errors, never a panic.
// Multi-byte fields are read big-endian explicitly, so the package behaves
// the same on big-endian (MIPS) and little-endian hosts. Nothing here is
// safe for concurrent use unless its documentation says so.
package quic
