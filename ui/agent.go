package ui

import (
	"errors"
	"net/netip"
	"time"
)

// Agent is what the page needs from the daemon. The daemon's composition
// root implements it; tests fake it. Methods are called concurrently from
// HTTP handlers and must be safe for that; they return values the caller
// owns and may not retain.
type Agent interface {
	// Overview returns the household at now: every person's state and time,
	// and the most recent blocked attempts, newest first.
	Overview(now time.Time) Overview
	// Devices returns the devices the agent knows, configured or seen.
	Devices() []Device
	// DeviceFor identifies the LAN device that sent a request from remote
	// (an IPv4 address or an unmapped IPv6 one). ok is false when the agent
	// cannot say (no neighbour entry, say).
	DeviceFor(remote netip.Addr) (dev Device, ok bool)
}

// State says whether a person's internet runs now, and if not, why. It is a
// closed set of stable strings that the page translates ("state.<value>"
// in the catalog).
type State string

// States.
const (
	StateOpen           State = "open"            // nothing stops the person now
	StatePaused         State = "paused"          // a parent paused the internet
	StateBedtime        State = "bedtime"         // a bedtime schedule is on
	StateOutsideAllowed State = "outside_allowed" // outside the allowed hours
	StateTimeLimit      State = "time_limit"      // the daily time is used up
)

// Overview is the household at one moment.
type Overview struct {
	People  []Person
	Blocked []Blocked
}

// Person is one person's state, as the page shows it.
type Person struct {
	// ID is the person's stable id (their uci section name, or a stand-in's
	// id such as "@unassigned"); Name what the page shows; Profile the
	// person's profile name.
	ID, Name, Profile string
	// State says whether the person's internet runs; Rule names the
	// schedule behind it, if any.
	State State
	Rule  string
	// Used is the time used today; Limit today's limit including granted
	// extra time, meaningful when HasLimit.
	Used, Limit time.Duration
	HasLimit    bool
	// Next is when the state next changes; zero if not within a week.
	Next time.Time
	// Online names the person's devices that moved traffic in the last
	// few minutes.
	Online []string
}

// Blocked is one blocked attempt.
type Blocked struct {
	Time time.Time
	// Person is the person's id, Device the device's display name, Name the
	// blocked host name, Reason a stable reason code.
	Person, Device, Name, Reason string
	// MAC is the device's address (canonical form), so that a child's page
	// shows its own device's attempts only; "" when unknown (then the
	// child's page matches by Device name). Category is the name's
	// category id, "" when none applied.
	MAC, Category string
}

// Device is one LAN device.
type Device struct {
	// MAC is the hardware address in the canonical lowercase colon form.
	MAC string
	// Name is the device's display name; Person the id of the person it
	// belongs to ("@unassigned" for unknown devices).
	Name, Person string
	// LastSeen is when its traffic was last seen; zero if never.
	LastSeen time.Time
}

// Editor is the rest of what the page needs: the household's configuration
// to read and change, activity history, settings, and children's requests.
// The daemon implements it; ui/uitest has an in-memory one for tests and
// for developing the page. A Server whose Agent is also an Editor serves
// the write routes; otherwise they answer 501 not_implemented.
type Editor interface {
	// Household returns the configuration as the page edits it.
	Household() Household
	// Update applies one change to the configuration: atomically written,
	// then reloaded. A change the configuration refuses returns a
	// *FieldError naming the field; ErrNotFound when the change names a
	// person, device, schedule or profile that does not exist.
	Update(u Update) error
	// Activity returns the last days (newest last, today included) of
	// every person's usage and blocked attempts.
	Activity(now time.Time, days int) []Day
	// Settings returns the household-wide settings and the router's state.
	Settings(now time.Time) Settings
	// Requests returns children's requests, newest first.
	Requests() []Request
	// Ask records a child's request from dev. ErrRateLimited when the
	// device asked too often; a *FieldError for a bad name.
	Ask(dev Device, kind RequestKind, name string, now time.Time) (Request, error)
	// Answer approves or denies request id. An approval grants g.
	// ErrNotFound for an unknown id; ErrAnswered when already answered.
	Answer(id string, approve bool, g Grant, now time.Time) (Request, error)
}

