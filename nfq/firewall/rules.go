package firewall

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/mdlayher/netlink"
	"github.com/safeinternet/cpe/nfq/ctmark"
	"golang.org/x/sys/unix"
)

// Names inside the table.
const (
	lanSet       = "lan"
	lanSetID     = 1
	stoppedSet   = "stopped"
	stoppedSetID = 2
	chainForward = "forward"
	chainInput   = "input"
	chainOutput  = "output"
	chainCopy    = "copymark"
	chainCopyFwd = "copymark_forward"
	chainCopyIn  = "copymark_input"
	chainStopped = "stopped_device"
	chainPage    = "block_page"
)

// xtables NFQUEUE flags (linux/netfilter/xt_NFQUEUE.h).
const (
	nfqFlagBypass    = 0x01
	nfqFlagCPUFanout = 0x02
)

// ctDirOriginal is IP_CT_DIR_ORIGINAL.
const ctDirOriginal = 0

// reg is the nft register every rule works in (NFT_REG_1, 16 bytes).
const reg = unix.NFT_REG_1

// rawExpr is an expression already marshalled, for what google/nftables
// cannot encode.
type rawExpr []byte

// ruleBuilder collects the rules of a table; the first encoding failure
// sticks in err.
type ruleBuilder struct {
	rules []ruleSpec
	err   error
}

// add appends a rule to chain; each part is an expr.Any, a rawExpr, or a
// []any of those.
func (b *ruleBuilder) add(chain, comment string, parts ...any) {
	r := ruleSpec{chain: chain, comment: comment}
	var walk func(ps []any)
	walk = func(ps []any) {
		for _, p := range ps {
			switch p := p.(type) {
			case rawExpr:
				r.exprs = append(r.exprs, p)
			case []any:
				walk(p)
			case expr.Any:
				data, err := expr.Marshal(unix.NFPROTO_INET, p)
				if err != nil && b.err == nil {
					b.err = fmt.Errorf("rule %q: %w", comment, err)
				}
				r.exprs = append(r.exprs, data)
			default:
				if b.err == nil {
					b.err = fmt.Errorf("rule %q: bad part %T", comment, p)
				}
			}
		}
	}
	walk(parts)
	b.rules = append(b.rules, r)
}

// tableMessages returns the batch that creates (or atomically replaces) the
// table for cfg: create-if-missing, delete, create, then sets (the stopped
// set with members stopped), chains, rules.
func tableMessages(cfg Config, enc QueueEncoding, stopped [][6]byte) ([]netlink.Message, error) {
	chains, rules, err := ruleset(cfg, enc)
	if err != nil {
		return nil, err
	}
	const fam = unix.NFPROTO_INET
	var b msgBuilder
	b.addTable(fam, TableName)
	b.delTable(fam, TableName)
	b.addTable(fam, TableName)
	b.addIfnameSet(fam, TableName, setSpec{name: lanSet, id: lanSetID, elems: cfg.LAN})
	b.addEtherSet(fam, TableName, stoppedSet, stoppedSetID, stopped)
	for _, c := range chains {
		b.addChain(fam, TableName, c)
	}
	for _, r := range rules {
		b.addRule(fam, TableName, r)
	}
	return b.msgs, b.err
}

