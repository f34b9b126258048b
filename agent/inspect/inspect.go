package inspect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"

	"github.com/gopacket/gopacket/layers"

	"github.com/safeinternet/cpe/nfq/packet"
)

// Kind says where a name was found.
type Kind string

// Kinds of records.
const (
	KindDNSQuery    Kind = "dns-query"
	KindDNSResponse Kind = "dns-response"
	KindTLS         Kind = "tls"  // a ClientHello at the start of a TCP client stream
	KindQUIC        Kind = "quic" // a ClientHello in the client's QUIC Initial packets
	KindHTTP        Kind = "http" // an HTTP/1 request head at the start of a TCP client stream
)

// NoName is the Name of a ClientHello without a server_name extension and
// of an HTTP request that names no host (HTTP/1.0 without Host), as the
// oracle of the tests prints it.
const NoName = "-"

// Flow is one direction of a transport flow. It is comparable, so it keys
// maps.
type Flow struct {
	Src, Dst netip.AddrPort
	Proto    packet.Proto
}

// String formats f as SRC>DST/PROTO, IPv6 addresses in brackets:
// "192.168.1.2:5353>8.8.8.8:53/udp", "[2001:db8::1]:53>[2001:db8::2]:40000/tcp".
func (f Flow) String() string {
	return f.Src.String() + ">" + f.Dst.String() + "/" + f.Proto.String()
}

// reverse is the other direction of f.
func (f Flow) reverse() Flow { return Flow{Src: f.Dst, Dst: f.Src, Proto: f.Proto} }

// Record is one name found in a capture, or (kinds tls, quic and http) one
// client flow whose name could not be read, with Err saying why.
type Record struct {
	Frame int    // 1-based frame number
	Flow  Flow   // the packet's direction; for tls, quic and http the client's
	Kind  Kind   // where the name was found
	Name  string // as the packet path sees it; may hold any byte but '.' inside a label; NoName or "" (see Err) for tls, quic, http
	// Hello is what else a ClientHello said (kinds tls and quic); nil for
	// other kinds and when Err is set.
	Hello *HelloInfo
	// Nth says which ClientHello of its TCP connection a tls record is
	// about: 1 for the first, the one the packet path judges the
	// connection on; 2 for the one sent after a HelloRetryRequest. 0 for
	// other kinds.
	Nth int
	// Ambiguous lists, joined by '|', why a tls, quic or http name cannot
	// be trusted to mean one host (hello.Ambiguity's names, "invalid" for
	// an HTTP request without a host, "request" for an HTTP head that
	// servers may read differently, "truncated" for one longer than is
	// read); "" when it can. The packet path blocks such a name for
	// restricted profiles.
	Ambiguous string
	// Evasion says the flow tried to show a reader another name than the
	// server reads (reading.Evasion): a second ClientHello right behind the
	// first (the record of the first has a name), or overlapping TCP
	// segments or QUIC CRYPTO data with different bytes (Err says so). The
	// packet path blocks such a flow for restricted profiles.
	Evasion bool
	// Err says why a tls, quic or http flow gave no name (Name is then ""):
	// the packet path judges such a flow unreadable, or an evasion.
	Err string
}

// HelloInfo is what a record keeps of a ClientHello besides its name.
type HelloInfo struct {
	ALPN        []string // offered protocols, the first up to 8 (hello.Hello.ALPN)
	ECH         bool     // the outer encrypted_client_hello extension is present (GREASE or real)
	PostQuantum bool     // a post-quantum hybrid group is offered
}

// MarshalJSON writes the record as the inspect command prints it. Names are
// JSON strings: ill-formed UTF-8 becomes U+FFFD, one per maximal ill-formed
// subsequence, as Wireshark shows such names; control bytes are escaped.
// DNS records carry frame, flow, kind and name only; ClientHello records add
// "alpn" (when offered), "ech" and "pq", and "hello" (Nth) when not the
// first of its connection; "ambiguous", "evasion" and "error" appear when
// set.
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep '>' in flows readable
	out := jsonRecord{Frame: r.Frame, Flow: r.Flow.String(), Kind: r.Kind, Name: validUTF8(r.Name),
		Ambiguous: r.Ambiguous, Evasion: r.Evasion, Err: r.Err}
	if h := r.Hello; h != nil {
		for _, p := range h.ALPN {
			out.ALPN = append(out.ALPN, validUTF8(p))
		}
		out.ECH, out.PQ = &h.ECH, &h.PostQuantum
	}
	if r.Nth > 1 {
		out.Nth = r.Nth
	}
	err := enc.Encode(out)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// jsonRecord is the printed form of a Record; the field order is the
// output's.
type jsonRecord struct {
	Frame     int      `json:"frame"`
	Flow      string   `json:"flow"`
	Kind      Kind     `json:"kind"`
	Name      string   `json:"name"`
	ALPN      []string `json:"alpn,omitempty"`
	ECH       *bool    `json:"ech,omitempty"`
	PQ        *bool    `json:"pq,omitempty"`
	Nth       int      `json:"hello,omitempty"`
	Ambiguous string   `json:"ambiguous,omitempty"`
	Evasion   bool     `json:"evasion,omitempty"`
	Err       string   `json:"error,omitempty"`
}

