package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the VM of make vmtest has no zoneinfo
)

// Device C, the parent's laptop, and the MAC a "new" device takes in the lab.
const (
	macC   = "02:00:00:00:00:0c"
	macNew = "02:00:00:00:00:99"
)

// A real gambling domain from UT1 (../shared/data), answered and served by the lab's upstream.
const gamblingName = "www.bet365.com"

// family is the household of the issue-4 lab tests: Ali (9, profile child) on device A, Sara
// (16, profile teen, whose parents allowed gambling sites) on device B, their mother on device
// C; UT1 as the category list. Time rules are set per test.
type family struct {
	UT1        string // path of blacklists.tar.gz
	AliRules   string // extra option lines for Ali's person section
	Period     int    // accounting period, seconds
	Threshold  int    // activity threshold, bytes per minute
	Schedules  string // schedule sections
	Unassigned string // unassigned_profile ("" for the default)
}

func (f family) String() string {
	if f.Period == 0 {
		f.Period = 60
	}
	if f.Threshold == 0 {
		f.Threshold = 20000
	}
	unassigned := ""
	if f.Unassigned != "" {
		unassigned = "\toption unassigned_profile '" + f.Unassigned + "'\n"
	}
	return fmt.Sprintf(`config agent 'main'
	list lan 'br-lan'
	option queue '0'
	option log_decisions '1'
	option resolver '192.168.50.1'
	option accounting_period '%d'
	option activity_threshold '%d'
%s
config category_list 'ut1'
	option format 'ut1'
	option path '%s'

config profile 'teen'
	list allow_category 'gambling'
%s
config person 'ali'
	option name 'Ali'
	option profile 'child'
%s
config person 'sara'
	option name 'Sara'
	option profile 'teen'

config person 'mom'
	option name 'Mom'
	option profile 'adult'

config device 'a'
	option mac '%s'
	option person 'ali'

config device 'b'
	option mac '%s'
	option person 'sara'

config device 'c'
	option mac '%s'
	option person 'mom'
`, f.Period, f.Threshold, unassigned, f.UT1, f.Schedules, f.AliRules, macA, macB, macC)
}

// ut1Path returns the shared UT1 distribution, or skips the test.
func ut1Path(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data", "ut1", "blacklists.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the shared UT1 lists (%s) are absent", p)
	}
	return p
}