// ruleset returns the chains (regular chains first, so that jumps resolve)
// and the rules, in order, of the table for cfg.
func ruleset(cfg Config, enc QueueEncoding) ([]chainSpec, []ruleSpec, error) {
	chains := []chainSpec{
		{name: chainStopped, hook: -1},
		{name: chainForward, hook: hookForward, priority: Priority},
		{name: chainInput, hook: hookInput, priority: Priority},
	}
	if cfg.Answers {
		chains = append(chains, chainSpec{name: chainOutput, hook: hookOutput, priority: Priority})
	}
	if cfg.BlockPage.IsValid() {
		chains = append(chains, chainSpec{name: chainPage, hook: hookPrerouting, priority: NATPriority, nat: true})
	}
	if cfg.CopyMark {
		chains = append([]chainSpec{{name: chainCopy, hook: -1}}, chains...)
		chains = append(chains,
			chainSpec{name: chainCopyFwd, hook: hookForward, priority: CopyPriority},
			chainSpec{name: chainCopyIn, hook: hookInput, priority: CopyPriority})
	}

	q := queueExpr(cfg, enc)
	l := cfg.Layout
	g := cfg.guard()
	var b ruleBuilder

	// forward: routed packets from the LAN, and DNS answers to it from
	// resolvers beyond the router.
	if cfg.Answers {
		b.add(chainForward, "dns answer udp", oifLAN(), l4proto(unix.IPPROTO_UDP), sport(53), q)
		b.add(chainForward, "dns answer tcp", oifLAN(), l4proto(unix.IPPROTO_TCP), sport(53), q)
	}
	b.add(chainForward, "not from lan", iifNotLAN(), verdict(expr.VerdictReturn))
	if a := cfg.BlockPage; a.IsValid() {
		// Port 80 to the block page never gets here (redirected to the
		// router in prerouting); the rest fails at once, before queueing.
		b.add(chainForward, "block page tcp", ipDaddr(a), l4proto(unix.IPPROTO_TCP), rejectTCP())
		b.add(chainForward, "block page", ipDaddr(a), rejectICMPX())
	}
	b.add(chainForward, "dns udp", l4proto(unix.IPPROTO_UDP), dport(53), q)
	b.add(chainForward, "dns tcp", l4proto(unix.IPPROTO_TCP), dport(53), q)
	// A stopped device (bedtime, pause, daily limit) keeps DNS (above) and
	// what stoppedRules lets return here; the rest is rejected there.
	b.add(chainForward, "stopped device", etherSaddrStopped(), &expr.Verdict{Kind: expr.VerdictJump, Chain: chainStopped})
	// A QUIC long-header Initial (or v1 0-RTT) on an allowed flow may start
	// a new connection on the same addresses and ports: the agent reads it,
	// so that a second ClientHello cannot ride on the first one's verdict.
	b.add(chainForward, "quic initial of allowed flow", l4proto(unix.IPPROTO_UDP), dport(443), ctOriginal(),
		ctState(l, ctmark.Allow), quicInitialByte(), q)
	b.add(chainForward, "allow", ctState(l, ctmark.Allow), verdict(expr.VerdictAccept))
	b.add(chainForward, "block tcp", l4proto(unix.IPPROTO_TCP), ctState(l, ctmark.Block), rejectTCP())
	b.add(chainForward, "block", ctState(l, ctmark.Block), rejectICMPX())
	// The SYN is queued too: it gives the agent the stream's first sequence
	// number, and may carry data (TCP Fast Open).
	b.add(chainForward, "tcp first packets", l4proto(unix.IPPROTO_TCP), ctOriginal(), origPacketsAtMost(g), q)
	b.add(chainForward, "quic first packets", l4proto(unix.IPPROTO_UDP), dport(443), ctOriginal(), origPacketsAtMost(g), q)
	if !cfg.FailOpen {
		// Past the guard with no verdict: the agent never judged the flow
		// (it was down, the queue overflowed, or the flow predates the
		// table). Fail-closed must not let it through uninspected.
		b.add(chainForward, "unjudged tcp", l4proto(unix.IPPROTO_TCP), ctOriginal(), notSYN(), ctState(l, ctmark.Unclassified), rejectTCP())
		b.add(chainForward, "unjudged quic", l4proto(unix.IPPROTO_UDP), dport(443), ctOriginal(), ctState(l, ctmark.Unclassified), rejectICMPX())
	}

	// input: packets from the LAN to the router itself; only DNS is queued.
	b.add(chainInput, "not from lan", iifNotLAN(), verdict(expr.VerdictReturn))
	b.add(chainInput, "dns udp", l4proto(unix.IPPROTO_UDP), dport(53), q)
	b.add(chainInput, "dns tcp", l4proto(unix.IPPROTO_TCP), dport(53), q)

	// output: the router's own DNS answers to the LAN.
	if cfg.Answers {
		b.add(chainOutput, "not to lan", oifNotLAN(), verdict(expr.VerdictReturn))
		b.add(chainOutput, "dns answer udp", l4proto(unix.IPPROTO_UDP), sport(53), q)
		b.add(chainOutput, "dns answer tcp", l4proto(unix.IPPROTO_TCP), sport(53), q)
	}

	// block_page: plain HTTP from the LAN to the block page's address goes
	// to the web page on the router (then through input, not forward).
	if a := cfg.BlockPage; a.IsValid() {
		b.add(chainPage, "block page http", iifLAN(), ipDaddr(a), l4proto(unix.IPPROTO_TCP), dport(blockPageHTTPPort),
			redirectTo(cfg.BlockPagePort))
	}

	stoppedRules(&b, cfg)

	if cfg.CopyMark {
		b.add(chainCopyFwd, "copy verdict mark", &expr.Verdict{Kind: expr.VerdictJump, Chain: chainCopy})
		b.add(chainCopyIn, "copy verdict mark", &expr.Verdict{Kind: expr.VerdictJump, Chain: chainCopy})
		copyRules(&b, l)
	}
	return chains, b.rules, b.err
}

