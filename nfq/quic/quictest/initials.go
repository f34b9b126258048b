package quictest

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// MaxInitials is the most Initial packets Initials cuts a ClientHello into.
const MaxInitials = 16

// MinDatagram is the size RFC 9000 §14.1 requires of every client datagram
// that carries an Initial packet; Options.Padding pads to it.
const MinDatagram = 1200

// Options says how Initials cuts and seals a ClientHello. The zero value
// gives one version 1 Initial, unpadded, in one datagram.
type Options struct {
	// Version is quic.Version1 or quic.Version2; 0 means version 1.
	Version uint32
	// DCID is the Destination Connection ID of every packet, from which
	// the keys are derived; nil means 8394c8f03e515708 (the DCID of the
	// RFC 9001 test vectors), or with Shuffle 8 bytes drawn from it. At
	// most 20 bytes; an empty non-nil DCID is sent empty.
	DCID []byte
	// SCID and Token go into every header; both may be empty.
	SCID, Token []byte
	// Initials is how many Initial packets the ClientHello is cut into,
	// each carrying a consecutive, non-empty part of it (packet numbers 0,
	// 1, … in stream order); 0 means 1. Real clients use 1 to 4: a
	// post-quantum ClientHello takes 2 at common sizes.
	Initials int
	// Shuffle, when not nil, is the randomness of an untidy client (Chrome
	// sends some of this on purpose): the cut points vary around equal
	// parts, each packet's part goes in 1 to 3 CRYPTO frames, the frames
	// of each packet (PING and overlap included) are shuffled, PADDING
	// may sit between frames, packets are coalesced 1 to Coalesce at a
	// time, packet number lengths vary (unless PNLen is set) and the
	// datagrams are returned in a shuffled order. nil: one CRYPTO frame
	// per packet, frames and datagrams in stream order.
	Shuffle *rand.Rand
	// Padding pads every datagram shorter than MinDatagram to it, with
	// PADDING frames inside its last packet (as clients do).
	Padding bool
	// Ping adds a PING frame to every packet.
	Ping bool
	// Coalesce is how many packets share a datagram (RFC 9000 §12.2):
	// 0 or 1 means one each; without Shuffle every datagram holds
	// Coalesce packets (the last may hold fewer), with Shuffle 1 to
	// Coalesce at random.
	Coalesce int
	// PNLen is the packet number length, 1 to 4; 0 means 1, or with
	// Shuffle a random length per packet.
	PNLen int
	// Overlap, when not nil, is sent as one more CRYPTO frame at stream
	// offset OverlapAt, in the packet that carries the ClientHello's byte
	// at OverlapAt (the last packet when OverlapAt is past the end), after
	// that packet's own CRYPTO frames unless Shuffle moves it. Bytes that
	// differ from the ClientHello's make the conflicting retransmission a
	// reader must reject; equal bytes make a harmless one.
	Overlap   []byte
	OverlapAt int
}

