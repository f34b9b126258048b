package inspect

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/safeinternet/cpe/nfq/packet"
	"github.com/safeinternet/cpe/nfq/reading"
)

// seg is one TCP segment of a test conversation.
type seg struct {
	src, dst string
	seq, ack uint32
	flags    string
	payload  []byte
}

const (
	cli  = "192.168.1.2:50000"
	srv  = "93.184.216.34:443"
	web  = "93.184.216.34:80"
	isn  = 1000 // the client's initial sequence number
	data = isn + 1
)

func segFrames(tb testing.TB, segs []seg) [][]byte {
	tb.Helper()
	var frames [][]byte
	for _, s := range segs {
		frames = append(frames, tcpAck(tb, s.src, s.dst, s.seq, s.ack, s.flags, s.payload))
	}
	return frames
}

// handshake is a client's SYN and the server's SYN-ACK from src to dst.
func handshake(src, dst string, clientISN uint32) []seg {
	return []seg{
		{src: src, dst: dst, seq: clientISN, flags: "S"},
		{src: dst, dst: src, seq: 5000, ack: clientISN + 1, flags: "SA"},
	}
}

// split cuts b into pieces at the given offsets.
func split(b []byte, at ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, a := range at {
		out = append(out, b[prev:a])
		prev = a
	}
	return append(out, b[prev:])
}

// client returns the client segments carrying pieces, in order, from seq on.
func client(seq uint32, pieces ...[]byte) []seg {
	var out []seg
	for _, p := range pieces {
		out = append(out, seg{src: cli, dst: srv, seq: seq, flags: "P", payload: p})
		seq += uint32(len(p))
	}
	return out
}

func cat(parts ...[]seg) []seg { return slices.Concat(parts...) }

