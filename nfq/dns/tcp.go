package dns

import "encoding/binary"

// SplitTCP returns the first whole DNS message of a TCP stream's bytes
// (RFC 1035 §4.2.2: each message is preceded by its 2-byte big-endian length)
// and the bytes after it. ok is false when payload does not yet hold a whole
// message (fewer than 2 bytes, or fewer than the announced length); then msg
// and rest are nil. A zero-length message is returned as an empty msg. The
// results alias payload.
func SplitTCP(payload []byte) (msg, rest []byte, ok bool) {
	if len(payload) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(payload))
	if len(payload) < 2+n {
		return nil, nil, false
	}
	return payload[2 : 2+n : 2+n], payload[2+n:], true
}

// AppendTCPFrame appends msg to dst preceded by its 2-byte length, as DNS
// over TCP carries it. It returns ErrTooLong (and dst unchanged) when msg is
// longer than 65535 bytes.
func AppendTCPFrame(dst, msg []byte) ([]byte, error) {
	if len(msg) > 0xffff {
		return dst, ErrTooLong
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(msg)))
	return append(dst, msg...), nil
}
