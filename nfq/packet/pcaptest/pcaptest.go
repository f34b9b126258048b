// Package pcaptest gives tests, fuzz seeds and benchmarks the IP packets of
// the project's shared real captures (../shared/data/pcap from the module
// root). It decodes link layers with gopacket, independently of the agent's
// own capture reader, and is imported by test files only.
package pcaptest

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// DataDir returns the shared capture folder, or skips tb with a message when
// it (or the module root) cannot be found.
func DataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		tb.Skipf("shared captures not available: %v", err)
	}
	return dir
}

// Dir returns the shared capture folder: ../shared/data/pcap from the
// nearest directory above the working directory that holds go.mod.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "data", "pcap")
			if _, err := os.Stat(dir); err != nil {
				return "", err
			}
			return dir, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod above " + wd)
		}
	}
}

// Files returns the paths of every capture (.pcap, .pcapng, optionally
// gzipped) under the shared folder, sorted. When the folder is absent it
// logs that and returns nil, so fuzz targets keep their built-in seeds; tests
// that need the captures call DataDir first.
func Files(tb testing.TB) []string {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		tb.Logf("shared captures not available, no seeds from them: %v", err)
		return nil
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(d.Name(), ".gz")
		if !d.IsDir() && (strings.HasSuffix(name, ".pcap") || strings.HasSuffix(name, ".pcapng")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("pcaptest: list captures: %v", err)
	}
	slices.Sort(files)
	return files
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// IPPackets returns up to max IP packets (the bytes from the IP header to
// the end of the frame) from the capture at path, in capture order; frames
// that are not IPv4 or IPv6 are left out. max <= 0 means all.
func IPPackets(tb testing.TB, path string, max int) [][]byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("pcaptest: %v", err)
	}
	defer f.Close()
	var r io.Reader = f
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			tb.Fatalf("pcaptest: %s: %v", path, err)
		}
		br = bufio.NewReader(zr)
	}
	var (
		src      packetSource
		linkType func(gopacket.CaptureInfo) layers.LinkType
	)
	if magic, _ := br.Peek(4); len(magic) == 4 && string(magic) == "\x0a\x0d\x0d\x0a" {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			tb.Fatalf("pcaptest: %s: %v", path, err)
		}
		src = ng
		linkType = func(ci gopacket.CaptureInfo) layers.LinkType {
			if i, err := ng.Interface(ci.InterfaceIndex); err == nil {
				return i.LinkType
			}
			return ng.LinkType()
		}
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			tb.Fatalf("pcaptest: %s: %v", path, err)
		}
		src = pr
		linkType = func(gopacket.CaptureInfo) layers.LinkType { return pr.LinkType() }
	}
	var out [][]byte
	for max <= 0 || len(out) < max {
		data, ci, err := src.ReadPacketData()
		if err != nil {
			break // io.EOF, or a damaged tail: keep what was read
		}
		if ip := networkBytes(data, linkType(ci)); ip != nil {
			out = append(out, ip)
		}
	}
	return out
}

// networkBytes returns data from the start of its IPv4 or IPv6 layer, or nil.
func networkBytes(data []byte, lt layers.LinkType) []byte {
	pkt := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	nl := pkt.NetworkLayer()
	if nl == nil {
		return nil
	}
	switch nl.LayerType() {
	case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
	default:
		return nil
	}
	c := nl.LayerContents()
	off := cap(data) - cap(c) // c is a sub-slice of data (NoCopy)
	if off < 0 || off > len(data) {
		return nil
	}
	return data[off:]
}

// Hex decodes a commented hex dump, the form test fixtures are written in:
// everything after '#' on a line is a comment and whitespace is ignored. A
// bad dump fails tb.
func Hex(tb testing.TB, s string) []byte {
	tb.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		tb.Fatalf("bad hex fixture: %v", err)
	}
	return b
}

// Expected returns the oracle's names of one kind ("tls", "quic",
// "dns-query", …) from dir/EXPECTED.tsv, by capture path relative to dir, in
// file order. It skips tb when the oracle is absent.
func Expected(tb testing.TB, dir, kind string) map[string][]string {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, "EXPECTED.tsv"))
	if err != nil {
		tb.Skipf("pcaptest: no oracle EXPECTED.tsv: %v", err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) == 3 && cols[1] == kind {
			out[cols[0]] = append(out[cols[0]], cols[2])
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
