package judge

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// targets keeps the addresses of the SafeSearch hosts (policy.Targets) at
// hand, so that a redirected question is answered at once with a CNAME and
// the addresses behind it. A goroutine asks the configured resolver for them
// and refreshes them before they expire; the handler reads the current set
// without locking. Its size is fixed by the list of hosts.
type targets struct {
	cur atomic.Pointer[map[string]targetAddrs]
}

// targetAddrs are one host's addresses.
type targetAddrs struct {
	v4, v6 []netip.Addr
}

// addrs returns the addresses of host for a question of type A (v6 false)
// or AAAA. known is false while the host has no address of either family
// yet; a host with addresses of the other family only gets none.
func (t *targets) addrs(host string, v6 bool) (addrs []netip.Addr, known bool) {
	m := t.cur.Load()
	if m == nil {
		return nil, false
	}
	a, ok := (*m)[host]
	if !ok {
		return nil, false
	}
	known = len(a.v4)+len(a.v6) > 0
	if v6 {
		return a.v6, known
	}
	return a.v4, known
}

// Refresh intervals: a full round every targetRefresh, sooner (every
// targetRetry) while some host has no address.
const (
	targetRefresh = 5 * time.Minute
	targetRetry   = 5 * time.Second
	targetTimeout = 3 * time.Second
)

// run resolves hosts through resolver until ctx ends. resolver returns the
// address to ask at the time of each round, so that a reload can change it.
func (t *targets) run(ctx context.Context, hosts []string, resolver func() netip.AddrPort) {
	for {
		complete := t.refresh(ctx, hosts, resolver())
		wait := targetRefresh
		if !complete {
			wait = targetRetry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// refresh resolves every host once and publishes the result; a host that
// fails keeps its previous addresses. It reports whether every host has an
// address.
func (t *targets) refresh(ctx context.Context, hosts []string, server netip.AddrPort) bool {
	r := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server.String())
		},
	}
	next := make(map[string]targetAddrs, len(hosts))
	if old := t.cur.Load(); old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	complete := true
	for _, host := range hosts {
		qctx, cancel := context.WithTimeout(ctx, targetTimeout)
		ips, err := r.LookupNetIP(qctx, "ip", host)
		cancel()
		if err != nil || len(ips) == 0 {
			if len(next[host].v4)+len(next[host].v6) == 0 {
				complete = false
			}
			continue
		}
		var a targetAddrs
		for _, ip := range ips {
			ip = ip.Unmap()
			if ip.Is4() {
				a.v4 = append(a.v4, ip)
			} else {
				a.v6 = append(a.v6, ip)
			}
		}
		next[host] = a
	}
	t.cur.Store(&next)
	return complete
}
