package inspect

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// sampleFrames is a small conversation with its expected output lines.
func sampleFrames(t *testing.T) (frames [][]byte, want []string) {
	t.Helper()
	q := dnsMsg(t, 1, false, "Example.COM")
	r := dnsMsg(t, 1, true, "example.com")
	q2, q3 := dnsMsg(t, 2, false, "one.test"), dnsMsg(t, 3, false, "two.test")
	tcp := append(tcpFrame(q2), tcpFrame(q3)...)
	frames = [][]byte{
		udpPacket(t, "192.168.1.2:5353", "8.8.8.8:53", q),                  // 1: query
		udpPacket(t, "[2001:db8::53]:53", "[2001:db8::1]:40000", r),        // 2: response over IPv6
		udpPacket(t, "192.168.1.2:5353", "224.0.0.251:5353", q),            // 3: mDNS: not read
		tcpPacket(t, "10.0.0.2:50000", "10.0.0.1:53", 100, "S", nil),       // 4: SYN
		tcpPacket(t, "10.0.0.2:50000", "10.0.0.1:53", 101, "P", tcp[:10]),  // 5: first bytes of two messages
		tcpPacket(t, "10.0.0.2:50000", "10.0.0.1:53", 111, "P", tcp[10:]),  // 6: the rest: both complete here
		udpPacket(t, "192.168.1.2:40001", "8.8.8.8:53", []byte("garbage")), // 7: not DNS: counted, not shown
	}
	want = []string{
		`{"frame":1,"flow":"192.168.1.2:5353>8.8.8.8:53/udp","kind":"dns-query","name":"example.com"}`,
		`{"frame":2,"flow":"[2001:db8::53]:53>[2001:db8::1]:40000/udp","kind":"dns-response","name":"example.com"}`,
		`{"frame":6,"flow":"10.0.0.2:50000>10.0.0.1:53/tcp","kind":"dns-query","name":"one.test"}`,
		`{"frame":6,"flow":"10.0.0.2:50000>10.0.0.1:53/tcp","kind":"dns-query","name":"two.test"}`,
	}
	return frames, want
}

func writePcap(t *testing.T, lt layers.LinkType, frames [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func runLines(t *testing.T, capture []byte, opts Options) ([]string, Stats) {
	t.Helper()
	var out bytes.Buffer
	st, err := Run(&out, bytes.NewReader(capture), opts)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"), st
}

func TestRunFormats(t *testing.T) {
	frames, want := sampleFrames(t)
	var eth [][]byte
	for _, f := range frames {
		eth = append(eth, ether(f))
	}
	pcapEth := writePcap(t, layers.LinkTypeEthernet, eth)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pcapEth)
	zw.Close()

	// pcapng with two interfaces of different link types, frames alternating.
	var ng bytes.Buffer
	nw, err := pcapgo.NewNgWriterInterface(&ng, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := nw.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(f), Length: len(f)}
		data := f
		if i%2 == 0 {
			data = ether(f)
		} else {
			ci.InterfaceIndex = raw
		}
		ci.CaptureLength, ci.Length = len(data), len(data)
		if err := nw.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		capture []byte
	}{
		{"pcap ethernet", pcapEth},
		{"pcap raw", writePcap(t, layers.LinkTypeRaw, frames)},
		{"pcap gzipped", gz.Bytes()},
		{"pcapng mixed link types", ng.Bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := runLines(t, tt.capture, Options{})
			if !slices.Equal(got, want) {
				t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			wantSt := Stats{Frames: 7, DNSMessages: 4, DNSErrors: 1, Records: 4}
			if st != wantSt {
				t.Errorf("stats %+v, want %+v", st, wantSt)
			}
		})
	}
}

func TestRunDNSPorts(t *testing.T) {
	frames, _ := sampleFrames(t)
	got, _ := runLines(t, writePcap(t, layers.LinkTypeRaw, frames), Options{DNSPorts: []uint16{5353}})
	// Port 5353 only: frame 1 (source port 5353) and the mDNS frame 3.
	if len(got) != 2 || !strings.Contains(got[0], `"frame":1`) || !strings.Contains(got[1], `"frame":3`) {
		t.Errorf("output with DNSPorts 5353:\n%s", strings.Join(got, "\n"))
	}
}

func TestOpenFile(t *testing.T) {
	frames, want := sampleFrames(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "c.pcap")
	zipped := filepath.Join(dir, "c.pcap.gz")
	capture := writePcap(t, layers.LinkTypeRaw, frames)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(capture)
	zw.Close()
	os.WriteFile(plain, capture, 0o600)
	os.WriteFile(zipped, gz.Bytes(), 0o600)
	for _, path := range []string{plain, zipped} {
		f, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err = Run(&out, f, Options{})
		f.Close()
		if err != nil || strings.Count(out.String(), "\n") != len(want) {
			t.Errorf("%s: %v\n%s", path, err, out.String())
		}
	}
	if _, err := OpenFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenFile(missing) = %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	frames, _ := sampleFrames(t)
	capture := writePcap(t, layers.LinkTypeRaw, frames)
	tests := []struct {
		name      string
		in        []byte
		err       error
		truncated bool
	}{
		{"empty", nil, ErrFormat, false},
		{"not a capture", []byte("GET / HTTP/1.1\r\n\r\n"), ErrFormat, false},
		{"cut inside the last frame", capture[:len(capture)-5], nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			st, err := Run(&out, bytes.NewReader(tt.in), Options{})
			if !errors.Is(err, tt.err) || st.Truncated != tt.truncated {
				t.Errorf("Run = %+v, %v; want truncated %v, %v", st, err, tt.truncated, tt.err)
			}
		})
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	frames, _ := sampleFrames(t)
	stop := errors.New("stop")
	n := 0
	_, err := Walk(bytes.NewReader(writePcap(t, layers.LinkTypeRaw, frames)), Options{}, func(Record) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("Walk = %v after %d records", err, n)
	}
}

func TestRecordJSONNames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "example.com", `"example.com"`},
		{"control byte escaped", "a\x00b", `"a\u0000b"`},
		{"valid utf-8 kept", "bücher.de", `"bücher.de"`},
		{"stray byte", "a\xffb", `"a` + "\uFFFD" + `b"`},
		{"truncated sequence is one replacement", "a\xe2\x82b", `"a` + "\uFFFD" + `b"`},
		{"two stray bytes", "a\xfb\xbdq", `"a` + "\uFFFD\uFFFD" + `q"`},
		{"surrogate bytes", "\xed\xa0\x80", `"` + "\uFFFD\uFFFD\uFFFD" + `"`},
		{"html characters not escaped", "<a>&", `"<a>&"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Record{Name: tt.in}.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(`"name":`+tt.want+`}`)) {
				t.Errorf("JSON %s, want name %s", b, tt.want)
			}
		})
	}
}
