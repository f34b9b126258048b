package packet

import "encoding/binary"

// TCP option kinds the agent reads (RFC 9293, RFC 7323, RFC 2385,
// RFC 5925).
const (
	optEnd       = 0
	optNOP       = 1
	optTimestamp = 8
	optMD5       = 19
	optAO        = 29
)

// TCPOptions is what the agent reads of a TCP segment's options: the ones
// that decide whether a server takes the segment at all. A fake ClientHello
// meant for a filter, not for the server (the "desync" of circumvention
// tools), is sent so that the server drops it: with a signature option the
// server has no key for, or with a timestamp older than the flow's (PAWS).
type TCPOptions struct {
	// Signed: the segment carries a TCP MD5 signature (RFC 2385) or a TCP-AO
	// MAC (RFC 5925). A server that has no key for the peer drops it.
	Signed bool
	// HasTimestamp says the timestamps option (RFC 7323) is present, with
	// TSval and TSecr.
	HasTimestamp bool
	TSval, TSecr uint32
	// Malformed: an option's length runs past the header, or is under 2.
	// The options before it are read; those after it are not.
	Malformed bool
}

// TCPOptions reads the options of a Valid TCP packet; the zero value for
// anything else. It does not allocate and never panics.
func (p *Parsed) TCPOptions() TCPOptions {
	var o TCPOptions
	if !p.valid || p.IPProto != TCP {
		return o
	}
	// Valid guarantees 20 ≤ data offset and L4Offset + data offset ≤ len(b).
	opts := p.b[p.L4Offset+20 : p.PayloadOffset]
	for len(opts) > 0 {
		kind := opts[0]
		switch kind {
		case optEnd:
			return o
		case optNOP:
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
			o.Malformed = true
			return o
		}
		body := opts[2:opts[1]]
		switch kind {
		case optMD5, optAO:
			o.Signed = true
		case optTimestamp:
			if len(body) == 8 {
				o.HasTimestamp = true
				o.TSval = binary.BigEndian.Uint32(body[0:4])
				o.TSecr = binary.BigEndian.Uint32(body[4:8])
			}
		}
		opts = opts[opts[1]:]
	}
	return o
}
