package inspect

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/safeinternet/cpe/nfq/packet"
)

// Caps of the fragment reassembly, each with its rule.
const (
	// maxDatagrams is how many datagrams are reassembled at once; when full,
	// the least recently touched one is dropped.
	maxDatagrams = 256
	// maxPieces is how many pieces one datagram may have; more drops it.
	maxPieces = 64
	// maxDatagramData is the largest reassembled payload; past it the
	// datagram is dropped (an IP datagram cannot be larger).
	maxDatagramData = 0xffff
)

// defrag reassembles IP datagrams from their fragments, as the router's
// conntrack does before the netfilter queue. Overlapping pieces drop the
// datagram (RFC 5722 for IPv6; for IPv4 it avoids choosing between
// different bytes). It is not safe for concurrent use.
type defrag struct {
	m    map[fragKey]*datagram // at most maxDatagrams entries
	tick uint64
	out  []byte // the last reassembled packet, reused
}

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	next     packet.Proto
}

type datagram struct {
	header []byte  // the IP header to rebuild with (from any piece)
	pieces []piece // at most maxPieces
	total  int     // data length, known once the last piece arrived; else -1
	used   uint64
}

type piece struct {
	off  int
	data []byte // a copy
}

// add takes the fragment p and returns the whole datagram as an IP packet
// when p completed it, else nil. The result is valid until the next call.
func (d *defrag) add(p *packet.Parsed) []byte {
	fi, ok := p.FragmentInfo()
	if !ok {
		return nil
	}
	if d.m == nil {
		d.m = make(map[fragKey]*datagram)
	}
	k := fragKey{p.Src, p.Dst, fi.ID, fi.Next}
	dg := d.m[k]
	if dg == nil {
		if len(d.m) >= maxDatagrams {
			d.evict()
		}
		dg = &datagram{total: -1}
		d.m[k] = dg
	}
	d.tick++
	dg.used = d.tick
	if dg.header == nil || fi.Offset == 0 {
		dg.header = rebuildHeader(p, fi.Next)
	}
	if !fi.More {
		dg.total = fi.Offset + len(fi.Data)
	}
	dg.pieces = append(dg.pieces, piece{fi.Offset, slices.Clone(fi.Data)})
	if len(dg.pieces) > maxPieces || fi.Offset+len(fi.Data) > maxDatagramData {
		delete(d.m, k)
		return nil
	}
	if dg.total < 0 {
		return nil
	}
	slices.SortFunc(dg.pieces, func(a, b piece) int { return a.off - b.off })
	end := 0
	for _, pc := range dg.pieces {
		if pc.off < end {
			delete(d.m, k) // overlap
			return nil
		}
		if pc.off > end {
			return nil // a hole: wait for more
		}
		end += len(pc.data)
	}
	if end != dg.total {
		delete(d.m, k)
		return nil
	}
	delete(d.m, k)
	d.out = append(d.out[:0], dg.header...)
	for _, pc := range dg.pieces {
		d.out = append(d.out, pc.data...)
	}
	setLength(d.out, len(dg.header), end)
	return d.out
}

// rebuildHeader returns the IP header for the reassembled datagram: the
// IPv4 header of p without fragment fields, or the fixed IPv6 header with
// next as its next header (extension headers before the fragment header are
// left out).
func rebuildHeader(p *packet.Parsed, next packet.Proto) []byte {
	b := p.Bytes()
	if p.IPVersion == 4 {
		h := slices.Clone(b[:p.IPHeaderLen])
		h[6], h[7] = 0, 0 // no more fragments, offset 0
		return h
	}
	h := slices.Clone(b[:40])
	h[6] = uint8(next)
	return h
}

// setLength writes the reassembled length into the rebuilt header.
func setLength(pkt []byte, hlen, dataLen int) {
	if pkt[0]>>4 == 4 {
		binary.BigEndian.PutUint16(pkt[2:4], uint16(hlen+dataLen))
		return
	}
	binary.BigEndian.PutUint16(pkt[4:6], uint16(dataLen))
}

func (d *defrag) evict() {
	var oldest fragKey
	var min uint64
	first := true
	for k, v := range d.m {
		if first || v.used < min {
			oldest, min, first = k, v.used, false
		}
	}
	delete(d.m, oldest)
}
