// Package dns reads DNS messages and writes the answers the agent gives in
// their place, for the packet path. Nothing here allocates on success (the
// Append functions given room in dst), nor on the usual failures.
//
//   - Parse reads the header and first question of a query.
//   - ParseResponse reads a response: its question, the CNAME chain from the
//     question's name and the addresses of the names on it.
//   - AppendBlocked answers a query NXDOMAIN, NODATA, SERVFAIL, with null
//     addresses or with the block page's address; AppendCNAME answers it with
//     a CNAME to another name (SafeSearch).
//   - StripECH and NeutralizeECH take the ech parameter out of HTTPS and SVCB
//     answers (see ech.go for why two).
//   - SplitTCP and AppendTCPFrame handle DNS over TCP's length prefix.
//
// Queries are read with golang.org/x/net/dns/dnsmessage, which checks every
// length and bounds compression-pointer chains; Parse reads the header and
// the first question only and skips the rest. Responses are walked by hand
// (wire.go), because the rewriters need offsets dnsmessage does not give;
// the walkers apply dnsmessage's checks to names (at most 10 compression
// pointers each, no '.' inside a label, 255 bytes at most) and the tests hold
// them to dnsmessage's reading of every captured message and of fuzzed ones.
// Do not hand untrusted messages to dnsmessage's Message.Unpack or its
// SVCBResource/HTTPSResource readers: in x/net v0.55 they panic on an SVCB
// record whose RDATA claims to run past the message, and they accept
// SvcParamKeys out of order.
//
// Names are handed out as presentation bytes: labels joined by '.', ASCII
// letters lowercased, no trailing dot, the root as the empty name. Bytes
// outside [a-z0-9-_] are kept as they are, not escaped: a name can hold
// spaces, control bytes or invalid UTF-8, so a caller that prints one must
// escape it. A label containing a '.' byte is rejected as malformed (by
// dnsmessage), so '.' in a name always separates labels and a crafted label
// cannot pose as a different name.
package dns

import (
	"encoding/binary"
	"errors"

	"golang.org/x/net/dns/dnsmessage"
)

// Errors returned by Parse and AppendBlocked. They are returned as they are
// (not wrapped), so that failing costs no allocation.
var (
	// ErrMalformed reports a message too short for its header, or whose first
	// question cannot be read (truncated, bad label, name too long, a
	// compression pointer that leads nowhere, a label containing '.').
	ErrMalformed = errors.New("dns: malformed message")
	// ErrNoQuestion reports a message whose header says it has no question.
	ErrNoQuestion = errors.New("dns: no question")
	// ErrNotQuery reports a message that is a response or whose opcode is
	// not QUERY, where a query is needed.
	ErrNotQuery = errors.New("dns: not a standard query")
	// ErrTooLong reports a message longer than a TCP frame can carry.
	ErrTooLong = errors.New("dns: message longer than 65535 bytes")
)

// headerLen is the size of the DNS header.
const headerLen = 12

// maxNameLen is the longest presentation name Question can hold: 255 wire
// bytes are at most 253 name bytes without the trailing dot.
const maxNameLen = 253

// Question is the header and first question of a DNS message. The zero value
// is an empty question. Parse overwrites every field.
type Question struct {
	ID       uint16
	Response bool   // QR: the message is a response
	Opcode   uint8  // 0 is QUERY
	RCode    uint8  // the header's 4-bit response code
	Count    uint16 // QDCOUNT: how many questions the header announces
	Type     uint16 // QTYPE of the first question (1 A, 28 AAAA, 65 HTTPS, …)
	Class    uint16 // QCLASS of the first question (1 IN)

	name    [maxNameLen]byte
	nameLen uint8
}

// Name returns the first question's name: lowercased (ASCII), no trailing
// dot, empty for the root. It is a slice of q's own buffer, valid until q is
// next written; copy it to keep it.
func (q *Question) Name() []byte { return q.name[:q.nameLen] }

// Parse reads the header and first question of the DNS message msg into q.
// It returns ErrMalformed, ErrNoQuestion or nil; whenever msg holds a whole
// header, q's header fields (ID through Count) are set even on error, and the
// question fields are zero unless Parse returns nil. It does not allocate on success nor on a short message, a
// missing question, a truncated or overlong first question, or a bad label;
// only a bad compression pointer inside the question (illegal anyway) costs
// an allocation inside dnsmessage. msg is not retained.
func Parse(msg []byte, q *Question) error {
	q.nameLen = 0
	q.Type, q.Class = 0, 0
	if len(msg) < headerLen {
		*q = Question{}
		return ErrMalformed
	}
	bits := binary.BigEndian.Uint16(msg[2:4])
	q.ID = binary.BigEndian.Uint16(msg[0:2])
	q.Response = bits&0x8000 != 0
	q.Opcode = uint8(bits>>11) & 0xf
	q.RCode = uint8(bits & 0xf)
	q.Count = binary.BigEndian.Uint16(msg[4:6])
	if q.Count == 0 {
		return ErrNoQuestion
	}
	if !questionFits(msg) {
		return ErrMalformed
	}
	var p dnsmessage.Parser
	if _, err := p.Start(msg); err != nil {
		return ErrMalformed
	}
	dq, err := p.Question()
	if err != nil {
		return ErrMalformed
	}
	n := int(dq.Name.Length) - 1 // drop the trailing dot; the root becomes empty
	for i := 0; i < n; i++ {
		c := dq.Name.Data[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		q.name[i] = c
	}
	q.nameLen = uint8(n)
	q.Type = uint16(dq.Type)
	q.Class = uint16(dq.Class)
	return nil
}

// questionFits reports whether the first question can be read from msg as
// far as that is cheap to tell without following compression pointers:
// labels within the message and not reserved, no label holding '.', the
// name at most 255 bytes, type and class present. It lets Parse refuse the
// common malformed messages before dnsmessage, whose errors allocate; a
// message it passes may still be refused by dnsmessage.
func questionFits(msg []byte) bool {
	off, wire := headerLen, 0
	for {
		if off >= len(msg) {
			return false
		}
		c := int(msg[off])
		switch c & 0xc0 {
		case 0x00:
		case 0xc0: // compression pointer: the name ends here in msg
			return off+2+4 <= len(msg)
		default:
			return false // 0x40 and 0x80 label types are reserved
		}
		if c == 0 {
			return off+1+4 <= len(msg) && wire+1 <= 255
		}
		end := off + 1 + c
		if end > len(msg) {
			return false
		}
		for _, b := range msg[off+1 : end] {
			if b == '.' {
				return false
			}
		}
		if wire += 1 + c; wire+1 > 255 {
			return false
		}
		off = end
	}
}
