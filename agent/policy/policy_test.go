package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/safeinternet/cpe/agent/config"
)

var (
	macTablet  = [6]byte{2, 0, 0, 0, 0, 0x0a}
	macConsole = [6]byte{2, 0, 0, 0, 0, 0x0b}
	macLaptop  = [6]byte{2, 0, 0, 0, 0, 0x0c}
	macOther   = [6]byte{2, 0, 0, 0, 0, 0xff}
)

// deviceHousehold is the configuration most tests decide against.
func deviceHousehold(t testing.TB) *Snapshot {
	t.Helper()
	cfg, err := config.LoadBytes("household", []byte(`
config device 'tablet'
	option mac '02:00:00:00:00:0a'
	option name 'Ali tablet'
	list block 'example.com'
	list block 'a.example.com'
	list block 'games.test'
	list block 'org.evil'

config device
	option mac '02:00:00:00:00:0b'
	list block 'video.test'

config device 'laptop'
	option mac '02:00:00:00:00:0c'
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecide(t *testing.T) {
	s := deviceHousehold(t)
	allow := func(device string) Decision { return Decision{Action: Allow, Reason: ReasonDefault, Device: device} }
	block := func(rule, device string) Decision {
		return Decision{Action: Block, Reason: ReasonDeviceBlocklist, Rule: rule, Device: device}
	}
	tests := []struct {
		name  string
		mac   [6]byte
		noMAC bool
		qname string
		want  Decision
	}{
		{"exact entry", macTablet, false, "example.com", block("example.com", "Ali tablet")},
		{"name below an entry", macTablet, false, "www.example.com", block("example.com", "Ali tablet")},
		{"deep name below an entry", macTablet, false, "x.y.z.example.com", block("example.com", "Ali tablet")},
		{"most specific entry reported", macTablet, false, "b.a.example.com", block("a.example.com", "Ali tablet")},
		{"suffix that is not a label", macTablet, false, "badexample.com", allow("Ali tablet")},
		{"entry as a prefix", macTablet, false, "example.com.evil", allow("Ali tablet")},
		{"entry inside the name", macTablet, false, "www.example.com.net", allow("Ali tablet")},
		{"parent of an entry", macTablet, false, "com", allow("Ali tablet")},
		{"two-label entry under another tld", macTablet, false, "x.org.evil", block("org.evil", "Ali tablet")},
		{"upper case", macTablet, false, "WWW.Games.TEST", block("games.test", "Ali tablet")},
		{"trailing dot", macTablet, false, "www.games.test.", block("games.test", "Ali tablet")},
		{"leading dot", macTablet, false, ".games.test", block("games.test", "Ali tablet")},
		{"empty name", macTablet, false, "", allow("Ali tablet")},
		{"root", macTablet, false, ".", allow("Ali tablet")},
		{"other device's entry", macTablet, false, "video.test", allow("Ali tablet")},
		{"anonymous device named by MAC", macConsole, false, "www.video.test", block("video.test", "02:00:00:00:00:0b")},
		{"device without rules", macLaptop, false, "games.test", allow("laptop")},
		{"unknown device: unassigned profile, device lists do not apply", macOther, false, "games.test", allow("")},
		{"no MAC: unassigned profile", macTablet, true, "games.test", allow("")},
		{"overlong name ending in an entry", macTablet, false, strings.Repeat("abcdefgh.", 40) + "games.test", block("games.test", "Ali tablet")},
		{"overlong name in upper case", macTablet, false, strings.Repeat("ABCDEFGH.", 40) + "GAMES.TEST.", block("games.test", "Ali tablet")},
		{"overlong single label", macTablet, false, strings.Repeat("a", 300), allow("Ali tablet")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := []byte(tc.qname)
			q := Query{MAC: tc.mac, HasMAC: !tc.noMAC, Name: name, Kind: DNS}
			d := s.Decide(q)
			got := Decision{Action: d.Action, Reason: d.Reason, Rule: d.Rule, Device: d.Device}
			if got != tc.want {
				t.Errorf("Decide(%q) = %+v, want %+v", tc.qname, got, tc.want)
			}
			if d.Rule != "" && d.Matched != len(d.Rule) {
				t.Errorf("Decide(%q).Matched = %d, want the rule's length %d", tc.qname, d.Matched, len(d.Rule))
			}
			if string(name) != tc.qname {
				t.Errorf("Decide modified the name to %q", name)
			}
		})
	}
}

func TestCompile(t *testing.T) {
	if _, err := Compile(nil, nil); !errors.Is(err, ErrCompile) {
		t.Errorf("Compile(nil, nil) err = %v, want ErrCompile", err)
	}
	dup := &config.Config{Devices: []config.Device{
		{Path: "safeinternet.a", MAC: macTablet, Name: "a"},
		{Path: "safeinternet.b", MAC: macTablet, Name: "b"},
	}}
	if _, err := Compile(dup, nil); !errors.Is(err, ErrCompile) || !strings.Contains(err.Error(), "02:00:00:00:00:0a") {
		t.Errorf("duplicate MAC: err = %v", err)
	}
	bad := &config.Config{Devices: []config.Device{{Path: "safeinternet.a", MAC: macTablet, Block: []string{"a..b"}}}}
	if _, err := Compile(bad, nil); !errors.Is(err, ErrCompile) {
		t.Errorf("bad entry: err = %v, want ErrCompile", err)
	}
	// A hand-made Config is normalised like a loaded one.
	loose := &config.Config{Devices: []config.Device{{MAC: macTablet, Name: "t", Block: []string{"*.Games.Test."}}}}
	s, err := Compile(loose, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Decide(Query{MAC: macTablet, HasMAC: true, Name: []byte("www.games.test")}); d.Action != Block || d.Rule != "games.test" {
		t.Errorf("loose entry not normalised: %+v", d)
	}
	// Compile copies: changing the Config afterwards changes nothing.
	loose.Devices[0].Block[0] = "other.test"
	if d := s.Decide(Query{MAC: macTablet, HasMAC: true, Name: []byte("games.test")}); d.Action != Block {
		t.Errorf("snapshot follows a later change of its Config: %+v", d)
	}
	if got := s.Checks(); !reflect.DeepEqual(got, []string{"isp_floor", "readable", "quic", "dns_bypass", "overrides", "schedule", "limits", "categories", "safesearch"}) {
		t.Errorf("Checks() = %q", got)
	}
}

// profiled is a household with profiles: a restricted child without QUIC,
// a teen with strict YouTube and no SafeSearch, an unrestricted adult, and
// unknown devices under a restricted unassigned profile.
func profiled(t testing.TB) *Snapshot {
	t.Helper()
	cfg, err := config.LoadBytes("profiled", []byte(`
config agent 'main'
	option unassigned_profile 'child'

config profile 'child'
	option quic '0'

config profile 'teen'
	option safesearch '0'
	option youtube 'strict'

config profile 'adult'
	option restricted '0'

config device 'tablet'
	option mac '02:00:00:00:00:0a'
	option profile 'child'
	list block 'games.test'

config device 'phone'
	option mac '02:00:00:00:00:0b'
	option profile 'teen'

config device 'laptop'
	option mac '02:00:00:00:00:0c'
	option profile 'adult'
	list block 'games.test'
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecideProfiles(t *testing.T) {
	s := profiled(t)
	type want struct {
		action Action
		reason Reason
		target string
		answer Answer
	}
	tests := []struct {
		name  string
		mac   [6]byte
		noMAC bool
		kind  Kind
		qname string
		flags Flags
		port  uint16
		want  want
	}{
		{"child: evasion blocked", macTablet, false, TLS, "ok.test", FlagEvasion | FlagAmbiguous, 443, want{Block, ReasonEvasion, "", 0}},
		{"child: unreadable blocked", macTablet, false, TLS, "", FlagUnreadable, 443, want{Block, ReasonUnreadable, "", 0}},
		{"child: ambiguous blocked", macTablet, false, TLS, "1.2.3.4", FlagAmbiguous, 443, want{Block, ReasonAmbiguousName, "", 0}},
		{"adult: ambiguous judged by its name", macLaptop, false, TLS, "www.games.test", FlagAmbiguous, 443, want{Block, ReasonDeviceBlocklist, "", 0}},
		{"adult: unreadable allowed", macLaptop, false, QUIC, "", FlagUnreadable, 443, want{Allow, ReasonUnreadable, "", 0}},
		{"child: no QUIC", macTablet, false, QUIC, "ok.test", 0, 443, want{Block, ReasonNoQUIC, "", 0}},
		{"teen: QUIC allowed", macConsole, false, QUIC, "ok.test", 0, 443, want{Allow, ReasonDefault, "", 0}},
		{"child: DNS over TLS", macTablet, false, TLS, "dns.example", 0, 853, want{Block, ReasonDNSBypass, "", 0}},
		{"adult: DNS over TLS allowed", macLaptop, false, TLS, "dns.example", 0, 853, want{Allow, ReasonDefault, "", 0}},
		{"child: DoH canary", macTablet, false, DNS, "use-application-dns.net", 0, 0, want{Block, ReasonDNSBypass, "", AnswerNXDomain}},
		{"child: Private Relay", macTablet, false, DNS, "Mask-H2.iCloud.com.", 0, 0, want{Block, ReasonDNSBypass, "", AnswerNXDomain}},
		{"child: resolver discovery", macTablet, false, DNS, "_dns.resolver.arpa", 0, 0, want{Block, ReasonDNSBypass, "", AnswerNoData}},
		{"adult: canary answered by the resolver", macLaptop, false, DNS, "use-application-dns.net", 0, 0, want{Allow, ReasonDefault, "", 0}},
		{"child: block list", macTablet, false, HTTP, "games.test", 0, 80, want{Block, ReasonDeviceBlocklist, "", 0}},
		{"child: Google SafeSearch", macTablet, false, DNS, "www.google.com", 0, 0, want{Redirect, ReasonSafeSearch, "forcesafesearch.google.com", 0}},
		{"child: Google Azerbaijan", macTablet, false, DNS, "www.google.az", 0, 0, want{Redirect, ReasonSafeSearch, "forcesafesearch.google.com", 0}},
		{"child: Bing", macTablet, false, DNS, "bing.com", 0, 0, want{Redirect, ReasonSafeSearch, "strict.bing.com", 0}},
		{"child: DuckDuckGo", macTablet, false, DNS, "duckduckgo.com", 0, 0, want{Redirect, ReasonSafeSearch, "safe.duckduckgo.com", 0}},
		{"child (6-11): YouTube strict", macTablet, false, DNS, "m.youtube.com", 0, 0, want{Redirect, ReasonSafeSearch, "restrict.youtube.com", 0}},
		{"teen: YouTube strict", macConsole, false, DNS, "youtubei.googleapis.com", 0, 0, want{Redirect, ReasonSafeSearch, "restrict.youtube.com", 0}},
		{"teen: no SafeSearch", macConsole, false, DNS, "www.google.com", 0, 0, want{Allow, ReasonDefault, "", 0}},
		{"child: SNI of a search host is not redirected", macTablet, false, TLS, "www.google.com", 0, 443, want{Allow, ReasonDefault, "", 0}},
		{"child: the safe host itself", macTablet, false, DNS, "forcesafesearch.google.com", 0, 0, want{Allow, ReasonDefault, "", 0}},
		{"adult: no SafeSearch", macLaptop, false, DNS, "www.google.com", 0, 0, want{Allow, ReasonDefault, "", 0}},
		{"no SNI", macTablet, false, TLS, "", 0, 443, want{Allow, ReasonNoName, "", 0}},
		{"unknown device: unassigned profile", macOther, false, DNS, "www.bing.com", 0, 0, want{Redirect, ReasonSafeSearch, "strict.bing.com", 0}},
		{"no MAC: unassigned profile", macOther, true, QUIC, "ok.test", 0, 443, want{Block, ReasonNoQUIC, "", 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := s.Decide(Query{MAC: tc.mac, HasMAC: !tc.noMAC, Name: []byte(tc.qname), Kind: tc.kind, Flags: tc.flags, Port: tc.port})
			got := want{d.Action, d.Reason, d.Target, d.Answer}
			if got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
			if st := s.Settings(tc.mac, !tc.noMAC); st != d.Settings {
				t.Errorf("Settings = %+v, decision's = %+v", st, d.Settings)
			}
		})
	}
	if st := s.Settings(macOther, true); !st.Restricted || !st.NoQUIC || st.Profile != "child" {
		t.Errorf("unassigned settings = %+v", st)
	}
	if st := deviceHousehold(t).Settings(macOther, true); !st.Restricted || st.Profile != "unassigned" {
		t.Errorf("without an unassigned_profile option: settings = %+v, want the strict unassigned profile", st)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		v interface {
			String() string
			MarshalText() ([]byte, error)
		}
		want string
	}{
		{DNS, "dns"}, {TLS, "tls"}, {QUIC, "quic"}, {HTTP, "http"}, {Kind(9), "kind(9)"},
		{Allow, "allow"}, {Block, "block"}, {Action(0), "action(0)"},
		{ReasonNone, "none"}, {ReasonDefault, "default"}, {ReasonNoMAC, "no_mac"},
		{ReasonUnknownDevice, "unknown_device"}, {ReasonDeviceBlocklist, "device_blocklist"}, {Reason(200), "reason(200)"},
	}
	for _, tc := range tests {
		text, err := tc.v.MarshalText()
		if tc.v.String() != tc.want || string(text) != tc.want || err != nil {
			t.Errorf("%#v: String %q, MarshalText %q %v; want %q", tc.v, tc.v.String(), text, err, tc.want)
		}
	}
}

// TestNoAllocs guards the hot path: Decide allocates nothing, whichever way
// it goes.
func TestNoAllocs(t *testing.T) {
	s := deviceHousehold(t)
	tests := []struct {
		name string
		q    Query
	}{
		{"blocked", Query{MAC: macTablet, HasMAC: true, Name: []byte("www.games.test")}},
		{"allowed after walking every label", Query{MAC: macTablet, HasMAC: true, Name: []byte("a.b.c.d.example.org")}},
		{"upper case copied to the stack", Query{MAC: macTablet, HasMAC: true, Name: []byte("WWW.GAMES.TEST.")}},
		{"overlong", Query{MAC: macTablet, HasMAC: true, Name: []byte(strings.Repeat("Abcdefgh.", 40) + "games.test")}},
		{"unknown device", Query{MAC: macOther, HasMAC: true, Name: []byte("games.test")}},
		{"no MAC", Query{Name: []byte("games.test")}},
	}
	p := profiled(t)
	for _, tc := range []struct {
		name string
		q    Query
	}{
		{"profile: redirect", Query{MAC: macTablet, HasMAC: true, Name: []byte("WWW.Google.Com")}},
		{"profile: bypass", Query{MAC: macTablet, HasMAC: true, Name: []byte("mask.icloud.com")}},
		{"profile: evasion", Query{MAC: macTablet, HasMAC: true, Kind: TLS, Flags: FlagEvasion}},
		{"profile: unassigned", Query{MAC: macOther, HasMAC: true, Kind: QUIC, Name: []byte("a.test")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, func() { _ = p.Decide(tc.q) }); n != 0 {
				t.Errorf("Decide allocates %v times per call", n)
			}
		})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d Decision
			if n := testing.AllocsPerRun(1000, func() { d = s.Decide(tc.q) }); n != 0 {
				t.Errorf("Decide allocates %v times per call", n)
			}
			_ = d
		})
	}
}

// TestConcurrentDecide runs Decide from several goroutines at once; with
// -race it checks that a Snapshot is safe to share.
func TestConcurrentDecide(t *testing.T) {
	s := deviceHousehold(t)
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			q := Query{MAC: macTablet, HasMAC: true, Name: []byte("www.games.test")}
			ok := true
			for i := 0; i < 1000; i++ {
				ok = ok && s.Decide(q).Action == Block
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("a concurrent Decide disagreed")
		}
	}
}
