package category

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/safeinternet/cpe/internal/sentinel"
)

// The compiled form, all integers little-endian whatever the machine:
//
//	header   "SICM" magic, uint32 version (1), uint32 Shards (16), uint32 total entries
//	shard ×16:
//	         uint32 entries n, uint8 bucket bits, uint8 kind (0: idx, 1: raw),
//	         uint16 number of Sets s (kind 0; 0 for kind 1),
//	         s × uint32 Sets, (1<<bits + 1) × uint32 offsets,
//	         n × 7-byte records (48-bit fingerprint, Set index), then for kind 1
//	         n × uint32 Sets
//	trailer  uint32 CRC-32C (Castagnoli) of every byte before it
//
// Version 1 also fixes the hash (hash.go) and the hash layout.
const (
	magic         = "SICM"
	formatVersion = 1
	// maxEntries bounds a shard's entry count read from a file.
	maxEntries = 1 << 26
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by every error ReadMatcher returns for input that is
// not a valid compiled matcher (as opposed to a read error).
var ErrCorrupt = errors.New("category: corrupt compiled matcher")

// errCorrupt is ErrCorrupt as it reads inside ReadMatcher's errors, which
// name the package already ("category: read matcher: corrupt compiled
// matcher: truncated").
var errCorrupt = sentinel.Unprefixed(ErrCorrupt)

// WriteTo writes the matcher's compiled form to w, buffered, and returns the
// number of bytes written. The form is portable across architectures.
func (m *Matcher) WriteTo(w io.Writer) (int64, error) {
	e := encoder{w: bufio.NewWriterSize(w, 64<<10)}
	e.bytes([]byte(magic))
	e.u32(formatVersion)
	e.u32(Shards)
	e.u32(uint32(m.n))
	for _, s := range m.shards {
		e.u32(uint32(s.len()))
		kind := uint8(0)
		if s.raw != nil {
			kind = 1
		}
		e.bytes([]byte{s.bits, kind})
		e.u16(uint16(len(s.sets)))
		for _, v := range s.sets {
			e.u32(uint32(v))
		}
		for _, v := range s.off {
			e.u32(v)
		}
		e.bytes(s.rec[:s.len()*recSize])
		for _, v := range s.raw {
			e.u32(uint32(v))
		}
	}
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], e.crc)
	e.write(crc[:])
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return e.n, fmt.Errorf("category: write matcher: %w", e.err)
	}
	return e.n, nil
}

// encoder writes little-endian integers and keeps the running checksum; the
// first error sticks.
type encoder struct {
	w   *bufio.Writer
	n   int64
	crc uint32
	err error
	b   [4]byte
}

func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(p)
	e.n += int64(n)
	e.err = err
}

func (e *encoder) bytes(p []byte) {
	e.crc = crc32.Update(e.crc, castagnoli, p)
	e.write(p)
}

func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.b[:], v)
	e.bytes(e.b[:4])
}

func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.b[:], v)
	e.bytes(e.b[:2])
}

// ReadMatcher reads a matcher in the form WriteTo writes. It checks the
// magic, the version, every count and offset, the order of fingerprints,
// every Set index and the checksum; input that fails any check gives an
// error wrapping ErrCorrupt (a truncated input too), never a panic. Memory
// grows with the bytes actually read, not with the counts the input claims.
// It reads exactly the compiled form from r (through a buffer, so it may read
// ahead).
func ReadMatcher(r io.Reader) (*Matcher, error) {
	d := decoder{r: bufio.NewReaderSize(r, 64<<10)}
	m, err := d.matcher()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: truncated", errCorrupt)
		}
		return nil, fmt.Errorf("category: read matcher: %w", err)
	}
	return m, nil
}

// decoder reads little-endian integers and keeps the running checksum.
type decoder struct {
	r   *bufio.Reader
	crc uint32
	buf [64 << 10]byte
}

// read fills p and adds it to the checksum.
func (d *decoder) read(p []byte) error {
	if _, err := io.ReadFull(d.r, p); err != nil {
		return err
	}
	d.crc = crc32.Update(d.crc, castagnoli, p)
	return nil
}

