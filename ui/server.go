package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. Zero values are defaults unless said.
type Options struct {
	// Log receives login, lockout, setup and password change events, and
	// Serve's addresses, listen failures and HTTP server errors; nil
	// discards them.
	Log *slog.Logger
	// StateDir holds the admin credential file (ui-admin.hash, mode 0600,
	// written atomically). Required. It must survive a reboot.
	StateDir string
	// Now is the clock for sessions and login throttling; nil is time.Now.
	Now func() time.Time
	// Agent answers the page's questions. Required.
	Agent Agent
	// FrameAncestors are the origins (scheme://host[:port], such as LuCI's
	// "https://192.168.1.1") allowed to frame the page; empty forbids
	// framing.
	FrameAncestors []string
	// LAN are the client networks served; a request from elsewhere gets
	// 403. Empty means private, loopback and link-local addresses (RFC 1918,
	// RFC 4193 ULA, fe80::/10). The daemon must also listen on LAN
	// addresses only; this is the second fence.
	LAN []netip.Prefix
	// SetupCode, when set, must be given to set the first admin password,
	// so that a child on the LAN cannot set it before the parent (the code
	// can be printed on the router or shown in LuCI). Empty: first come.
	SetupCode string
	// Lang is the language when the browser names none of az, ru, en;
	// empty is "en".
	Lang string
	// Hash are the argon2id parameters for a new password; zero is
	// DefaultHashParams.
	Hash HashParams
	// Hosts are the names the page answers to besides IP literals (such as
	// "router.lan"), compared without case and without a trailing dot.
	// A request naming another Host is refused on the API (403 bad_host,
	// the DNS-rebinding defence) and redirected to the child's blocked
	// page otherwise (a browser sent here for a blocked site).
	Hosts []string
}

// Server is the LAN web page's HTTP handler: the JSON API under /api/v1/
// and the embedded static page. It is safe for concurrent use. Create it
// with New.
type Server struct {
	log       *slog.Logger
	now       func() time.Time
	agent     Agent
	stateDir  string
	lan       []netip.Prefix
	setupCode string
	lang      string
	params    HashParams
	cat       catalog
	csp       string
	framing   bool
	cop       *http.CrossOriginProtection
	sessions  *sessions
	limiter   *limiter
	static    *assets
	routes    map[string]map[string]endpoint
	patterns  []pattern
	// hosts are Options.Hosts, lowercase, without a trailing dot.
	hosts []string
	// csrfKey signs pre-login CSRF tokens; fixed at New.
	csrfKey []byte
	// hashing holds one token while a password is being hashed: argon2id
	// takes its memory per call, so at most one runs at a time.
	hashing chan struct{}

	// mu guards cred and hasCred.
	mu      sync.Mutex
	cred    passwordHash
	hasCred bool
}

// New returns a Server. It reads the credential file in StateDir: missing
// means first-run setup; unreadable or corrupt is an error wrapping
// ErrBadCredential (the file is not touched).
func New(opts Options) (*Server, error) {
	if opts.StateDir == "" {
		return nil, errors.New("ui: no state directory")
	}
	if opts.Agent == nil {
		return nil, errors.New("ui: no agent")
	}
	s := &Server{
		log: opts.Log, now: opts.Now, agent: opts.Agent, stateDir: opts.StateDir,
		lan: opts.LAN, setupCode: opts.SetupCode, lang: opts.Lang, params: opts.Hash,
		cop: http.NewCrossOriginProtection(), sessions: newSessions(), limiter: newLimiter(),
		hashing: make(chan struct{}, 1), csrfKey: make([]byte, 32),
	}
	rand.Read(s.csrfKey)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lang == "" {
		s.lang = defaultLang
	}
	if !slices.Contains(supported(), s.lang) {
		return nil, fmt.Errorf("ui: unsupported language %q", s.lang)
	}
	if s.params == (HashParams{}) {
		s.params = DefaultHashParams()
	}
	for _, o := range opts.FrameAncestors {
		if err := checkOrigin(o); err != nil {
			return nil, fmt.Errorf("ui: frame ancestor %q: %w", o, err)
		}
	}
	for _, h := range opts.Hosts {
		h = strings.TrimSuffix(strings.ToLower(h), ".")
		if h == "" || strings.ContainsAny(h, ":/[]@ ") {
			return nil, fmt.Errorf("ui: host %q: not a host name", h)
		}
		s.hosts = append(s.hosts, h)
	}
	s.framing = len(opts.FrameAncestors) > 0
	ancestors := "'none'"
	if s.framing {
		ancestors = strings.Join(opts.FrameAncestors, " ")
	}
	s.csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; frame-ancestors " + ancestors + "; base-uri 'none'; form-action 'self'"
	var err error
	if s.cat, err = loadCatalog(); err != nil {
		return nil, err
	}
	if s.static, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.cred, s.hasCred, err = loadCredential(s.stateDir); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	s.patterns = compilePatterns(s.routes)
	return s, nil
}

