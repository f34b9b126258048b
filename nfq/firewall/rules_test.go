package firewall

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/bits"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/mdlayher/netlink"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"golang.org/x/sys/unix"
)

// These tests need no kernel; they also run under qemu-user (MIPS is big
// endian, so the host-order encodings are checked for both orders).

// bigEndian reports the host byte order.
func bigEndian() bool { return binary.NativeEndian.Uint16([]byte{0, 1}) == 1 }

// hostOrder picks the fixture for the host byte order.
func hostOrder(little, big string) []byte {
	s := little
	if bigEndian() {
		s = big
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestNFQInfoV3(t *testing.T) {
	tests := []struct {
		name                string
		num, total, flags   uint16
		wantLittle, wantBig string // queuenum | queues_total | flags | padding
	}{
		{"queue 0, one queue", 0, 1, 0,
			"0000 0100 0000 0000", "0000 0001 0000 0000"},
		{"queue 3, bypass", 3, 1, nfqFlagBypass,
			"0300 0100 0100 0000", "0003 0001 0001 0000"},
		{"queues 0x1234.., 4, bypass+fanout", 0x1234, 4, nfqFlagBypass | nfqFlagCPUFanout,
			"3412 0400 0300 0000", "1234 0004 0003 0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nfqInfoV3(tt.num, tt.total, tt.flags)
			if want := hostOrder(tt.wantLittle, tt.wantBig); !bytes.Equal(got, want) {
				t.Errorf("nfqInfoV3 = % x, want % x (big endian host: %v)", got, want, bigEndian())
			}
		})
	}
}

func TestQueueExpr(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		wantNum   uint16
		wantTotal uint16
		wantFlags uint16
	}{
		{"fail closed", Config{Queue: 5}, 5, 1, 0},
		{"fail open", Config{Queue: 5, FailOpen: true}, 5, 1, nfqFlagBypass},
		{"hash over 4", Config{Queue: 10, QueueCount: 4}, 10, 4, 0},
		{"cpu fanout over 4", Config{Queue: 10, QueueCount: 4, CPUFanout: true, FailOpen: true}, 10, 4, nfqFlagBypass | nfqFlagCPUFanout},
		{"cpu fanout ignored for one queue", Config{Queue: 1, CPUFanout: true}, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, ok := queueExpr(tt.cfg, Native).(*expr.Queue)
			if !ok {
				t.Fatalf("native: %T", queueExpr(tt.cfg, Native))
			}
			if q.Num != tt.wantNum || q.Total != tt.wantTotal || uint16(q.Flag) != tt.wantFlags {
				t.Errorf("native = %+v, want num %d total %d flags %#x", q, tt.wantNum, tt.wantTotal, tt.wantFlags)
			}
			tg, ok := queueExpr(tt.cfg, XtablesCompat).(*expr.Target)
			if !ok {
				t.Fatalf("compat: %T", queueExpr(tt.cfg, XtablesCompat))
			}
			info, _ := tg.Info.(*xt.Unknown)
			if tg.Name != "NFQUEUE" || tg.Rev != 3 || info == nil ||
				!bytes.Equal(*info, nfqInfoV3(tt.wantNum, tt.wantTotal, tt.wantFlags)) {
				t.Errorf("compat = %s rev %d info %v", tg.Name, tg.Rev, info)
			}
		})
	}
	if expr.QueueFlagBypass != nfqFlagBypass || expr.QueueFlagFanout != nfqFlagCPUFanout {
		t.Error("nft queue flags differ from the xtables ones")
	}
}

func TestMarkBytesAreHostOrder(t *testing.T) {
	want := hostOrder("0000 0001", "0100 0000") // 0x01000000
	if got := ne32(0x01000000); !bytes.Equal(got, want) {
		t.Errorf("ne32 = % x, want % x", got, want)
	}
}

// TestBlockPageExprs: the redirect's port goes in the register in network
// byte order, and the address is matched for IPv4 only.
func TestBlockPageExprs(t *testing.T) {
	parts := redirectTo(18090)
	imm, ok := parts[0].(*expr.Immediate)
	if !ok || imm.Register != reg || !bytes.Equal(imm.Data, []byte{0x46, 0xaa}) {
		t.Errorf("immediate = %+v, want 46 aa in reg %d", parts[0], reg)
	}
	redir, ok := parts[1].(*expr.Redir)
	if !ok || redir.RegisterProtoMin != reg || redir.RegisterProtoMax != reg || redir.Flags != unix.NF_NAT_RANGE_PROTO_SPECIFIED {
		t.Errorf("redir = %+v", parts[1])
	}
	m := ipDaddr(netip.MustParseAddr("192.0.2.1"))
	if nfproto, ok := m[1].(*expr.Cmp); !ok || !bytes.Equal(nfproto.Data, []byte{unix.NFPROTO_IPV4}) {
		t.Errorf("nfproto check = %+v", m[1])
	}
	if daddr, ok := m[3].(*expr.Cmp); !ok || !bytes.Equal(daddr.Data, []byte{192, 0, 2, 1}) {
		t.Errorf("daddr check = %+v", m[3])
	}
}

