package hello

// TLS record layer constants (RFC 8446 §5.1).
const (
	recordHeaderLen     = 5
	recordTypeHandshake = 22
	// maxRecordPayload is the largest plaintext fragment a record may carry
	// (2^14); crypto/tls, OpenSSL and the RFC reject longer ones.
	maxRecordPayload = 16384
	// handshakeHeaderLen is the handshake message header: type and uint24
	// length.
	handshakeHeaderLen = 4
)

// Handshake takes the client→server bytes of a TCP connection from its first
// byte and returns the first handshake message (its 4-byte header and body)
// once it is complete, reassembled across TLS records. Records may be
// fragmented arbitrarily (a 1-byte first record, a split inside the handshake
// header or the server name): only the record boundaries in stream matter,
// not how stream was cut into TCP segments.
//
// Ownership: when the message lies in one record, msg aliases stream (no
// copy). Otherwise the record payloads are appended to dst and msg aliases
// the appended part; pass dst[:0] of a caller-owned buffer to reuse it. With
// cap(dst)-len(dst) >= MaxHello Handshake never allocates; with less, append
// may allocate a new array, which msg then points into. dst and stream must
// not overlap. stream is never modified. msg's capacity equals its length.
//
// used is the number of stream bytes taken by the records that make up msg;
// the message always ends at the end of a record (see below), so
// stream[used:] is what the client sent after its first handshake message
// (a second ClientHello, a change_cipher_spec, early data). used is 0 on error.
//
// Errors (sentinels, compare with errors.Is; none allocates):
//   - ErrNeedMore: stream is a valid prefix so far, more bytes are needed.
//     Any prefix of a stream that Handshake accepts gives ErrNeedMore, never
//     another error.
//   - ErrNotTLS: stream does not start with a handshake record (first byte
//     not 22, or record version major not 3). Any record version minor is
//     accepted: servers ignore it (RFC 8446 §5.1), so refusing 3.5 as "not
//     TLS" would let a client dodge inspection.
//   - ErrTooBig: the first handshake message announces more than MaxHello
//     bytes (header included); reported as soon as its header is in.
//   - ErrMalformed (wrapped with detail): a later record that is not a
//     handshake record or whose version major is not 3, a zero-length or
//     over-long (> 2^14) record, or a record that carries bytes after the
//     end of the first message. crypto/tls and OpenSSL refuse the first
//     three; a record holding more than the ClientHello is never sent by a
//     real client (TLS 1.3 requires the ClientHello to end at a record
//     boundary, RFC 8446 §5.1) and would hide a second message from
//     stream[used:]. crypto/tls skips warning alerts interleaved with the
//     fragments of a first message; Handshake refuses them.
func Handshake(dst, stream []byte) (msg []byte, used int, err error) {
	var (
		hdr  [handshakeHeaderLen]byte
		nh   int // bytes of hdr filled
		want = -1
		have int // payload bytes of complete records
		off  int
		recs int
	)
	for {
		rest := stream[off:]
		if err := checkRecordPrefix(rest, off == 0); err != nil {
			return nil, 0, err
		}
		if len(rest) < recordHeaderLen {
			return nil, 0, ErrNeedMore
		}
		n := int(rest[3])<<8 | int(rest[4])
		if n == 0 {
			return nil, 0, errEmptyRecord
		}
		if n > maxRecordPayload {
			return nil, 0, errLongRecord
		}
		payload := rest[recordHeaderLen:]
		if len(payload) > n {
			payload = payload[:n]
		}
		for i := 0; nh < handshakeHeaderLen && i < len(payload); i++ {
			hdr[nh] = payload[i]
			nh++
		}
		if want < 0 && nh == handshakeHeaderLen {
			want = handshakeHeaderLen + (int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3]))
			if want > MaxHello {
				return nil, 0, ErrTooBig
			}
		}
		if want >= 0 && have+n > want {
			return nil, 0, errTrailing
		}
		if len(payload) < n {
			return nil, 0, ErrNeedMore
		}
		have += n
		off += recordHeaderLen + n
		recs++
		if have == want {
			break
		}
	}
	if recs == 1 {
		return stream[recordHeaderLen : recordHeaderLen+want : recordHeaderLen+want], off, nil
	}
	start := len(dst)
	for p := 0; p < off; {
		n := int(stream[p+3])<<8 | int(stream[p+4])
		dst = append(dst, stream[p+recordHeaderLen:p+recordHeaderLen+n]...)
		p += recordHeaderLen + n
	}
	return dst[start : start+want : start+want], off, nil
}

// checkRecordPrefix checks the bytes of a record header present in b (up to
// five): type handshake and version major 3. first selects the error for a
// mismatch: ErrNotTLS for the stream's first record, ErrMalformed after.
func checkRecordPrefix(b []byte, first bool) error {
	if len(b) >= 1 && b[0] != recordTypeHandshake {
		if first {
			return ErrNotTLS
		}
		return errRecordType
	}
	if len(b) >= 2 && b[1] != 3 {
		if first {
			return ErrNotTLS
		}
		return errRecordVersion
	}
	return nil
}
