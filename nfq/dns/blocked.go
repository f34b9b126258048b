package dns

import (
	"net/netip"
	"strconv"

	"golang.org/x/net/dns/dnsmessage"
)

// BlockMode is how a blocked query is answered.
type BlockMode uint8

// Block modes.
const (
	// NXDomain answers NXDOMAIN: the name does not exist. The default.
	NXDomain BlockMode = iota
	// Null answers A queries with 0.0.0.0 and AAAA queries with ::, and
	// every other type (HTTPS, SVCB, MX, …) with NOERROR and no records
	// (NODATA), so clients fail fast without retrying elsewhere.
	Null
	// ServFail answers SERVFAIL with no records: "try again". It is not a
	// block mode of the configuration; the agent uses it for an allowed
	// query it cannot pass on (one pipelined with a blocked query in the
	// same TCP segment).
	ServFail
	// NoData answers NOERROR with no records and, in the authority
	// section, the SOA record NXDomain carries: "the name exists, but not
	// with this type". Clients do not fall back to another resolver.
	NoData
	// Page answers class IN A questions with one A record holding PageV4,
	// where the router's table sends plain-HTTP connections to the block
	// page, and every other question (AAAA, HTTPS, …) as NoData does, so
	// that browsers reach the page over IPv4.
	Page
)

// PageV4 is the address Page mode answers A questions with: 192.0.2.1, in
// TEST-NET-1 (RFC 5737), which is never routed. The router's table
// redirects TCP port 80 to it to the block page and rejects the rest (see
// package firewall, Config.BlockPage). It is not to be modified.
var PageV4 = netip.AddrFrom4([4]byte{192, 0, 2, 1})

// String returns the mode's name as configuration spells it.
func (m BlockMode) String() string {
	switch m {
	case NXDomain:
		return "nxdomain"
	case Null:
		return "null"
	case ServFail:
		return "servfail"
	case NoData:
		return "nodata"
	case Page:
		return "page"
	}
	return "blockmode(" + strconv.Itoa(int(m)) + ")"
}

// ednsUDPSize is the UDP payload size advertised in answers that carry EDNS
// (the DNS Flag Day 2020 value).
const ednsUDPSize = 1232

// Names of the synthesized SOA record that lets resolvers cache a negative
// answer for the given TTL (RFC 2308). ".invalid" never resolves (RFC 6761).
var (
	soaNS   = dnsmessage.MustNewName("blocked.invalid.")
	soaMBox = dnsmessage.MustNewName("hostmaster.blocked.invalid.")
)

// AppendBlocked appends to dst the DNS answer that blocks query (a whole DNS
// message, without the TCP length prefix) and returns the extended slice.
//
// The answer has query's ID and its first question, echoed byte for byte
// (case included, so clients that randomise case accept it); QR and RA set,
// RD copied, AA clear. In NXDomain mode the RCODE is NXDOMAIN; in Null mode
// it is NOERROR with one A (0.0.0.0) or AAAA (::) record of the given TTL for
// class IN A/AAAA questions and no answer record otherwise; in NoData mode it
// is NOERROR with no answer record whatever the type; in Page mode it is
// NOERROR with one A record (PageV4) of the given TTL for a class IN A
// question and no answer record otherwise. Negative answers
// (NXDOMAIN and NODATA) carry in the authority section an SOA record owned by
// the question name, with TTL and MINIMUM ttl, so the negative answer is
// cached for ttl seconds and no longer. When query carries an EDNS OPT
// record, the answer carries one too (UDP size 1232, version 0, DO copied);
// otherwise none. Only the first question is answered (QDCOUNT is 1).
//
// It returns ErrMalformed, ErrNoQuestion or ErrNotQuery (for a response or an
// opcode other than QUERY), with dst unchanged. With enough capacity in dst it
// does not allocate. query is not retained.
func AppendBlocked(dst []byte, query []byte, mode BlockMode, ttl uint32) ([]byte, error) {
	q, err := readQuery(query)
	if err != nil {
		return dst, err
	}
	out, err := build(dst, q, mode, ttl)
	if err != nil {
		// Everything packed came out of a parsed message, so this cannot
		// happen; refuse rather than send something half-built.
		return dst, ErrMalformed
	}
	return out, nil
}

// queryInfo is what the answer builders need from a query.
type queryInfo struct {
	header   dnsmessage.Header
	question dnsmessage.Question // the first one
	edns, do bool                // an OPT record is present; its DO bit
}

