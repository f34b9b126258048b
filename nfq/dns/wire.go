package dns

import "encoding/binary"

// This file holds the hand-rolled wire walkers that ParseResponse, StripECH
// and NeutralizeECH share. They work on offsets into the message, allocate
// nothing, and check every length before using it. Their checks follow
// dnsmessage's (label types, '.' inside a label, name length, at most
// maxPointers compression pointers per name), so that what dnsmessage reads,
// they read the same way; the tests hold them to that.

// maxPointers is how many compression pointers reading one name may follow,
// as in dnsmessage. It bounds the work per name and breaks pointer loops.
const maxPointers = 10

// Record types and the class these walkers need by number.
const (
	typeA     = 1
	typeNS    = 2
	typeCNAME = 5
	typeSOA   = 6
	typePTR   = 12
	typeMX    = 15
	typeAAAA  = 28
	typeSRV   = 33
	typeSVCB  = 64
	typeHTTPS = 65
	classIN   = 1
)

func u16(b []byte, off int) uint16 { return binary.BigEndian.Uint16(b[off:]) }

// nameEnd walks the name at off as it sits in msg, without following a
// compression pointer, and returns the offset just past it and the offset of
// the pointer that ends it (-1 when it ends with the root label). ok is
// false when a label or the pointer runs past the end of msg or a label type
// is reserved (0x40, 0x80). Pass msg[:end] to keep the walk inside RDATA.
func nameEnd(msg []byte, off int) (end, ptr int, ok bool) {
	for {
		if off >= len(msg) {
			return 0, 0, false
		}
		c := int(msg[off])
		switch c & 0xc0 {
		case 0x00:
			off++
			if c == 0 {
				return off, -1, true
			}
			if off += c; off > len(msg) {
				return 0, 0, false
			}
		case 0xc0:
			if off+2 > len(msg) {
				return 0, 0, false
			}
			return off + 2, off, true
		default:
			return 0, 0, false
		}
	}
}

// pointerTarget returns the offset a compression pointer at off points to.
func pointerTarget(msg []byte, off int) int { return int(u16(msg, off) & 0x3fff) }

// readName reads the name at off, following compression pointers, with
// dnsmessage's checks: labels within msg, no reserved label type, no '.'
// inside a label, at most maxNameLen bytes in presentation form, at most
// maxPointers pointers. It returns the offset just past the name where it
// sits and the length of its presentation form. When dst is not nil the
// presentation form is written to it, ASCII letters lowercased, without the
// trailing dot (the root is empty).
func readName(msg []byte, off int, dst *[maxNameLen]byte) (next, n int, ok bool) {
	next = -1
	for ptrs := 0; ; {
		if off >= len(msg) {
			return 0, 0, false
		}
		c := int(msg[off])
		switch c & 0xc0 {
		case 0x00:
			off++
			if c == 0 {
				if next < 0 {
					next = off
				}
				return next, n, true
			}
			end := off + c
			if end > len(msg) {
				return 0, 0, false
			}
			at := n
			if n > 0 {
				at++ // the dot before this label
			}
			if at+c > maxNameLen {
				return 0, 0, false
			}
			for _, b := range msg[off:end] {
				if b == '.' {
					return 0, 0, false
				}
			}
			if dst != nil {
				if n > 0 {
					dst[n] = '.'
				}
				for i, b := range msg[off:end] {
					if 'A' <= b && b <= 'Z' {
						b += 'a' - 'A'
					}
					dst[at+i] = b
				}
			}
			n = at + c
			off = end
		case 0xc0:
			if off+2 > len(msg) {
				return 0, 0, false
			}
			if next < 0 {
				next = off + 2
			}
			if ptrs++; ptrs > maxPointers {
				return 0, 0, false
			}
			off = pointerTarget(msg, off)
		default:
			return 0, 0, false
		}
	}
}

// label follows compression pointers from off to the next length byte and
// returns its offset, or -1 when a pointer leads out of msg or there are
// more than maxPointers of them in a row.
func label(msg []byte, off int) int {
	for ptrs := 0; off < len(msg); ptrs++ {
		if msg[off]&0xc0 != 0xc0 {
			return off
		}
		if ptrs == maxPointers || off+2 > len(msg) {
			return -1
		}
		off = pointerTarget(msg, off)
	}
	return -1
}

// equalNames reports whether the names at a and b in msg are the same name,
// ASCII case ignored. Both must have been read with readName first (it
// checks them); a walk that goes wrong anyway reports unequal. Reaching the
// same offset on both sides ends the comparison early, so a name compared
// with a pointer to itself costs one step.
func equalNames(msg []byte, a, b int) bool {
	for steps := 0; steps <= maxNameLen; steps++ {
		if a, b = label(msg, a), label(msg, b); a < 0 || b < 0 {
			return false
		}
		if a == b {
			return true
		}
		la, lb := int(msg[a]), int(msg[b])
		if la != lb || la&0xc0 != 0 || a+1+la > len(msg) || b+1+lb > len(msg) {
			return false
		}
		if la == 0 {
			return true
		}
		if !equalFold(msg[a+1:a+1+la], msg[b+1:b+1+lb]) {
			return false
		}
		a, b = a+1+la, b+1+lb
	}
	return false
}