func TestCtOrigPacketsEncoding(t *testing.T) {
	want, _ := hex.DecodeString(strings.ReplaceAll(
		"0700 0100 63740000"+ // NFTA_EXPR_NAME "ct"
			"1c00 0280"+ // NFTA_EXPR_DATA, nested, 28 bytes
			"0800 0200 0000000e"+ // NFTA_CT_KEY = NFT_CT_PKTS (14), big endian
			"0800 0100 00000001"+ // NFTA_CT_DREG = NFT_REG_1
			"0500 0300 00000000", // NFTA_CT_DIRECTION = original (u8, padded)
		" ", ""))
	// Attribute headers (length, type) are host order, like all netlink.
	for _, off := range []int{0, 8, 12, 20, 28} {
		binary.NativeEndian.PutUint16(want[off:], binary.LittleEndian.Uint16(want[off:]))
		binary.NativeEndian.PutUint16(want[off+2:], binary.LittleEndian.Uint16(want[off+2:]))
	}
	if got := ctOrigPackets(); !bytes.Equal(got, want) {
		t.Errorf("ctOrigPackets =\n% x\nwant\n% x", []byte(got), want)
	}
}

func TestConfigValidate(t *testing.T) {
	layout, err := ctmark.New(ctmark.DefaultMask)
	if err != nil {
		t.Fatal(err)
	}
	good := Config{LAN: []string{"br-lan"}, Layout: layout}
	tests := []struct {
		name  string
		edit  func(c *Config)
		wants []string // substrings, one per reported problem
	}{
		{"valid", func(c *Config) {}, nil},
		{"valid, many queues", func(c *Config) { c.Queue, c.QueueCount = 65532, 4 }, nil},
		{"no lan", func(c *Config) { c.LAN = nil }, []string{"at least one"}},
		{"bad names", func(c *Config) { c.LAN = []string{"", "0123456789abcdef", "a b", "br-lan", "br-lan"} },
			[]string{"lan[0]: empty", "lan[1]: interface name", "lan[2]: interface name", "lan[4]: interface \"br-lan\" listed twice"}},
		{"queues overflow", func(c *Config) { c.Queue, c.QueueCount = 65535, 2 }, []string{"exceed 65535"}},
		{"no layout", func(c *Config) { c.Layout = ctmark.Layout{} }, []string{"layout"}},
		{"guard too large", func(c *Config) { c.Guard = MaxGuard + 1 }, []string{"guard"}},
		{"allowlist, largest category", func(c *Config) { c.Allowlist = layout.MaxCategory() }, nil},
		{"allowlist beyond the layout", func(c *Config) { c.Allowlist = layout.MaxCategory() + 1 }, []string{"allowlist: category 32"}},
		{"everything at once", func(c *Config) { *c = Config{Guard: MaxGuard + 1} }, []string{"lan", "layout", "guard"}},
		{"block page", func(c *Config) { c.BlockPage, c.BlockPagePort = netip.MustParseAddr("192.0.2.1"), 8090 }, nil},
		{"block page port without the page: ignored", func(c *Config) { c.BlockPagePort = 8090 }, nil},
		{"block page without a port", func(c *Config) { c.BlockPage = netip.MustParseAddr("192.0.2.1") }, []string{"block_page_port: required"}},
		{"block page on the dns port", func(c *Config) { c.BlockPage, c.BlockPagePort = netip.MustParseAddr("192.0.2.1"), 53 }, []string{"block_page_port: 53"}},
		{"block page ipv6", func(c *Config) { c.BlockPage, c.BlockPagePort = netip.MustParseAddr("2001:db8::1"), 8090 }, []string{"block_page: 2001:db8::1"}},
		{"block page ipv4-mapped", func(c *Config) { c.BlockPage, c.BlockPagePort = netip.MustParseAddr("::ffff:192.0.2.1"), 8090 }, []string{"block_page: ::ffff:192.0.2.1"}},
		{"block page not unicast", func(c *Config) { c.BlockPage, c.BlockPagePort = netip.MustParseAddr("0.0.0.0"), 0 },
			[]string{"block_page: 0.0.0.0", "block_page_port: required"}},
		{"block page multicast", func(c *Config) { c.BlockPage, c.BlockPagePort = netip.MustParseAddr("224.0.0.1"), 80 }, []string{"block_page: 224.0.0.1"}},
		{"block page broadcast", func(c *Config) { c.BlockPage, c.BlockPagePort = netip.MustParseAddr("255.255.255.255"), 80 }, []string{"block_page: 255.255.255.255"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.LAN = slices.Clone(good.LAN)
			tt.edit(&c)
			err := c.Validate()
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Validate = %v, want ErrConfig", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.wants) {
				t.Errorf("%d problems reported, want %d:\n%v", len(lines), len(tt.wants), err)
			}
			for i, w := range tt.wants {
				if i < len(lines) && !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	layout, _ := ctmark.New(ctmark.DefaultMask)
	log := slog.New(slog.DiscardHandler)
	cfg := Config{LAN: []string{"br-lan"}, Layout: layout}
	if _, err := New(cfg, 0, log); !errors.Is(err, ErrConfig) {
		t.Errorf("New with no encoding: %v, want ErrConfig", err)
	}
	if _, err := New(Config{}, Native, log); !errors.Is(err, ErrConfig) {
		t.Errorf("New with an empty config: %v, want ErrConfig", err)
	}
	tb, err := New(cfg, XtablesCompat, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LAN[0] = "changed"
	if tb.cfg.LAN[0] != "br-lan" {
		t.Error("New kept the caller's LAN slice")
	}
	if tb.Encoding().String() != "xtables-compat" || Native.String() != "native" {
		t.Errorf("encoding names: %v, %v", tb.Encoding(), Native)
	}
}

// comments returns the rule comments of chain, in order.
func comments(rules []ruleSpec, chain string) []string {
	var out []string
	for _, r := range rules {
		if r.chain == chain {
			out = append(out, r.comment)
		}
	}
	return out
}

func TestRuleset(t *testing.T) {
	for _, mask := range []uint32{ctmark.DefaultMask, 0x3, 0xffff0000} {
		layout, err := ctmark.New(mask)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			enc                QueueEncoding
			copyMark, failOpen bool
			allowlist          uint32
			blockPage          bool
		}{
			{XtablesCompat, false, false, 0, false}, {XtablesCompat, true, false, 0, false}, {XtablesCompat, false, true, 0, false}, {XtablesCompat, true, true, 0, false},
			{Native, false, false, 0, false}, {Native, true, false, 0, false}, {Native, false, true, 0, false}, {Native, true, true, 0, false},
			{XtablesCompat, true, false, 5, false}, {Native, false, false, 5, false},
			{XtablesCompat, true, false, 0, true}, {Native, false, true, 5, true},
		} {
			copyMark := c.copyMark
			allowlist := min(c.allowlist, layout.MaxCategory())
			cfg := Config{LAN: []string{"br-lan"}, Layout: layout, CopyMark: copyMark, FailOpen: c.failOpen, Allowlist: allowlist}
			if c.blockPage {
				cfg.BlockPage, cfg.BlockPagePort = netip.MustParseAddr("192.0.2.1"), 8090
			}
			chains, rules, err := ruleset(cfg, c.enc)
			if err != nil {
				t.Fatal(err)
			}
			wantForward := []string{"not from lan", "dns udp", "dns tcp", "stopped device", "quic initial of allowed flow", "allow", "block tcp", "block", "tcp first packets", "quic first packets"}
			if !c.failOpen {
				wantForward = append(wantForward, "unjudged tcp", "unjudged quic")
			}
			wantPage := []string(nil)
			if c.blockPage {
				// Rejected before anything is queued.
				wantForward = slices.Insert(wantForward, 1, "block page tcp", "block page")
				wantPage = []string{"block page http"}
			}
			if got := comments(rules, chainPage); !slices.Equal(got, wantPage) {
				t.Errorf("block_page = %q, want %q", got, wantPage)
			}
			if got := comments(rules, chainForward); !slices.Equal(got, wantForward) {
				t.Errorf("forward = %q", got)
			}
			if got := comments(rules, chainInput); !slices.Equal(got, []string{"not from lan", "dns udp", "dns tcp"}) {
				t.Errorf("input = %q", got)
			}
			wantStopped := []string{"tcp mid-stream", "quic mid-stream", "tcp first packets", "quic first packets", "reject tcp", "reject"}
			if allowlist != 0 {
				wantStopped = append([]string{"allowlisted"}, wantStopped...)
			}
			if got := comments(rules, chainStopped); !slices.Equal(got, wantStopped) {
				t.Errorf("mask %#x allowlist %d: stopped_device = %q, want %q", mask, allowlist, got, wantStopped)
			}
			copyRules := comments(rules, chainCopy)
			wantChains, wantCopy := 3, 0
			if copyMark {
				wantChains, wantCopy = 6, 5+bits.OnesCount32(mask)
			}
			if c.blockPage {
				wantChains++
				if i := slices.IndexFunc(chains, func(ch chainSpec) bool { return ch.name == chainPage }); i < 0 ||
					!chains[i].nat || chains[i].hook != hookPrerouting || chains[i].priority != NATPriority {
					t.Errorf("block_page chain missing or not nat prerouting dstnat: %+v", chains)
				}
			}
			for _, ch := range chains {
				if ch.nat != (ch.name == chainPage) {
					t.Errorf("chain %s: nat %v", ch.name, ch.nat)
				}
			}
			if len(chains) != wantChains || len(copyRules) != wantCopy {
				t.Errorf("mask %#x copy %v: %d chains, %d copy rules; want %d, %d",
					mask, copyMark, len(chains), len(copyRules), wantChains, wantCopy)
			}
			// Regular chains first: jumps need them.
			for i, ch := range chains {
				if ch.hook < 0 && i > 0 && chains[i-1].hook >= 0 {
					t.Errorf("regular chain %s after a base chain", ch.name)
				}
			}
			for _, r := range rules {
				if len(r.exprs) == 0 {
					t.Errorf("rule %q has no expressions", r.comment)
				}
			}
		}
	}
}

// TestStoppedChainQueuesNothing: the stopped chain only returns or
// rejects; queueing stays in the forward chain, whatever the encoding.
func TestStoppedChainQueuesNothing(t *testing.T) {
	layout, _ := ctmark.New(ctmark.DefaultMask)
	for _, enc := range []QueueEncoding{Native, XtablesCompat} {
		cfg := Config{LAN: []string{"br-lan"}, Layout: layout, Allowlist: 3}
		_, rules, err := ruleset(cfg, enc)
		if err != nil {
			t.Fatal(err)
		}
		q, err := expr.Marshal(unix.NFPROTO_INET, queueExpr(cfg, enc))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			if r.chain == chainStopped && slices.ContainsFunc(r.exprs, func(e []byte) bool { return bytes.Equal(e, q) }) {
				t.Errorf("%v: stopped_device rule %q queues", enc, r.comment)
			}
		}
	}
}

// msgType returns the nf_tables message type of m.
func msgType(m netlink.Message) int { return int(m.Header.Type) & 0xff }

func TestTableMessages(t *testing.T) {
	layout, _ := ctmark.New(ctmark.DefaultMask)
	msgs, err := tableMessages(Config{LAN: []string{"br-lan", "wlan0"}, Layout: layout, CopyMark: true}, Native, [][6]byte{{2, 0, 0, 0, 0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	// Replace = create if missing, delete, create: one transaction.
	head := []int{unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE, unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_NEWSET, unix.NFT_MSG_NEWSETELEM,
		unix.NFT_MSG_NEWSET, unix.NFT_MSG_NEWSETELEM} // lan, then stopped with its members
	for i, want := range head {
		if got := msgType(msgs[i]); got != want {
			t.Errorf("message %d type %d, want %d", i, got, want)
		}
	}
	for i, m := range msgs {
		if m.Header.Flags&netlink.Acknowledge == 0 {
			t.Errorf("message %d asks for no acknowledgement", i)
		}
		if msgType(m) == unix.NFT_MSG_NEWRULE && m.Header.Flags&unix.NLM_F_APPEND == 0 {
			t.Errorf("rule message %d would be inserted at the head", i)
		}
		if m.Data[0] != unix.NFPROTO_INET {
			t.Errorf("message %d family %d, want inet", i, m.Data[0])
		}
	}
	rm := removeMessages(TableName)
	if len(rm) != 2 || msgType(rm[0]) != unix.NFT_MSG_NEWTABLE || msgType(rm[1]) != unix.NFT_MSG_DELTABLE {
		t.Error("remove must create-if-missing then delete")
	}
	pm := probeMessages(Native)
	if msgType(pm[len(pm)-1]) != unix.NFT_MSG_DELTABLE {
		t.Error("probe batch must end by deleting its table")
	}
}

func TestStoppedMessages(t *testing.T) {
	macs := [][6]byte{{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}}
	msgs := stoppedMessages(macs)
	if len(msgs) != 2 || msgType(msgs[0]) != unix.NFT_MSG_DELSETELEM || msgType(msgs[1]) != unix.NFT_MSG_NEWSETELEM {
		t.Fatalf("stoppedMessages: %d messages, want flush then add", len(msgs))
	}
	// The flush names the set and lists no elements.
	ad, err := netlink.NewAttributeDecoder(msgs[0].Data[4:])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_SET_ELEM_LIST_TABLE, unix.NFTA_SET_ELEM_LIST_SET:
			names = append(names, ad.String())
		default:
			t.Errorf("flush carries attribute %d", ad.Type())
		}
	}
	if !slices.Equal(names, []string{TableName, stoppedSet}) {
		t.Errorf("flush names %q", names)
	}
	for _, mac := range macs {
		if !bytes.Contains(msgs[1].Data, mac[:]) {
			t.Errorf("add lacks % x", mac)
		}
	}
	if empty := stoppedMessages(nil); len(empty) != 1 || msgType(empty[0]) != unix.NFT_MSG_DELSETELEM {
		t.Error("an empty list must only flush")
	}
}

// TestSetStoppedRemembers: before Install, SetStopped only remembers the
// list, sorted and without duplicates; too long a list changes nothing.
func TestSetStoppedRemembers(t *testing.T) {
	layout, _ := ctmark.New(ctmark.DefaultMask)
	tb, err := New(Config{LAN: []string{"br-lan"}, Layout: layout}, Native, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a, b := [6]byte{2, 0, 0, 0, 0, 1}, [6]byte{2, 0, 0, 0, 0, 2}
	in := [][6]byte{b, a, b}
	if err := tb.SetStopped(in); err != nil {
		t.Fatal(err)
	}
	in[0] = [6]byte{}
	if want := [][6]byte{a, b}; !slices.Equal(tb.stopped, want) {
		t.Errorf("remembered %x, want %x", tb.stopped, want)
	}
	tooMany := make([][6]byte, MaxStopped+1)
	for i := range tooMany {
		tooMany[i] = [6]byte{2, 0, 0, 0, byte(i >> 8), byte(i)}
	}
	if err := tb.SetStopped(tooMany); err == nil || !strings.HasPrefix(err.Error(), "firewall: set stopped: ") {
		t.Errorf("SetStopped of %d addresses = %v, want an error", len(tooMany), err)
	}
	if len(tb.stopped) != 2 {
		t.Errorf("a refused list changed the remembered one: %d members", len(tb.stopped))
	}
}

func TestIsTableDeleted(t *testing.T) {
	msg := func(typ int, fam byte, name string) netlink.Message {
		var b msgBuilder
		b.add(typ, 0, fam, func(ae *netlink.AttributeEncoder) { ae.String(unix.NFTA_TABLE_NAME, name) })
		return b.msgs[0]
	}
	tests := []struct {
		name string
		m    netlink.Message
		want bool
	}{
		{"ours deleted", msg(unix.NFT_MSG_DELTABLE, unix.NFPROTO_INET, TableName), true},
		{"ours created", msg(unix.NFT_MSG_NEWTABLE, unix.NFPROTO_INET, TableName), false},
		{"other table", msg(unix.NFT_MSG_DELTABLE, unix.NFPROTO_INET, "fw4"), false},
		{"other family", msg(unix.NFT_MSG_DELTABLE, unix.NFPROTO_IPV4, TableName), false},
		{"truncated", netlink.Message{Header: msg(unix.NFT_MSG_DELTABLE, unix.NFPROTO_INET, TableName).Header, Data: []byte{1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTableDeleted(tt.m, TableName); got != tt.want {
				t.Errorf("isTableDeleted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEnableAcct(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string // "" = no file
		want    string
		wantErr bool
	}{
		{"off", "0\n", "1\n", false},
		{"already on", "1\n", "1\n", false},
		{"no conntrack", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := enableAcct(path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("enableAcct: %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got, _ := os.ReadFile(path); string(got) != tt.want {
				t.Errorf("file = %q, want %q", got, tt.want)
			}
		})
	}
}
