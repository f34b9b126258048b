package dns

import (
	"errors"
	"net/netip"

	"golang.org/x/net/dns/dnsmessage"
)

// ErrBadName reports a name given to AppendCNAME that cannot be a CNAME
// target: empty, an empty or over-long label, longer than 253 bytes, a byte
// other than a letter, digit, '-' or '_', or the question's own name.
var ErrBadName = errors.New("dns: bad name")

// AppendCNAME appends to dst an answer to query (a whole DNS message,
// without the TCP length prefix) that sends the question's name to target,
// and returns the extended slice. It serves name rewrites such as
// SafeSearch: www.google.com → forcesafesearch.google.com.
//
// target is a presentation name, with or without the trailing dot
// ("forcesafesearch.google.com"). The answer is NOERROR with query's ID and
// first question echoed byte for byte (case included), QR and RA set, RD
// copied, AA clear, like AppendBlocked's; an EDNS OPT record when query has
// one, as there. The answer section holds one CNAME record from the
// question's name to target, then, for a class IN question of type A, an A
// record for target per IPv4 address in addrs (IPv4-mapped IPv6 addresses
// count as IPv4), and for type AAAA an AAAA record per other IPv6 address;
// addresses of the other family are left out, and for any other type there
// is only the CNAME (the client asks again for target). Every record has
// the given TTL. addrs may be nil: the client then resolves target itself,
// through this resolver. Nothing is truncated: a UDP answer to a query
// without EDNS must fit 512 bytes, which leaves room for about ten
// addresses with a 30-byte target.
//
// It returns ErrMalformed, ErrNoQuestion or ErrNotQuery as AppendBlocked
// does, or ErrBadName, with dst unchanged. With enough capacity in dst it does
// not allocate. query, target and addrs are not retained.
func AppendCNAME(dst, query, target []byte, ttl uint32, addrs []netip.Addr) ([]byte, error) {
	var name dnsmessage.Name
	if !cnameTarget(target, &name) {
		return dst, ErrBadName
	}
	q, err := readQuery(query)
	if err != nil {
		return dst, err
	}
	qn := q.question.Name
	if qn.Length == name.Length && equalFold(qn.Data[:qn.Length], name.Data[:name.Length]) {
		return dst, ErrBadName
	}
	out, err := buildCNAME(dst, q, name, ttl, addrs)
	if err != nil {
		return dst, ErrMalformed // cannot happen: see AppendBlocked
	}
	return out, nil
}

// cnameTarget checks target and writes it to n as dnsmessage wants it, with
// the trailing dot.
func cnameTarget(target []byte, n *dnsmessage.Name) bool {
	if len(target) > 0 && target[len(target)-1] == '.' {
		target = target[:len(target)-1]
	}
	if len(target) == 0 || len(target) > maxNameLen {
		return false
	}
	labelLen := 0
	for _, c := range target {
		switch {
		case c == '.':
			if labelLen == 0 {
				return false
			}
			labelLen = 0
			continue
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		if labelLen++; labelLen > 63 {
			return false
		}
	}
	if labelLen == 0 {
		return false
	}
	n.Length = uint8(copy(n.Data[:], target))
	n.Data[n.Length] = '.'
	n.Length++
	return true
}

func buildCNAME(dst []byte, query queryInfo, target dnsmessage.Name, ttl uint32, addrs []netip.Addr) ([]byte, error) {
	q := query.question
	b := dnsmessage.NewBuilder(dst, dnsmessage.Header{
		ID:                 query.header.ID,
		Response:           true,
		RecursionDesired:   query.header.RecursionDesired,
		RecursionAvailable: true,
		RCode:              dnsmessage.RCodeSuccess,
	})
	if err := startAnswers(&b, q); err != nil {
		return nil, err
	}
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: ttl}
	if err := b.CNAMEResource(rh, dnsmessage.CNAMEResource{CNAME: target}); err != nil {
		return nil, err
	}
	if q.Class == dnsmessage.ClassINET && (q.Type == dnsmessage.TypeA || q.Type == dnsmessage.TypeAAAA) {
		rh.Name = target
		for _, a := range addrs {
			var err error
			switch {
			case q.Type == dnsmessage.TypeA && (a.Is4() || a.Is4In6()):
				err = b.AResource(rh, dnsmessage.AResource{A: a.Unmap().As4()})
			case q.Type == dnsmessage.TypeAAAA && a.Is6() && !a.Is4In6():
				err = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return finish(&b, query)
}
