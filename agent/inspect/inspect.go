// Package inspect reads a packet capture (pcap or pcapng, gzipped or not)
// and reports the names the agent would judge in it, one record per name,
// using the same decoders as the packet path (nfq/packet, nfq/dns). It backs
// `safeinternet inspect --pcap FILE`, which prints one JSON object per line:
//
//	{"frame":12,"flow":"192.168.1.2:5353>8.8.8.8:53/udp","kind":"dns-query","name":"example.com"}
//
// Frames are numbered from 1 in capture order, as Wireshark numbers them; a
// name found in a message that spans TCP segments carries the number of the
// frame that completed it.
//
// What is read, and the choices made where a capture is ambiguous:
//   - DNS is UDP or TCP traffic with source or destination port in
//     Options.DNSPorts (default 53 only: mDNS on 5353 and LLMNR on 5355 are
//     link-local and never cross the router, and the tshark oracle of the
//     tests leaves them out too). Each message gives its first question's
//     name (Parse's form: lowercase, no trailing dot, "" for the root); a
//     message without a question, or malformed, gives nothing.
//   - DNS over TCP is reassembled per direction of each flow, in sequence
//     order as captured: retransmitted bytes are skipped, a gap (lost or
//     out-of-order segment) drops the partial message and restarts at the
//     new segment. At most maxStreams directions are followed (the least
//     recently used is dropped) and a direction buffers at most one whole
//     message (65537 bytes); several messages in one segment each give a
//     record.
//   - IP fragments (IPv4 and IPv6) are reassembled, because the router's
//     netfilter queue sees datagrams after conntrack has reassembled them; a
//     capture shows the pieces (large EDNS answers). The datagram is read at
//     the frame of the piece that completed it. At most maxDatagrams are
//     pending (least recently touched dropped), each of at most maxPieces
//     pieces and 65535 bytes; overlapping pieces drop the datagram.
//   - A frame shorter than its IP header says (cut by the capture's snap
//     length) is not read (Stats.Cut): the packet path only judges whole
//     packets.
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

// Kinds of records. Later kinds (tls, quic, http) slot in beside these.
const (
	KindDNSQuery    Kind = "dns-query"
	KindDNSResponse Kind = "dns-response"
)

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

// Record is one name found in a capture.
type Record struct {
	Frame int    // 1-based frame number
	Flow  Flow   // the packet's direction
	Kind  Kind   // where the name was found
	Name  string // as the packet path sees it; may hold any byte but '.' inside a label
}

// MarshalJSON writes the record as the inspect command prints it. Names are
// JSON strings: ill-formed UTF-8 becomes U+FFFD, one per maximal ill-formed
// subsequence, as Wireshark shows such names; control bytes are escaped.
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep '>' in flows readable
	err := enc.Encode(struct {
		Frame int    `json:"frame"`
		Flow  string `json:"flow"`
		Kind  Kind   `json:"kind"`
		Name  string `json:"name"`
	}{r.Frame, r.Flow.String(), r.Kind, validUTF8(r.Name)})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
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

// extractor finds names in decoded packets. One exists per kind family (DNS
// now; TLS, QUIC, HTTP later); each sees every valid TCP/UDP packet and
// ignores what is not its own.
type extractor interface {
	packet(frame int, p *packet.Parsed, st *Stats, emit func(Record) error) error
}

// Walk reads the capture r like Run but hands each record to fn, in frame
// order; an error from fn stops the walk and is returned as it is.
func Walk(r io.Reader, opts Options, fn func(Record) error) (Stats, error) {
	src, err := openCapture(r)
	if err != nil {
		return Stats{}, err
	}
	w := newWalker(opts, fn)
	for frame := 1; ; frame++ {
		data, lt, err := src.next()
		if errors.Is(err, io.EOF) {
			return w.st, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			w.st.Truncated = true
			return w.st, nil
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
		log:        opts.Logger,
		fn:         fn,
		extractors: []extractor{newDNSExtractor(opts.DNSPorts)},
		warned:     make(map[layers.LinkType]bool),
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w
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
		if err := x.packet(n, p, &w.st, w.emit); err != nil {
			return err
		}
	}
	return nil
}