func (d *decoder) u32() (uint32, error) {
	if err := d.read(d.buf[:4]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(d.buf[:4]), nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
}

func (d *decoder) matcher() (*Matcher, error) {
	var h [16]byte
	if err := d.read(h[:]); err != nil {
		return nil, err
	}
	if string(h[:4]) != magic {
		return nil, corrupt("bad magic %q", h[:4])
	}
	if v := binary.LittleEndian.Uint32(h[4:]); v != formatVersion {
		return nil, corrupt("version %d, want %d", v, formatVersion)
	}
	if n := binary.LittleEndian.Uint32(h[8:]); n != Shards {
		return nil, corrupt("%d shards, want %d", n, Shards)
	}
	total := binary.LittleEndian.Uint32(h[12:])
	m := &Matcher{}
	for i := range m.shards {
		s, err := d.shard(i)
		if err != nil {
			return nil, err
		}
		m.shards[i] = s
		m.n += s.len()
	}
	if uint64(m.n) != uint64(total) {
		return nil, corrupt("header says %d entries, shards hold %d", total, m.n)
	}
	sum := d.crc
	want, err := d.u32()
	if err != nil {
		return nil, err
	}
	if want != sum {
		return nil, corrupt("checksum %#08x, want %#08x", sum, want)
	}
	return m, nil
}

func (d *decoder) shard(i int) (*shard, error) {
	var h [8]byte
	if err := d.read(h[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(h[:]))
	bits, kind, nsets := h[4], h[5], int(binary.LittleEndian.Uint16(h[6:]))
	switch {
	case n > maxEntries:
		return nil, corrupt("shard %d: %d entries", i, n)
	case bits != bucketBits(n) && bits != bucketBits(n)+1: // +1: after a rare merge, see buildShard
		return nil, corrupt("shard %d: %d bucket bits for %d entries", i, bits, n)
	case kind > 1:
		return nil, corrupt("shard %d: kind %d", i, kind)
	case kind == 0 && (nsets > 256 || n > 0 && nsets == 0):
		return nil, corrupt("shard %d: %d sets", i, nsets)
	case kind == 1 && nsets != 0:
		return nil, corrupt("shard %d: %d sets with raw entries", i, nsets)
	}
	if n == 0 {
		if nsets != 0 {
			return nil, corrupt("shard %d: sets without entries", i)
		}
		off, err := readArray(d, 2, 4, binary.LittleEndian.Uint32)
		if err != nil {
			return nil, err
		}
		if off[0] != 0 || off[1] != 0 {
			return nil, corrupt("shard %d: offsets of an empty shard", i)
		}
		return emptyShard, nil
	}
	s := &shard{bits: bits}
	var err error
	if kind == 0 {
		sets, err := readArray(d, nsets, 4, binary.LittleEndian.Uint32)
		if err != nil {
			return nil, err
		}
		s.sets = make([]Set, nsets)
		for j, v := range sets {
			s.sets[j] = Set(v)
		}
	}
	if s.off, err = readArray(d, 1<<bits+1, 4, binary.LittleEndian.Uint32); err != nil {
		return nil, err
	}
	if s.rec, err = readBytes(d, n*recSize, 1); err != nil {
		return nil, err
	}
	if kind == 1 {
		raw, err := readArray(d, n, 4, binary.LittleEndian.Uint32)
		if err != nil {
			return nil, err
		}
		s.raw = make([]Set, n)
		for j, v := range raw {
			s.raw[j] = Set(v)
		}
	}
	if err := s.validate(); err != nil {
		return nil, corrupt("shard %d: %v", i, err)
	}
	return s, nil
}

// validate checks the invariants find relies on and those Build guarantees.
func (s *shard) validate() error {
	n := uint32(s.len())
	if s.off[0] != 0 || s.off[len(s.off)-1] != n {
		return errors.New("offsets do not span the entries")
	}
	// When fewer than 48 hash bits remain after shard and bucket, the
	// fingerprint's low bits are zero.
	pad := max(int(s.bits)+shardBits+fpBits-64, 0)
	for b := 0; b+1 < len(s.off); b++ {
		start, end := s.off[b], s.off[b+1]
		if end < start || end > n {
			return fmt.Errorf("bucket %d: offsets %d to %d", b, start, end)
		}
		for j := start; j < end; j++ {
			fp := s.record(j) & fpMask
			if j > start && fp <= s.record(j-1)&fpMask {
				return fmt.Errorf("bucket %d: fingerprints out of order", b)
			}
			if fp&(1<<pad-1) != 0 {
				return fmt.Errorf("bucket %d: entry %d has bits beyond the hash", b, j)
			}
		}
	}
	for j := range n {
		x := int(s.rec[j*recSize+recSize-1])
		if s.raw == nil && x >= len(s.sets) || s.raw != nil && x != 0 {
			return fmt.Errorf("entry %d: set index %d of %d", j, x, len(s.sets))
		}
	}
	return nil
}

// readBytes reads n bytes and returns them with pad zero bytes after, growing
// the result as bytes arrive (see readArray).
func readBytes(d *decoder, n, pad int) ([]byte, error) {
	out := make([]byte, 0, min(n, 8<<20)+pad)
	for len(out) < n {
		p := d.buf[:min(n-len(out), len(d.buf))]
		if err := d.read(p); err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	return append(out, make([]byte, pad)...), nil
}

// readArray reads n little-endian values of size bytes each, decoded by
// get, growing the result as bytes arrive so that a corrupt count cannot make
// it allocate more than the input holds (plus one chunk).
func readArray[T any](d *decoder, n, size int, get func([]byte) T) ([]T, error) {
	const chunk = 16 << 10 // values per read; 16 Ki × 4 bytes fits d.buf
	out := make([]T, 0, min(n, 1<<20))
	for len(out) < n {
		k := min(n-len(out), chunk)
		p := d.buf[:k*size]
		if err := d.read(p); err != nil {
			return nil, err
		}
		for j := 0; j < len(p); j += size {
			out = append(out, get(p[j:j+size]))
		}
	}
	return out, nil
}
