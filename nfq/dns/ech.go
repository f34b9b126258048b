package dns

import (
	"encoding/binary"
	"errors"
	"slices"
)

// The ech SvcParam of HTTPS (type 65) and SVCB (type 64) records carries an
// ECHConfigList (RFC 9460 §14.3.2; draft-ietf-tls-svcb-ech): with it a
// client encrypts its real ClientHello, so the name it visits cannot be
// read off the wire. For restricted profiles the agent takes it out of DNS
// answers, so clients connect with a readable SNI (GREASE ECH stays
// possible, but then the outer SNI is the real one).
//
// Two ways, for the two transports:
//
//   - StripECH removes the parameter, shortening the record and the
//     message. It suits UDP, where the reply packet is rebuilt anyway.
//   - NeutralizeECH keeps the length: it moves the parameter to the end of
//     its record and renames it to NeutralECHKey, a private-use key no
//     client knows, which clients skip (RFC 9460 §2.2: unknown keys are
//     ignored unless listed in mandatory). It suits TCP, where the
//     segment's length cannot change without desynchronising the stream,
//     and it is the fallback when StripECH returns ErrNotRewritable.
//
// A record whose mandatory parameter lists ech is left with that list as it
// is: clients then find a mandatory key missing (or unknown) and must drop
// the record (RFC 9460 §8), so they still connect without ECH. DNSSEC
// signatures over the changed records no longer verify; stub resolvers on
// the LAN do not check them.

// echKey is the SvcParamKey of the ech parameter.
const echKey = 5

// NeutralECHKey is the SvcParamKey NeutralizeECH gives the ech parameter:
// the last key of RFC 9460's private-use range (65280-65534), so that the
// renamed parameter, moved to the end of its record, keeps the keys in
// strictly increasing order as RFC 9460 §2.2 requires.
const NeutralECHKey = 65534

// maxECH is how many ech parameters one message may carry for StripECH and
// NeutralizeECH to rewrite it; a message with more (real ones have one per
// HTTPS record, a handful) gets ErrNotRewritable.
const maxECH = 32

// ErrNotRewritable reports a message that StripECH or NeutralizeECH cannot
// change without changing something else: more than 32 ech parameters; a
// compression pointer into the bytes StripECH removes or NeutralizeECH
// moves, or one that would read differently after them; a compression
// pointer in the RDATA of a rarely used type whose names only some readers
// decompress (MINFO, RP, AFSDB, NAPTR, DNAME, …); RDATA too short for its
// type (an A record of 2 bytes, say), which lenient readers, dnsmessage
// among them, read past; a record whose last key is NeutralECHKey or
// above. The message is left as it was. Callers fall back: from StripECH
// to NeutralizeECH, from NeutralizeECH to not passing the answer on
// (SERVFAIL for the query).
var ErrNotRewritable = errors.New("dns: message cannot be rewritten safely")

// echCut is one ech parameter found by scan.
type echCut struct {
	rdlen int    // offset of its record's RDLENGTH field
	at    int    // offset of the parameter (its key)
	size  int    // its length: key, length and value
	end   int    // offset just past its record's SvcParams (the RDATA's end)
	last  uint16 // the record's last SvcParamKey
}

// echScan is what scan learns about a message.
type echScan struct {
	n    int // ech parameters found (cuts holds the first maxECH)
	cuts [maxECH]echCut
	// opaque: a record of a rarely used type that holds names has RDATA
	// StripECH cannot vouch for: it does not parse as its type's layout,
	// or it holds a compression pointer.
	opaque bool
	// loose: a record of a type dnsmessage reads has RDATA too short for
	// it (an A record of 2 bytes, an SOA without its 20 bytes of numbers,
	// a name that runs past RDATA): a lenient reader reads on into the
	// next record, perhaps into the SvcParams the rewriters change.
	loose bool
}

// scan checks the framing of msg (header, questions, every record within
// msg, SvcParams of SVCB and HTTPS records whole and in increasing key
// order) and finds its ech parameters. It returns ErrMalformed when the
// framing is broken. It reads names in place only; their compression
// pointers are looked at by the rewriters.
func (s *echScan) scan(msg []byte) error {
	s.n, s.opaque, s.loose = 0, false, false
	if len(msg) < headerLen {
		return ErrMalformed
	}
	off := headerLen
	for range u16(msg, 4) {
		var ok bool
		if off, ok = skipQuestion(msg, off); !ok {
			return ErrMalformed
		}
	}
	records := int(u16(msg, 6)) + int(u16(msg, 8)) + int(u16(msg, 10))
	for range records {
		rec, ok := readRR(msg, off)
		if !ok {
			return ErrMalformed
		}
		off = rec.end
		l := layoutOf(rec.typ)
		switch rec.typ {
		case typeA:
			s.loose = s.loose || rec.end-rec.rdata != 4
		case typeAAAA:
			s.loose = s.loose || rec.end-rec.rdata != 16
		}
		if l.names == 0 {
			continue
		}
		names, end, ok := rdataNames(msg, rec, l)
		switch {
		case rec.typ == typeSVCB || rec.typ == typeHTTPS:
			if !ok || !s.params(msg, rec, end) {
				return ErrMalformed
			}
		case l.known:
			s.loose = s.loose || !ok || end+int(l.tail) > rec.end
		case !ok:
			s.opaque = true
		default:
			for _, name := range names[:l.names] {
				if _, ptr, _ := nameEnd(msg, name); ptr >= 0 {
					s.opaque = true
				}
			}
		}
	}
	return nil
}

