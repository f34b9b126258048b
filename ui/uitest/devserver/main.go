// Command devserver serves the web page with the in-memory household of
// package uitest, for developing the page without a router:
//
//	go run ./ui/uitest/devserver -addr 127.0.0.1:8091 -password 'dev password'
//
// The page is embedded in the binary: rebuild (run again) to see changes
// to ui/static. -first-run starts without an admin password (to see the
// setup form); -at starts the clock at another time (to see bedtime, say). Loopback clients count as the LAN; a request whose address
// no fake device has is answered as Ali's tablet on the child routes
// (-child changes that).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/safeinternet/cpe/ui"
	"github.com/safeinternet/cpe/ui/uitest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	password := flag.String("password", "", "set this admin password up front (at least 10 characters)")
	state := flag.String("state", "", "state directory for the admin credential (default: a new temporary one)")
	firstRun := flag.Bool("first-run", false, "start in first-run state (a new temporary state directory; not with -password or -state)")
	child := flag.String("child", uitest.MACAliTablet, "MAC of the device the child routes see for an unknown address (\"\": unknown device)")
	lang := flag.String("lang", "", "default language: en, az or ru")
	at := flag.String("at", "", "start the clock at this RFC 3339 time (say, a school night's 21:30 to see bedtime)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if *firstRun && (*password != "" || *state != "") {
		return errors.New("-first-run takes a new state directory: drop -password and -state")
	}
	dir := *state
	if dir == "" {
		tmp, err := os.MkdirTemp("", "si-devserver-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	clock := time.Now
	if *at != "" {
		start, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("-at: %w", err)
		}
		offset := time.Until(start)
		clock = func() time.Time { return time.Now().Add(offset).In(start.Location()) }
	}
	fake := uitest.NewFake(clock())
	fake.SetClock(clock)
	fake.SetDeviceFor(*child)
	srv, err := ui.New(ui.Options{Log: log, StateDir: dir, Agent: fake, Lang: *lang, Now: clock,
		Hosts: []string{"localhost"}})
	if err != nil {
		return err
	}
	if *password != "" {
		if err := setPassword(srv, *password); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	fmt.Printf("Safe Internet dev server: http://%s/ (state in %s)\n", ln.Addr(), dir)
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// setPassword sets the admin password through the API, as the page's
// first-run form does; a password already set must be the same one.
func setPassword(srv http.Handler, pw string) error {
	call := func(method, path, body, token string, cookies []*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		r.RemoteAddr = "127.0.0.1:1"
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			r.Header.Set("X-CSRF-Token", token)
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	get := call("GET", "/api/v1/setup", "", "", nil)
	var tok struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(get.Body.Bytes(), &tok); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	b, err := json.Marshal(map[string]string{"password": pw})
	if err != nil {
		return err
	}
	body := string(b)
	cookies := get.Result().Cookies()
	w := call("POST", "/api/v1/setup", body, tok.CSRFToken, cookies)
	switch w.Code {
	case http.StatusOK:
		return nil
	case http.StatusConflict: // set before: it must be this password
		if w := call("POST", "/api/v1/login", body, tok.CSRFToken, cookies); w.Code != http.StatusOK {
			return fmt.Errorf("the state directory holds another password: %s", strings.TrimSpace(w.Body.String()))
		}
		return nil
	}
	return fmt.Errorf("setting the password: %s", strings.TrimSpace(w.Body.String()))
}
