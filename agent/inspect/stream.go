package inspect

import (
	"github.com/safeinternet/cpe/nfq/packet"
)

// maxStreams caps the TCP flow directions followed at once; when full, the
// least recently used direction is dropped (with its partial data).
const maxStreams = 1024

// maxStreamBuf caps the bytes buffered for one direction: one whole DNS
// message with its 2-byte length. A direction that needs more is reset.
const maxStreamBuf = 2 + 0xffff

// streams follows TCP byte streams, per flow direction, in sequence order as
// captured. It is not safe for concurrent use.
type streams struct {
	m    map[Flow]*stream // at most maxStreams entries
	tick uint64           // use counter for least-recently-used eviction
}

type stream struct {
	next uint32 // sequence number of the next expected byte
	buf  []byte // bytes received but not yet consumed; at most maxStreamBuf
	used uint64 // tick of the last segment
}

// feed adds the payload of the TCP segment p (of direction f) to its stream
// and calls consume with the stream's unconsumed bytes, in order; consume
// returns how many of them it used (whole messages) or an error, which feed
// returns. Retransmitted bytes are skipped; a gap drops what was buffered
// and restarts at the new segment. SYN starts a direction afresh; FIN and RST
// end it.
func (s *streams) feed(f Flow, p *packet.Parsed, consume func(data []byte) (int, error)) error {
	if p.TCPFlags&packet.TCPRst != 0 {
		delete(s.m, f)
		return nil
	}
	if s.m == nil {
		s.m = make(map[Flow]*stream)
	}
	seq := p.Seq
	st := s.m[f]
	if p.TCPFlags&packet.TCPSyn != 0 {
		seq++ // the SYN occupies one sequence number; data (TCP Fast Open) follows
		if st != nil {
			st.buf, st.next = st.buf[:0], seq
		}
	}
	payload := p.Payload()
	if st == nil && len(payload) == 0 && p.TCPFlags&packet.TCPSyn == 0 {
		return nil // nothing to follow yet
	}
	if st == nil {
		st = s.add(f)
		st.next = seq
	}
	s.tick++
	st.used = s.tick
	defer func() {
		if p.TCPFlags&packet.TCPFin != 0 {
			delete(s.m, f)
		}
	}()
	if len(payload) == 0 {
		return nil
	}

	end := seq + uint32(len(payload))
	switch d := int32(seq - st.next); {
	case d < 0: // starts with bytes already seen
		if int32(end-st.next) <= 0 {
			return nil // a pure retransmission
		}
		payload = payload[-d:]
	case d > 0: // bytes missing: what was buffered cannot be completed
		st.buf = st.buf[:0]
	}
	st.next = end

	data := payload
	if len(st.buf) > 0 {
		st.buf = append(st.buf, payload...)
		data = st.buf
	}
	n, err := consume(data)
	data = data[n:]
	if len(data) > maxStreamBuf {
		data = nil // cannot be one message: give up on this stretch
	}
	st.buf = append(st.buf[:0], data...) // may overlap: append copies forward
	return err
}

// add starts following f, dropping the least recently used direction when
// maxStreams are already followed.
func (s *streams) add(f Flow) *stream {
	if len(s.m) >= maxStreams {
		var oldest Flow
		first := true
		var min uint64
		for k, v := range s.m {
			if first || v.used < min {
				oldest, min, first = k, v.used, false
			}
		}
		delete(s.m, oldest)
	}
	st := &stream{}
	s.m[f] = st
	return st
}
