package reading

import (
	"slices"
	"testing"

	"github.com/safeinternet/cpe/nfq/quic"
	"github.com/safeinternet/cpe/nfq/quic/quictest"
	"github.com/safeinternet/cpe/nfq/reasm"
)

// TestNoAllocs: the TCP path (a first segment read in place, a ClientHello
// reassembled across segments, every kind of outcome) and the keyless QUIC
// steps allocate nothing; a QUIC flow allocates no more than deriving its
// Initial keys does (3: the AES block of the packet key, its GCM, the AES
// block of the header protection key).
func TestNoAllocs(t *testing.T) {
	pq := goHello(t, "a.test")
	pieces := cut(pq, 600, 1200)
	conflict := slices.Clone(pq[300:900])
	conflict[1] ^= 1
	streams := map[string][]byte{
		"tls":           pq,
		"tls, records":  recordSplit(pq, 1),
		"tls, evasion":  slices.Concat(mustHex(t, tinyHello), pq),
		"tls, need":     pq[:600],
		"tls, bad":      mustHex(t, `16 0303 0006 02 000002 0303`),
		"http":          []byte("GET / HTTP/1.1\r\nHost: Example.com:80\r\n\r\n"),
		"http, no host": []byte("GET / HTTP/1.0\r\n\r\n"),
		"not tls":       []byte("SSH-2.0-OpenSSH_9.6\r\n"),
	}
	var r Reader
	buf := make([]byte, StreamBuffer)
	var s reasm.Stream
	for name, data := range streams {
		for _, final := range []bool{false, true} {
			if n := testing.AllocsPerRun(100, func() { r.Stream(data, 443, final) }); n != 0 {
				t.Errorf("Stream %s (final %v): %v allocations", name, final, n)
			}
		}
	}
	flow := func() {
		if res := r.Stream(pieces[0], 443, false); res.Done {
			t.Fatal("done in place")
		}
		s.Init(buf, isn, MaxSegments)
		off := 0
		for _, p := range pieces {
			r.Segment(&s, isn+uint32(off), p, 443, SegmentBound(8), false)
			off += len(p)
		}
		s.Init(buf, isn, MaxSegments)
		r.Segment(&s, isn, pieces[0], 443, MaxSegments, false)
		r.Segment(&s, isn+300, conflict, 443, MaxSegments, false)
	}
	if n := testing.AllocsPerRun(100, flow); n != 0 {
		t.Errorf("Segment: %v allocations", n)
	}

	ch := quicHello(t, "a.test")
	dgrams := initials(t, ch, quictest.Options{Initials: 2, Padding: true})
	var q quic.Reader
	keyless := func() {
		Discarded(dgrams[0], true, &q)
		Discarded(dgrams[1], true, nil)
		NonInitialLongHeader(dgrams[0])
		Random(ch)
	}
	if n := testing.AllocsPerRun(100, keyless); n != 0 {
		t.Errorf("Discarded, NonInitialLongHeader, Random: %v allocations", n)
	}
	qflow := func() {
		q.Reset()
		for i, d := range dgrams {
			r.Datagram(&q, d, i+1, MaxDatagrams, false)
		}
	}
	qflow()
	if n := testing.AllocsPerRun(100, qflow); n > 3 {
		t.Errorf("a QUIC flow: %v allocations, want at most a key derivation's 3", n)
	}
	var p Probe
	p.NewConnection(dgrams[0], Random(ch))
	if n := testing.AllocsPerRun(100, func() { p.NewConnection(dgrams[0], Random(ch)) }); n != 0 {
		t.Errorf("NewConnection with the keys of the DCID probed before: %v allocations", n)
	}
}

// BenchmarkStream reads Go's post-quantum ClientHello (one record, about
// 1.8 KB) in place, as a first segment that holds it whole.
func BenchmarkStream(b *testing.B) {
	pq := goHello(b, "www.example.com")
	var r Reader
	b.SetBytes(int64(len(pq)))
	b.ReportAllocs()
	for b.Loop() {
		if !r.Stream(pq, 443, false).Done {
			b.Fatal("not done")
		}
	}
}

// BenchmarkStreamHTTP reads a short request head in place.
func BenchmarkStreamHTTP(b *testing.B) {
	get := []byte("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	var r Reader
	b.SetBytes(int64(len(get)))
	b.ReportAllocs()
	for b.Loop() {
		if !r.Stream(get, 80, false).Done {
			b.Fatal("not done")
		}
	}
}

// BenchmarkSegment reads the same ClientHello cut into two segments (MSS
// 1460): the first read in place, then both reassembled and read.
func BenchmarkSegment(b *testing.B) {
	pq := goHello(b, "www.example.com")
	pieces := cut(pq, 1460)
	var r Reader
	var s reasm.Stream
	buf := make([]byte, StreamBuffer)
	b.SetBytes(int64(len(pq)))
	b.ReportAllocs()
	for b.Loop() {
		r.Stream(pieces[0], 443, false)
		s.Init(buf, isn, MaxSegments)
		r.Segment(&s, isn, pieces[0], 443, MaxSegments, false)
		if !r.Segment(&s, isn+1460, pieces[1], 443, MaxSegments, false).Done {
			b.Fatal("not done")
		}
	}
}

// BenchmarkDatagram reads a QUIC flow of two padded Initials: key
// derivation, decryption, CRYPTO reassembly and the ClientHello.
func BenchmarkDatagram(b *testing.B) {
	dgrams := initials(b, quicHello(b, "www.example.com"), quictest.Options{Initials: 2, Padding: true})
	var r Reader
	var q quic.Reader
	b.ReportAllocs()
	for b.Loop() {
		q.Reset()
		r.Datagram(&q, dgrams[0], 1, MaxDatagrams, false)
		if !r.Datagram(&q, dgrams[1], 2, MaxDatagrams, false).Done {
			b.Fatal("not done")
		}
	}
}
