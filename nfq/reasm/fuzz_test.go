package reasm

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// model is a byte-at-a-time reference of what a Stream must do: the same
// rules written the slow, obvious way.
type model struct {
	start    uint32
	capacity int
	maxSegs  int
	segs     int
	known    []bool
	buf      []byte
	prefix   int
}

func (m *model) add(seq uint32, p []byte) (grew bool, err error) {
	if len(p) == 0 {
		return false, nil
	}
	if m.segs >= m.maxSegs {
		return false, ErrTooManySegments
	}
	m.segs++
	off := int64(int32(seq - m.start))
	for i, c := range p {
		o := off + int64(i)
		if o >= 0 && o < int64(m.capacity) && m.known[o] && m.buf[o] != c {
			return false, ErrConflict
		}
	}
	for i, c := range p {
		switch o := off + int64(i); {
		case o < 0:
		case o >= int64(m.capacity):
			err = ErrTooBig
		default:
			m.known[o], m.buf[o] = true, c
		}
	}
	old := m.prefix
	for m.prefix < m.capacity && m.known[m.prefix] {
		m.prefix++
	}
	return m.prefix > old, err
}

func (m *model) holes() bool {
	for o := m.prefix; o < m.capacity; o++ {
		if m.known[o] {
			return true
		}
	}
	return false
}

// pattern is the byte a consistent sender puts at offset o.
func pattern(o uint32) byte { return byte(o*131 + o>>8) }

// FuzzStream decodes a sequence of segments from data and checks every step
// of a Stream against the model. Each segment is a 3-byte header and its
// payload:
//
//	int16 offset from start (big-endian); with flag 0x80 it is shifted left
//	by 16, to reach far ahead, far behind and across the 2^32 wrap
//	flags|length: length = low 6 bits; flag 0x40 takes the payload from
//	pattern (consistent with every other 0x40 segment), otherwise the
//	payload is the next length bytes of data
func FuzzStream(f *testing.F) {
	seg := func(off int16, flags, n byte, payload ...byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(off))
		return append(append(b, flags|n), payload...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	f.Add(uint32(1), uint16(64), uint8(8), cat(seg(0, 0x40, 10), seg(10, 0x40, 10)))
	f.Add(uint32(0xFFFF_FFF0), uint16(64), uint8(8), cat(seg(20, 0x40, 16), seg(0, 0x40, 20), seg(10, 0x40, 20)))
	f.Add(uint32(7), uint16(16), uint8(4), cat(seg(-3, 0, 5, 'a', 'b', 'c', 'd', 'e'), seg(0, 0, 3, 'c', 'd', 'X')))
	f.Add(uint32(0), uint16(12), uint8(32), cat(seg(8, 0x40, 8), seg(0, 0x40, 63), seg(-1, 0x80|0x40, 4)))
	f.Add(uint32(5), uint16(4096), uint8(40), bytes.Repeat(seg(0, 0x40, 1), 40))
	f.Add(uint32(9), uint16(0), uint8(0), seg(0, 0, 1, 'x'))
	f.Fuzz(func(t *testing.T, start uint32, capacity uint16, maxSegs uint8, data []byte) {
		c := int(capacity) % 4097
		n := int(maxSegs) % (MaxSegments + 4)
		m := model{start: start, capacity: c, maxSegs: min(n, MaxSegments), known: make([]bool, c), buf: make([]byte, c)}
		var s Stream
		s.Init(make([]byte, c), start, n)
		var prev []byte
		for step := 0; len(data) >= 3; step++ {
			delta := int32(int16(binary.BigEndian.Uint16(data)))
			flags, length := data[2]&0xC0, int(data[2]&0x3F)
			data = data[3:]
			if flags&0x80 != 0 {
				delta <<= 16
			}
			seq := start + uint32(delta)
			var payload []byte
			if flags&0x40 != 0 {
				payload = make([]byte, length)
				for i := range payload {
					payload[i] = pattern(uint32(delta) + uint32(i))
				}
			} else {
				payload = data[:min(length, len(data))]
				data = data[len(payload):]
			}
			orig := bytes.Clone(payload)

			grew, err := s.Add(seq, payload)
			wantGrew, wantErr := m.add(seq, payload)
			if grew != wantGrew || err != wantErr {
				t.Fatalf("step %d: Add(start%+d, %d bytes) = %v, %v; model says %v, %v",
					step, delta, len(payload), grew, err, wantGrew, wantErr)
			}
			if !bytes.Equal(payload, orig) {
				t.Fatalf("step %d: Add modified its payload", step)
			}
			got := s.Contiguous()
			if !bytes.Equal(got, m.buf[:m.prefix]) {
				t.Fatalf("step %d: Contiguous = %x, model %x", step, got, m.buf[:m.prefix])
			}
			if !bytes.HasPrefix(got, prev) {
				t.Fatalf("step %d: Contiguous changed bytes it had returned", step)
			}
			prev = bytes.Clone(got)
			if s.Holes() != m.holes() || s.Segments() != m.segs {
				t.Fatalf("step %d: Holes %v Segments %d; model %v %d", step, s.Holes(), s.Segments(), m.holes(), m.segs)
			}
		}
	})
}
