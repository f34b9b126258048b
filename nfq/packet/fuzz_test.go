package packet

import (
	"bytes"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// seedsPerCapture bounds the fuzz corpus taken from each real capture.
const seedsPerCapture = 30

func FuzzDecode(f *testing.F) {
	for _, fx := range []string{udp4DNS, tcp4SYN, tcp4PSH, udp4Options, udp4FirstFragment,
		udp6, tcp6Ext, udp6FirstFragment, udp6LaterFragment, hbh6Overrun} {
		f.Add(mustHex(f, fx))
	}
	f.Add(longChain6(f))
	for _, path := range pcaptest.Files(f) {
		for _, b := range pcaptest.IPPackets(f, path, seedsPerCapture) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		var p Parsed
		p.Decode(b)
		checkInvariants(t, &p, b)
		p.ChecksumOK()
		p.TCPOptions() // reads options within the header, whatever they say
		if fi, ok := p.FragmentInfo(); ok != p.Fragment || (ok && len(fi.Data) > len(b)-p.IPHeaderLen) {
			t.Fatalf("FragmentInfo %+v, %v for Fragment %v", fi, ok, p.Fragment)
		}
		if !bytes.Equal(b, orig) {
			t.Fatal("Decode modified its input")
		}
		if !p.Valid() {
			return
		}
		// A reply to anything valid is itself valid, swapped, and checksummed.
		var out []byte
		if p.IPProto == UDP {
			out = AppendUDPReply(nil, &p, p.Payload())
		} else {
			out = AppendTCPReply(nil, &p, p.Payload(), TCPPsh|TCPAck)
		}
		var r Parsed
		r.Decode(out)
		if !r.Valid() || r.Src != p.Dst || r.Dst != p.Src || r.SrcPort != p.DstPort || r.DstPort != p.SrcPort ||
			!bytes.Equal(r.Payload(), p.Payload()) || !r.ChecksumOK() {
			t.Fatalf("bad reply %+v to %+v", viewOf(&r), viewOf(&p))
		}
		// A rewrite keeps addresses and ports and carries the new payload.
		if p.Fragment {
			return
		}
		np := append(bytes.Clone(p.Payload()), "+more"...)
		out = AppendRewrite(nil, &p, np)
		r.Decode(out)
		if !r.Valid() || r.Src != p.Src || r.Dst != p.Dst || r.SrcPort != p.SrcPort || r.DstPort != p.DstPort ||
			!bytes.Equal(r.Payload(), np) || !r.ChecksumOK() {
			t.Fatalf("bad rewrite %+v of %+v", viewOf(&r), viewOf(&p))
		}
	})
}

func checkInvariants(t *testing.T, p *Parsed, b []byte) {
	t.Helper()
	switch p.IPVersion {
	case 0:
		if p.IPProto != Unknown || p.Src.IsValid() || p.Valid() || p.Bytes() != nil {
			t.Fatalf("undecodable header but fields set: %+v", viewOf(p))
		}
		return
	case 4, 6:
	default:
		t.Fatalf("IPVersion %d", p.IPVersion)
	}
	if p.IPHeaderLen > p.Length || p.IPHeaderLen > len(b) {
		t.Fatalf("IPHeaderLen %d, Length %d, len %d", p.IPHeaderLen, p.Length, len(b))
	}
	if p.Bytes() != nil && len(p.Bytes()) != p.Length {
		t.Fatalf("Bytes len %d, Length %d", len(p.Bytes()), p.Length)
	}
	if p.L4Offset != 0 && (p.L4Offset < p.IPHeaderLen || p.L4Offset > p.Length || p.L4Offset > len(b)) {
		t.Fatalf("L4Offset %d out of bounds", p.L4Offset)
	}
	if !p.Valid() {
		if p.Payload() != nil || p.PayloadLen != 0 {
			t.Fatalf("invalid packet with payload")
		}
		return
	}
	if p.IPProto != TCP && p.IPProto != UDP || p.Fragment {
		t.Fatalf("Valid with proto %v fragment %v", p.IPProto, p.Fragment)
	}
	if p.PayloadOffset < p.L4Offset || p.PayloadLen < 0 || p.PayloadOffset+p.PayloadLen > p.Length || p.Length > len(b) {
		t.Fatalf("payload [%d+%d] out of bounds (Length %d, len %d)", p.PayloadOffset, p.PayloadLen, p.Length, len(b))
	}
	if pl := p.Payload(); len(pl) != p.PayloadLen || (len(pl) > 0 && &pl[0] != &b[p.PayloadOffset]) {
		t.Fatalf("Payload does not alias the input at PayloadOffset")
	}
}
