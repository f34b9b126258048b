package uitest

import (
	"slices"
	"time"

	"github.com/safeinternet/cpe/ui"
)

// The fake household's device addresses.
const (
	MACAliTablet   = "02:00:00:00:00:0a"
	MACLeylaPhone  = "8c:f5:a3:4e:21:07"
	MACMomLaptop   = "3c:22:fb:90:1c:5e"
	MACGalaxyTab   = "da:a1:19:5e:42:07" // locally administered: a private address
	MACSwitch      = "98:41:5c:2b:77:10" // Nintendo's OUI
	PendingRequest = "r1"                // Ali's pending time request
)

// Categories the fake router knows, in display order.
var categories = []string{"adult", "gambling", "violence", "hate", "drugs", "weapons", "crime",
	"dating", "games", "social", "chat", "video", "vpn", "doh", "malware", "allowlist",
	"shopping", "news", "kids", "ads"}

// seed fills f with the household at now.
func (f *Fake) seed(now time.Time) {
	now = now.Truncate(time.Second)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	harmful := []string{"adult", "gambling", "violence", "hate", "drugs", "weapons", "crime", "malware"}
	with := func(extra ...string) []string { return append(append([]string(nil), harmful...), extra...) }
	f.hh = ui.Household{
		People: []ui.PersonConfig{
			{ID: "ali", Name: "Ali", Profile: "child", Schedules: []string{"homework"},
				Allow: []string{"khanacademy.org"}, Block: []string{"roblox.com"},
				DailyLimit: 2 * time.Hour, HasDailyLimit: true,
				CategoryLimits: map[string]time.Duration{"games": time.Hour}},
			{ID: "leyla", Name: "Leyla", Profile: "teen", DailyLimit: 3 * time.Hour, HasDailyLimit: true,
				BlockCategory: []string{"dating"}},
			{ID: "mom", Name: "Mom", Profile: "adult"},
		},
		Devices: []ui.DeviceConfig{
			{MAC: MACAliTablet, Name: "Ali's tablet", Kind: "tablet", Person: "ali", Configured: true,
				Hostname: "ali-tab", Addresses: []string{"192.168.1.20", "fd00::20"}, LastSeen: ago(time.Minute)},
			{MAC: MACLeylaPhone, Name: "Leyla's phone", Kind: "phone", Person: "leyla", Configured: true,
				Hostname: "Leylas-Galaxy", Vendor: "Samsung", Addresses: []string{"192.168.1.21"}, LastSeen: ago(3 * time.Minute)},
			{MAC: MACMomLaptop, Name: "Mom's laptop", Kind: "laptop", Person: "mom", Configured: true,
				Hostname: "mom-laptop", Vendor: "Lenovo", Addresses: []string{"192.168.1.22"}, LastSeen: ago(20 * time.Minute)},
			{MAC: MACGalaxyTab, Name: "Galaxy-Tab-A", Hostname: "Galaxy-Tab-A",
				Addresses: []string{"192.168.1.30"}, LastSeen: ago(2 * time.Minute)},
			{MAC: MACSwitch, Name: "switch", Hostname: "switch", Vendor: "Nintendo",
				Addresses: []string{"192.168.1.31"}, LastSeen: ago(40 * time.Minute)},
		},
		Profiles: []ui.ProfileConfig{
			{ID: "under6", Builtin: true, Age: "under6", Restricted: true, SafeSearch: true, YouTube: "strict",
				BlockCategory: with("dating", "games", "social", "chat", "video", "vpn", "doh", "shopping", "ads"),
				DailyLimit:    time.Hour, HasDailyLimit: true, Schedules: []string{"school_nights"}},
			{ID: "child", Builtin: true, Age: "child", Restricted: true, SafeSearch: true, YouTube: "strict",
				BlockCategory: with("dating", "social", "chat", "vpn", "doh", "ads"), Schedules: []string{"school_nights"}},
			{ID: "preteen", Builtin: true, Age: "preteen", Restricted: true, SafeSearch: true, YouTube: "strict",
				BlockCategory: with("dating", "vpn", "doh"), Schedules: []string{"school_nights"}},
			{ID: "teen", Builtin: true, Age: "teen", Restricted: true, SafeSearch: true, YouTube: "moderate",
				BlockCategory: []string{"adult", "gambling", "hate", "drugs", "weapons", "malware", "vpn"}},
			{ID: "adult", Builtin: true, Age: "adult", YouTube: "off", QUIC: true,
				BlockCategory: []string{"malware"}},
			{ID: "unassigned", Builtin: true, Age: "child", Restricted: true, SafeSearch: true, YouTube: "moderate",
				BlockCategory: with("dating", "vpn", "doh"), Schedules: []string{"school_nights"}},
		},
		Schedules: []ui.ScheduleConfig{
			{ID: "school_nights", Name: "School nights", Kind: "bedtime", Windows: []ui.Window{
				{Days: []string{"mon", "tue", "wed", "thu", "sun"}, Start: "21:00", End: "07:00"}}},
			{ID: "homework", Name: "Homework", Kind: "focus", BlockCategory: []string{"games", "social"},
				Windows: []ui.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "15:00", End: "17:00"}}},
			{ID: "weekend_days", Name: "Weekend days", Kind: "allowed", Windows: []ui.Window{
				{Days: []string{"sat", "sun"}, Start: "09:00", End: "22:00"}}},
		},
		Categories: slices.Clone(categories),
		Locked: ui.Locked{Source: "isp", Categories: []string{"malware"},
			ChildCategories: []string{"adult", "gambling"}, Domains: []string{"casino-royal.example"},
			SafeSearch: true, YouTube: "moderate"},
	}
	f.seen = make(map[string]ui.DeviceConfig)
	for i, d := range f.hh.Devices {
		f.hh.Devices[i].RandomMAC = localMAC(d.MAC)
		f.seen[d.MAC] = f.hh.Devices[i]
	}
	f.settings = ui.Settings{DNSBlock: "page", FailMode: "closed", TimeZone: zoneName(f.loc),
		ClockSynced: true, Version: "dev (uitest)",
		Lists: []ui.ListState{
			{Name: "ut1_adult", Format: "domains", File: "/etc/safeinternet/lists/adult.txt",
				Entries: 4_612_730, Updated: ago(26 * time.Hour), State: "ready"},
			{Name: "ut1_gambling", Format: "domains", File: "/etc/safeinternet/lists/gambling.txt",
				Entries: 27_411, Updated: ago(26 * time.Hour), State: "ready"},
			{Name: "ut1_games", Format: "domains", File: "/etc/safeinternet/lists/games.txt",
				Entries: 21_804, Updated: ago(26 * time.Hour), State: "ready"},
			{Name: "isp_extra", Format: "hosts", File: "/etc/safeinternet/lists/isp.hosts",
				State: "failed", Error: "open /etc/safeinternet/lists/isp.hosts: no such file or directory"},
		}}
	f.used = map[string]time.Duration{"ali": 70 * time.Minute, "leyla": 170 * time.Minute, "mom": 55 * time.Minute}
	f.extra, f.extraDay = make(map[string]time.Duration), make(map[string]string)
	f.blocked = []ui.Blocked{
		{Time: ago(2 * time.Minute), Person: "ali", Device: "Ali's tablet", MAC: MACAliTablet,
			Name: "www.roblox.com", Reason: "deny_list", Category: "games"},
		{Time: ago(9 * time.Minute), Person: "ali", Device: "Ali's tablet", MAC: MACAliTablet,
			Name: "www.tiktok.com", Reason: "category", Category: "social"},
		{Time: ago(14 * time.Minute), Person: "@unassigned", Device: "Galaxy-Tab-A", MAC: MACGalaxyTab,
			Name: "discord.com", Reason: "category", Category: "chat"},
		{Time: ago(31 * time.Minute), Person: "leyla", Device: "Leyla's phone", MAC: MACLeylaPhone,
			Name: "tinder.com", Reason: "category", Category: "dating"},
		{Time: ago(48 * time.Minute), Person: "ali", Device: "Ali's tablet", MAC: MACAliTablet,
			Name: "poki.com", Reason: "focus", Category: "games"},
		{Time: ago(70 * time.Minute), Person: "leyla", Device: "Leyla's phone", MAC: MACLeylaPhone,
			Name: "casino-royal.example", Reason: "isp", Category: "gambling"},
		{Time: ago(2 * time.Hour), Person: "ali", Device: "Ali's tablet", MAC: MACAliTablet,
			Name: "nordvpn.com", Reason: "category", Category: "vpn"},
		{Time: ago(3 * time.Hour), Person: "mom", Device: "Mom's laptop", MAC: MACMomLaptop,
			Name: "malware-test.example", Reason: "isp", Category: "malware"},
	}
	f.requests = []ui.Request{
		{ID: PendingRequest, Kind: ui.AskTime, Person: "ali", Device: MACAliTablet,
			Created: ago(7 * time.Minute), State: "pending"},
		{ID: "r0", Kind: ui.AskUnblock, Person: "leyla", Device: MACLeylaPhone, Name: "pinterest.com",
			Created: ago(26 * time.Hour), State: "approved", Decided: ago(25 * time.Hour), Until: ago(24 * time.Hour)},
	}
	f.nextReq = 2
}

// localMAC reports whether mac is locally administered (a random, private
// address).
func localMAC(mac string) bool {
	if len(mac) < 2 {
		return false
	}
	var b byte
	for _, c := range mac[:2] {
		b <<= 4
		switch {
		case c >= '0' && c <= '9':
			b |= byte(c - '0')
		case c >= 'a' && c <= 'f':
			b |= byte(c-'a') + 10
		}
	}
	return b&0x02 != 0
}

// zoneName names loc; "Local" becomes the zone's abbreviation.
func zoneName(loc *time.Location) string {
	if n := loc.String(); n != "Local" {
		return n
	}
	n, _ := time.Now().In(loc).Zone()
	return n
}