// params walks the SvcParams of the SVCB or HTTPS record rec, which start
// at off, and notes its ech parameter. It reports false when a parameter
// runs past the RDATA or the keys are not in strictly increasing order
// (RFC 9460 §2.2). Values are not checked against their keys' formats: an
// ech parameter goes whatever its neighbours look like.
func (s *echScan) params(msg []byte, rec rr, off int) bool {
	prev, cut := -1, -1
	for off < rec.end {
		if off+4 > rec.end {
			return false
		}
		key, size := int(u16(msg, off)), 4+int(u16(msg, off+2))
		if key <= prev || off+size > rec.end {
			return false
		}
		if key == echKey {
			if s.n < maxECH {
				cut = s.n
				s.cuts[cut] = echCut{rdlen: rec.rdata - 2, at: off, size: size, end: rec.end}
			}
			s.n++
		}
		prev = key
		off += size
	}
	if cut >= 0 {
		s.cuts[cut].last = uint16(prev)
	}
	return true
}

// NeutralizeECH renames the ech parameter of every HTTPS and SVCB record in
// the answer, authority and additional sections of msg to NeutralECHKey and
// moves it to the end of its record's SvcParams, in place; msg keeps its
// length and every other record its bytes. It returns how many parameters
// it renamed.
//
// It returns ErrMalformed when the framing of msg is broken (header,
// questions, records running past the end, SvcParams that run past their
// record or are out of order) and ErrNotRewritable when the message cannot
// be changed safely (see there); on either, msg is unchanged. A message
// that NeutralizeECH refused as malformed may still carry an ech parameter
// a lenient client would use: do not pass it to a restricted device. It does
// not allocate and does not retain msg.
func NeutralizeECH(msg []byte) (n int, err error) {
	var s echScan
	if err := s.scan(msg); err != nil {
		return 0, err
	}
	if s.n == 0 {
		return 0, nil
	}
	if s.n > maxECH || s.loose {
		return 0, ErrNotRewritable
	}
	cuts := s.cuts[:s.n]
	for _, c := range cuts {
		if c.last != echKey && c.last >= NeutralECHKey {
			return 0, ErrNotRewritable
		}
	}
	for it := newNameIter(msg, true); ; {
		name, ok := it.next()
		if !ok {
			break
		}
		if touches(msg, name, cuts) {
			return 0, ErrNotRewritable
		}
	}
	for _, c := range cuts {
		params := msg[c.at:c.end]
		// Rotate the parameter to the end: reverse both parts, then all.
		slices.Reverse(params[:c.size])
		slices.Reverse(params[c.size:])
		slices.Reverse(params)
		binary.BigEndian.PutUint16(params[len(params)-c.size:], NeutralECHKey)
	}
	return s.n, nil
}

// touches reports whether reading the name at off (following compression
// pointers) reads any byte from a cut's record's SvcParams, from the ech
// parameter on. A name that cannot be read touches nothing.
func touches(msg []byte, off int, cuts []echCut) bool {
	for ptrs := 0; off < len(msg); {
		c := int(msg[off])
		ptr := c&0xc0 == 0xc0
		span := 1 + c
		if ptr {
			span = 2
		} else if c&0xc0 != 0 {
			return false // reserved label type
		}
		for _, cut := range cuts {
			if off < cut.end && cut.at < off+span {
				return true
			}
		}
		switch {
		case ptr:
			if ptrs++; ptrs > maxPointers || off+2 > len(msg) {
				return false
			}
			off = pointerTarget(msg, off)
		case c == 0:
			return false
		default:
			off += span
		}
	}
	return false
}

// nameIter steps through the names of a message that scan accepted, in
// message order: every question's name, every record's owner name, and the
// names in RDATA (per layoutOf) of the types dnsmessage reads, or of every
// type that has them when all is set. RDATA that does not parse as its
// layout gives no names.
type nameIter struct {
	msg     []byte
	all     bool
	off     int    // the next question or record
	qd, rrs int    // questions and records left
	rdata   [2]int // names of the current record's RDATA
	ri, rn  int    // next of them, and how many
}

func newNameIter(msg []byte, all bool) nameIter {
	return nameIter{
		msg: msg, all: all, off: headerLen,
		qd:  int(u16(msg, 4)),
		rrs: int(u16(msg, 6)) + int(u16(msg, 8)) + int(u16(msg, 10)),
	}
}

// next returns the offset of the next name; ok is false at the end.
func (it *nameIter) next() (name int, ok bool) {
	if it.ri < it.rn {
		it.ri++
		return it.rdata[it.ri-1], true
	}
	if it.qd > 0 {
		it.qd--
		name = it.off
		it.off, ok = skipQuestion(it.msg, name)
		return name, ok
	}
	if it.rrs == 0 {
		return 0, false
	}
	it.rrs--
	rec, ok := readRR(it.msg, it.off)
	if !ok {
		return 0, false
	}
	it.off = rec.end
	it.ri, it.rn = 0, 0
	if l := layoutOf(rec.typ); l.names > 0 && (l.known || it.all) {
		if names, _, ok := rdataNames(it.msg, rec, l); ok {
			it.rdata, it.rn = names, int(l.names)
		}
	}
	return rec.name, true
}