// equalFold compares equal-length byte strings, ASCII case ignored.
func equalFold(x, y []byte) bool {
	for i, c := range x {
		d := y[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// rr is a resource record's place in a message.
type rr struct {
	name  int // offset of the owner name
	fixed int // offset of TYPE, just past the owner name
	typ   uint16
	class uint16
	ttl   uint32
	rdata int // offset of RDATA (RDLENGTH sits just before it)
	end   int // offset just past RDATA
}

// readRR reads the record at off: its owner name in place (not followed,
// as dnsmessage skips it), the fixed fields, and RDLENGTH, which must keep
// RDATA within msg.
func readRR(msg []byte, off int) (r rr, ok bool) {
	fixed, _, ok := nameEnd(msg, off)
	if !ok || fixed+10 > len(msg) {
		return rr{}, false
	}
	r = rr{
		name:  off,
		fixed: fixed,
		typ:   u16(msg, fixed),
		class: u16(msg, fixed+2),
		ttl:   binary.BigEndian.Uint32(msg[fixed+4:]),
		rdata: fixed + 10,
	}
	r.end = r.rdata + int(u16(msg, fixed+8))
	return r, r.end <= len(msg)
}

// skipQuestion returns the offset past the question at off, its name read
// in place (not followed).
func skipQuestion(msg []byte, off int) (int, bool) {
	end, _, ok := nameEnd(msg, off)
	if !ok || end+4 > len(msg) {
		return 0, false
	}
	return end + 4, true
}

// rdLayout says where names sit in the RDATA of a type that holds them:
// skip fixed bytes, then strs character-strings, then names names in a row,
// then tail fixed bytes (RFC 1035 §3.3, RFC 2163, RFC 2915, RFC 2535, RFC 9460). Types without
// names have the zero layout.
type rdLayout struct {
	skip, strs, names uint8
	tail              uint8 // fixed bytes after the names, at least
	// known marks the types whose names dnsmessage reads (and follows
	// compression pointers in): NS, CNAME, SOA, PTR, MX, SRV, SVCB, HTTPS.
	// RFC 3597 §4 lets receivers decompress the others too, so rewriters
	// must mind them as well.
	known bool
}

// layoutOf returns the RDATA layout of type typ: every type RFC 3597 §4
// lists as possibly compressed, DNAME, and the SVCB family.
func layoutOf(typ uint16) rdLayout {
	switch typ {
	case typeNS, typeCNAME, typePTR:
		return rdLayout{names: 1, known: true}
	case typeSOA: // then serial, refresh, retry, expire, minimum
		return rdLayout{names: 2, tail: 20, known: true}
	case typeMX:
		return rdLayout{skip: 2, names: 1, known: true}
	case typeSRV:
		return rdLayout{skip: 6, names: 1, known: true}
	case typeSVCB, typeHTTPS:
		return rdLayout{skip: 2, names: 1, known: true}
	case 3, 4, 7, 8, 9, 30, 39: // MD, MF, MB, MG, MR, NXT, DNAME
		return rdLayout{names: 1}
	case 14, 17: // MINFO, RP
		return rdLayout{names: 2}
	case 18, 21, 36: // AFSDB, RT, KX
		return rdLayout{skip: 2, names: 1}
	case 26: // PX
		return rdLayout{skip: 2, names: 2}
	case 24: // SIG: 18 fixed bytes, then the signer's name
		return rdLayout{skip: 18, names: 1}
	case 35: // NAPTR: order, preference, flags, services, regexp, replacement
		return rdLayout{skip: 4, strs: 3, names: 1}
	}
	return rdLayout{}
}

// rdataNames returns the offsets of the names in r's RDATA per layout l, and
// the offset just past the last of them. ok is false when the RDATA does not
// hold them (each name must end inside RDATA).
func rdataNames(msg []byte, r rr, l rdLayout) (names [2]int, end int, ok bool) {
	in := msg[:r.end]
	off := r.rdata + int(l.skip)
	for range l.strs {
		if off >= len(in) {
			return names, 0, false
		}
		off += 1 + int(in[off])
	}
	for i := range int(l.names) {
		if off > len(in) {
			return names, 0, false
		}
		names[i] = off
		if off, _, ok = nameEnd(in, off); !ok {
			return names, 0, false
		}
	}
	return names, off, true
}