// stoppedRules fills the chain that the forward chain jumps to for packets
// from a MAC address in the stopped set. A rule that returns hands the
// packet back to the forward chain, which treats it as for any device:
// flows marked ALLOW with the allowlist category (accepted, their QUIC
// Initials queued) and the first packets of new TCP and UDP/443 flows
// (queued: the agent allows only allowlisted names for a stopped device).
// Everything else is rejected — TCP with a reset, the rest with ICMP
// administratively prohibited — so that an application gives up at once
// instead of retrying into silence: flows of any other verdict, unjudged
// flows past the guard, other UDP, ICMP, and flows picked up mid-stream (a
// packet that creates a conntrack entry without being a TCP SYN or a QUIC
// Initial: the agent deleted the entry to cut a running flow).
func stoppedRules(b *ruleBuilder, cfg Config) {
	l, g := cfg.Layout, cfg.guard()
	if cfg.Allowlist != 0 {
		b.add(chainStopped, "allowlisted", ctMarkIs(l, l.Value(ctmark.Allow, cfg.Allowlist)), verdict(expr.VerdictReturn))
	}
	b.add(chainStopped, "tcp mid-stream", l4proto(unix.IPPROTO_TCP), ctStateNew(), notSYN(), rejectTCP())
	b.add(chainStopped, "quic mid-stream", l4proto(unix.IPPROTO_UDP), dport(443), ctStateNew(), notQUICInitialByte(), rejectICMPX())
	b.add(chainStopped, "tcp first packets", l4proto(unix.IPPROTO_TCP), ctOriginal(), ctState(l, ctmark.Unclassified), origPacketsAtMost(g),
		verdict(expr.VerdictReturn))
	b.add(chainStopped, "quic first packets", l4proto(unix.IPPROTO_UDP), dport(443), ctOriginal(), ctState(l, ctmark.Unclassified), origPacketsAtMost(g),
		verdict(expr.VerdictReturn))
	b.add(chainStopped, "reject tcp", l4proto(unix.IPPROTO_TCP), rejectTCP())
	b.add(chainStopped, "reject", rejectICMPX())
}

// copyRules fills the mark-copy chain: when the packet mark has bits inside
// the layout's mask, those bits replace the same bits of the ct mark (other
// ct mark bits are kept), the packet mark loses them, and a BLOCK verdict
// rejects the packet. Only bitwise operations with constants are used
// (kernels before 6.x have no register-to-register OR).
func copyRules(b *ruleBuilder, l ctmark.Layout) {
	mask := l.Mask()
	b.add(chainCopy, "no verdict mark", markLoad(false), and(4, ne32(mask)), cmpEq(ne32(0)), verdict(expr.VerdictReturn))
	b.add(chainCopy, "clear ct mark bits", markLoad(true), and(4, ne32(^mask)), markStore(true))
	for m := mask; m != 0; m &= m - 1 {
		bit := uint32(1) << bits.TrailingZeros32(m)
		b.add(chainCopy, fmt.Sprintf("copy bit %#08x", bit),
			markLoad(false), and(4, ne32(bit)), cmpEq(ne32(bit)),
			markLoad(true), &expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: 4, Mask: ne32(^bit), Xor: ne32(bit)},
			markStore(true))
	}
	b.add(chainCopy, "clear packet mark bits", markLoad(false), and(4, ne32(^mask)), markStore(false))
	b.add(chainCopy, "block tcp", l4proto(unix.IPPROTO_TCP), ctState(l, ctmark.Block), rejectTCP())
	b.add(chainCopy, "block", ctState(l, ctmark.Block), rejectICMPX())
}

// queueExpr sends the packet to the configured queues.
func queueExpr(cfg Config, enc QueueEncoding) expr.Any {
	count := cfg.queueCount()
	var flags uint16
	if cfg.FailOpen {
		flags |= nfqFlagBypass
	}
	if cfg.CPUFanout && count > 1 {
		flags |= nfqFlagCPUFanout
	}
	if enc == Native {
		// nft queue flags have the same values as the xtables ones.
		return &expr.Queue{Num: cfg.Queue, Total: count, Flag: expr.QueueFlag(flags)}
	}
	info := xt.Unknown(nfqInfoV3(cfg.Queue, count, flags))
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &info}
}

