package dns

import (
	"bytes"
	"encoding/binary"
)

// StripECH removes the ech parameter (SvcParamKey 5) from every HTTPS and
// SVCB record in the answer, authority and additional sections of the DNS
// message msg. It appends the shortened message to dst and returns it with
// the number of parameters removed; each changed record's RDLENGTH shrinks
// by what was removed, and every other byte is as in msg except compression
// pointers, which are moved with the bytes they point to.
//
// When msg has no ech parameter, StripECH returns msg itself (not appended
// to dst) and n = 0. dst must not overlap msg.
//
// Pointers are handled like this: every name a reader expands (question
// names, owner names, names in the RDATA of NS, CNAME, SOA, PTR, MX, SRV,
// SVCB and HTTPS records) gets its pointer moved back by the bytes removed
// before its target; then each such name is read from msg and from the
// result, pointer by pointer and label by label, and must read the same. A
// pointer into the removed bytes, or into bytes that read differently
// afterwards (an RDLENGTH that changed, say), fails that check. StripECH
// then returns ErrNotRewritable, as for the other cases listed there;
// NeutralizeECH, which moves no record, handles most of them.
//
// It returns ErrMalformed when the framing of msg is broken (header,
// questions, records running past the end, SvcParams that run past their
// record or are out of order); such a message may still carry an ech
// parameter a lenient client would use, so do not pass it to a restricted
// device. On error dst is returned unchanged. With enough capacity in dst
// it does not allocate. msg is not modified or retained.
func StripECH(dst, msg []byte) (out []byte, n int, err error) {
	var s echScan
	if err := s.scan(msg); err != nil {
		return dst, 0, err
	}
	if s.n == 0 {
		return msg, 0, nil
	}
	if s.n > maxECH || s.opaque || s.loose {
		return dst, 0, ErrNotRewritable
	}
	out, ok := s.strip(dst, msg)
	if !ok {
		return dst, 0, ErrNotRewritable
	}
	return out, s.n, nil
}

// strip appends msg without its ech parameters to dst, fixes RDLENGTHs and
// compression pointers, and checks that every name reads as before.
func (s *echScan) strip(dst, msg []byte) ([]byte, bool) {
	cuts := s.cuts[:s.n]
	out, from := dst, 0
	for _, c := range cuts {
		out = append(out, msg[from:c.at]...)
		from = c.at + c.size
	}
	out = append(out, msg[from:]...)
	body := out[len(dst):]

	for _, c := range cuts {
		at, _ := removedBefore(cuts, c.rdlen)
		binary.BigEndian.PutUint16(body[c.rdlen-at:], u16(msg, c.rdlen)-uint16(c.size))
	}
	it := newNameIter(msg, false)
	for name, ok := it.next(); ok; name, ok = it.next() {
		_, ptr, _ := nameEnd(msg, name)
		if ptr < 0 {
			continue
		}
		target := pointerTarget(msg, ptr)
		moved, inside := removedBefore(cuts, target)
		if inside {
			return dst, false
		}
		at, _ := removedBefore(cuts, ptr)
		binary.BigEndian.PutUint16(body[ptr-at:], 0xc000|uint16(target-moved))
	}
	it = newNameIter(msg, false)
	for name, ok := it.next(); ok; name, ok = it.next() {
		moved, _ := removedBefore(cuts, name)
		if !sameName(msg, name, body, name-moved) {
			return dst, false
		}
	}
	return out, true
}

// removedBefore returns how many bytes the cuts remove before offset off of
// the original message, and whether off is itself inside a removed range.
func removedBefore(cuts []echCut, off int) (n int, inside bool) {
	for _, c := range cuts {
		switch {
		case c.at+c.size <= off:
			n += c.size
		case c.at <= off:
			return n, true
		}
	}
	return n, false
}

// sameName reports whether the name at ao in a and the one at bo in b are
// the same byte for byte and pointer for pointer: labels equal, compression
// pointers in the same places of the walk (wherever they point), at most
// maxPointers of them, every byte within its message. A name that cannot
// be read is not the same as anything.
func sameName(a []byte, ao int, b []byte, bo int) bool {
	for ptrs := 0; ao < len(a) && bo < len(b); {
		ca, cb := int(a[ao]), int(b[bo])
		switch {
		case ca&0xc0 == 0xc0 && cb&0xc0 == 0xc0:
			if ptrs++; ptrs > maxPointers || ao+2 > len(a) || bo+2 > len(b) {
				return false
			}
			ao, bo = pointerTarget(a, ao), pointerTarget(b, bo)
		case ca != cb || ca&0xc0 != 0:
			return false
		case ca == 0:
			return true
		default:
			if ao+1+ca > len(a) || bo+1+cb > len(b) || !bytes.Equal(a[ao+1:ao+1+ca], b[bo+1:bo+1+cb]) {
				return false
			}
			ao, bo = ao+1+ca, bo+1+cb
		}
	}
	return false
}
