package quic

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Frame types an Initial packet may carry (RFC 9000 §12.4, Table 3).
const (
	framePadding   = 0x00
	framePing      = 0x01
	frameAck       = 0x02
	frameAckECN    = 0x03
	frameCrypto    = 0x06
	frameConnClose = 0x1c
)

// Crypto reassembles the Initial CRYPTO stream of one connection, up to
// MaxCrypto bytes, into the first handshake message (for a client, the
// ClientHello). Frames may arrive at any offset, in any order, repeated or
// overlapping; bytes received twice must be equal (else ErrConflict).
//
// The zero value is an empty assembler, ready to use; it holds its buffer
// inline (MaxCrypto bytes plus a MaxCrypto-bit map of received bytes, about
// 18 KiB), so it allocates nothing: embed it, or pool the structure that
// does. Not safe for concurrent use.
type Crypto struct {
	buf    [MaxCrypto]byte
	have   [MaxCrypto / 64]uint64 // bit i set: buf[i] received
	contig int                    // bytes received contiguously from offset 0
}

// Reset empties c for another connection.
func (c *Crypto) Reset() {
	c.have = [MaxCrypto / 64]uint64{}
	c.contig = 0
}

// empty reports whether no CRYPTO byte has been received.
func (c *Crypto) empty() bool {
	for _, w := range c.have {
		if w != 0 {
			return false
		}
	}
	return true
}

// Contiguous returns how many bytes of the stream have been received
// contiguously from offset 0.
func (c *Crypto) Contiguous() int { return c.contig }

// AddFrames walks the plaintext frames of one Initial packet (Open's
// output) and adds the data of its CRYPTO frames. PADDING, PING, ACK, ACK
// with ECN counts and CONNECTION_CLOSE (0x1c) frames are skipped; any other
// frame type is not allowed in an Initial packet and fails with
// ErrMalformed, as do truncated frames and non-shortest frame type
// encodings. CRYPTO data at or beyond MaxCrypto fails with ErrTooBig, and
// bytes that differ from bytes received before at the same offset with
// ErrConflict. So does a first handshake message whose declared length
// cannot fit MaxCrypto (ErrTooBig), as soon as its header is known.
//
// frames is only read. After an error c may hold part of the frames' data;
// the connection should be judged on the error (and c Reset before reuse).
// AddFrames does not allocate, except to build the error it returns (with
// the frame type or stream offset at fault; a Reader returns such an error
// once per flow).
func (c *Crypto) AddFrames(frames []byte) error {
	for p := 0; p < len(frames); {
		typ := frames[p]
		p++
		switch typ {
		case framePadding:
			p = skipZeros(frames, p)
		case framePing:
		case frameAck, frameAckECN:
			n, err := skipAck(frames[p:], typ == frameAckECN)
			if err != nil {
				return err
			}
			p += n
		case frameCrypto:
			off, n := varint(frames[p:])
			if n == 0 {
				return fmt.Errorf("quic: crypto frame: %w: truncated offset", malformed)
			}
			p += n
			l, n := varint(frames[p:])
			if n == 0 || l > uint64(len(frames)-p-n) {
				return fmt.Errorf("quic: crypto frame: %w: length beyond packet", malformed)
			}
			p += n
			if err := c.add(off, frames[p:p+int(l)]); err != nil {
				return err
			}
			p += int(l)
		case frameConnClose:
			n, err := skipClose(frames[p:])
			if err != nil {
				return err
			}
			p += n
		default:
			return fmt.Errorf("quic: frames: %w: frame type %#x not allowed in an initial packet", malformed, typ)
		}
	}
	return nil
}

// skipZeros returns the offset of the first non-zero byte of b from p on
// (len(b) if none): PADDING, which fills most of every Initial, eight bytes
// at a time.
func skipZeros(b []byte, p int) int {
	for p+8 <= len(b) && binary.LittleEndian.Uint64(b[p:]) == 0 {
		p += 8
	}
	for p < len(b) && b[p] == 0 {
		p++
	}
	return p
}