// Errors an Editor returns.
var (
	ErrNotFound    = errors.New("ui: not found")
	ErrRateLimited = errors.New("ui: too many requests")
	ErrAnswered    = errors.New("ui: already answered")
)

// RateLimitError is an ErrRateLimited that says when to retry. An Editor
// may return it from Ask instead of the bare sentinel; errors.Is matches
// ErrRateLimited.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string { return ErrRateLimited.Error() }

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// FieldError is a change the configuration refused, with the field of the
// request it is about (a JSON field name of the body, such as "name" or
// "block_category") and an English message.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Household is the editable configuration.
type Household struct {
	People    []PersonConfig
	Devices   []DeviceConfig
	Profiles  []ProfileConfig
	Schedules []ScheduleConfig
	// Categories are every category id the router knows, in display order.
	Categories []string
	Locked     Locked
}

// PersonConfig is one person as configured.
type PersonConfig struct {
	// ID is the section name (stable); empty in an Update that creates.
	ID, Name, Profile string
	// Allow and Block are the person's own domains.
	Allow, Block []string
	// BlockCategory and AllowCategory add to the profile's categories.
	BlockCategory, AllowCategory []string
	// Schedules are schedule ids that apply to the person (besides the
	// profile's).
	Schedules []string
	// DailyLimit is the daily total, when HasDailyLimit; CategoryLimits
	// per category id.
	DailyLimit     time.Duration
	HasDailyLimit  bool
	CategoryLimits map[string]time.Duration
	// PauseUntil: zero when not paused; config.Forever-like far future
	// (year 9999) for a pause without end. FreeUntil: extra time until.
	PauseUntil, FreeUntil time.Time
	// TempAllow are domains allowed until a time (approved requests).
	TempAllow []TempAllow
}

// TempAllow is a domain allowed for a person until a time.
type TempAllow struct {
	Domain string
	Until  time.Time
}

// DeviceConfig is one device, configured or only seen.
type DeviceConfig struct {
	MAC string
	// Name is the configured name, else the DHCP host name, else the MAC.
	Name, Kind string
	// Person is the owner's id; "" for nobody.
	Person string
	// Profile is the profile of a device that belongs to nobody; "" for
	// the unassigned profile.
	Profile string
	// Configured says the device has a section; a seen-only device is new.
	Configured bool
	// Hostname is the DHCP host name; Vendor the maker from the MAC's OUI;
	// RandomMAC says the address is locally administered (a phone's
	// private address), so no vendor is known.
	Hostname, Vendor string
	RandomMAC        bool
	Addresses        []string
	LastSeen         time.Time
}

// ProfileConfig is one profile.
type ProfileConfig struct {
	ID string
	// Builtin says the profile is one of the built-in age presets.
	Builtin bool
	// Age is the age band its defaults come from: under6, child, preteen,
	// teen, adult.
	Age string
	// Restricted says unreadable names are blocked and bypasses closed.
	Restricted bool
	// BlockCategory is the effective set of blocked categories; in an
	// Update, the wanted set.
	BlockCategory []string
	SafeSearch    bool
	// YouTube is off, moderate or strict.
	YouTube string
	QUIC    bool
	// Schedules and the daily limit of everyone on the profile.
	Schedules     []string
	DailyLimit    time.Duration
	HasDailyLimit bool
}

// ScheduleConfig is one schedule.
type ScheduleConfig struct {
	// ID is the section name; empty in an Update that creates one from
	// Name.
	ID, Name string
	// Kind is bedtime, focus or allowed.
	Kind    string
	Windows []Window
	// BlockCategory are the categories a focus schedule blocks.
	BlockCategory []string
}

// Window is a weekly time window: on each of Days (mon … sun) from Start
// to End ("HH:MM", local time; End ≤ Start crosses midnight, "24:00" is
// the end of the day).
type Window struct {
	Days       []string
	Start, End string
}

