// Package oui names the maker of a device from its MAC address, for the web
// page's "new device" hints. The table (oui.txt, from the IEEE registry by
// scripts/oui) keeps only makers of household devices; anything else, and
// every locally administered address (a phone's private Wi-Fi address), has
// no maker.
//
// The table is parsed on first use into ~32 KB of sorted prefixes. Safe for
// concurrent use.
package oui

import (
	_ "embed"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed oui.txt
var table string

var (
	once     sync.Once
	prefixes []uint32 // sorted OUIs
	makers   []uint8  // index into names, per prefix
	names    []string
)

// load parses table. Lines that do not parse are skipped: the table is
// generated, and a test checks it parses whole.
func load() {
	index := map[string]uint8{}
	for line := range strings.SplitSeq(table, "\n") {
		hex, name, ok := strings.Cut(line, " ")
		if !ok || len(hex) != 6 || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := strconv.ParseUint(hex, 16, 32)
		if err != nil {
			continue
		}
		i, ok := index[name]
		if !ok {
			i = uint8(len(names))
			index[name] = i
			names = append(names, name)
		}
		prefixes = append(prefixes, uint32(p))
		makers = append(makers, i)
	}
}

// Maker returns the maker of the device with hardware address mac, or "".
func Maker(mac [6]byte) string {
	if mac[0]&2 != 0 { // locally administered: no registry entry
		return ""
	}
	once.Do(load)
	p := uint32(mac[0])<<16 | uint32(mac[1])<<8 | uint32(mac[2])
	i, ok := slices.BinarySearch(prefixes, p)
	if !ok {
		return ""
	}
	return names[makers[i]]
}