// nfqInfoV3 encodes struct xt_NFQ_info_v3 {u16 queuenum; u16 queues_total;
// u16 flags;} in host byte order, padded to XT_ALIGN (8 bytes), as
// nft_compat hands it to the kernel unchanged.
func nfqInfoV3(num, total, flags uint16) []byte {
	b := make([]byte, 8)
	binary.NativeEndian.PutUint16(b[0:], num)
	binary.NativeEndian.PutUint16(b[2:], total)
	binary.NativeEndian.PutUint16(b[4:], flags)
	return b
}

// iifLAN matches packets whose input interface is in the lan set.
func iifLAN() []any {
	return []any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: reg},
		&expr.Lookup{SourceRegister: reg, SetName: lanSet, SetID: lanSetID},
	}
}

// iifNotLAN matches packets whose input interface is not in the lan set.
func iifNotLAN() []any {
	return []any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: reg},
		&expr.Lookup{SourceRegister: reg, SetName: lanSet, SetID: lanSetID, Invert: true},
	}
}

// oifLAN matches packets whose output interface is in the lan set.
func oifLAN() []any {
	return []any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: reg},
		&expr.Lookup{SourceRegister: reg, SetName: lanSet, SetID: lanSetID},
	}
}

// oifNotLAN matches packets whose output interface is not in the lan set.
func oifNotLAN() []any {
	return []any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: reg},
		&expr.Lookup{SourceRegister: reg, SetName: lanSet, SetID: lanSetID, Invert: true},
	}
}

// ipDaddr matches IPv4 packets to a, which must be an IPv4 address ("ip
// daddr a"; the nfproto check is the dependency nft itself adds in an inet
// table).
func ipDaddr(a netip.Addr) []any {
	const daddrOffset = 16
	b := a.As4()
	return []any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: reg},
		cmpEq([]byte{unix.NFPROTO_IPV4}),
		&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: daddrOffset, Len: 4},
		cmpEq(b[:]),
	}
}

// redirectTo redirects the flow to port on the router's primary address of
// the incoming interface ("redirect to :port"; nat chains only). The port
// goes in the register in network byte order, as the kernel reads it.
func redirectTo(port uint16) []any {
	return []any{
		&expr.Immediate{Register: reg, Data: binary.BigEndian.AppendUint16(nil, port)},
		&expr.Redir{RegisterProtoMin: reg, RegisterProtoMax: reg, Flags: unix.NF_NAT_RANGE_PROTO_SPECIFIED},
	}
}

// l4proto matches the transport protocol.
func l4proto(p byte) []any {
	return []any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg}, cmpEq([]byte{p})}
}

// dport matches the TCP or UDP destination port (l4proto must be matched
// before).
func dport(port uint16) []any {
	return []any{
		&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		cmpEq(binary.BigEndian.AppendUint16(nil, port)),
	}
}

// sport matches the TCP or UDP source port (l4proto must be matched
// before).
func sport(port uint16) []any {
	return []any{
		&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 2},
		cmpEq(binary.BigEndian.AppendUint16(nil, port)),
	}
}

// quicInitialByte matches UDP payloads whose first byte has the QUIC long
// header form and the fixed bit with type 0 or 1 (0xc0–0xdf): an Initial of
// version 1 or 2, or a version 1 0-RTT packet.
func quicInitialByte() []any {
	const udpHeaderLen = 8
	return []any{
		&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: udpHeaderLen, Len: 1},
		and(1, []byte{0xe0}),
		cmpEq([]byte{0xc0}),
	}
}

// notQUICInitialByte matches UDP payloads whose first byte is not that of a
// QUIC Initial or v1 0-RTT packet (see quicInitialByte).
func notQUICInitialByte() []any {
	const udpHeaderLen = 8
	return []any{
		&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: udpHeaderLen, Len: 1},
		and(1, []byte{0xe0}),
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg, Data: []byte{0xc0}},
	}
}

// etherSaddrStopped matches Ethernet frames whose source MAC address is in
// the stopped set ("ether saddr @stopped"; the interface type check is the
// dependency nft itself adds, so that nft lists the rule by name).
func etherSaddrStopped() []any {
	const arphrdEther = 1 // ARPHRD_ETHER
	return []any{
		&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: reg},
		cmpEq(binary.NativeEndian.AppendUint16(nil, arphrdEther)),
		&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: etherAddrLen},
		&expr.Lookup{SourceRegister: reg, SetName: stoppedSet, SetID: stoppedSetID},
	}
}