// personState reads one person's line of the agent's status file.
func (a *agent) personState(id string) map[string]any {
	a.t.Helper()
	b, err := os.ReadFile(filepath.Join(a.stateDir, "status.json"))
	if err != nil {
		a.t.Fatal(err)
	}
	var st struct {
		People []map[string]any `json:"people"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		a.t.Fatalf("status: %v", err)
	}
	for _, p := range st.People {
		if p["id"] == id {
			return p
		}
	}
	return nil
}

// waitState waits up to limit for a person's state in the status file.
func (a *agent) waitState(id, state string, limit time.Duration) bool {
	return waitUntil(limit, 200*time.Millisecond, func() bool {
		p := a.personState(id)
		return p != nil && p["state"] == state
	})
}

// download is a TLS download from a device that reads slowly, so that it runs for a while and
// moves bytes in every second.
type download struct {
	conn *tls.Conn
	done chan error
	read chan int64
}

// startDownload opens a TLS connection from ns to labsrv for serverName and reads a large body
// at about rate bytes per second until it fails or stop is called.
func (l *lab) startDownload(t *testing.T, ns, serverName string, rate int) *download {
	t.Helper()
	raw := dialIn(t, l.ns(ns), "tcp", net.JoinHostPort(labsrvV4, "443"))
	c := tls.Client(raw, &tls.Config{ServerName: serverName, InsecureSkipVerify: true})
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		raw.Close()
		t.Fatalf("download from %s: handshake: %v", ns, err)
	}
	fmt.Fprintf(c, "GET /bytes?n=%d HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", int64(1)<<32, serverName)
	d := &download{conn: c, done: make(chan error, 1), read: make(chan int64, 1)}
	go func() {
		var total int64
		buf := make([]byte, rate/20)
		for {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			n, err := io.ReadFull(c, buf)
			total += int64(n)
			select {
			case <-d.read:
			default:
			}
			d.read <- total
			if err != nil {
				d.done <- err
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { c.Close() })
	return d
}

// cutWithin waits up to limit for the download to fail and returns its error (nil: still
// running).
func (d *download) cutWithin(limit time.Duration) error {
	select {
	case err := <-d.done:
		return err
	case <-time.After(limit):
		return nil
	}
}

// bakuWindow returns a schedule window (in labZone) that started a minute ago and lasts an
// hour.
func bakuWindow(t *testing.T) string {
	loc, err := time.LoadLocation(labZone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc).Add(-time.Minute)
	end := now.Add(time.Hour)
	day := strings.ToLower(now.Weekday().String()[:3])
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d", day, now.Hour(), now.Minute(), end.Hour(), end.Minute())
}

// testHousehold runs the issue-4 household through the lab: categories by age, a new
// device, bedtime cutting a running download, a pause and its end, a daily limit used up
// by real traffic.
func testHousehold(t *testing.T, l *lab) {
	fam := family{UT1: ut1Path(t), Period: 1, Threshold: 60000}
	a := l.startAgent(t, fam)

	t.Run("gambling blocked for the younger child only", func(t *testing.T) {
		if r := l.dig(t, "a", routerV4, gamblingName, "A", 3); r.Status != "NXDOMAIN" {
			t.Errorf("Ali's DNS for %s: %s, want NXDOMAIN", gamblingName, r.Status)
		}
		if r := l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), gamblingName); !isReset(r.err) {
			t.Errorf("Ali's TLS to %s: %v, want a reset", gamblingName, r.err)
		}
		for _, ns := range []string{"b", "c"} {
			if r := l.dig(t, ns, routerV4, gamblingName, "A", 3); r.Status != "NOERROR" {
				t.Errorf("device %s: DNS for %s: %s, want NOERROR", ns, gamblingName, r.Status)
			}
			if r := l.tlsGet(t, ns, net.JoinHostPort(labsrvV4, "443"), gamblingName); r.err != nil || !strings.Contains(r.body, "sni="+gamblingName) {
				t.Errorf("device %s: TLS to %s: %v %q", ns, gamblingName, r.err, r.body)
			}
		}
		recs := a.logRecords("decision")
		found := false
		for _, r := range recs {
			if r["person"] == "ali" && r["category"] == "gambling" && r["action"] == "block" && r["reason"] == "category" {
				found = true
			}
		}
		if !found {
			t.Errorf("no decision log blocking %s for ali by category gambling", gamblingName)
		}
	})

	t.Run("an invalid household is refused and the last good one kept", func(t *testing.T) {
		bad := fam
		bad.AliRules = "\tlist schedule 'no_such_schedule'\n\toption daily_limit 'lots'\n"
		a.reload(bad)
		refused := waitUntil(5*time.Second, 100*time.Millisecond, func() bool {
			for _, r := range a.logRecords("reload refused: configuration keeps its previous state") {
				if err, _ := r["err"].(string); strings.Contains(err, "safeinternet.ali.schedule") &&
					strings.Contains(err, "safeinternet.ali.daily_limit") {
					return true
				}
			}
			return false
		})
		if !refused {
			t.Fatalf("no refusal naming both bad options in the log:\n%s", a.logTail(10))
		}
		if !a.alive() {
			t.Fatal("agent exited on an invalid household")
		}
		if r := l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), gamblingName); !isReset(r.err) {
			t.Errorf("after the refused reload, Ali's TLS to %s: %v, want a reset", gamblingName, r.err)
		}
		a.reload(fam)
	})

	t.Run("a new MAC address lands in unassigned", func(t *testing.T) {
		l.setMAC(t, "c", macNew)
		defer l.setMAC(t, "c", macC)
		if r := l.tlsGet(t, "c", net.JoinHostPort(labsrvV4, "443"), gamblingName); !isReset(r.err) {
			t.Errorf("new device's TLS to %s: %v, want a reset (unassigned profile)", gamblingName, r.err)
		}
		if r := l.tlsGet(t, "c", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err != nil {
			t.Errorf("new device's TLS to school.test: %v", r.err)
		}
		found := false
		for _, r := range a.logRecords("decision") {
			if r["mac"] == macNew && r["action"] == "block" && r["reason"] == "category" {
				found = true
			}
		}
		if !found {
			t.Errorf("no block decision for the new MAC %s", macNew)
		}
	})

	t.Run("bedtime of the unassigned profile stops a new device too", func(t *testing.T) {
		l.setMAC(t, "c", macNew)
		defer l.setMAC(t, "c", macC)
		dl := l.startDownload(t, "c", "school.test", 400000)
		if err := dl.cutWithin(2 * time.Second); err != nil {
			t.Fatalf("the new device's download failed before bedtime: %v", err)
		}
		bed := fam
		bed.Schedules = "config schedule 'bed'\n\toption kind 'bedtime'\n\tlist window '" + bakuWindow(t) + "'\n" +
			"config profile 'unassigned'\n\tlist schedule 'bed'\n"
		a.reload(bed)
		err := dl.cutWithin(10 * time.Second)
		if err == nil {
			t.Fatal("the new device's download still running 10 s after the unassigned profile's bedtime began")
		}
		t.Logf("new device's download ended at bedtime: %v", err)
		if !a.waitState("@unassigned", "bedtime", 5*time.Second) {
			t.Errorf("status: @unassigned is %v, want bedtime", a.personState("@unassigned"))
		}
		if r := l.tlsGet(t, "c", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err == nil {
			t.Error("the new device opened a connection at its bedtime")
		}
		if r := l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err != nil {
			t.Errorf("Ali (no bedtime now) lost his connection: %v", r.err)
		}
		a.reload(fam)
		ok := waitUntil(10*time.Second, 300*time.Millisecond, func() bool {
			return l.tlsGet(t, "c", net.JoinHostPort(labsrvV4, "443"), "school.test").err == nil
		})
		if !ok {
			t.Error("the new device has no access 10 s after bedtime ended")
		}
	})

	t.Run("bedtime cuts a running download and refuses new connections", func(t *testing.T) {
		dl := l.startDownload(t, "a", "school.test", 400000)
		other := l.startDownload(t, "b", "school.test", 400000)
		if err := dl.cutWithin(2 * time.Second); err != nil {
			t.Fatalf("download failed before bedtime: %v", err)
		}
		bed := fam
		bed.Schedules = "config schedule 'bed'\n\toption kind 'bedtime'\n\tlist window '" + bakuWindow(t) + "'\n"
		bed.AliRules = "\tlist schedule 'bed'\n"
		a.reload(bed)
		err := dl.cutWithin(10 * time.Second)
		if err == nil {
			t.Fatal("Ali's download still running 10 s after bedtime began")
		}
		t.Logf("Ali's download ended at bedtime: %v", err)
		if !a.waitState("ali", "bedtime", 5*time.Second) {
			t.Errorf("status: ali is %v, want bedtime", a.personState("ali"))
		}
		if r := l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err == nil {
			t.Error("Ali opened a new connection at bedtime")
		}
		if r := l.dig(t, "a", routerV4, "news.test", "A", 3); r.Status != "NXDOMAIN" {
			t.Errorf("Ali's DNS at bedtime: %s, want NXDOMAIN", r.Status)
		}
		if err := other.cutWithin(time.Second); err != nil {
			t.Errorf("Sara's download broke at Ali's bedtime: %v", err)
		}
		// Bedtime ends: access returns within seconds.
		a.reload(fam)
		ok := waitUntil(10*time.Second, 300*time.Millisecond, func() bool {
			return l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), "school.test").err == nil
		})
		if !ok {
			t.Error("Ali has no access 10 s after bedtime ended")
		}
	})

	t.Run("a pause and its end", func(t *testing.T) {
		until := time.Now().Add(6 * time.Second).Truncate(time.Second)
		paused := fam
		paused.AliRules = "\toption pause_until '" + until.Format(time.RFC3339) + "'\n"
		a.reload(paused)
		if !a.waitState("ali", "paused", 5*time.Second) {
			t.Fatalf("status: ali is %v, want paused", a.personState("ali"))
		}
		if r := l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err == nil {
			t.Error("Ali opened a connection while paused")
		}
		if r := l.tlsGet(t, "c", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err != nil {
			t.Errorf("Mom's connection during Ali's pause: %v", r.err)
		}
		time.Sleep(time.Until(until))
		ok := waitUntil(10*time.Second, 300*time.Millisecond, func() bool {
			return l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), "school.test").err == nil
		})
		if !ok {
			t.Error("Ali has no access 10 s after the pause ended")
		}
		if p := a.personState("ali"); p["state"] != "allowed" {
			t.Errorf("status after the pause: %v", p)
		}
	})

	t.Run("a daily limit used up by real traffic", func(t *testing.T) {
		// Today's use so far (earlier subtests moved bytes too), plus four seconds.
		used, err := time.ParseDuration(fmt.Sprint(a.personState("ali")["used_today"]))
		if err != nil {
			t.Fatalf("status: ali's used_today: %v", err)
		}
		limit := used + 4*time.Second
		limited := fam
		limited.AliRules = "\toption daily_limit '" + limit.String() + "'\n"
		a.reload(limited)
		time.Sleep(time.Second)
		dl := l.startDownload(t, "a", "school.test", 400000)
		err = dl.cutWithin(20 * time.Second)
		if err == nil {
			t.Fatalf("Ali's download still running 20 s into a daily limit of %v", limit)
		}
		if !a.waitState("ali", "time_limit", 5*time.Second) {
			t.Errorf("status: ali is %v, want time_limit", a.personState("ali"))
		}
		p := a.personState("ali")
		t.Logf("Ali after the limit: %v (download ended: %v)", p, err)
		if r := l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err == nil {
			t.Error("Ali opened a new connection with the day used up")
		}
		found := false
		for _, r := range a.logRecords("time") {
			if r["person"] == "ali" && r["event"] == "exhausted" {
				found = true
			}
		}
		if !found {
			t.Error("no time event 'exhausted' for ali in the log")
		}
		// The counter survives a restart: a new agent with the same folder starts with the
		// day used up.
		if err := a.stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if _, err := os.Stat(filepath.Join(a.persist, "usage.json")); err != nil {
			t.Fatalf("usage counters not saved at stop: %v", err)
		}
		l.deleteTable(t)
		again := l.startAgentWith(t, limited, a.persist)
		if !again.waitState("ali", "time_limit", 5*time.Second) {
			t.Errorf("after a restart: ali is %v, want time_limit", again.personState("ali"))
		}
		if r := l.tlsGet(t, "a", net.JoinHostPort(labsrvV4, "443"), "school.test"); r.err == nil {
			t.Error("Ali opened a connection after a restart with the day used up")
		}
	})
}

// setMAC changes the MAC address of device c's interface.
func (l *lab) setMAC(t *testing.T, ns, mac string) {
	if ns != "c" {
		t.Fatalf("setMAC knows device c's addresses only, not %s's", ns)
	}
	t.Helper()
	for _, args := range [][]string{
		{"ip", "link", "set", "eth0", "down"},
		{"ip", "link", "set", "eth0", "address", mac},
		{"ip", "link", "set", "eth0", "up"},
		// Taking the link down dropped the routes through it and the IPv6 address.
		{"ip", "-6", "addr", "replace", "fd50::12/64", "dev", "eth0", "nodad"},
		{"ip", "route", "replace", "default", "via", routerV4},
		{"ip", "-6", "route", "replace", "default", "via", routerV6},
	} {
		if out, code := l.run(10*time.Second, ns, args...); code != 0 {
			t.Fatalf("%s: %v: %s", ns, args, out)
		}
	}
	// Forget the router's neighbour entry so that it learns the new address at once.
	l.run(5*time.Second, "router", "ip", "neigh", "flush", "dev", "br-lan")
	waitUntil(5*time.Second, 100*time.Millisecond, func() bool {
		_, code := l.run(3*time.Second, ns, "bash", "-c", "exec 3<>/dev/tcp/"+routerV4+"/53")
		return code == 0
	})
}
