package inventory

import (
	"bufio"
	"io/fs"
	"strings"

	"github.com/safeinternet/cpe/agent/config"
)

// Lease is what the DHCP server's lease file says of one MAC.
type Lease struct {
	Hostname string // "" when the device sent none
}

// MaxLeases bounds the leases read.
const MaxLeases = 1024

// LeasesFile is dnsmasq's lease file on OpenWrt, relative to the root.
const LeasesFile = "tmp/dhcp.leases"

// ReadLeases reads dnsmasq's lease lines "expiry mac ip hostname
// client-id" from name in fsys; "*" is no host name. Unreadable lines are
// skipped, a missing file is no leases, and at most MaxLeases are read.
func ReadLeases(fsys fs.FS, name string) map[[6]byte]Lease {
	out := map[[6]byte]Lease{}
	f, err := fsys.Open(name)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(out) < MaxLeases {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		mac, err := config.ParseMAC(fields[1])
		if err != nil {
			continue
		}
		host := fields[3]
		if host == "*" || len(host) > 63 {
			host = ""
		}
		out[mac] = Lease{Hostname: host}
	}
	return out
}
