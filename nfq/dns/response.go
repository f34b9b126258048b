package dns

import (
	"errors"
	"net/netip"
)

// ErrNotResponse reports a message that is a query, or a response to an
// opcode other than QUERY, where a response to a query is needed.
var ErrNotResponse = errors.New("dns: not a response to a standard query")

// Bounds of what a Response holds.
const (
	// MaxAddrs is how many addresses a Response keeps; more are counted
	// in Dropped.
	MaxAddrs = 32
	// MaxCNAMEs is how many CNAME records ParseResponse follows from the
	// question's name; names further down a longer chain are not the
	// question's as far as ParseResponse tells.
	MaxCNAMEs = 8
)

// Response is what ParseResponse reads from a DNS response: the header, the
// first question and the addresses the answer gives for it. It holds
// everything in fixed arrays (about 3 KB), so one Response can be reused for
// every packet without allocating; the zero value is an empty response.
// ParseResponse overwrites every field.
type Response struct {
	ID        uint16
	RCode     uint8  // the header's 4-bit response code (3 NXDOMAIN)
	Truncated bool   // TC: the answer was cut to fit; it may miss records
	Type      uint16 // QTYPE of the first question
	Class     uint16 // QCLASS of the first question
	// Dropped counts the addresses of the question's name beyond the
	// first MaxAddrs.
	Dropped int

	name      [maxNameLen]byte
	nameLen   uint8
	nAddrs    uint8
	nCNAMEs   uint8
	cnameLens [MaxCNAMEs]uint8
	ttls      [MaxAddrs]uint32
	addrs     [MaxAddrs]netip.Addr
	cnames    [MaxCNAMEs][maxNameLen]byte
}

// Name returns the first question's name, normalised as Question.Name is:
// ASCII lowercased, no trailing dot, empty for the root. It is a slice of
// r's own storage, valid until r is next written.
func (r *Response) Name() []byte { return r.name[:r.nameLen] }

// NumAddrs returns how many addresses r holds (at most MaxAddrs).
func (r *Response) NumAddrs() int { return int(r.nAddrs) }

// Addr returns the i-th address (0 <= i < NumAddrs(), in answer order) and
// its TTL: the least of the TTLs of its A or AAAA record and of every CNAME
// record on the way to it from the question's name, with TTLs above 2^31-1
// counted as 0 (RFC 2181 §8). IPv4 addresses come from A records and are
// 4-byte addresses; IPv6 ones from AAAA records. It panics when i is out of
// range.
func (r *Response) Addr(i int) (addr netip.Addr, ttl uint32) {
	if i >= int(r.nAddrs) {
		panic("dns: Response.Addr index out of range")
	}
	return r.addrs[i], r.ttls[i]
}

// NumCNAMEs returns how many CNAME targets ParseResponse followed from the
// question's name (at most MaxCNAMEs).
func (r *Response) NumCNAMEs() int { return int(r.nCNAMEs) }

// CNAME returns the i-th name of the CNAME chain after the question's name
// (0 <= i < NumCNAMEs()): CNAME(0) is the question name's target, CNAME(1)
// that name's target, and so on. It is normalised like Name and a slice of
// r's own storage, valid until r is next written. It panics when i is out
// of range.
func (r *Response) CNAME(i int) []byte {
	if i >= int(r.nCNAMEs) {
		panic("dns: Response.CNAME index out of range")
	}
	return r.cnames[i][:r.cnameLens[i]]
}