// skipAck returns the length of the body of an ACK frame at the start of b.
func skipAck(b []byte, ecn bool) (int, error) {
	// Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range.
	var vals [4]uint64
	p := 0
	for i := range vals {
		v, n := varint(b[p:])
		if n == 0 {
			return 0, fmt.Errorf("quic: ack frame: %w: truncated", malformed)
		}
		vals[i] = v
		p += n
	}
	// Each range is two varints (at least two bytes): a count beyond what
	// the packet holds fails before the loop runs long.
	count := vals[2]
	if count > uint64(len(b)-p)/2 {
		return 0, fmt.Errorf("quic: ack frame: %w: %d ranges", malformed, count)
	}
	fields := 2 * int(count)
	if ecn {
		fields += 3
	}
	for range fields {
		_, n := varint(b[p:])
		if n == 0 {
			return 0, fmt.Errorf("quic: ack frame: %w: truncated", malformed)
		}
		p += n
	}
	return p, nil
}

// skipClose returns the length of the body of a CONNECTION_CLOSE (0x1c)
// frame at the start of b.
func skipClose(b []byte) (int, error) {
	p := 0
	for range 2 { // Error Code, Frame Type
		_, n := varint(b[p:])
		if n == 0 {
			return 0, fmt.Errorf("quic: connection close frame: %w: truncated", malformed)
		}
		p += n
	}
	l, n := varint(b[p:])
	if n == 0 || l > uint64(len(b)-p-n) {
		return 0, fmt.Errorf("quic: connection close frame: %w: reason beyond packet", malformed)
	}
	return p + n + int(l), nil
}

// add stores data at stream offset off.
func (c *Crypto) add(off uint64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if off >= MaxCrypto || uint64(len(data)) > MaxCrypto-off {
		return fmt.Errorf("quic: crypto frame: %w: bytes %d..%d, capacity %d", tooBig, off, off+uint64(len(data)), MaxCrypto)
	}
	start := int(off)
	end := start + len(data)
	for i := start; i < end; {
		w := i / 64
		lo := i % 64
		hi := min(64, lo+end-i) // bits lo..hi-1 of word w
		var m uint64
		if hi-lo == 64 {
			m = ^uint64(0)
		} else {
			m = (uint64(1)<<(hi-lo) - 1) << lo
		}
		seg := data[i-start : i-start+hi-lo]
		switch got := c.have[w] & m; got {
		case 0:
			copy(c.buf[i:], seg)
		case m:
			if !bytes.Equal(c.buf[i:i+len(seg)], seg) {
				return fmt.Errorf("quic: crypto frame: %w: at offset %d", conflict, c.firstDiff(i, seg))
			}
		default:
			for j, b := range seg {
				if got&(1<<(lo+j)) == 0 {
					c.buf[i+j] = b
				} else if c.buf[i+j] != b {
					return fmt.Errorf("quic: crypto frame: %w: at offset %d", conflict, i+j)
				}
			}
		}
		c.have[w] |= m
		i += hi - lo
	}
	if start <= c.contig {
		c.advance()
	}
	if c.contig >= 4 {
		if n := 4 + (int(c.buf[1])<<16 | int(c.buf[2])<<8 | int(c.buf[3])); n > MaxCrypto {
			return fmt.Errorf("quic: crypto frame: %w: handshake message of %d bytes, capacity %d", tooBig, n, MaxCrypto)
		}
	}
	return nil
}

// firstDiff returns the stream offset of the first byte of seg (stored at
// offset i) that differs from the buffer.
func (c *Crypto) firstDiff(i int, seg []byte) int {
	for j, b := range seg {
		if c.buf[i+j] != b {
			return i + j
		}
	}
	return i
}

// advance moves contig past the received bytes that follow it.
func (c *Crypto) advance() {
	for c.contig < MaxCrypto {
		w, lo := c.contig/64, c.contig%64
		rest := c.have[w] >> lo // bits from contig on, in this word
		ones := bits.TrailingZeros64(^rest)
		if ones > 64-lo {
			ones = 64 - lo
		}
		c.contig += ones
		if ones < 64-lo {
			return
		}
	}
}

// Hello returns the first handshake message of the stream (its 4-byte
// header and body) once it has been received contiguously from offset 0,
// with ok true; before that nil and false. It does not check the message
// type. msg aliases c and stays valid, unchanged, until Reset.
func (c *Crypto) Hello() (msg []byte, ok bool) {
	if c.contig < 4 {
		return nil, false
	}
	n := 4 + (int(c.buf[1])<<16 | int(c.buf[2])<<8 | int(c.buf[3]))
	if n > c.contig {
		return nil, false
	}
	return c.buf[:n:n], true
}

// Prefix returns the bytes received contiguously from offset 0 (aliasing
// c, valid until the next AddFrames or Reset): the start of the first
// handshake message before it is complete.
func (c *Crypto) Prefix() []byte { return c.buf[:c.contig:c.contig] }