// ctStateNew matches packets that create their conntrack entry ("ct state
// new").
func ctStateNew() []any {
	const ctStateBitNew = 1 << (2 + 1) // NF_CT_STATE_BIT(IP_CT_NEW)
	return []any{
		&expr.Ct{Key: expr.CtKeySTATE, Register: reg},
		and(4, ne32(ctStateBitNew)),
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg, Data: ne32(0)},
	}
}

// ctMarkIs matches flows whose ct mark bits inside the layout's mask equal
// v (state and category).
func ctMarkIs(l ctmark.Layout, v uint32) []any {
	return []any{markLoad(true), and(4, ne32(l.Mask())), cmpEq(ne32(v))}
}

// ctState matches flows whose ct mark holds state s.
func ctState(l ctmark.Layout, s ctmark.State) []any {
	return []any{markLoad(true), and(4, ne32(l.StateMask())), cmpEq(ne32(l.Value(s, 0)))}
}

// ctOriginal matches packets in the flow's original direction.
func ctOriginal() []any {
	return []any{&expr.Ct{Key: expr.CtKeyDIRECTION, Register: reg}, cmpEq([]byte{ctDirOriginal})}
}

// notSYN matches TCP packets without the SYN flag.
func notSYN() []any {
	const tcpFlagsOffset, syn = 13, 0x02
	return []any{
		&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: tcpFlagsOffset, Len: 1},
		and(1, []byte{syn}),
		cmpEq([]byte{0}),
	}
}

// origPacketsAtMost matches flows with at most n original-direction packets
// ("ct original packets <= n"). The counter is a host-endian u64 and cmp
// compares bytes, so it is turned big endian first, as nft does.
func origPacketsAtMost(n uint64) []any {
	return []any{
		ctOrigPackets(),
		&expr.Byteorder{SourceRegister: reg, DestRegister: reg, Op: expr.ByteorderHton, Len: 8, Size: 8},
		&expr.Cmp{Op: expr.CmpOpLte, Register: reg, Data: binary.BigEndian.AppendUint64(nil, n)},
	}
}

// ctOrigPackets loads the original-direction packet counter of the flow.
// google/nftables v0.3.0 sends NFTA_CT_DIRECTION only for address and port
// keys, so this expression is encoded here.
func ctOrigPackets() rawExpr {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.String(unix.NFTA_EXPR_NAME, "ct")
	ae.Nested(unix.NFTA_EXPR_DATA, func(nae *netlink.AttributeEncoder) error {
		nae.Uint32(unix.NFTA_CT_KEY, unix.NFT_CT_PKTS)
		nae.Uint32(unix.NFTA_CT_DREG, reg)
		nae.Uint8(unix.NFTA_CT_DIRECTION, ctDirOriginal)
		return nil
	})
	b, err := ae.Encode()
	if err != nil {
		panic("firewall: encode ct expression: " + err.Error()) // fixed input: cannot fail
	}
	return b
}

// markLoad loads the ct mark (ct) or the packet mark into the register.
func markLoad(ct bool) expr.Any {
	if ct {
		return &expr.Ct{Key: expr.CtKeyMARK, Register: reg}
	}
	return &expr.Meta{Key: expr.MetaKeyMARK, Register: reg}
}

// markStore writes the register to the ct mark (ct) or the packet mark.
func markStore(ct bool) expr.Any {
	if ct {
		return &expr.Ct{Key: expr.CtKeyMARK, Register: reg, SourceRegister: true}
	}
	return &expr.Meta{Key: expr.MetaKeyMARK, Register: reg, SourceRegister: true}
}

// and masks the first n bytes of the register.
func and(n uint32, mask []byte) expr.Any {
	return &expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: n, Mask: mask, Xor: make([]byte, n)}
}

// cmpEq compares the register with data.
func cmpEq(data []byte) expr.Any {
	return &expr.Cmp{Op: expr.CmpOpEq, Register: reg, Data: data}
}

// ne32 encodes a mark in host byte order, as the kernel keeps marks in
// registers.
func ne32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// verdict ends the rule with kind.
func verdict(kind expr.VerdictKind) expr.Any { return &expr.Verdict{Kind: kind} }

// rejectTCP answers with a TCP reset.
func rejectTCP() expr.Any { return &expr.Reject{Type: unix.NFT_REJECT_TCP_RST} }

// rejectICMPX answers with ICMP or ICMPv6 "administratively prohibited".
func rejectICMPX() expr.Any {
	return &expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_ADMIN_PROHIBITED}
}
