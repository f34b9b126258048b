// Command devserver serves the web page with the in-memory household of
// package uitest, for developing the page without a router:
//
//	go run ./ui/uitest/devserver -addr 127.0.0.1:8091 -password 'dev password'
//
// The page is embedded in the binary: rebuild (run again) to see changes
// to ui/static. Loopback clients count as the LAN; a request whose address
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
	fake := uitest.NewFake(time.Now())
	fake.SetClock(time.Now)
	fake.SetDeviceFor(*child)
	srv, err := ui.New(ui.Options{Log: log, StateDir: dir, Agent: fake, Lang: *lang,
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
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
