package dns

import (
	"bytes"
	"slices"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
)

// dnsPorts are the ports whose payload is a DNS message: DNS, mDNS, LLMNR.
var dnsPorts = []uint16{53, 5353, 5355}

// captureMessages returns the DNS messages (UDP or TCP, see dnsPorts, whole
// messages at the start of a segment) of the shared captures, at most
// perFile from each (perFile < 0: all); none when the captures are absent.
func captureMessages(tb testing.TB, perFile int) [][]byte {
	var out [][]byte
	for _, path := range pcaptest.Files(tb) {
		out = append(out, fileMessages(tb, path, perFile)...)
	}
	return out
}

// fileMessages returns up to max DNS messages (max < 0: all) of the capture
// at path.
func fileMessages(tb testing.TB, path string, max int) [][]byte {
	var out [][]byte
	for _, b := range pcaptest.IPPackets(tb, path, 0) {
		if len(out) == max {
			break
		}
		var p packet.Parsed
		p.Decode(b)
		if !p.Valid() || len(p.Payload()) == 0 ||
			(!slices.Contains(dnsPorts, p.SrcPort) && !slices.Contains(dnsPorts, p.DstPort)) {
			continue
		}
		msg := p.Payload()
		if p.IPProto == packet.TCP {
			m, _, ok := SplitTCP(msg)
			if !ok {
				continue
			}
			msg = m
		}
		out = append(out, bytes.Clone(msg))
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, m := range fixtureMessages(f) {
		f.Add(m)
	}
	for _, m := range captureMessages(f, 50) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		orig := bytes.Clone(msg)
		compareWithDNSMessage(t, msg)
		var q Question
		if err := Parse(msg, &q); err == nil {
			name := q.Name()
			if len(name) > maxNameLen || bytes.HasSuffix(name, []byte(".")) || bytes.Contains(name, []byte("..")) {
				t.Fatalf("bad name %q", name)
			}
			for _, c := range name {
				if 'A' <= c && c <= 'Z' {
					t.Fatalf("name %q not lowercased", name)
				}
			}
		}
		if !bytes.Equal(msg, orig) {
			t.Fatal("Parse modified its input")
		}
	})
}

// numModes is how many block modes FuzzAppendBlocked tries: every one.
const numModes = uint8(Page) + 1

func FuzzAppendBlocked(f *testing.F) {
	for _, m := range fixtureMessages(f) {
		for mode := range uint8(numModes) {
			f.Add(m, mode)
		}
	}
	for i, m := range captureMessages(f, 20) {
		f.Add(m, uint8(i)%numModes)
	}
	f.Fuzz(func(t *testing.T, query []byte, mode uint8) {
		mode %= numModes
		out, err := AppendBlocked([]byte("x"), query, BlockMode(mode), 60)
		if err != nil {
			if len(out) != 1 {
				t.Fatalf("error %v but dst changed", err)
			}
			return
		}
		var m dnsmessage.Message
		if err := m.Unpack(out[1:]); err != nil {
			t.Fatalf("answer to %x unreadable: %v", query, err)
		}
		var p dnsmessage.Parser
		h, _ := p.Start(query)
		q, _ := p.Question()
		if m.ID != h.ID || !m.Response || len(m.Questions) != 1 || m.Questions[0] != q {
			t.Fatalf("answer %+v does not match query %+v %+v", m, h, q)
		}
		want := map[BlockMode]dnsmessage.RCode{NXDomain: dnsmessage.RCodeNameError, Null: dnsmessage.RCodeSuccess,
			ServFail: dnsmessage.RCodeServerFailure, NoData: dnsmessage.RCodeSuccess, Page: dnsmessage.RCodeSuccess}[BlockMode(mode)]
		if m.RCode != want {
			t.Fatalf("mode %v: rcode %v", BlockMode(mode), m.RCode)
		}
		if BlockMode(mode) == NoData && (len(m.Answers) != 0 || len(m.Authorities) != 1) {
			t.Fatalf("nodata answer %+v", m)
		}
		if BlockMode(mode) == Page {
			pageA := q.Class == dnsmessage.ClassINET && q.Type == dnsmessage.TypeA
			switch {
			case pageA && (len(m.Answers) != 1 || len(m.Authorities) != 0 ||
				m.Answers[0].Body.(*dnsmessage.AResource).A != PageV4.As4()):
				t.Fatalf("page answer to an A question %+v", m)
			case !pageA && (len(m.Answers) != 0 || len(m.Authorities) != 1):
				t.Fatalf("page answer to %v %v %+v", q.Class, q.Type, m)
			}
		}
	})
}
