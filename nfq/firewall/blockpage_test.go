package firewall

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safeinternet/cpe/nfq/internal/nettest"
)

// pageConfig is a table for the lab with the block page on testBlockPage
// and port, fail-closed with nothing reading the queue: a flow that the
// table queued would be dropped, so the block page's flows must not be
// queued.
func pageConfig(t *testing.T, port uint16) Config {
	return Config{LAN: []string{"lan0"}, Layout: testLayout(t), Queue: testQueue, BlockPage: testBlockPage, BlockPagePort: port}
}

// oracleScript is what nft itself makes of the block page's rules, for
// comparison with the table written over netlink.
const oracleScript = `
table inet safeinternet {
	set lan { type ifname; elements = { "lan0" }; }
	chain forward {
		type filter hook forward priority -5;
		iifname != @lan return comment "not from lan"
		ip daddr 192.0.2.1 meta l4proto tcp reject with tcp reset comment "block page tcp"
		ip daddr 192.0.2.1 reject with icmpx admin-prohibited comment "block page"
	}
	chain block_page {
		type nat hook prerouting priority dstnat;
		iifname @lan ip daddr 192.0.2.1 tcp dport 80 redirect to :18090 comment "block page http"
	}
}`

// needRedirect skips t unless the kernel takes a nat chain with a redirect
// (nf_nat, nft_chain_nat, nft_redir), which the block page needs: nft loads
// oracleScript in a throwaway namespace.
func needRedirect(t *testing.T) {
	t.Helper()
	nettest.NeedKernel(t, "network namespaces, nftables")
	ns := nettest.NewNetns(t, nettest.Prefix(t, "fw")+"-nat")
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(oracleScript)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("the kernel refuses a nat chain with a redirect (nf_nat, nft_chain_nat, nft_redir): %v\n%s", err, out)
	}
}

// TestBlockPageMatchesNFT: the block page's chain and rules, as the kernel
// holds them, are those nft writes for the same rules in its own syntax —
// expression for expression (`nft --debug=netlink`) and as `nft list`
// prints them.
func TestBlockPageMatchesNFT(t *testing.T) {
	needRedirect(t)
	l := newLab(t)
	l.table(t, pageConfig(t, 18090))
	oracle := nettest.NewNetns(t, nettest.Prefix(t, "fw")+"-o")
	oracle.NFTScript(t, oracleScript)

	for _, chain := range []string{chainForward, chainPage} {
		ours, theirs := bytecode(t, l.Router, chain), bytecode(t, oracle, chain)
		for comment, want := range theirs {
			if got, ok := ours[comment]; !ok || !slices.Equal(got, want) {
				t.Errorf("%s %q:\n  ours: %q\n  nft:  %q", chain, comment, got, want)
			}
		}
	}
	got, want := l.Router.NFT(t, "list", "chain", "inet", TableName, chainPage), oracle.NFT(t, "list", "chain", "inet", TableName, chainPage)
	if string(got) != string(want) {
		t.Errorf("nft list chain %s:\n%s\nnft's own:\n%s", chainPage, got, want)
	}
	t.Logf("nft list chain %s:\n%s", chainPage, got)
}

// bytecode returns the expressions of chain's rules in the inet table of
// n, as `nft --debug=netlink` prints them, by rule comment.
func bytecode(t *testing.T, n nettest.Netns, chain string) map[string][]string {
	t.Helper()
	out := n.NFT(t, "--debug=netlink", "list", "chain", "inet", TableName, chain)
	comment := regexp.MustCompile(`^  userdata = \{ \\x00(?:\\x[0-9a-f]{2}|.)(.*)\\x00 \}$`)
	rules := map[string][]string{}
	var exprs []string
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "inet "+TableName+" "+chain+" "):
			exprs = nil
		case strings.HasPrefix(line, "  ["):
			exprs = append(exprs, line)
		case comment.MatchString(line):
			rules[comment.FindStringSubmatch(line)[1]] = exprs
		}
	}
	if len(rules) == 0 {
		t.Fatalf("no rules with comments in chain %s:\n%s", chain, out)
	}
	return rules
}