// Locked is the ISP's baseline, which the household cannot loosen.
type Locked struct {
	// Source names the baseline (the uci section); "" when there is none.
	Source string
	// Categories are blocked for everyone; ChildCategories for every
	// restricted profile; Domains blocked for everyone.
	Categories, ChildCategories, Domains []string
	// SafeSearch is forced on restricted profiles; YouTube is the least
	// mode of restricted profiles ("off": none).
	SafeSearch bool
	YouTube    string
}

// Update is one change; exactly one field is set.
type Update struct {
	// Person creates (ID empty) or replaces a person's settings.
	Person *PersonConfig
	// DeletePerson removes a person; their devices belong to nobody.
	DeletePerson string
	// Device creates or replaces a device's section (by MAC).
	Device *DeviceConfig
	// ForgetDevice removes a device's section.
	ForgetDevice string
	// Profile replaces a profile's categories and switches.
	Profile *ProfileConfig
	// Schedule creates (ID empty) or replaces a schedule.
	Schedule *ScheduleConfig
	// DeleteSchedule removes a schedule and every reference to it.
	DeleteSchedule string
	// Pause pauses or resumes a person.
	Pause *Pause
	// Extra grants a person extra time today.
	Extra *Extra
	// Settings changes household-wide settings.
	Settings *SettingsUpdate
	// Created receives the id of a created person or schedule.
	Created *string
}

// Pause pauses Person until Until (zero with Forever: without end), or
// resumes them when Resume.
type Pause struct {
	Person  string
	Until   time.Time
	Forever bool
	Resume  bool
}

// Extra grants Person Minutes more daily time today, or, with Until, frees
// them from schedules and limits until then.
type Extra struct {
	Person  string
	Minutes int
	Until   time.Time
}

// Settings are household-wide settings and the router's state.
type Settings struct {
	// DNSBlock is nxdomain, null or page; FailMode closed or open.
	DNSBlock, FailMode string
	// HistoryDomains says per-domain history is kept (off by default).
	HistoryDomains bool
	// TimeZone is the zone the schedules run in; ClockSynced whether NTP
	// has synced; Now the router's time.
	TimeZone    string
	ClockSynced bool
	Now         time.Time
	Lists       []ListState
	// Names is how many names the compiled lists hold, all lists together.
	Names   int
	Locked  Locked
	Version string
}

// SettingsUpdate changes the settings whose pointer is set.
type SettingsUpdate struct {
	DNSBlock, FailMode *string
	HistoryDomains     *bool
}

// ListState is one category list.
type ListState struct {
	Name, Format, File string
	// Entries is how many names it holds; Updated when its file changed.
	Entries int
	Updated time.Time
	// State is ready, loading or failed; Error says why it failed.
	State, Error string
}

// Day is one local day of activity.
type Day struct {
	Date   string // YYYY-MM-DD
	People []PersonDay
}

// PersonDay is one person's activity on one day.
type PersonDay struct {
	Person string
	Used   time.Duration
	// Categories is time used per category id (counted in accounting
	// periods); Blocked counts blocked attempts per category id ("" for
	// a block without a category, such as bedtime).
	Categories map[string]time.Duration
	Blocked    map[string]int
	// Domains are blocked names with counts, only when HistoryDomains is
	// on; at most 50 per person and day.
	Domains map[string]int
}

// RequestKind is what a child asks for.
type RequestKind string

// Request kinds.
const (
	AskTime    RequestKind = "time"    // more time today
	AskUnblock RequestKind = "unblock" // a blocked site
)

// Request is a child's request.
type Request struct {
	ID      string
	Kind    RequestKind
	Person  string // the person's id ("@unassigned" possible)
	Device  string // the device's MAC
	Name    string // the site, for AskUnblock
	Created time.Time
	// State is pending, approved, denied or expired; Decided when answered;
	// Until is when an approval ends.
	State          string
	Decided, Until time.Time
}

// Grant is what an approval gives: Minutes from now, or until the end of
// the local day (UntilTomorrow).
type Grant struct {
	Minutes       int
	UntilTomorrow bool
}