// Initials cuts hello (CRYPTO stream data from offset 0, as Hello returns)
// into o.Initials client Initial packets and returns the UDP payloads that
// carry them, each packet sealed with the client Initial keys of o.DCID for
// o.Version and header-protected. Feeding every datagram to a reader, in
// the returned order, completes the ClientHello on the last one: every
// datagram holds a part of it that no other datagram holds (unless an
// Overlap of equal bytes covers a whole part).
//
// hello is only read; the datagrams are new slices. It fails with
// ErrOptions when hello is empty or o is out of range (an unsupported
// version, Initials outside 1..MaxInitials or above len(hello), a
// connection ID over 20 bytes, a negative count or offset).
func Initials(hello []byte, o Options) ([][]byte, error) {
	version := o.Version
	if version == 0 {
		version = version1
	}
	n := o.Initials
	if n == 0 {
		n = 1
	}
	switch {
	case len(hello) == 0:
		return nil, fmt.Errorf("quictest: initials: %w: empty hello", badOptions)
	case n < 1 || n > MaxInitials || n > len(hello):
		return nil, fmt.Errorf("quictest: initials: %w: %d initials for %d bytes", badOptions, n, len(hello))
	case o.PNLen < 0 || o.PNLen > 4:
		return nil, fmt.Errorf("quictest: initials: %w: packet number length %d", badOptions, o.PNLen)
	case o.Coalesce < 0 || o.OverlapAt < 0:
		return nil, fmt.Errorf("quictest: initials: %w: negative coalesce or overlap offset", badOptions)
	}
	rng := o.Shuffle
	dcid := o.DCID
	if dcid == nil {
		dcid = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}
		if rng != nil {
			for i := range dcid {
				dcid[i] = byte(rng.Uint32())
			}
		}
	}
	k, err := deriveKeys(version, dcid)
	if err != nil {
		return nil, err
	}

	// The frames of each packet.
	cuts := cutPoints(len(hello), n, rng)
	frames := make([][][]byte, n)
	for i := range n {
		a, b := cuts[i], cuts[i+1]
		for _, p := range pieces(a, b, rng) {
			frames[i] = append(frames[i], AppendCrypto(nil, uint64(p[0]), hello[p[0]:p[1]]))
		}
		if o.Ping {
			frames[i] = append(frames[i], []byte{FramePing})
		}
		if o.Overlap != nil && (a <= o.OverlapAt && o.OverlapAt < b || i == n-1 && o.OverlapAt >= b) {
			frames[i] = append(frames[i], AppendCrypto(nil, uint64(o.OverlapAt), o.Overlap))
		}
		if rng != nil {
			rng.Shuffle(len(frames[i]), func(x, y int) { frames[i][x], frames[i][y] = frames[i][y], frames[i][x] })
		}
	}

	// Datagrams of one or more packets, padded.
	var dgrams [][]byte
	for i := 0; i < n; {
		size := max(1, o.Coalesce)
		if rng != nil {
			size = 1 + rng.IntN(size)
		}
		size = min(size, n-i)
		pkts := make([]Packet, size)
		total := 0
		for j := range pkts {
			pnLen := o.PNLen
			if pnLen == 0 {
				pnLen = 1
				if rng != nil {
					pnLen = 1 + rng.IntN(4)
				}
			}
			pkts[j] = Packet{Version: version, DCID: dcid, SCID: o.SCID, Token: o.Token,
				PN: uint64(i + j), PNLen: pnLen}
			total += sealedLen(&pkts[j], frames[i+j])
		}
		if o.Padding && total < MinDatagram {
			last := i + size - 1
			frames[last] = pad(frames[last], MinDatagram-total, rng)
		}
		var d []byte
		for j := range pkts {
			pkts[j].Frames = slices.Concat(frames[i+j]...)
			if d, err = k.seal(d, &pkts[j]); err != nil {
				return nil, err
			}
		}
		dgrams = append(dgrams, d)
		i += size
	}
	if rng != nil {
		rng.Shuffle(len(dgrams), func(x, y int) { dgrams[x], dgrams[y] = dgrams[y], dgrams[x] })
	}
	return dgrams, nil
}

// cutPoints returns n+1 increasing stream offsets from 0 to size: the parts
// of n packets. With rng each inner cut moves up to an eighth of a part
// either way; every part keeps at least one byte.
func cutPoints(size, n int, rng *rand.Rand) []int {
	cuts := make([]int, n+1)
	cuts[n] = size
	jitter := size / (8 * n)
	for i := 1; i < n; i++ {
		c := i * size / n
		if rng != nil && jitter > 0 {
			c += rng.IntN(2*jitter+1) - jitter
		}
		cuts[i] = min(max(c, cuts[i-1]+1), size-(n-i))
	}
	return cuts
}

// pieces returns the [from, to) ranges of the CRYPTO frames that carry the
// part [a, b): one, or with rng 1 to 3 in stream order.
func pieces(a, b int, rng *rand.Rand) [][2]int {
	k := 1
	if rng != nil {
		k = min(1+rng.IntN(3), b-a)
	}
	cuts := []int{a, b}
	for len(cuts) < k+1 {
		c := a + 1 + rng.IntN(b-a-1)
		if !slices.Contains(cuts, c) {
			cuts = append(cuts, c)
		}
	}
	slices.Sort(cuts)
	out := make([][2]int, k)
	for i := range out {
		out[i] = [2]int{cuts[i], cuts[i+1]}
	}
	return out
}

// sealedLen is the size p will have once sealed with frames as its payload.
func sealedLen(p *Packet, frames [][]byte) int {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	n = max(n, 4-p.PNLen) // Seal's own padding for the sample
	length := p.PNLen + n + 16
	lengthField := 2
	if length >= 1<<14 {
		lengthField = 4
	}
	return 1 + 4 + 1 + len(p.DCID) + 1 + len(p.SCID) + len(AppendVarint(nil, uint64(len(p.Token)))) +
		len(p.Token) + lengthField + length
}

// pad adds n bytes of PADDING to a packet's frames: at the end, or with rng
// partly between two frames.
func pad(frames [][]byte, n int, rng *rand.Rand) [][]byte {
	if rng != nil && n > 1 {
		first := 1 + rng.IntN(n-1)
		frames = slices.Insert(frames, rng.IntN(len(frames)+1), AppendPadding(nil, first))
		n -= first
	}
	return append(frames, AppendPadding(nil, n))
}