// checkOrigin accepts a bare http(s) origin: scheme, host, optional port.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" ||
		strings.ContainsAny(o, " ;,'\"") {
		return errors.New("not an origin (scheme://host[:port])")
	}
	return nil
}

// ServeHTTP sets the security headers, refuses clients outside the LAN,
// and serves the API or the static page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if !s.framing {
		h.Set("X-Frame-Options", "DENY")
	}
	api := r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
	if api {
		h.Set("Cache-Control", "no-store")
	}
	lang := language(r, s.lang)
	h.Set("Content-Language", lang)
	remote, ok := s.remote(r)
	if !ok {
		s.fail(w, lang, &apiError{status: http.StatusForbidden, code: "not_lan"})
		return
	}
	if !s.knownHost(r.Host) {
		s.foreignHost(w, r, api, lang)
		return
	}
	if api {
		s.serveAPI(w, r, &request{lang: lang, remote: remote})
		return
	}
	s.static.serve(w, r)
}

// hostOnly returns the host of a Host header: without the port, and
// without the brackets of an IPv6 literal.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// knownHost reports whether the page answers to host: an IP literal or
// one of Options.Hosts.
func (s *Server) knownHost(host string) bool {
	h := hostOnly(host)
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return h != "" && slices.Contains(s.hosts, strings.TrimSuffix(strings.ToLower(h), "."))
}

// foreignHost answers a request for a name the page does not answer to:
// the API refuses it (a DNS-rebinding page cannot read or write it); a GET
// of anything else is a browser sent here for a blocked site, redirected
// to the child's page at the listener's own address, naming the site.
func (s *Server) foreignHost(w http.ResponseWriter, r *http.Request, api bool, lang string) {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	var ap netip.AddrPort
	if local != nil {
		ap, _ = netip.ParseAddrPort(local.String())
	}
	if api || !ap.IsValid() || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		if api {
			w.Header().Set("Cache-Control", "no-store")
		}
		s.fail(w, lang, &apiError{status: http.StatusForbidden, code: "bad_host"})
		return
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "http://"+ap.String()+"/#/blocked?name="+url.QueryEscape(hostOnly(r.Host)), http.StatusFound)
}

// remote parses the client address and says whether it is on the LAN.
func (s *Server) remote(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	a := ap.Addr().Unmap().WithZone("")
	if len(s.lan) == 0 {
		return a, a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()
	}
	for _, p := range s.lan {
		if p.Contains(a) {
			return a, true
		}
	}
	return a, false
}

// Pre-login CSRF: a signed double-submit token. GET /api/v1/session and
// GET /api/v1/setup set it in the preCSRFCookie and return it in the body;
// POST /api/v1/login and /api/v1/setup need the same value in X-CSRF-Token.
// The signature means only tokens this server minted count.
const (
	preCSRFCookie = "si_csrf"
	sessionCookie = "si_session"
	csrfHeader    = "X-CSRF-Token"
)

// preToken mints a pre-login token: nonce, then its HMAC, base64url.
func (s *Server) preToken() string {
	nonce := make([]byte, 16)
	rand.Read(nonce)
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nonce))
}

// validPreToken reports whether t was minted by preToken.
func (s *Server) validPreToken(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || len(b) != 16+sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write(b[:16])
	return hmac.Equal(m.Sum(nil), b[16:])
}

// ensurePreToken returns the request's valid pre-login token or mints one,
// setting the cookie.
func (s *Server) ensurePreToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(preCSRFCookie); err == nil && s.validPreToken(ck.Value) {
		return ck.Value
	}
	t := s.preToken()
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: t, Path: "/api/v1/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		MaxAge: int(sessionMaxAge / time.Second)})
	return t
}

// checkPreToken reports whether the request carries a valid pre-login
// token in both the cookie and the header.
func (s *Server) checkPreToken(r *http.Request) bool {
	ck, err := r.Cookie(preCSRFCookie)
	hdr := r.Header.Get(csrfHeader)
	return err == nil && hdr != "" && hmac.Equal([]byte(ck.Value), []byte(hdr)) && s.validPreToken(hdr)
}

// backgroundHeader, set to "1" on a GET, marks a request the page sends
// on its own (a periodic refresh): it is answered as usual but is not the
// parent's activity, so an unattended open page still logs out.
const backgroundHeader = "X-Background"

// active reports whether r is the parent's activity, which extends the
// session's idle deadline: every write, and every read not marked
// X-Background: 1.
func active(r *http.Request) bool {
	return !safeMethod(r.Method) || r.Header.Get(backgroundHeader) != "1"
}

// session returns the request's live session and its cookie id, marking
// it used when the request is the parent's activity.
func (s *Server) session(r *http.Request) (string, session, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", session{}, false
	}
	sess, ok := s.sessions.get(ck.Value, s.now(), active(r))
	return ck.Value, sess, ok
}

// setSessionCookie sets the session cookie; maxAge < 0 deletes it.
func setSessionCookie(w http.ResponseWriter, r *http.Request, id string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: maxAge})
}