// TestBlockPageReconfigure: Reconfigure adds and removes the block page's
// chain and rules with the rest of the table; a refused configuration
// leaves the table as it was.
func TestBlockPageReconfigure(t *testing.T) {
	needRedirect(t)
	l := newLab(t)
	cfg := pageConfig(t, 0)
	cfg.BlockPage = netip.Addr{}
	tb := l.table(t, cfg)
	if err := tb.SetStopped(goldenMACs); err != nil {
		t.Fatal(err)
	}
	check := func(step string, want bool) listing {
		t.Helper()
		ls := list(t, l.Router)
		i := slices.IndexFunc(ls.chains, func(c nftChain) bool { return c.Name == chainPage })
		if got := i >= 0; got != want {
			t.Fatalf("%s: block_page chain present %v, want %v", step, got, want)
		}
		if want && (ls.chains[i].Type != "nat" || ls.chains[i].Hook != "prerouting" || ls.chains[i].Prio != NATPriority) {
			t.Errorf("%s: chain %+v, want nat prerouting %d", step, ls.chains[i], NATPriority)
		}
		var page int
		for _, r := range ls.rules {
			if strings.HasPrefix(r.Comment, "block page") {
				page++
			}
		}
		if wantRules := map[bool]int{true: 3}[want]; page != wantRules {
			t.Errorf("%s: %d block page rules, want %d", step, page, wantRules)
		}
		if got := len(ls.sets[stoppedSet]); got != len(goldenMACs) {
			t.Errorf("%s: stopped set has %d members, want %d", step, got, len(goldenMACs))
		}
		return ls
	}
	check("installed without", false)

	cfg.BlockPage, cfg.BlockPagePort = testBlockPage, 18090
	if err := tb.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	with := check("reconfigured with", true)

	bad := cfg
	bad.BlockPagePort = 0
	if err := tb.Reconfigure(bad); !errors.Is(err, ErrConfig) {
		t.Fatalf("Reconfigure without a port = %v, want ErrConfig", err)
	}
	if now := check("after a refused reconfiguration", true); len(now.rules) != len(with.rules) {
		t.Errorf("refused Reconfigure changed the table: %d rules, want %d", len(now.rules), len(with.rules))
	}

	cfg.BlockPage = netip.Addr{}
	if err := tb.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	check("reconfigured without", false)
}

// pageRequest is what the test's web page saw of one request.
type pageRequest struct {
	host, uri string
	remote    netip.Addr
}

// pageServer is a stand-in for the router's web page: an HTTP server on
// addr in the router namespace that records each request and answers with a
// redirect to the child's view, as the page does. Its requests are safe for
// concurrent use.
type pageServer struct {
	mu   sync.Mutex // guards reqs
	reqs []pageRequest
}

// requests returns a copy of the requests seen so far.
func (p *pageServer) requests() []pageRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

// childView is where the stand-in page sends the browser.
const childView = "http://10.99.1.1:18090/child"

// startPage starts a pageServer on addr in the router namespace until the
// test ends.
func (l *lab) startPage(t *testing.T, addr netip.AddrPort) *pageServer {
	t.Helper()
	var ln net.Listener
	l.Router.Do(t, func() {
		var err error
		if ln, err = net.Listen("tcp", addr.String()); err != nil {
			t.Fatal(err)
		}
	})
	p := &pageServer{}
	srv := &http.Server{
		ReadHeaderTimeout: nettest.IOTimeout,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			from, _ := netip.ParseAddrPort(r.RemoteAddr)
			p.mu.Lock()
			p.reqs = append(p.reqs, pageRequest{host: r.Host, uri: r.URL.RequestURI(), remote: from.Addr()})
			p.mu.Unlock()
			http.Redirect(w, r, childView, http.StatusFound)
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return p
}

// get sends GET uri with Host host to the block page's port 80 from the
// client, over a connection dialled within timeout, and returns the
// response.
func (l *lab) get(t *testing.T, host, uri string, timeout time.Duration) (*http.Response, error) {
	t.Helper()
	var conn net.Conn
	var err error
	l.Client.Do(t, func() {
		d := net.Dialer{Timeout: timeout}
		conn, err = d.Dial("tcp", netip.AddrPortFrom(testBlockPage, 80).String())
	})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(nettest.IOTimeout)); err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+host+uri, nil)
	if err != nil {
		return nil, err
	}
	if err := req.Write(conn); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// TestBlockPageTraffic: with the block page set, plain HTTP from a LAN
