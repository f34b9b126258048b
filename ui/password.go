package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/safeinternet/cpe/internal/atomicfile"
	"github.com/safeinternet/cpe/internal/sentinel"
)

// HashParams are the argon2id parameters for a new password hash. A stored
// hash carries its own parameters, so changing these affects only the next
// password set.
type HashParams struct {
	// Memory is in KiB; Time is the number of passes; Threads the lanes.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultHashParams returns the parameters suited to a 580 MHz MIPS router
// with 64–128 MB of RAM: 12 MiB, 3 passes, one lane. One hash takes about
// 28 ms on an amd64 server core and of the order of a second on the router
// (see the package doc). The server runs one hash at a time, so memory
// stays bounded.
func DefaultHashParams() HashParams { return HashParams{Memory: 12 * 1024, Time: 3, Threads: 1} }

// Password length rules, in characters (runes) and bytes.
const (
	// MinPasswordLen is the fewest characters a new admin password has.
	MinPasswordLen = 10
	// MaxPasswordBytes bounds a password (new or presented), in bytes.
	MaxPasswordBytes = 256
)

// Bounds on the parameters of a stored hash, so that a tampered credential
// file cannot make one login allocate the router's memory away.
const (
	maxHashMemory  = 64 * 1024 // KiB
	maxHashTime    = 16
	maxHashThreads = 4
	saltLen        = 16
	keyLen         = 32
)

// credentialFile is the admin credential's name in Options.StateDir. It
// holds one line: the encoded argon2id hash.
const credentialFile = "ui-admin.hash"

// ErrBadCredential says the credential file exists but cannot be read as
// an argon2id hash within bounds. New returns it wrapped; the file is left
// as it is for a human to look at (delete it to run first-time setup again).
var ErrBadCredential = errors.New("ui: bad admin credential")

// errBadCredential is ErrBadCredential inside this package's own errors,
// which name the package already.
var errBadCredential = sentinel.Unprefixed(ErrBadCredential)

// passwordHash is a decoded argon2id hash.
type passwordHash struct {
	params    HashParams
	salt, key []byte
}

// hashPassword derives a new hash of password with a fresh random salt.
func hashPassword(password string, p HashParams) passwordHash {
	salt := make([]byte, saltLen)
	rand.Read(salt) // never fails (crypto/rand panics on a broken system)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return passwordHash{params: p, salt: salt, key: key}
}

// verify reports whether password matches, comparing in constant time.
func (h passwordHash) verify(password string) bool {
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory,
		h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// String encodes the hash in the self-describing PHC form
// $argon2id$v=19$m=12288,t=3,p=1$<salt>$<key> (unpadded standard base64).
func (h passwordHash) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parseHash decodes the PHC form written by String, refusing other
// algorithms and versions and parameters outside the bounds above.
func parseHash(s string) (passwordHash, error) {
	var h passwordHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errors.New("not an argon2id hash")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("unsupported argon2 version %q", parts[2])
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return h, fmt.Errorf("parameter %q: %w", kv, err)
		}
		switch k {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				n = 0 // out of bounds below
			}
			h.params.Threads = uint8(n)
		default:
			return h, fmt.Errorf("unknown parameter %q", k)
		}
	}
	p := h.params
	if p.Time < 1 || p.Time > maxHashTime || p.Threads < 1 || p.Threads > maxHashThreads ||
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxHashMemory {
		return h, fmt.Errorf("parameters m=%d,t=%d,p=%d out of bounds", p.Memory, p.Time, p.Threads)
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 || len(h.salt) > 64 {
		return h, errors.New("bad salt")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, errors.New("bad key")
	}
	return h, nil
}

// checkNewPassword returns the catalog id of what is wrong with a new
// password, or "" when it is acceptable.
func checkNewPassword(pw string) string {
	switch {
	case pw == "":
		return "field.required"
	case !validUTF8(pw):
		return "field.invalid_utf8"
	case len(pw) > MaxPasswordBytes:
		return "field.too_long"
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return "field.too_short"
	}
	return ""
}

// loadCredential reads the credential in dir. A missing file is no error:
// it returns ok false (first run).
func loadCredential(dir string) (h passwordHash, ok bool, err error) {
	path := filepath.Join(dir, credentialFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return h, false, nil
	}
	if err != nil {
		return h, false, fmt.Errorf("ui: read credential: %w", err)
	}
	h, err = parseHash(strings.TrimSpace(string(data)))
	if err != nil {
		return h, false, fmt.Errorf("ui: %s: %w: %w", path, errBadCredential, err)
	}
	return h, true, nil
}

// saveCredential writes h to dir atomically with mode 0600, creating dir
// (0700) if needed.
func saveCredential(dir string, h passwordHash) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("ui: save credential: %w", err)
	}
	path := filepath.Join(dir, credentialFile)
	if err := atomicfile.WriteFile(path, []byte(h.String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("ui: save credential: %w", err)
	}
	return nil
}
