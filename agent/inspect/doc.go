// Package inspect reads a packet capture (pcap or pcapng, gzipped or not)
// and reports the names the agent would judge in it, one record per name,
// reading them as the packet path does: with the same decoders (nfq/packet,
// nfq/dns) and, for TCP and QUIC flows, the rules, bounds and steps of
// package nfq/reading, written once for the packet path and this tool. It
// backs
// `safeinternet inspect --pcap FILE`, which prints one JSON object per line:
//
//	{"frame":12,"flow":"192.168.1.2:5353>8.8.8.8:53/udp","kind":"dns-query","name":"example.com"}
//	{"frame":4,"flow":"192.168.1.2:50000>93.184.216.34:443/tcp","kind":"tls","name":"example.com","alpn":["h2","http/1.1"],"ech":true,"pq":true}
//	{"frame":9,"flow":"192.168.1.2:50001>93.184.216.34:443/udp","kind":"quic","name":"example.com","alpn":["h3"],"ech":false,"pq":true}
//	{"frame":7,"flow":"192.168.1.2:50002>93.184.216.34:80/tcp","kind":"http","name":"example.com"}
//	{"frame":5,"flow":"192.168.1.2:50003>93.184.216.34:443/tcp","kind":"tls","name":"","error":"hello: parse: bad extensions block: malformed"}
//	{"frame":6,"flow":"192.168.1.2:50004>93.184.216.34:443/tcp","kind":"tls","name":"","evasion":true,"error":"reasm: overlap with different bytes"}
//
// Frames are numbered from 1 in capture order, as Wireshark numbers them; a
// name found in a message that spans TCP segments, QUIC datagrams or IP
// fragments carries the number of the frame that completed it. Records come
// in frame order, except the records of flows the capture ends in the
// middle of, which come last (see Walk).
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
//   - tls and http: every TCP flow but those on the DNS ports, whatever its
//     port, is read as the packet path reads it (reading.Reader.Stream):
//     the client's first bytes are a ClientHello (they start with a
//     handshake record) or an HTTP/1 request head; anything else gives an
//     error record on ports 443 and 80 (the packet path judges it
//     unreadable) and no record elsewhere (no name to judge). The client is
//     the sender of the SYN; when the capture has no SYN, the peer of the
//     SYN-ACK, whose stream starts at the SYN-ACK's acknowledgement number;
//     when it has neither (it starts in the middle of the flow), a
//     direction whose first payload looks like the start of a ClientHello
//     or of a request is taken as a client stream starting there, and any
//     other direction is never read. A SYN with a new sequence number
//     starts a new connection on the same ports; a copy of the SYN changes
//     nothing.
//   - The client's bytes are reassembled as the packet path does: a first
//     segment holding the whole message is read in place; otherwise each
//     segment goes through reading.Reader.Segment, which puts them in order
//     in a buffer of reading.StreamBuffer bytes (nfq/reasm), for at most
//     reading.MaxSegments data segments (the packet path may take fewer:
//     reading.SegmentBound of its guard). Retransmissions are skipped; an
//     overlap with different bytes ends the flow with an evasion error
//     record (the server may read the other copy). TCP checksums are not
//     checked: captures taken on the sending host carry unfilled ones
//     (checksum offload).
//   - tls: the record carries the server name as (*hello.Hello).Name gives it
//     (ASCII-lowercased, one trailing dot dropped), NoName ("-") when the
//     ClientHello has no server_name, with the ALPN list, whether ECH and
//     a post-quantum group are offered, and the Ambiguity, if any. A
//     second ClientHello right behind the first (meant for another reader)
//     marks the first record "evasion", as the packet path judges it. After
//     the first ClientHello, which the packet path judges the connection
//     on, change_cipher_spec records are skipped and a ClientHello that
//     follows (sent after the server's HelloRetryRequest; RFC 8446 says it
//     must name the same server) gives a second record, "hello":2; anything
//     else ends the reading. At most maxHellos per connection.
//   - http: the host of the first request head of a connection (the
//     authority of an absolute-form target, else the Host header),
//     normalised by hello.NormalizeHost (port dropped, ASCII-lowercased),
//     NoName when the request names none (ambiguous "invalid" to the packet
//     path). Later requests on a kept-alive
//     connection are not read: the packet path judges the connection on
//     its first.
//   - quic: a UDP flow (DNS ports excepted) to port 443, or to another port
//     when its first datagram starts with a QUIC v1 or v2 Initial header, is
//     a client flow; datagrams from port 443 and the other direction of a
//     known flow are not read. Each client datagram goes through the packet
//     path's steps: reading.Discarded first (client Initials that servers
//     discard unread, a datagram under reading.MinInitialDatagram bytes or
//     a first Initial whose DCID is under reading.MinFirstDCID bytes, are
//     not read: Stats.Discarded), then reading.Reader.Datagram with the
//     flow's quic.Reader, for at most reading.MaxDatagrams datagrams (the
//     packet path may take fewer: reading.DatagramBound of its guard). 0-RTT
//     and Handshake packets that overtake the flow's Initial
//     (reading.NonInitialLongHeader) are passed over, unread, within that
//     bound; any other datagram that opens no Initial (a short header
//     packet, another version, another protocol on port 443), invalid,
//     oversized or conflicting CRYPTO data (an evasion) end the flow with an
//     error record at once. The record is made when the ClientHello is
//     complete, with the fields of a tls record. After that, only a client
//     Initial that starts another connection on the same addresses and
//     ports (reading.Probe: its own DCID's keys open it, and its
//     ClientHello has another random) is read, as a new reading of the
//     flow, as the packet path reads it; the connection's own
//     retransmissions and ACKs are not.
//   - Error records (kinds tls, quic and http, Name "" and Err set) stand
//     for the flows the packet path judges unreadable, or an evasion
//     ("evasion" set): a ClientHello or request head that does not parse,
//     port 443 or 80 traffic that is neither TLS nor HTTP, a QUIC flow
//     whose ClientHello cannot be read (draft or other versions, decryption
//     failures), an overlap with different bytes, a segment or datagram
//     bound reached, and, at the end, a ClientHello or request head the
//     capture ends in the middle of.
//   - IP fragments (IPv4 and IPv6) are reassembled, because the router's
//     netfilter queue sees datagrams after conntrack has reassembled them; a
//     capture shows the pieces (large EDNS answers). The datagram is read at
//     the frame of the piece that completed it. At most maxDatagrams are
//     pending (least recently touched dropped), each of at most maxPieces
//     pieces and 65535 bytes; overlapping pieces drop the datagram.
//   - A frame shorter than its IP header says (cut by the capture's snap
//     length) is not read (Stats.Cut): the packet path only judges whole
//     packets.
//
// Memory is bounded whatever the capture: at most maxTCPFlows TCP and
// maxQUICFlows QUIC flow directions are remembered (the least recently used
// eighth is dropped when full), at most maxTCPBuffers reassembly buffers
// and maxQUICReaders QUIC readers are in use (the flow that least recently
// used one is given up for a new flow); flows dropped unread are counted in
// Stats.Evicted. The packet path's time limit (reading.PendingFor for a
// flow to complete its name) is not applied: capture timestamps are not
// read.
package inspect