// client to its address reaches the router's web page (Host, path and the
// client's own source address intact) even with a fail-closed table and no
// queue reader; any other port or protocol to that address fails at once
// (TCP reset, ICMP administratively prohibited) instead of being routed on;
// without the block page, the same HTTP connection goes nowhere.
func TestBlockPageTraffic(t *testing.T) {
	needRedirect(t)
	const port = 18090
	l := newLab(t)
	cfg := pageConfig(t, port)
	tb := l.table(t, cfg)
	// The router's uplink: without the table's rules, packets to the block
	// page's address would be routed to the server, which drops them.
	nettest.Run(t, "ip", "-n", l.Router.Name, "route", "add", "default", "via", "10.99.2.2")
	page := l.startPage(t, netip.AddrPortFrom(routerV4, port))

	resp, err := l.get(t, "www.blocked.example", "/watch?v=1&t=2", nettest.IOTimeout)
	if err != nil {
		t.Fatalf("GET http://192.0.2.1/: %v", err)
	}
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != childView {
		t.Errorf("response %s, Location %q; want 302 to %s", resp.Status, resp.Header.Get("Location"), childView)
	}
	want := []pageRequest{{host: "www.blocked.example", uri: "/watch?v=1&t=2", remote: clientV4}}
	if got := page.requests(); !slices.Equal(got, want) {
		t.Errorf("page saw %+v, want %+v", got, want)
	}

	// Everything else to the address is refused within a second.
	const fast = time.Second
	for _, tt := range []struct {
		network string
		port    uint16
		want    error
	}{
		{"tcp", 443, syscall.ECONNREFUSED},
		{"tcp", port, syscall.ECONNREFUSED}, // the page's port, on the page's address
		{"tcp", 8080, syscall.ECONNREFUSED},
		{"udp", 443, syscall.EHOSTUNREACH}, // ICMP type 3 code 13
	} {
		t.Run(fmt.Sprintf("%s %d", tt.network, tt.port), func(t *testing.T) {
			start := time.Now()
			err := refused(t, l.Client, tt.network, netip.AddrPortFrom(testBlockPage, tt.port))
			if took := time.Since(start); !errors.Is(err, tt.want) || took > fast {
				t.Errorf("%s to %v:%d: %v after %v; want %v within %v", tt.network, testBlockPage, tt.port, err, took, tt.want, fast)
			}
		})
	}

	without := cfg
	without.BlockPage = netip.Addr{}
	if err := tb.Reconfigure(without); err != nil {
		t.Fatal(err)
	}
	if _, err := l.get(t, "www.blocked.example", "/", fast); !nettest.IsTimeout(err) {
		t.Errorf("without the block page: GET = %v, want a timeout", err)
	}
	if err := tb.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := l.get(t, "again.example", "/", nettest.IOTimeout); err != nil {
		t.Errorf("with the block page again: %v", err)
	}
	if got := len(page.requests()); got != 2 {
		t.Errorf("page saw %d requests, want 2", got)
	}
}

// refused connects from n to addr over network and returns the error that
// ends the attempt: for TCP the dial's, for UDP that of a read after one
// datagram (the ICMP error is reported on the next socket call), each
// bounded by nettest.IOTimeout.
func refused(t *testing.T, n nettest.Netns, network string, addr netip.AddrPort) error {
	t.Helper()
	var conn net.Conn
	var err error
	n.Do(t, func() {
		d := net.Dialer{Timeout: nettest.IOTimeout}
		conn, err = d.Dial(network, addr.String())
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	if network == "tcp" {
		return errors.New("connected")
	}
	for range 2 {
		if err = nettest.RoundTrip(conn, "quic?", nettest.IOTimeout); err != nil {
			return err
		}
	}
	return errors.New("answered")
}
