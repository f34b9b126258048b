// Package page is the web page's adapter: it implements what the page
// reads (ui.Agent: the overview, devices, the household as the page edits
// it, activity, settings, children's requests) and changes (ui.Editor) on
// top of the agent's parts, given to it in a Config: the current
// configuration and policy, the household's time and the persons' states
// (from the keeper), the device inventory, the blocked attempts and the
// history (package activity), and a Reload function.
//
// A change is translated from the page's types to the configuration's
// (update.go) and made to the UCI file's sections by config.Editor, which
// knows how the file is written; the page reads the file, prunes what has
// run out, has the result validated whole by the configuration (a refusal
// becomes a *ui.FieldError on the request's field), writes it atomically
// and applies it by Reload, which the change waits for, so that what the
// page reads next is the new state; changes are serialised. Children's
// requests (requests.go) are kept in the persist folder. The package
// formats the page's types (ui) and knows nothing of the packet judge or
// the keeper but the small interfaces it declares.
package page

import (
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/safeinternet/cpe/agent/activity"
	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/inventory"
	"github.com/safeinternet/cpe/agent/policy"
	"github.com/safeinternet/cpe/ui"
)

// Clock is the household's time as the page shows it.
type Clock interface {
	Zone() *time.Location
	Unsynced() bool
}

// Household is the persons' states as the keeper last evaluated them.
// Safe for concurrent use.
type Household interface {
	// States returns the persons; the page does not change the slice.
	States() []policy.PersonState
	// Used returns a person's time used today.
	Used(person string) time.Duration
}

// Config is what an Agent is built from. Every field is required but
// Persist, Version and Now.
type Config struct {
	Log     *slog.Logger
	Version string
	// ConfigPath is the UCI file the page's changes are written to.
	ConfigPath string
	// Persist is the folder children's requests are kept in; "" keeps
	// them in memory only.
	Persist string
	// System is the system's root: the DHCP leases are read from it
	// (inventory.LeasesFile).
	System fs.FS
	// Config, Snapshot and Lists return the current configuration, policy
	// and category lists (Lists may return nil).
	Config   func() *config.Config
	Snapshot func() *policy.Snapshot
	Lists    func() *category.Matcher
	Clock    Clock
	People   Household
	Devices  *inventory.Table
	Blocked  *activity.Log
	History  *activity.History
	// Reload applies the configuration file as it now is, as a SIGHUP
	// would, and returns once it has.
	Reload func() error
	// Now returns the time a change of the page is made at (extra minutes
	// are today's, what has run out is dropped); nil is time.Now.
	Now func() time.Time
}

// Agent is the page's view of the agent (ui.Agent and ui.Editor). Safe for
// concurrent use.
type Agent struct {
	c        Config
	requests requestStore
	// editMu serialises the page's changes to the configuration file.
	editMu sync.Mutex
}

var (
	_ ui.Agent  = (*Agent)(nil)
	_ ui.Editor = (*Agent)(nil)
)

// now is the time of a change.
func (a *Agent) now() time.Time {
	if a.c.Now != nil {
		return a.c.Now()
	}
	return time.Now()
}

// New returns the page's adapter, with the children's requests saved in
// the persist folder (a file that cannot be read is set aside and logged).
func New(c Config) *Agent {
	a := &Agent{c: c}
	if c.Persist != "" {
		if err := a.requests.load(c.Persist); err != nil {
			c.Log.Warn("children's requests not read", "err", err)
		}
	}
	return a
}
