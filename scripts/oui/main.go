// Command oui writes agent/oui/oui.txt, the vendor hints of the web page,
// from the IEEE registry as Debian's ieee-data package ships it
// (/usr/share/ieee-data/oui.txt). Development only: the output is committed,
// so that building needs neither the package nor this command.
//
//	go run ./scripts/oui > agent/oui/oui.txt
//
// Only the makers of devices a household has are kept (phones, tablets,
// computers, consoles, TVs, speakers, routers), under a short name each,
// which keeps the table small enough for a router's flash.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// brands maps a short vendor name to a pattern of the registry's
// organisation names.
var brands = []struct{ name, pattern string }{
	{"Apple", `^Apple, Inc\.?$`},
	{"Samsung", `^Samsung Electronics`},
	{"Xiaomi", `^(Xiaomi|Beijing Xiaomi)`},
	{"Huawei", `^(Huawei Technologies|HUAWEI TECHNOLOGIES|Huawei Device)`},
	{"Honor", `^Honor Device`},
	{"Google", `^Google, Inc\.?$`},
	{"Amazon", `^Amazon Technologies`},
	{"Sony", `^Sony (Interactive|Corporation|Mobile)`},
	{"Nintendo", `^Nintendo`},
	{"Microsoft", `^Microsoft`},
	{"Intel", `^Intel Corporate`},
	{"Realtek", `^Realtek`},
	{"Lenovo", `^(Lenovo|LCFC)`},
	{"HP", `^(Hewlett Packard|HP Inc)`},
	{"Dell", `^Dell`},
	{"ASUS", `^ASUSTek`},
	{"Acer", `^Acer`},
	{"LG", `^LG Electronics`},
	{"OnePlus", `^OnePlus`},
	{"OPPO", `^(GUANGDONG OPPO|OPPO)`},
	{"vivo", `^vivo Mobile`},
	{"Realme", `^Realme`},
	{"Motorola", `^Motorola Mobility`},
	{"Nokia", `^(HMD Global|Nokia Corporation)`},
	{"TP-Link", `^TP-LINK|^TP-Link`},
	{"Raspberry Pi", `^Raspberry Pi`},
	{"Espressif (smart device)", `^Espressif`},
	{"Roku", `^Roku`},
	{"Sonos", `^Sonos`},
	{"TCL", `^TCL`},
	{"Hisense", `^Hisense`},
	{"Philips", `^Philips`},
	{"Valve", `^Valve Corporation`},
	{"Murata (phone Wi-Fi)", `^Murata Manufacturing`},
	{"AzurWave (laptop Wi-Fi)", `^AzureWave`},
	{"Liteon (laptop Wi-Fi)", `^Liteon|^LITE-ON`},
	{"Tenda", `^(SHENZHEN TENDA|Tenda)`},
	{"ZTE", `^zte corporation|^ZTE`},
}

func main() {
	f, err := os.Open("/usr/share/ieee-data/oui.txt")
	if err != nil {
		fmt.Fprintln(os.Stderr, "oui:", err, "(apt-get install ieee-data)")
		os.Exit(1)
	}
	defer f.Close()
	res := make([]*regexp.Regexp, len(brands))
	for i, b := range brands {
		res[i] = regexp.MustCompile("(?i)" + b.pattern)
	}
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		prefix, org, ok := strings.Cut(sc.Text(), "(base 16)")
		if !ok {
			continue
		}
		prefix, org = strings.TrimSpace(prefix), strings.TrimSpace(org)
		for i, re := range res {
			if re.MatchString(org) {
				lines = append(lines, strings.ToLower(prefix)+" "+brands[i].name)
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "oui:", err)
		os.Exit(1)
	}
	slices.Sort(lines)
	fmt.Println("# OUI prefix and maker, from the IEEE registry (go run ./scripts/oui).")
	for _, l := range lines {
		fmt.Println(l)
	}
}