// readQuery reads a query for the answer builders. It returns ErrMalformed,
// ErrNoQuestion or ErrNotQuery.
func readQuery(msg []byte) (queryInfo, error) {
	var q Question
	if err := Parse(msg, &q); err != nil {
		return queryInfo{}, err
	}
	if q.Response || q.Opcode != 0 {
		return queryInfo{}, ErrNotQuery
	}
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return queryInfo{}, ErrMalformed
	}
	question, err := p.Question()
	if err != nil {
		return queryInfo{}, ErrMalformed
	}
	edns, do, err := findOPT(&p)
	if err != nil {
		return queryInfo{}, ErrMalformed
	}
	return queryInfo{header: h, question: question, edns: edns, do: do}, nil
}

// findOPT skips the rest of the questions and the answer and authority
// sections of a started parser, then looks for an OPT record in the
// additional section.
func findOPT(p *dnsmessage.Parser) (found, dnssecOK bool, err error) {
	if err := p.SkipAllQuestions(); err != nil {
		return false, false, err
	}
	if err := p.SkipAllAnswers(); err != nil {
		return false, false, err
	}
	if err := p.SkipAllAuthorities(); err != nil {
		return false, false, err
	}
	for {
		rh, err := p.AdditionalHeader()
		if err == dnsmessage.ErrSectionDone {
			return found, dnssecOK, nil
		}
		if err != nil {
			return false, false, err
		}
		if rh.Type == dnsmessage.TypeOPT {
			found, dnssecOK = true, rh.DNSSECAllowed()
		}
		if err := p.SkipAdditional(); err != nil {
			return false, false, err
		}
	}
}

func build(dst []byte, query queryInfo, mode BlockMode, ttl uint32) ([]byte, error) {
	h, q := query.header, query.question
	rcode := dnsmessage.RCodeNameError
	switch mode {
	case Null, NoData, Page:
		rcode = dnsmessage.RCodeSuccess
	case ServFail:
		rcode = dnsmessage.RCodeServerFailure
	}
	b := dnsmessage.NewBuilder(dst, dnsmessage.Header{
		ID:                 h.ID,
		Response:           true,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true,
		RCode:              rcode,
	})
	if err := startAnswers(&b, q); err != nil {
		return nil, err
	}
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: ttl}
	answered := false
	if mode == Null && q.Class == dnsmessage.ClassINET {
		switch q.Type {
		case dnsmessage.TypeA:
			answered = true
			if err := b.AResource(rh, dnsmessage.AResource{}); err != nil {
				return nil, err
			}
		case dnsmessage.TypeAAAA:
			answered = true
			if err := b.AAAAResource(rh, dnsmessage.AAAAResource{}); err != nil {
				return nil, err
			}
		}
	}
	if mode == Page && q.Class == dnsmessage.ClassINET && q.Type == dnsmessage.TypeA {
		answered = true
		if err := b.AResource(rh, dnsmessage.AResource{A: PageV4.As4()}); err != nil {
			return nil, err
		}
	}
	if err := b.StartAuthorities(); err != nil {
		return nil, err
	}
	if !answered && mode != ServFail {
		soa := dnsmessage.SOAResource{NS: soaNS, MBox: soaMBox, Serial: 1,
			Refresh: 1800, Retry: 900, Expire: 604800, MinTTL: ttl}
		if err := b.SOAResource(rh, soa); err != nil {
			return nil, err
		}
	}
	return finish(&b, query)
}

// finish adds the additional section (an OPT record when the query had
// one: UDP size 1232, version 0, DO copied) and finishes the message.
func finish(b *dnsmessage.Builder, query queryInfo) ([]byte, error) {
	if err := b.StartAdditionals(); err != nil {
		return nil, err
	}
	if query.edns {
		var oh dnsmessage.ResourceHeader
		if err := oh.SetEDNS0(ednsUDPSize, dnsmessage.RCodeSuccess, query.do); err != nil {
			return nil, err
		}
		if err := b.OPTResource(oh, dnsmessage.OPTResource{}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// startAnswers writes the question section of an answer, echoing q, and
// starts its answer section.
func startAnswers(b *dnsmessage.Builder, q dnsmessage.Question) error {
	if err := b.StartQuestions(); err != nil {
		return err
	}
	if err := b.Question(q); err != nil {
		return err
	}
	return b.StartAnswers()
}