// ParseResponse reads the DNS response msg into r: the header, the first
// question, and from the answer section the CNAME chain that starts at the
// question's name and every address of a name on that chain.
//
// The chain is followed by name, not by record order: from the question's
// name, the first class IN CNAME record owned by the current name (ASCII
// case ignored) gives the next name, up to MaxCNAMEs steps; a target already
// on the chain ends it. Only the first 64 class IN CNAME records of the
// answer section count. Then every class IN A and AAAA record in the answer
// section owned by a name on the chain gives an address, in answer order,
// duplicates kept. Records owned by other names are ignored: a resolver (or
// whoever forged the answer) can add anything, and clients ignore those too.
// The authority and additional sections are not read at all.
//
// Names are read as dnsmessage reads them, with at most 10 compression
// pointers each. It returns ErrMalformed when the header, the questions or
// the answer section cannot be read: a name that cannot be read (first
// question, owner names of answers, targets of class IN CNAME records), a
// record running past the end of msg, an A record whose RDATA is not 4
// bytes or an AAAA record whose RDATA is not 16. It returns ErrNotResponse
// for a query or a response to an opcode other than QUERY, and
// ErrNoQuestion when the header announces no question. Whenever msg holds a
// whole header, ID, RCode and Truncated are set; every other field is zero
// unless ParseResponse returns nil. It does not allocate and does not retain
// msg.
func ParseResponse(msg []byte, r *Response) error {
	r.Type, r.Class, r.Dropped = 0, 0, 0
	r.nameLen, r.nAddrs, r.nCNAMEs = 0, 0, 0
	if len(msg) < headerLen {
		r.ID, r.RCode, r.Truncated = 0, 0, false
		return ErrMalformed
	}
	bits := u16(msg, 2)
	r.ID = u16(msg, 0)
	r.RCode = uint8(bits & 0xf)
	r.Truncated = bits&0x0200 != 0
	if bits&0x8000 == 0 || (bits>>11)&0xf != 0 {
		return ErrNotResponse
	}
	qd, an := int(u16(msg, 4)), int(u16(msg, 6))
	if qd == 0 {
		return ErrNoQuestion
	}

	next, n, ok := readName(msg, headerLen, &r.name)
	if !ok || next+4 > len(msg) {
		return ErrMalformed
	}
	typ, class := u16(msg, next), u16(msg, next+2)
	off := next + 4
	for range qd - 1 {
		if off, ok = skipQuestion(msg, off); !ok {
			return ErrMalformed
		}
	}
	answers := off
	var cnames cnameTable
	lastPtr := -1
	for range an {
		rec, ok := readRR(msg, off)
		if !ok || !answerReadable(msg, rec, &lastPtr) {
			return ErrMalformed
		}
		if rec.class == classIN && rec.typ == typeCNAME {
			cnames.add(msg, rec)
		}
		off = rec.end
	}

	r.nameLen, r.Type, r.Class = uint8(n), typ, class
	var chain [1 + MaxCNAMEs]link
	chain[0] = link{name: headerLen, hash: nameHash(msg, headerLen), ttl: ^uint32(0)}
	depth := r.follow(msg, &cnames, &chain)
	r.collect(msg, answers, an, chain[:1+depth])
	return nil
}

// maxCNAMERecords is how many class IN CNAME records of an answer section
// ParseResponse considers (the first ones); real answers have a handful.
// With the hash of each name computed once, it keeps the work linear in the
// size of the message whatever the message holds: a crafted 64 KB answer of
// near-miss names costs about as much as reading its names once.
const maxCNAMERecords = 64

// link is a name on the CNAME chain: its offset in the message, the hash of
// the name (nameHash) and the least TTL of the CNAME records that lead to
// it.
type link struct {
	name int
	hash uint32
	ttl  uint32
}

// cnameTable holds the first maxCNAMERecords class IN CNAME records of an
// answer section.
type cnameTable struct {
	n    int
	recs [maxCNAMERecords]cnameRec
	last ownerKey // hash of the last owner, for owners that repeat a pointer
}

type cnameRec struct {
	owner, target int // offsets of the names
	hash          uint32
	ttl           uint32
}

func (t *cnameTable) add(msg []byte, rec rr) {
	if t.n == maxCNAMERecords {
		return
	}
	t.recs[t.n] = cnameRec{owner: rec.name, target: rec.rdata, hash: t.last.hash(msg, rec.name), ttl: rec.ttl}
	t.n++
}

// ownerKey remembers the hash of the last name read through ownerKey.hash
// when that name was a lone compression pointer: answers whose owners all
// point at the same name (the usual case, and the cheap way to fill a
// message with long names) are hashed once.
type ownerKey struct {
	target int // where the lone pointer led; 0 when none (0 is never a name)
	h      uint32
}

func (k *ownerKey) hash(msg []byte, name int) uint32 {
	target := loneTarget(msg, name)
	if target > 0 && target == k.target {
		return k.h
	}
	h := nameHash(msg, name)
	if target > 0 {
		k.target, k.h = target, h
	}
	return h
}

// loneTarget returns where the name at off points when it is nothing but a
// compression pointer, or 0.
func loneTarget(msg []byte, off int) int {
	if off+2 > len(msg) || msg[off]&0xc0 != 0xc0 {
		return 0
	}
	return pointerTarget(msg, off)
}

