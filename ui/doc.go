// Package ui is the LAN web page: its JSON API (documented in API.md), the
// parents' sessions and the embedded static page. It talks to the daemon
// only through the Agent interface it declares, and never touches packets.
// The daemon's composition root builds a Server with New and hands
// Server.Serve the LAN addresses only; Serve listens on them, serves until
// the context ends and then shuts down (Server can also be used as a plain
// http.Handler). Server refuses clients outside Options.LAN (by default:
// private, loopback and link-local addresses) as a second fence.
//
// # Threat model
//
// The children on the LAN are the adversary. Every route under /api/v1/
// needs a parent session except the pre-login routes (setup, login,
// session, i18n) and the child routes under /api/v1/child/, which identify
// the caller by its device (Agent.DeviceFor) and show only that device's
// person. An unknown path or a wrong method on a parent route answers 401
// before 404 or 405, so the API's shape is not visible without a session.
//
// # Admin credential
//
// One admin password, hashed with argon2id (DefaultHashParams: 12 MiB,
// 3 passes, 1 lane), stored as a self-describing PHC string
// ($argon2id$v=19$m=12288,t=3,p=1$salt$key) in StateDir/ui-admin.hash,
// mode 0600, written atomically (temporary file, fsync, rename). A stored
// hash's parameters are bounded (m ≤ 64 MiB, t ≤ 16, p ≤ 4) so a tampered
// file cannot exhaust the router's memory; a file that does not parse is an
// error at New wrapping ErrBadCredential and is left untouched. Only one
// hash runs at a time (a second concurrent login gets 503 busy): argon2id
// allocates its memory per call and the router has 64–128 MB.
//
// Measured cost of one hash with DefaultHashParams: 28 ms on an amd64
// server core (37 ms with -tags purego), 280–290 ms under qemu-user
// (mips and mipsle softfloat) on the same host. On a 580 MHz MIPS 24Kc it is
// expected near one second; that is the login cost, paid once per session.
//
// Passwords are at least MinPasswordLen (10) characters, counted in runes
// so Azerbaijani and Russian letters count as one, and at most
// MaxPasswordBytes (256) bytes. No composition rules: length is what
// resists guessing, and the lockout below bounds online guessing.
//
// POST /api/v1/password changes it: the current password is checked as at
// login (the same throttling counters and hashing slot), the new one as at
// setup; the file is rewritten the same way. The slot is held from the
// check until every session has ended (the caller gets a new one), so a
// login checked against the old password cannot outlive the change.
//
// First run: while no credential exists, GET /api/v1/setup says
// needs_setup and POST /api/v1/setup sets the password once (then 409).
// Whoever reaches the page first sets it; Options.SetupCode, when set (a
// code printed on the router or shown in LuCI behind root login), closes
// that race against a child.
//
// # Sessions and CSRF
//
// Sessions are 256-bit random ids in the si_session cookie (HttpOnly,
// SameSite=Strict, Path=/, Secure when the request came over TLS, Max-Age
// 12 h); the server keeps them in a map keyed by the id's SHA-256, capped at
// 64 (the oldest is evicted), ending after 30 minutes idle or 12 hours after
// login. Logging in always makes a new id; logging out deletes it. Idle
// means no activity: a GET marked X-Background: 1 (the page's periodic
// refreshes) is answered but does not extend the idle deadline, so an
// open page left alone logs out; every write counts.
//
// Every POST, PUT, PATCH and DELETE passes net/http's CrossOriginProtection
// (Sec-Fetch-Site, else Origin against Host: cross-site is 403
// cross_origin) and carries X-CSRF-Token: on parent routes the session's
// synchronizer token (from GET /api/v1/session); on setup and login a
// pre-login token, double-submitted in the si_csrf cookie and signed with a
// per-process key so only tokens this server minted count. Child routes'
// writes (a child's request) carry the pre-login token too, handed out by
// GET /api/v1/child/status, so a foreign site cannot post from a child's
// browser.
//
// # Host check
//
// The page answers to IP literals and Options.Hosts only. Another Host on
// the API is 403 bad_host, so a DNS-rebinding page (evil.example resolving
// to the router) can neither read nor write it. A GET of any other path
// with another Host is a browser sent to the router for a blocked site:
// it is redirected to the child's page at the listener's own address,
// /#/blocked?name=<host>.
//
// # Editing
//
// When the Agent is also an Editor, the parent routes read and change the
// household, answer children's requests and show activity; every body
// field is checked here (with translated messages) before the Editor sees
// it, and the Editor's own refusals (*FieldError) are shown on their
// field. Package uitest has an in-memory Editor for tests and for
// developing the page (go run ./ui/uitest/devserver).
//
// # Login throttling
//
// Failures count per client (an IPv4 address or an IPv6 /64) and LAN-wide.
// After 5 failures a client waits 1, 2, 4, 8, 16 s between attempts; after
// 10 it is locked for 15 minutes after the last one (429 locked). A client's
// failures are forgotten 15 minutes after its last, or at once on a right
// password. When 50 failures happened LAN-wide within 15 minutes, every
// login waits 5 s behind the previous one, whoever sends it, so that many
// addresses cannot guess in parallel. Refused attempts are not checked and
// do not count. Wrong current passwords at a password change count as
// failed logins. The per-client map is capped at 256 (evicting the oldest).
// Times come from Options.Now.
//
// # Responses
//
// Every response carries a CSP without inline script (frame-ancestors 'none'
// or Options.FrameAncestors, for LuCI), X-Content-Type-Options nosniff,
// Referrer-Policy no-referrer, Cross-Origin-Opener-Policy same-origin and,
// unless framing is allowed, X-Frame-Options DENY. API responses are
// Cache-Control no-store. Errors have one shape:
//
//	{"error":{"code":"validation","message":"…","fields":{"password":"…"}}}
//
// where code is stable and message and fields are translated.
//
// # The page
//
// static/ holds index.html, app.css and the script as ES modules, with no
// build step: index.html loads the entry app.js as type=module, and each
// other module (one idea, named in its header) is imported by a relative
// name. Every file but index.html is served under the page's version
// (/static/<version>/name, cached for a year; the version hashes every
// file) and by its plain name (revalidated). Tests keep the module graph
// acyclic and whole, every catalog id the page names present in every
// language, and the embedded page within 300 KB gzipped.
//
// # Languages
//
// Azerbaijani (Latin script), Russian and English. Every user-facing string
// is a message id in the embedded catalogs i18n/{az,ru,en}.json (checked to
// hold the same ids at New); the page reads its strings from
// GET /api/v1/i18n. The language is the lang cookie (the page's picker),
// else the best Accept-Language match, else Options.Lang, else English.
//
// # Concurrency
//
// Server is safe for concurrent use. Server.mu guards the credential;
// sessions.mu the session map; limiter.mu the failure counts. The catalog,
// assets and route table are read-only after New. Serve runs one goroutine
// per listener and one waiting for its context; all of them return at most
// 2 s after the context ends.
package ui