func TestTCPNames(t *testing.T) {
	ch := clientHello(t, "www.Example.com", "h2", "http/1.1")
	other := clientHello(t, "other.test")
	n := len(ch)
	if n < 1200 {
		t.Fatalf("ClientHello of %d bytes: want a post-quantum one that spans segments", n)
	}
	p := split(ch, 500, 1000)
	ccs := []byte{20, 3, 3, 0, 1, 1}        // change_cipher_spec record
	appData := []byte{23, 3, 3, 0, 2, 0, 0} // application_data record
	get := []byte("GET /x HTTP/1.1\r\nUser-Agent: t\r\nHost: Example.COM:8080\r\n\r\n")
	conflict := append([]byte{}, p[1]...)
	conflict[10] ^= 0xff
	const name = "www.example.com"
	tests := []struct {
		name string
		segs []seg
		want []string // short()'s form
	}{
		{"hello in one segment",
			cat(handshake(cli, srv, isn), client(data, ch)),
			[]string{"3 tls " + name}},
		{"hello across three segments: the last completes it",
			cat(handshake(cli, srv, isn), client(data, p...)),
			[]string{"5 tls " + name}},
		{"segments out of order",
			cat(handshake(cli, srv, isn), client(data+1000, p[2]), client(data, p[0]), client(data+500, p[1])),
			[]string{"5 tls " + name}},
		{"retransmissions give one record",
			cat(handshake(cli, srv, isn), client(data, p[0]), client(data, p[0]), client(data+500, p[1:]...), client(data, ch)),
			[]string{"6 tls " + name}},
		{"SYN not captured: the SYN-ACK's ack starts the stream",
			cat(handshake(cli, srv, isn)[1:], client(data+500, p[1:]...), client(data, p[0])),
			[]string{"4 tls " + name}},
		{"capture starts mid-flow with the hello",
			client(77777, p...),
			[]string{"3 tls " + name}},
		{"capture starts mid-flow with other data: a later hello-like segment is not read",
			cat(client(77777, appData), client(77777+uint32(len(appData)), ch)),
			nil},
		{"server's bytes are not read",
			cat(handshake(cli, srv, isn), []seg{{src: srv, dst: cli, seq: 5001, flags: "P", payload: ch}}),
			nil},
		{"a new SYN on the same ports starts another connection",
			cat(handshake(cli, srv, isn), client(data, ch), handshake(cli, srv, 90000), client(90001, other)),
			[]string{"3 tls " + name, "6 tls other.test"}},
		{"a copy of the SYN after the hello changes nothing",
			cat(handshake(cli, srv, isn), client(data, ch), handshake(cli, srv, isn)[:1], client(data, ch)),
			[]string{"3 tls " + name}},
		{"second ClientHello after HelloRetryRequest",
			cat(handshake(cli, srv, isn), client(data, ch), client(data+uint32(n), ccs, other[:100], other[100:])),
			[]string{"3 tls " + name, "6 tls other.test #2"}},
		{"two ClientHellos in one segment",
			cat(handshake(cli, srv, isn), client(data, slices.Concat(ch, ccs, other))),
			[]string{"3 tls " + name, "3 tls other.test #2"}},
		{"application data after the hello ends the reading",
			cat(handshake(cli, srv, isn), client(data, ch, ccs, appData, other)),
			[]string{"3 tls " + name}},
		{"conflicting overlap is an error",
			cat(handshake(cli, srv, isn), client(data, p[0], p[1]), client(data+500, conflict)),
			[]string{"5 tls  !reasm: overlap with different bytes"}},
		{"capture ends inside the hello",
			cat(handshake(cli, srv, isn), client(data, p[:2]...)),
			[]string{"4 tls  !" + errHelloCut}},
		{"capture ends inside the second hello",
			cat(handshake(cli, srv, isn), client(data, ch, ccs, other[:100])),
			[]string{"3 tls " + name, "5 tls  #2 !" + errHelloCut}},
		{"port 443 with neither TLS nor HTTP",
			cat(handshake(cli, srv, isn), client(data, []byte("SSH-2.0-OpenSSH_9.6\r\n"))),
			[]string{"3 tls  !" + reading.ErrNotTLSOrHTTP.Error()}},
		{"HTTP request head across segments, host normalised",
			cat(handshake(cli, web, isn), []seg{
				{src: cli, dst: web, seq: data, flags: "P", payload: get[:20]},
				{src: cli, dst: web, seq: data + 20, flags: "P", payload: get[20:]},
			}),
			[]string{"4 http example.com"}},
		{"HTTP/1.0 without Host",
			cat(handshake(cli, web, isn), []seg{{src: cli, dst: web, seq: data, flags: "P", payload: []byte("GET / HTTP/1.0\r\n\r\n")}}),
			[]string{"3 http -"}},
		{"HTTP keep-alive: the first request only",
			cat(handshake(cli, web, isn), []seg{{src: cli, dst: web, seq: data, flags: "P", payload: slices.Concat(get, get)}}),
			[]string{"3 http example.com"}},
		{"TLS on port 80",
			cat(handshake(cli, web, isn), []seg{{src: cli, dst: web, seq: data, flags: "P", payload: ch}}),
			[]string{"3 tls " + name}},
		{"another protocol on another port: nothing",
			cat(handshake(cli, "10.0.0.1:22", isn), []seg{{src: cli, dst: "10.0.0.1:22", seq: data, flags: "P", payload: []byte("SSH-2.0-x\r\n")}}),
			nil},
		{"TCP on the DNS port is left to DNS",
			cat(handshake(cli, "10.0.0.1:53", isn), []seg{{src: cli, dst: "10.0.0.1:53", seq: data, flags: "P", payload: ch}}),
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, _ := collect(t, Options{}, layers.LinkTypeRaw, segFrames(t, tt.segs)...)
			if got := short(recs); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestTCPHelloFields(t *testing.T) {
	ch := clientHello(t, "a.test", "h2", "http/1.1")
	recs, st := collect(t, Options{}, layers.LinkTypeRaw, segFrames(t, cat(handshake(cli, srv, isn), client(data, ch)))...)
	if len(recs) != 1 {
		t.Fatalf("records %+v", recs)
	}
	b, err := recs[0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// crypto/tls offers X25519MLKEM768 by default and no ECH without a config.
	want := `{"frame":3,"flow":"192.168.1.2:50000>93.184.216.34:443/tcp","kind":"tls","name":"a.test","alpn":["h2","http/1.1"],"ech":false,"pq":true}`
	if string(b) != want {
		t.Errorf("JSON\n%s\nwant\n%s", b, want)
	}
	if st.TLSHellos != 1 || st.Records != 1 || st.Unreadable != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTCPTooManySegments(t *testing.T) {
	ch := clientHello(t, "a.test")
	var pieces [][]byte
	for i := range reading.MaxSegments + 2 {
		pieces = append(pieces, ch[i:i+1])
	}
	recs, st := collect(t, Options{}, layers.LinkTypeRaw, segFrames(t, cat(handshake(cli, srv, isn), client(data, pieces...)))...)
	want := []string{fmt.Sprintf("%d tls  !%s", 2+reading.MaxSegments, reading.ErrSegments)}
	if got := short(recs); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if st.Unreadable != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestTCPCaps(t *testing.T) {
	// More flows than maxTCPFlows, each with the first half of a
	// ClientHello, so that each holds a reassembly buffer.
	ch := clientHello(t, "a.test")
	var st Stats
	x := newTCPExtractor(&st, func(*packet.Parsed) bool { return false })
	var p packet.Parsed
	emit := func(r Record) error { t.Fatalf("record %+v", r); return nil }
	for i := range maxTCPFlows + 100 {
		src := fmt.Sprintf("10.%d.%d.%d:40000", i>>16&0xff, i>>8&0xff, i&0xff)
		p.Decode(tcpPacket(t, src, srv, 1, "P", ch[:600]))
		if err := x.packet(i+1, &p, emit); err != nil {
			t.Fatal(err)
		}
		if len(x.flows.m) > maxTCPFlows || x.held.len() > maxTCPBuffers {
			t.Fatalf("after %d flows: %d followed (cap %d), %d buffers (cap %d)", i+1, len(x.flows.m), maxTCPFlows, x.held.len(), maxTCPBuffers)
		}
	}
	if st.Evicted == 0 {
		t.Error("nothing evicted")
	}
	// The newest flow still completes.
	p.Decode(tcpPacket(t, fmt.Sprintf("10.%d.%d.%d:40000", (maxTCPFlows+99)>>16&0xff, (maxTCPFlows+99)>>8&0xff, (maxTCPFlows+99)&0xff), srv, 601, "P", ch[600:]))
	var got []Record
	if err := x.packet(0, &p, func(r Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "a.test" {
		t.Errorf("newest flow gave %+v", got)
	}
}

func TestLooksLikeRequest(t *testing.T) {
	var nr nameReader
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"handshake record with client_hello", "\x16\x03\x01\x02\x00\x01", true},
		{"handshake record, type unknown yet", "\x16\x03", true},
		{"server_hello", "\x16\x03\x03\x00\x50\x02", false},
		{"application data", "\x17\x03\x03\x00\x10", false},
		{"HTTP request", "GET / HTTP/1.1\r\n", true},
		{"HTTP response", "HTTP/1.1 200 OK\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nr.looksLikeRequest([]byte(tt.in)); got != tt.want {
				t.Errorf("looksLikeRequest(%q) = %v", tt.in, got)
			}
		})
	}
}

// TestTCPEvasion: the records of flows the packet path judges an evasion
// say so: a second ClientHello right behind the first (the first record
// keeps its name) and an overlap with different bytes (an error record).
func TestTCPEvasion(t *testing.T) {
	ch := clientHello(t, "a.test")
	other := clientHello(t, "b.test")
	ccs := []byte{20, 3, 3, 0, 1, 1}
	conflict := slices.Clone(ch[300:900])
	conflict[10] ^= 0xff
	tests := []struct {
		name string
		segs []seg
		want []bool // Evasion of each record
	}{
		{"two ClientHellos in a row", cat(handshake(cli, srv, isn), client(data, slices.Concat(ch, other))), []bool{true, false}},
		{"change_cipher_spec between them: the second after a HelloRetryRequest",
			cat(handshake(cli, srv, isn), client(data, slices.Concat(ch, ccs, other))), []bool{false, false}},
		{"an overlap with different bytes", cat(handshake(cli, srv, isn), client(data, ch[:500]), client(data+300, conflict)), []bool{true}},
		{"one ClientHello", cat(handshake(cli, srv, isn), client(data, ch)), []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, _ := collect(t, Options{}, layers.LinkTypeRaw, segFrames(t, tt.segs)...)
			var got []bool
			for _, r := range recs {
				got = append(got, r.Evasion)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("evasion %v, want %v (%q)", got, tt.want, short(recs))
			}
		})
	}
}