// nameHash returns the FNV-1a hash of the name at off as read (pointers
// followed, ASCII lowercased, length bytes included): equal names hash
// equal. The name must have been checked with readName; 0 stands for one
// that cannot be walked after all.
func nameHash(msg []byte, off int) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	for steps := 0; steps <= maxNameLen; steps++ {
		if off = label(msg, off); off < 0 {
			return 0
		}
		c := int(msg[off])
		if c&0xc0 != 0 || off+1+c > len(msg) {
			return 0
		}
		h = (h ^ uint32(c)) * prime
		if c == 0 {
			return h
		}
		for _, b := range msg[off+1 : off+1+c] {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			h = (h ^ uint32(b)) * prime
		}
		off += 1 + c
	}
	return 0
}

// answerReadable checks what ParseResponse reads of an answer record beyond
// its place: the owner name, and for class IN records the RDATA of A, AAAA
// and CNAME records. An owner that is a lone pointer to *lastPtr, where the
// previous such owner led, is known good.
func answerReadable(msg []byte, rec rr, lastPtr *int) bool {
	if target := loneTarget(msg, rec.name); target == 0 || target != *lastPtr {
		if _, _, ok := readName(msg, rec.name, nil); !ok {
			return false
		}
		if target > 0 {
			*lastPtr = target
		}
	}
	if rec.class != classIN {
		return true
	}
	switch rec.typ {
	case typeA:
		return rec.end-rec.rdata == 4
	case typeAAAA:
		return rec.end-rec.rdata == 16
	case typeCNAME:
		_, _, ok := readName(msg, rec.rdata, nil)
		return ok
	}
	return true
}

// onChain returns the index of the first link of chain holding the name at
// off whose hash is h, or -1.
func onChain(msg []byte, off int, h uint32, chain []link) int {
	for k, l := range chain {
		if l.hash == h && equalNames(msg, off, l.name) {
			return k
		}
	}
	return -1
}

// follow extends chain from chain[0] through the CNAME records of t and
// returns how many targets it added, storing their names in r.
func (r *Response) follow(msg []byte, t *cnameTable, chain *[1 + MaxCNAMEs]link) int {
	depth := 0
	for depth < MaxCNAMEs {
		cur := chain[depth]
		found := -1
		for i, c := range t.recs[:t.n] {
			if c.hash == cur.hash && equalNames(msg, c.owner, cur.name) {
				found = i
				break
			}
		}
		if found < 0 {
			return depth
		}
		c := t.recs[found]
		h := nameHash(msg, c.target)
		if onChain(msg, c.target, h, chain[:depth+1]) >= 0 {
			return depth // a loop
		}
		depth++
		chain[depth] = link{name: c.target, hash: h, ttl: min(cur.ttl, clampTTL(c.ttl))}
		_, nl, _ := readName(msg, c.target, &r.cnames[depth-1])
		r.cnameLens[depth-1] = uint8(nl)
		r.nCNAMEs = uint8(depth)
	}
	return depth
}

// collect stores the addresses of the names on chain, from the n answer
// records at answers (already checked).
func (r *Response) collect(msg []byte, answers, n int, chain []link) {
	lastTarget, lastK := 0, -1 // owner that was a lone pointer, and where it was on chain
	for off, i := answers, 0; i < n; i++ {
		rec, _ := readRR(msg, off)
		off = rec.end
		if rec.class != classIN || (rec.typ != typeA && rec.typ != typeAAAA) {
			continue
		}
		k := lastK
		if target := loneTarget(msg, rec.name); target == 0 || target != lastTarget {
			k = onChain(msg, rec.name, nameHash(msg, rec.name), chain)
			if target > 0 {
				lastTarget, lastK = target, k
			}
		}
		if k < 0 {
			continue
		}
		if r.nAddrs == MaxAddrs {
			r.Dropped++
			continue
		}
		var a netip.Addr
		if rec.typ == typeA {
			a = netip.AddrFrom4([4]byte(msg[rec.rdata : rec.rdata+4]))
		} else {
			a = netip.AddrFrom16([16]byte(msg[rec.rdata : rec.rdata+16]))
		}
		r.addrs[r.nAddrs] = a
		r.ttls[r.nAddrs] = min(chain[k].ttl, clampTTL(rec.ttl))
		r.nAddrs++
	}
}

// clampTTL reads a TTL as RFC 2181 §8 says: values with the top bit set
// count as 0.
func clampTTL(ttl uint32) uint32 {
	if ttl > 1<<31-1 {
		return 0
	}
	return ttl
}
