package inventory

import (
	"net/netip"
	"testing"
	"testing/fstest"
	"time"
)

func TestTable(t *testing.T) {
	tab := New()
	a, b := [6]byte{2, 0, 0, 0, 0, 0xa}, [6]byte{2, 0, 0, 0, 0, 0xb}
	v4, v6 := netip.MustParseAddr("192.168.50.10"), netip.MustParseAddr("fd50::10")
	tab.Saw(v4, a)
	tab.Saw(v6, a)
	tab.Saw(netip.MustParseAddr("192.168.50.11"), b)
	if mac, ok := tab.MAC(v6); !ok || mac != a {
		t.Errorf("MAC(%v) = %x %v", v6, mac, ok)
	}
	s := tab.Snapshot()[a]
	if len(s.Addrs) != 2 || s.Addrs[0] != v4 || s.Last.IsZero() {
		t.Errorf("snapshot of a: %+v", s)
	}
	if got := tab.Unknown(func(m [6]byte) bool { return m == a }); len(got) != 1 || got[0] != b {
		t.Errorf("unknown: %x", got)
	}
	if got := tab.AddrsOf([][6]byte{b}); len(got) != 1 {
		t.Errorf("addresses of b: %v", got)
	}
	at := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	tab.Touch(b, at)
	if got := tab.Snapshot()[b].Last; !got.Equal(at) {
		t.Errorf("touched at %v, last seen %v", at, got)
	}
	// Capped: a flood of addresses keeps MaxEntries.
	for i := range MaxEntries + 100 {
		tab.Saw(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), [6]byte{2, 1, byte(i >> 16), byte(i >> 8), byte(i)})
	}
	if n := len(tab.m); n > MaxEntries {
		t.Errorf("%d addresses kept, cap %d", n, MaxEntries)
	}
	if n := len(tab.last); n > MaxEntries {
		t.Errorf("%d MACs kept, cap %d", n, MaxEntries)
	}
}

func TestReadLeases(t *testing.T) {
	fsys := fstest.MapFS{LeasesFile: {Data: []byte(
		"1733300000 02:00:00:00:00:0c 192.168.50.12 Galaxy-Tab-A7 01:02:00:00:00:00:0c\n" +
			"1733300000 02:00:00:00:00:0d 192.168.50.13 * *\n" +
			"garbage\n0 zz x y\n")}}
	got := ReadLeases(fsys, LeasesFile)
	if len(got) != 2 || got[[6]byte{2, 0, 0, 0, 0, 0xc}].Hostname != "Galaxy-Tab-A7" || got[[6]byte{2, 0, 0, 0, 0, 0xd}].Hostname != "" {
		t.Errorf("leases %+v", got)
	}
	if got := ReadLeases(fsys, "missing"); len(got) != 0 {
		t.Errorf("missing file: %+v", got)
	}
}

// FuzzLeases feeds the lease file arbitrary bytes: never a panic, never a
// host name past 63 bytes, never more than MaxLeases.
func FuzzLeases(f *testing.F) {
	f.Add([]byte("1733300000 02:00:00:00:00:0c 192.168.50.12 Galaxy-Tab * \n0 zz x y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := ReadLeases(fstest.MapFS{"l": {Data: data}}, "l")
		if len(got) > MaxLeases {
			t.Fatalf("%d leases", len(got))
		}
		for mac, l := range got {
			if len(l.Hostname) > 63 {
				t.Fatalf("lease %x: host name %q", mac, l.Hostname)
			}
		}
	})
}