// Options tune a run. The zero value is ready to use.
type Options struct {
	// DNSPorts are the ports whose UDP and TCP traffic is read as DNS, on
	// either side of a flow. Nil means port 53 only.
	DNSPorts []uint16
	// Logger receives notes about what could not be read (a link type not
	// understood, once per type). Nil discards them.
	Logger *slog.Logger
}

// Stats counts what a run saw.
type Stats struct {
	Frames      int  // frames read
	NotIP       int  // frames with no IPv4/IPv6 header (other link types, ARP, …)
	Undecodable int  // IP headers that did not decode
	Cut         int  // frames shorter than their IP length says (snap length), not read
	Fragments   int  // IP fragments seen
	Reassembled int  // datagrams reassembled from fragments
	DNSMessages int  // DNS messages read
	DNSErrors   int  // DNS payloads that did not parse (malformed, no question)
	TLSHellos   int  // ClientHellos read at the start of TCP client streams
	QUICHellos  int  // ClientHellos read from QUIC Initials
	HTTPHeads   int  // HTTP request heads read at the start of TCP client streams
	Unreadable  int  // tls, quic and http records with an error instead of a name
	Discarded   int  // client QUIC Initials servers discard (reading.Discarded: a datagram or first DCID too short), not read
	Evicted     int  // client flows dropped unread to keep within a cap (see the package comment)
	Records     int  // records produced
	Truncated   bool // the capture ended in the middle of a frame
}

// Run reads the capture r (pcap or pcapng, optionally gzipped) and writes
// one JSON line per record to w. It returns what it counted, and an error
// when r is not a capture, when a frame cannot be read, or when w fails; the
// records before the error have been written. A capture cut short inside its
// last frame is not an error (Stats.Truncated).
func Run(w io.Writer, r io.Reader, opts Options) (Stats, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	st, err := Walk(r, opts, func(rec Record) error {
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("inspect: write: %w", err)
		}
		return nil
	})
	if ferr := bw.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("inspect: write: %w", ferr)
	}
	return st, err
}

// extractor finds names in decoded packets. One exists per kind family
// (DNS; TLS and HTTP over TCP; QUIC); each sees every valid TCP/UDP packet
// and ignores what is not its own, and counts in the Stats it was made with.
type extractor interface {
	packet(frame int, p *packet.Parsed, emit func(Record) error) error
	// finish is called once after the last frame: flows left incomplete
	// give their records there.
	finish(emit func(Record) error) error
}

// Walk reads the capture r like Run but hands each record to fn, in frame
// order, except that the records of client flows the capture leaves
// incomplete (a ClientHello or request head cut short) come last, in the
// order of their last frames; an error from fn stops the walk and is
// returned as it is.
func Walk(r io.Reader, opts Options, fn func(Record) error) (Stats, error) {
	src, err := openCapture(r)
	if err != nil {
		return Stats{}, err
	}
	w := newWalker(opts, fn)
	for frame := 1; ; frame++ {
		data, lt, err := src.next()
		if errors.Is(err, io.EOF) {
			return w.st, w.finish()
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			w.st.Truncated = true
			return w.st, w.finish()
		}
		if err != nil {
			return w.st, fmt.Errorf("inspect: frame %d: %w", frame, err)
		}
		if err := w.frame(frame, data, lt); err != nil {
			return w.st, err
		}
	}
}

// walker carries what a walk keeps between frames. Every map in it is
// bounded: see streams, defrag and warned.
type walker struct {
	st         Stats
	log        *slog.Logger
	fn         func(Record) error
	extractors []extractor
	warned     map[layers.LinkType]bool // link types reported; one entry per type
	p, whole   packet.Parsed
	frags      defrag
}

func newWalker(opts Options, fn func(Record) error) *walker {
	w := &walker{
		log:    opts.Logger,
		fn:     fn,
		warned: make(map[layers.LinkType]bool),
	}
	dns := newDNSExtractor(&w.st, opts.DNSPorts)
	w.extractors = []extractor{dns, newTCPExtractor(&w.st, dns.isDNS), newQUICExtractor(&w.st, dns.isDNS)}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w
}

// finish lets every extractor report what the end of the capture left
// incomplete.
func (w *walker) finish() error {
	for _, x := range w.extractors {
		if err := x.finish(w.emit); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) emit(rec Record) error {
	w.st.Records++
	return w.fn(rec)
}

// frame reads one captured frame of link type lt.
func (w *walker) frame(n int, data []byte, lt layers.LinkType) error {
	w.st.Frames++
	ip, ok := networkLayer(data, lt)
	if !ok {
		w.st.NotIP++
		if !supported(lt) && !w.warned[lt] {
			w.warned[lt] = true
			w.log.Warn("inspect: link type not understood, frames skipped", "link_type", uint16(lt), "frame", n)
		}
		return nil
	}
	p := &w.p
	p.Decode(ip)
	switch {
	case p.IPVersion == 0:
		w.st.Undecodable++
		return nil
	case p.Bytes() == nil:
		w.st.Cut++
		return nil
	case p.Fragment:
		w.st.Fragments++
		dg := w.frags.add(p)
		if dg == nil {
			return nil
		}
		w.st.Reassembled++
		w.whole.Decode(dg)
		p = &w.whole
	}
	if !p.Valid() {
		return nil
	}
	for _, x := range w.extractors {
		if err := x.packet(n, p, w.emit); err != nil {
			return err
		}
	}
	return nil
}
