package judge

import "sync/atomic"

// Counters are the judge's per-packet counters, reported in the status
// file: each field is named as its key there (DNSAllowed is dns_allowed,
// VerdictsQUIC is verdicts_quic, …).
type Counters struct {
	DNSAllowed           atomic.Uint64 // queries let through
	DNSBlocked           atomic.Uint64 // queries answered by the agent with a block
	DNSRedirected        atomic.Uint64 // queries answered with a SafeSearch CNAME
	DNSPartial           atomic.Uint64 // TCP DNS segments without a whole query (default verdict)
	DNSAnswers           atomic.Uint64 // answers to the LAN read
	ECHStripped          atomic.Uint64 // answers whose ech parameters were removed
	NamesLearned         atomic.Uint64 // address → name pairs learned from answers
	SafeSearchUnresolved atomic.Uint64 // redirects answered SERVFAIL: the SafeSearch host's address is not known yet
	Malformed            atomic.Uint64 // undecodable packets or DNS messages (default verdict)
	TCPFlows             atomic.Uint64 // TCP flows judged
	VerdictsTCP          atomic.Uint64 // verdicts on non-DNS TCP packets
	QUICFlows            atomic.Uint64 // QUIC flows judged
	VerdictsQUIC         atomic.Uint64 // verdicts on UDP/443 datagrams
	FlowsAllowed         atomic.Uint64 // TCP and QUIC flows marked ALLOW
	FlowsBlocked         atomic.Uint64 // TCP and QUIC flows marked BLOCK
	BadChecksum          atomic.Uint64 // segments and datagrams not read: a bad checksum, or a QUIC Initial a server discards
	NoStart              atomic.Uint64 // TCP flows whose SYN the agent did not see
	NoBuffer             atomic.Uint64 // TCP flows judged unreadable because every reassembly buffer was in use
	Desync               atomic.Uint64 // TCP segments not read because the server drops them (a fake ClientHello sent first)
	Evasions             atomic.Uint64 // flows judged as evasions: conflicting overlaps, second ClientHellos, a SYN inside a flow being read
	Unreadable           atomic.Uint64 // flows judged unreadable: no name within the bounds, or bytes that do not parse
	InjectErrors         atomic.Uint64 // answers and resets that could not be sent
	NoMAC                atomic.Uint64 // packets without a sender MAC
	QuietFlows           atomic.Uint64 // TCP flows where the server spoke first, judged without a name
	Late                 atomic.Uint64 // packets of just-judged flows queued before the verdict took effect
}
