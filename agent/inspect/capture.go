package inspect

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrFormat reports a stream that is neither pcap nor pcapng (gzipped or
// not).
var ErrFormat = errors.New("inspect: not a pcap or pcapng capture")

// OpenFile opens the capture at path for Run, gunzipping it transparently
// when it starts with the gzip magic. Closing the result closes the file.
func OpenFile(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("inspect: open: %w", err)
	}
	r, err := maybeGunzip(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("inspect: open %s: %w", path, err)
	}
	return readCloser{Reader: r, Closer: f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// maybeGunzip returns a reader of br's contents, decompressed when they
// start with the gzip magic.
func maybeGunzip(br *bufio.Reader) (*bufio.Reader, error) {
	magic, err := br.Peek(2)
	if err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil // too short to be gzip: let the capture check say so
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	return bufio.NewReader(zr), nil
}

// source yields the frames of a capture with their link type.
type source interface {
	// next returns the next frame; the data is valid until the following
	// call. It returns io.EOF at the end.
	next() (data []byte, lt layers.LinkType, err error)
}

// openCapture detects pcap or pcapng by magic number (gzipped or not) and
// returns a frame source.
func openCapture(r io.Reader) (source, error) {
	br, err := maybeGunzip(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	magic, err := br.Peek(4)
	if err != nil {
		return nil, ErrFormat
	}
	switch string(magic) {
	case "\x0a\x0d\x0d\x0a": // pcapng section header block
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, fmt.Errorf("inspect: pcapng: %w", err)
		}
		return ngSource{ng}, nil
	case "\xa1\xb2\xc3\xd4", "\xd4\xc3\xb2\xa1", "\xa1\xb2\x3c\x4d", "\x4d\x3c\xb2\xa1": // pcap, µs or ns
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("inspect: pcap: %w", err)
		}
		return pcapSource{pr}, nil
	}
	return nil, ErrFormat
}

type pcapSource struct{ r *pcapgo.Reader }

func (s pcapSource) next() ([]byte, layers.LinkType, error) {
	data, _, err := s.r.ZeroCopyReadPacketData()
	return data, s.r.LinkType(), err
}

type ngSource struct{ r *pcapgo.NgReader }

func (s ngSource) next() ([]byte, layers.LinkType, error) {
	data, ci, err := s.r.ZeroCopyReadPacketData()
	return data, ngLinkType(s.r, ci), err
}

func ngLinkType(r *pcapgo.NgReader, ci gopacket.CaptureInfo) layers.LinkType {
	if i, err := r.Interface(ci.InterfaceIndex); err == nil {
		return i.LinkType
	}
	return r.LinkType()
}
