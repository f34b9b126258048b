package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/uci"
	"github.com/safeinternet/cpe/nfq/ctmark"
)

func layout(t *testing.T, mask uint32) ctmark.Layout {
	t.Helper()
	l, err := ctmark.New(mask)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// defaults is the Config of a file that sets nothing.
func defaults(t *testing.T) *Config {
	return &Config{
		Version:    1,
		LAN:        []string{"br-lan"},
		Queue:      0,
		Queues:     1,
		Layout:     layout(t, 0x7f000000),
		FailMode:   FailClosed,
		DNSBlock:   BlockNXDomain,
		DNSTTL:     60,
		Guard:      8,
		Resolver:   netip.MustParseAddrPort("127.0.0.1:53"),
		Profiles:   builtins(),
		Unassigned: DefaultUnassigned,
		Period:     time.Minute,
		Threshold:  20000,
		UIPort:     8090,
	}
}

// builtins is the Profiles of a file without profile sections: the age
// bands' presets (pinned by TestPresets) and "unassigned" as strict as
// "child".
func builtins() []Profile {
	var out []Profile
	for _, b := range builtinProfiles {
		p := presets[b.age]
		out = append(out, Profile{Name: b.name, Age: b.age, Restricted: p.restricted, QUIC: true,
			SafeSearch: p.safeSearch, YouTube: p.youTube, Rules: Rules{Block: p.block}})
	}
	return out
}

// profile returns the profile named name in cfg.
func profile(t *testing.T, cfg *Config, name string) Profile {
	t.Helper()
	for _, p := range cfg.Profiles {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no profile %q", name)
	return Profile{}
}

func TestLoadValid(t *testing.T) {
	got, err := Load(os.DirFS("testdata"), "valid")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Version:      1,
		LAN:          []string{"br-lan", "br-guest"},
		Queue:        100,
		Queues:       4,
		Layout:       layout(t, 0x00f00000),
		FailMode:     FailOpen,
		DNSBlock:     BlockNull,
		DNSTTL:       300,
		Guard:        16,
		LogDecisions: true,
		Resolver:     netip.MustParseAddrPort("127.0.0.1:53"),
		Profiles:     builtins(),
		Unassigned:   DefaultUnassigned,
		Period:       time.Minute,
		Threshold:    20000,
		UIPort:       8090,
		Devices: []Device{
			{Path: "safeinternet.tablet", MAC: [6]byte{2, 0, 0, 0, 0, 0x0a}, Name: "Ali tablet",
				Block: []string{"games.test", "video.test"}},
			{Path: "safeinternet.@device[1]", MAC: [6]byte{2, 0, 0, 0, 0, 0x0b}, Name: "02:00:00:00:00:0b",
				Block: []string{"xn--bcher-kva.test"}},
			{Path: "safeinternet.console", MAC: [6]byte{2, 0, 0, 0, 0, 0x0c}, Name: "console",
				Block: []string{"games.test"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestLoadEmptyFileIsDefaults(t *testing.T) {
	got, err := LoadBytes("empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := defaults(t); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestDefaultFile(t *testing.T) {
	got, err := LoadBytes("DefaultFile", []byte(DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := defaults(t); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultFile does not spell out the defaults:\ngot  %+v\nwant %+v", got, want)
	}
	// The OpenWrt package installs the same text.
	pkg := filepath.Join("..", "..", "openwrt", "safeinternet", "files", "safeinternet.config")
	data, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != DefaultFile {
		t.Errorf("%s differs from DefaultFile; copy DefaultFile into it", pkg)
	}
}

func TestDemoFile(t *testing.T) {
	got, err := LoadBytes("DemoFile", []byte(DemoFile))
	if err != nil {
		t.Fatal(err)
	}
	want := defaults(t)
	want.LogDecisions = true
	want.Devices = []Device{{Path: "safeinternet.tablet", MAC: [6]byte{2, 0, 0, 0, 0, 0x0a}, Name: "Ali tablet",
		Profile: "child", Block: []string{"games.test", "video.test"}}}
	want.Profiles[1].Path = "safeinternet.child"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestValidateEveryError checks that one Validate call reports every problem
// of testdata/errors, each with its path and line, and that Load refuses the
// file with the same list.
func TestValidateEveryError(t *testing.T) {
	want := []string{
		`safeinternet.main.queue: "70000" is not a whole number from 0 to 65535 (line 3)`,
		`safeinternet.main.queues: "0" is not a whole number from 1 to 64 (line 4)`,
		`safeinternet.main.ct_mark_mask: "0x5": the mask must be one run of at least 2 contiguous bits (line 5)`,
		`safeinternet.main.fail_mode: "ajar" is not a fail mode: use closed or open (line 6)`,
		`safeinternet.main.dns_block: "refuse" is not a DNS block mode: use nxdomain, null or page (line 7)`,
		`safeinternet.main.dns_ttl: "-1" is not a whole number from 0 to 86400 (line 8)`,
		`safeinternet.main.guard: "65" is not a whole number from 1 to 64 (line 9)`,
		`safeinternet.main.log_decisions: "maybe" is not a boolean: use 1 or 0 (line 10)`,
		`safeinternet.main.queus: unknown option (did you mean queue?) (line 11)`,
		`safeinternet.main.lan: "br lan" is not a network interface name (line 12)`,
		`safeinternet.main.guard: set more than once (first on line 9) (line 13)`,
		`safeinternet.main.fail_mode: takes one value: write option, not list (line 14)`,
		`safeinternet.second: more than one agent section (the first is safeinternet.main) (line 16)`,
		`safeinternet.typo: unknown section type "devce" (did you mean device?) (line 18)`,
		`safeinternet.tablet.block: "bad..name" is not a domain name: empty label (line 23)`,
		`safeinternet.tablet.block: "ünicode.test" is not a domain name: write an international name in its xn-- form (line 24)`,
		`safeinternet.tablet.block: "a.*.test" is not a domain name: a wildcard may only be the first label, as in *.example.com (line 25)`,
		`safeinternet.@device[1].mac: "zz" is not a MAC address (line 28)`,
		`safeinternet.@device[2].mac: 02:00:00:00:00:0a is already the MAC address of safeinternet.tablet (line 31)`,
		`safeinternet.@device[3].mac: missing: every device needs its MAC address (line 34)`,
		`safeinternet.tablet: section name already used on line 20 (line 37)`,
		`safeinternet.tablet.mac: "01:00:5e:00:00:01" is a multicast MAC address, not a device (line 38)`,
		`safeinternet.tablet.block: option would replace the values from line 39: write every value with list (line 40)`,
	}
	f, err := Parse(os.DirFS("testdata"), "errors")
	if err != nil {
		t.Fatal(err)
	}
	err = f.Validate()
	if err == nil {
		t.Fatal("Validate found nothing")
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Every line marked "!" in the file is reported.
	data, _ := os.ReadFile(filepath.Join("testdata", "errors"))
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "# !") && !strings.Contains(err.Error(), "(line "+strconv.Itoa(i+1)+")") {
			t.Errorf("line %d is marked but not reported: %s", i+1, line)
		}
	}

	cfg, lerr := Load(os.DirFS("testdata"), "errors")
	if cfg != nil || lerr == nil || lerr.Error() != err.Error() {
		t.Errorf("Load = %v, %v; want nil and the Validate errors", cfg, lerr)
	}
}

func TestSentinels(t *testing.T) {
	tests := []struct {
		name string
		text string
		kind error
	}{
		{"unknown section", "config persn\n", ErrUnknownSection},
		{"unknown option", "config agent\n\toption queu 1\n", ErrUnknownOption},
		{"repeated option", "config agent\n\toption queue 1\n\toption queue 2\n", ErrRepeated},
		{"repeated section name", "config device a\n\toption mac 02:00:00:00:00:01\nconfig device a\n\toption mac 02:00:00:00:00:02\n", ErrRepeated},
		{"duplicate mac", "config device\n\toption mac 02:00:00:00:00:01\nconfig device\n\toption mac 02:00:00:00:00:01\n", ErrRepeated},
		{"bad value", "config agent\n\toption guard 0\n", ErrInvalid},
		{"missing mac", "config device\n", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("t", []byte(tc.text))
			if !errors.Is(err, tc.kind) {
				t.Errorf("err = %v, want one wrapping %v", err, tc.kind)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Path, "safeinternet.") {
				t.Errorf("err = %v, want a *FieldError with a path", err)
			}
		})
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := LoadBytes("safeinternet", []byte("config agent main\n\toption queue '1\n"))
	var se *uci.SyntaxError
	if !errors.As(err, &se) || se.Line != 2 {
		t.Fatalf("err = %v, want a uci syntax error on line 2", err)
	}
	if want := "config: uci: safeinternet:2: unterminated single quote"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		version int
		err     string
	}{
		{"absent", "config agent main\n", 1, ""},
		{"no agent section", "", 1, ""},
		{"empty means absent", "config agent main\n\toption version ''\n", 1, ""},
		{"current", "config agent main\n\toption version 1\n", 1, ""},
		{"newer", "config agent main\n\toption version 2\n", 0,
			"safeinternet.main.version: version 2 is newer than this agent reads (1): update the agent (line 2)"},
		{"not a number", "config agent\n\toption version 'one'\n", 0,
			`safeinternet.@agent[0].version: "one" is not a schema version (line 2)`},
		{"zero", "config agent main\n\toption version 0\n", 0,
			`safeinternet.main.version: "0" is not a schema version (line 2)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseBytes("t", []byte(tc.text))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, ErrVersion) {
					t.Fatalf("err = %v, want %q wrapping ErrVersion", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Version != tc.version {
				t.Errorf("Version = %d, want %d", f.Version, tc.version)
			}
		})
	}
}

// TestAgentOptions checks each agent option alone: the value it gives, or
// the problem it reports.
func TestAgentOptions(t *testing.T) {
	tests := []struct {
		name   string
		option string // lines inside "config agent 'main'"
		check  func(*Config) bool
		err    string
	}{
		{"lan default", "", func(c *Config) bool { return reflect.DeepEqual(c.LAN, []string{"br-lan"}) }, ""},
		{"lan as option", "option lan 'eth1'", func(c *Config) bool { return reflect.DeepEqual(c.LAN, []string{"eth1"}) }, ""},
		{"lan list deduplicated", "list lan a\n\tlist lan b\n\tlist lan a", func(c *Config) bool { return reflect.DeepEqual(c.LAN, []string{"a", "b"}) }, ""},
		{"lan too long", "list lan 'abcdefghijklmnop'", nil, `"abcdefghijklmnop" is not a network interface name`},
		{"lan option after list", "list lan a\n\toption lan b", nil, "lan: option would replace the values from line 2"},
		{"queue max", "option queue 65535", func(c *Config) bool { return c.Queue == 65535 && c.Queues == 1 }, ""},
		{"queue not a number", "option queue x", nil, `"x" is not a whole number from 0 to 65535`},
		{"queue hex refused", "option queue 0x10", nil, `"0x10" is not a whole number`},
		{"queues max", "option queues 64", func(c *Config) bool { return c.Queues == 64 }, ""},
		{"queues over 64", "option queues 65", nil, `"65" is not a whole number from 1 to 64`},
		{"queues past 65535", "option queue 65500\n\toption queues 64", nil, "queues: 64 queues from queue 65500 go past queue 65535"},
		{"queues end at 65535", "option queue 65472\n\toption queues 64", func(c *Config) bool { return c.Queue == 65472 }, ""},
		{"mask decimal", "option ct_mark_mask 48", func(c *Config) bool { return c.Layout.Mask() == 48 }, ""},
		{"mask one bit", "option ct_mark_mask 0x1000", nil, "at least 2 contiguous bits"},
		{"mask too big", "option ct_mark_mask 0x100000000", nil, "is not a 32-bit number"},
		{"fail open", "option fail_mode open", func(c *Config) bool { return c.FailMode == FailOpen }, ""},
		{"block page", "option dns_block page", func(c *Config) bool { return c.DNSBlock == BlockPage }, ""},
		{"history off by default", "", func(c *Config) bool { return !c.HistoryDomains }, ""},
		{"history on", "option history_domains 1", func(c *Config) bool { return c.HistoryDomains }, ""},
		{"setup code", "option ui_setup_code 'label-1234'", func(c *Config) bool { return c.UISetupCode == "label-1234" }, ""},
		{"setup code too short", "option ui_setup_code '12'", nil, "a setup code has 6 to 64 characters, not 2"},
		{"fail mode case matters", "option fail_mode Open", nil, `"Open" is not a fail mode`},
		{"dns null", "option dns_block null", func(c *Config) bool { return c.DNSBlock == BlockNull }, ""},
		{"ttl zero", "option dns_ttl 0", func(c *Config) bool { return c.DNSTTL == 0 }, ""},
		{"ttl a day", "option dns_ttl 86400", func(c *Config) bool { return c.DNSTTL == 86400 }, ""},
		{"ttl over a day", "option dns_ttl 86401", nil, "from 0 to 86400"},
		{"guard 1", "option guard 1", func(c *Config) bool { return c.Guard == 1 }, ""},
		{"guard 0", "option guard 0", nil, `"0" is not a whole number from 1 to 64`},
		{"log on", "option log_decisions 1", func(c *Config) bool { return c.LogDecisions }, ""},
		{"log enabled", "option log_decisions enabled", func(c *Config) bool { return c.LogDecisions }, ""},
		{"log off", "option log_decisions off", func(c *Config) bool { return !c.LogDecisions }, ""},
		{"empty value is default", "option guard ''\n\toption fail_mode ''", func(c *Config) bool { return c.Guard == 8 && c.FailMode == FailClosed }, ""},
		{"typo suggested", "option fail_mod open", nil, "fail_mod: unknown option (did you mean fail_mode?)"},
		{"far typo lists known", "option colour red", nil, "colour: unknown option (known: accounting_period, activity_threshold, ct_mark_mask, dns_block, dns_ttl, fail_mode, guard, history_domains, lan, log_decisions, queue, queues, resolver, ui_frame_ancestor, ui_port, ui_setup_code, unassigned_profile, unsynced_clock, version)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadBytes("t", []byte("config agent 'main'\n\t"+tc.option+"\n"))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(cfg) {
				t.Errorf("unexpected config %+v", cfg)
			}
		})
	}
}

func TestDevices(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Device
		err  string
	}{
		{"no devices", "config agent main\n", nil, ""},
		{"name from section", "config device kid\n\toption mac 02:00:00:00:00:01\n",
			[]Device{{Path: "safeinternet.kid", MAC: [6]byte{2, 0, 0, 0, 0, 1}, Name: "kid"}}, ""},
		{"name from mac", "config device\n\toption mac 02:AB:00:00:00:01\n",
			[]Device{{Path: "safeinternet.@device[0]", MAC: [6]byte{2, 0xab, 0, 0, 0, 1}, Name: "02:ab:00:00:00:01"}}, ""},
		{"block option then list", "config device\n\toption mac 02:00:00:00:00:01\n\toption block a.test\n\tlist block B.test.\n",
			[]Device{{Path: "safeinternet.@device[0]", MAC: [6]byte{2, 0, 0, 0, 0, 1}, Name: "02:00:00:00:00:01", Block: []string{"a.test", "b.test"}}}, ""},
		{"wildcard same as domain", "config device\n\toption mac 02:00:00:00:00:01\n\tlist block '*.a.test'\n\tlist block a.test\n",
			[]Device{{Path: "safeinternet.@device[0]", MAC: [6]byte{2, 0, 0, 0, 0, 1}, Name: "02:00:00:00:00:01", Block: []string{"a.test"}}}, ""},
		{"unknown device option", "config device\n\toption mac 02:00:00:00:00:01\n\toption blocks x\n", nil,
			"safeinternet.@device[0].blocks: unknown option (did you mean block?) (line 3)"},
		{"name with control character", "config device\n\toption mac 02:00:00:00:00:01\n\toption name \"a\tb\"\n", nil,
			`safeinternet.@device[0].name: "a\tb" holds a control character (line 3)`},
		{"name too long", "config device\n\toption mac 02:00:00:00:00:01\n\toption name '" + strings.Repeat("n", 65) + "'\n", nil,
			"is longer than 64 characters"},
		{"empty block entry", "config device\n\toption mac 02:00:00:00:00:01\n\tlist block ''\n", nil,
			`safeinternet.@device[0].block: "" is not a domain name: empty (line 3)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadBytes("t", []byte(tc.text))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Devices, tc.want) {
				t.Errorf("devices %+v, want %+v", cfg.Devices, tc.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("testdata", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Devices) != 3 {
		t.Errorf("%d devices, want 3", len(cfg.Devices))
	}
	if _, err := LoadFile(filepath.Join("testdata", "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func TestProfiles(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    []Profile
		wantErr []string // substrings, each of a different error
	}{
		{
			name: "restricted by default, SafeSearch and YouTube follow",
			file: "config profile 'kid'\n",
			want: []Profile{{Path: "safeinternet.kid", Name: "kid", Restricted: true, QUIC: true, SafeSearch: true, YouTube: YouTubeModerate}},
		},
		{
			name: "unrestricted profile has no SafeSearch unless asked",
			file: "config profile 'adult'\n\toption restricted '0'\n",
			want: []Profile{{Path: "safeinternet.adult", Name: "adult", Age: AgeAdult, QUIC: true, Rules: Rules{Block: presets[AgeAdult].block}}},
		},
		{
			name: "every option",
			file: "config profile 'teen'\n\toption restricted '1'\n\toption quic '0'\n\toption safesearch '0'\n\toption youtube 'strict'\n",
			want: []Profile{{Path: "safeinternet.teen", Name: "teen", Age: AgeTeen, Restricted: true, YouTube: YouTubeStrict,
				Rules: Rules{Block: presets[AgeTeen].block}}},
		},
		{
			name:    "bad values are all reported",
			file:    "config profile 'p'\n\toption quic 'maybe'\n\toption youtube 'loud'\n\toption colour 'red'\n",
			wantErr: []string{"safeinternet.p.quic:", "safeinternet.p.youtube: \"loud\" is not a YouTube mode", "safeinternet.p.colour: unknown option"},
		},
		{
			name:    "a profile needs a name",
			file:    "config profile\n",
			wantErr: []string{"safeinternet.@profile[0]: a profile needs a section name"},
		},
		{
			name: "references to missing profiles",
			file: "config agent 'main'\n\toption unassigned_profile 'kids'\n" +
				"config profile 'kid'\n" +
				"config device\n\toption mac '02:00:00:00:00:01'\n\toption profile 'nobody'\n",
			wantErr: []string{"safeinternet.main.unassigned_profile: no profile \"kids\" (did you mean kid?)",
				"safeinternet.@device[0].profile: no profile \"nobody\" (known: adult, child, kid, preteen, teen, unassigned, under6)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadBytes("test", []byte(tt.file))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if got := profile(t, cfg, w.Name); !reflect.DeepEqual(got, w) {
					t.Errorf("got  %+v\nwant %+v", got, w)
				}
			}
		})
	}
}

func TestResolverOption(t *testing.T) {
	for _, tt := range []struct{ value, want, err string }{
		{"192.168.1.1", "192.168.1.1:53", ""},
		{"[::1]:5353", "[::1]:5353", ""},
		{"dns.example", "", "is not an address"},
	} {
		cfg, err := LoadBytes("test", []byte("config agent 'main'\n\toption resolver '"+tt.value+"'\n"))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.value, err, tt.err)
			}
			continue
		}
		if err != nil || cfg.Resolver.String() != tt.want {
			t.Errorf("%s: %v, %v; want %s", tt.value, cfg, err, tt.want)
		}
	}
}
