package reading

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/packet/pcaptest"
	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// captureSeeds returns client payloads from the shared captures: the first
// TCP data segments of each file (with their destination port), and the
// UDP datagrams to port 443 of each file joined into one fuzz input (each
// with its 2-byte length). It logs and returns nothing when the captures
// are absent, so the fuzz targets keep their built-in seeds.
func captureSeeds(tb testing.TB) (tcp []seedTCP, udp [][]byte) {
	files := pcaptest.Files(tb)
	if len(files) == 0 {
		tb.Log("no shared captures (../shared/data/pcap): built-in seeds only")
	}
	var p packet.Parsed
	for _, path := range files {
		var dgrams []byte
		nTCP := 0
		for _, ip := range pcaptest.IPPackets(tb, path, 64) {
			p.Decode(ip)
			payload := p.Payload()
			switch {
			case !p.Valid() || len(payload) == 0:
			case p.IPProto == packet.TCP && nTCP < 4:
				tcp = append(tcp, seedTCP{slices.Clone(payload), p.DstPort})
				nTCP++
			case p.IPProto == packet.UDP && p.DstPort == 443 && len(dgrams) < 8<<10:
				dgrams = binary.BigEndian.AppendUint16(dgrams, uint16(len(payload)))
				dgrams = append(dgrams, payload...)
			}
		}
		if len(dgrams) > 0 {
			udp = append(udp, dgrams)
		}
	}
	return tcp, udp
}

type seedTCP struct {
	data []byte
	port uint16
}

// checkResult fails t when res breaks the Result contract.
func checkResult(t *testing.T, res Result, dataLen int) {
	t.Helper()
	switch {
	case res.Kind > QUIC:
		t.Fatalf("kind %d", res.Kind)
	case !res.Done && (res.Flags != 0 || res.Name != nil || res.Err != nil || res.Used != 0):
		t.Fatalf("need more with a reading: %+v", res)
	case res.Flags&Unreadable != 0 && (res.Err == nil || len(res.Name) != 0):
		t.Fatalf("unreadable without a reason, or with a name: %+v", res)
	case res.Err != nil && res.Flags&(Unreadable|Evasion) == 0:
		t.Fatalf("an error without its flag: %+v", res)
	case res.Used < 0 || res.Used > dataLen:
		t.Fatalf("used %d of %d", res.Used, dataLen)
	case bytes.ContainsFunc(res.Name, func(r rune) bool { return 'A' <= r && r <= 'Z' }):
		t.Fatalf("name not lowercased: %q", res.Name)
	}
}

// FuzzTCP reads data as a whole stream (in place, as a first segment),
// and cut into segments (pieces of step bytes, every other pair swapped
// when swap is set) through Segment, checking the Result contract each time.
func FuzzTCP(f *testing.F) {
	add := func(data []byte, port uint16) {
		f.Add(data, port, uint16(0), false, false)
		f.Add(data, port, uint16(300), true, false)
		f.Add(data, port, uint16(7), false, true)
	}
	add(mustHex(f, tinyHello), 443)
	add(slices.Concat(mustHex(f, tinyHello), mustHex(f, ccs), mustHex(f, tinyHello)), 443)
	add(recordSplit(goHello(f, "fuzz.test"), 3), 443)
	add([]byte("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n"), 80)
	add([]byte("SSH-2.0-OpenSSH_9.6\r\n"), 22)
	tcp, _ := captureSeeds(f)
	for _, s := range tcp {
		add(s.data, s.port)
	}
	var r Reader
	buf := make([]byte, StreamBuffer)
	f.Fuzz(func(t *testing.T, data []byte, port uint16, step uint16, swap, final bool) {
		res := r.Stream(data, port, final)
		checkResult(t, res, len(data))
		if final && !res.Done {
			t.Fatalf("final and not done: %+v", res)
		}
		var s reasm.Stream
		s.Init(buf, isn, MaxSegments)
		n := max(1, int(step))
		var segs []seg
		for off := 0; off < len(data); off += n {
			segs = append(segs, seg{off, data[off:min(len(data), off+n)]})
		}
		if swap {
			for i := 0; i+1 < len(segs); i += 2 {
				segs[i], segs[i+1] = segs[i+1], segs[i]
			}
		}
		for i, sg := range segs {
			res := r.Segment(&s, isn+uint32(sg.off), sg.data, port, MaxSegments, final && i == len(segs)-1)
			checkResult(t, res, len(s.Contiguous()))
			if res.Done {
				break
			}
			if i == MaxSegments-1 {
				t.Fatalf("%d segments and not done", MaxSegments)
			}
		}
	})
}

// FuzzQUIC feeds a flow's datagrams (each preceded by its 2-byte length)
// through the QUIC steps as the judge does: the discard rule, then
// Datagram within a bound of 1 to MaxDatagrams, and the new-connection
// probe once the flow is done.
func FuzzQUIC(f *testing.F) {
	join := func(dgrams ...[]byte) []byte {
		var in []byte
		for _, d := range dgrams {
			in = binary.BigEndian.AppendUint16(in, uint16(len(d)))
			in = append(in, d...)
		}
		return in
	}
	ch := quicHello(f, "fuzz.test")
	f.Add(join(initials(f, ch, quictest.Options{Initials: 2, Padding: true})...), uint8(MaxDatagrams))
	f.Add(join(slices.Concat([][]byte{zeroRTT(f)}, initials(f, ch, quictest.Options{Version: quic.Version2, Initials: 3, Padding: true}))...), uint8(3))
	f.Add(join(initials(f, ch, quictest.Options{Initials: 2, Padding: true, Overlap: []byte("x"), OverlapAt: 9})...), uint8(8))
	_, udp := captureSeeds(f)
	for _, in := range udp {
		f.Add(in, uint8(MaxDatagrams))
	}
	var r Reader
	var q quic.Reader
	var p Probe
	f.Fuzz(func(t *testing.T, in []byte, bound uint8) {
		q.Reset()
		b := 1 + int(bound)%MaxDatagrams
		var judged []byte
		done := false
		for n := 0; len(in) >= 2; {
			l := min(int(binary.BigEndian.Uint16(in)), len(in)-2)
			d := in[2 : 2+l]
			in = in[2+l:]
			var hdr quic.Header
			if NonInitialLongHeader(d) && quic.ParseHeader(d, &hdr) == nil {
				t.Fatalf("%x: both an Initial and not one", d[:min(len(d), 8)])
			}
			if done {
				p.NewConnection(d, judged)
				continue
			}
			if Discarded(d, true, &q) {
				continue
			}
			n++
			res := r.Datagram(&q, d, n, b, false)
			checkResult(t, res, 0)
			if n >= b && !res.Done {
				t.Fatalf("datagram %d of a bound of %d and not done", n, b)
			}
			if res.Done {
				done, judged = true, bytes.Clone(res.Random)
			}
		}
	})
}
