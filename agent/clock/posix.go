package clock

import (
	"errors"
	"fmt"
)

// ErrPOSIX is wrapped by every error ParsePOSIX returns, for callers that only
// need to know that a TZ string is malformed. The full message reads
//
//	clock: posix tz "CET-1CEST,M3.5.0": missing "," and the end of daylight saving time after "CET-1CEST,M3.5.0"
var ErrPOSIX = errors.New("clock: posix tz")

// MaxPOSIXLen is the longest TZ string ParsePOSIX accepts, in bytes. The
// longest real one (LuCI's list, tzdata footers) is under 50.
const MaxPOSIXLen = 256

// maxNameLen bounds a zone designation such as "CEST" or "+0330". RFC 8536
// recommends 3 to 6 characters; we are more lenient but still bounded.
const maxNameLen = 16

// Rule is a parsed POSIX TZ string (POSIX.1-2024 section 8.3, with the
// extensions of RFC 8536 section 3.3.1):
//
//	std offset [dst [offset] [,start[/time],end[/time]]]
//
// Offsets here are in seconds east of UTC, as Go counts them, which is the
// opposite of POSIX's sign: "CET-1" gives StdOffset +3600. A Rule is a plain
// value: it is never modified by its methods and may be shared.
type Rule struct {
	// StdName is the designation of standard time, angle brackets removed:
	// "CET", or "+04" for "<+04>". Three to 16 characters.
	StdName string
	// StdOffset is standard time's offset from UTC in seconds east, at most
	// 24:59:59 either way.
	StdOffset int
	// DSTName is the designation of daylight saving time, or "" for a zone
	// without it; then DSTOffset, Start and End are zero.
	DSTName string
	// DSTOffset is daylight saving time's offset in seconds east of UTC;
	// StdOffset+3600 when the string leaves it out.
	DSTOffset int
	// Start is when daylight saving time begins each year, in local
	// standard time; End when it ends, in local daylight saving time. A
	// string with a DST name but no rule gets the US rule M3.2.0,M11.1.0.
	Start, End Change
}

// ChangeKind says how a Change names its day.
type ChangeKind uint8

// The three forms of a POSIX date.
const (
	// JulianNoLeap is "Jn": day n of the year from 1 to 365, February 29
	// never counted, so J60 is always March 1.
	JulianNoLeap ChangeKind = iota + 1
	// JulianZero is "n": day n of the year from 0 to 365, February 29
	// counted in leap years.
	JulianZero
	// MonthWeekDay is "Mm.w.d": weekday d of week w of month m.
	MonthWeekDay
)

// Change is the day and the local time of one yearly switch between standard
// and daylight saving time.
type Change struct {
	Kind ChangeKind
	// Day is the day of the year for JulianNoLeap (1–365) and JulianZero
	// (0–365), or the weekday for MonthWeekDay (0 Sunday to 6 Saturday).
	Day int
	// Week is the week of the month for MonthWeekDay, 1 to 5, where 5 means
	// the last such weekday of the month; 0 otherwise.
	Week int
	// Month is the month for MonthWeekDay, 1 to 12; 0 otherwise.
	Month int
	// Time is the local time of the switch in seconds from midnight of Day,
	// from -167h to +167h (RFC 8536 allows both signs and hours past 24,
	// e.g. Israel's "M3.4.4/26"); 2h when the string leaves it out.
	Time int
}

// usDefault is the rule used for a DST name without a rule, as glibc and
// musl do: "EST5EDT" means "EST5EDT,M3.2.0,M11.1.0".
var usDefault = [2]Change{
	{Kind: MonthWeekDay, Month: 3, Week: 2, Day: 0, Time: 2 * 3600},
	{Kind: MonthWeekDay, Month: 11, Week: 1, Day: 0, Time: 2 * 3600},
}

// ParsePOSIX parses a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3",
// "<+0330>-3:30" or "EST5EDT". It accepts every form of POSIX.1-2024 and RFC
// 8536 (quoted names, Jn, n and Mm.w.d dates, negative times and times up to
// 167h) and nothing after the rule. The implementation-defined ":name" form
// is rejected. Errors wrap ErrPOSIX and quote the input. A Rule that
// ParsePOSIX returns always yields a Location.
func ParsePOSIX(s string) (*Rule, error) {
	if len(s) > MaxPOSIXLen {
		return nil, fmt.Errorf("%w %q: longer than %d bytes", ErrPOSIX, s[:32]+"…", MaxPOSIXLen)
	}
	p := tzParser{s: s}
	r, err := p.rule()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// tzParser holds the state of one ParsePOSIX call.
type tzParser struct {
	s string
	i int // next byte to read
}

func (p *tzParser) errorf(format string, args ...any) error {
	where := "at the start"
	if p.i > 0 {
		where = fmt.Sprintf("after %q", p.s[:p.i])
	}
	return fmt.Errorf("%w %q: %s %s", ErrPOSIX, p.s, fmt.Sprintf(format, args...), where)
}

func (p *tzParser) more() bool { return p.i < len(p.s) }

func (p *tzParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *tzParser) rule() (*Rule, error) {
	if p.peek() == ':' {
		return nil, p.errorf("a \":name\" zone file reference is not a rule")
	}
	var r Rule
	var err error
	if r.StdName, err = p.name("standard time name"); err != nil {
		return nil, err
	}
	if !p.more() {
		return nil, p.errorf("missing offset")
	}
	west, err := p.offset()
	if err != nil {
		return nil, err
	}
	r.StdOffset = -west
	if !p.more() {
		return &r, nil
	}
	if r.DSTName, err = p.name("daylight saving time name"); err != nil {
		return nil, err
	}
	r.DSTOffset = r.StdOffset + 3600
	if c := p.peek(); c == '+' || c == '-' || isDigit(c) {
		if west, err = p.offset(); err != nil {
			return nil, err
		}
		r.DSTOffset = -west
	}
	if !p.more() {
		r.Start, r.End = usDefault[0], usDefault[1]
		return &r, nil
	}
	if p.peek() != ',' {
		return nil, p.errorf("unexpected %q", p.peek())
	}
	p.i++
	if r.Start, err = p.change("start of daylight saving time", "time of the start of daylight saving time"); err != nil {
		return nil, err
	}
	if p.peek() != ',' {
		return nil, p.errorf("missing \",\" and the end of daylight saving time")
	}
	p.i++
	if r.End, err = p.change("end of daylight saving time", "time of the end of daylight saving time"); err != nil {
		return nil, err
	}
	if p.more() {
		return nil, p.errorf("unexpected %q", p.s[p.i:])
	}
	return &r, nil
}

// name reads a designation: three or more letters, or "<...>" holding three
// or more letters, digits, '+' or '-'.
func (p *tzParser) name(what string) (string, error) {
	start := p.i
	if p.peek() == '<' {
		p.i++
		for p.more() && p.peek() != '>' {
			c := p.peek()
			if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' {
				return "", p.errorf("invalid character %q in quoted %s", c, what)
			}
			p.i++
		}
		if !p.more() {
			return "", p.errorf("unterminated \"<\" in %s", what)
		}
		n := p.s[start+1 : p.i]
		p.i++ // '>'
		return n, checkNameLen(p, n, what)
	}
	for p.more() && isAlpha(p.peek()) {
		p.i++
	}
	n := p.s[start:p.i]
	if n == "" {
		if !p.more() {
			return "", p.errorf("missing %s", what)
		}
		return "", p.errorf("%s expected, found %q", what, p.peek())
	}
	return n, checkNameLen(p, n, what)
}

func checkNameLen(p *tzParser, n, what string) error {
	switch {
	case len(n) < 3:
		return p.errorf("%s %q is shorter than 3 characters", what, n)
	case len(n) > maxNameLen:
		return p.errorf("%s is longer than %d characters", what, maxNameLen)
	}
	return nil
}

// offset reads [+|-]hh[:mm[:ss]], hh from 0 to 24, and returns it in seconds
// west of UTC, as POSIX writes it.
func (p *tzParser) offset() (int, error) {
	return p.clock("offset", 2, 24)
}

// clock reads [+|-]h[:mm[:ss]] with at most maxDigits hour digits and hours
// up to maxHours, and returns it in seconds.
func (p *tzParser) clock(what string, maxDigits, maxHours int) (int, error) {
	sign := 1
	switch p.peek() {
	case '-':
		sign = -1
		p.i++
	case '+':
		p.i++
	}
	h, ok := p.number(maxDigits)
	if !ok {
		return 0, p.errorf("%s expected (%d hour digits at most)", what, maxDigits)
	}
	if h > maxHours {
		return 0, p.errorf("%s hours %d over %d", what, h, maxHours)
	}
	secs := h * 3600
	for _, unit := range [2]int{60, 1} {
		if p.peek() != ':' {
			break
		}
		p.i++
		n, ok := p.number(2)
		if !ok {
			return 0, p.errorf("%s minutes or seconds expected", what)
		}
		if n > 59 {
			return 0, p.errorf("%s minutes or seconds %d over 59", what, n)
		}
		secs += n * unit
	}
	return sign * secs, nil
}

// number reads one to maxDigits decimal digits; false when there are none
// or more.
func (p *tzParser) number(maxDigits int) (int, bool) {
	n, digits := 0, 0
	for p.more() && isDigit(p.peek()) {
		if digits == maxDigits {
			p.i++ // show the extra digit in the error
			return 0, false
		}
		n = n*10 + int(p.peek()-'0')
		digits++
		p.i++
	}
	return n, digits > 0
}

// change reads date[/time]; what and whatTime name the two in errors.
func (p *tzParser) change(what, whatTime string) (Change, error) {
	var c Change
	var ok bool
	switch {
	case p.peek() == 'J':
		p.i++
		c.Kind = JulianNoLeap
		if c.Day, ok = p.number(3); !ok || c.Day < 1 || c.Day > 365 {
			return c, p.errorf("%s: Jn needs n from 1 to 365", what)
		}
	case p.peek() == 'M':
		p.i++
		c.Kind = MonthWeekDay
		if c.Month, ok = p.number(2); !ok || c.Month < 1 || c.Month > 12 {
			return c, p.errorf("%s: Mm.w.d needs m from 1 to 12", what)
		}
		if p.peek() != '.' {
			return c, p.errorf("%s: Mm.w.d needs \".\" after the month", what)
		}
		p.i++
		if c.Week, ok = p.number(1); !ok || c.Week < 1 || c.Week > 5 {
			return c, p.errorf("%s: Mm.w.d needs w from 1 to 5", what)
		}
		if p.peek() != '.' {
			return c, p.errorf("%s: Mm.w.d needs \".\" after the week", what)
		}
		p.i++
		if c.Day, ok = p.number(1); !ok || c.Day > 6 {
			return c, p.errorf("%s: Mm.w.d needs d from 0 to 6", what)
		}
	case isDigit(p.peek()):
		c.Kind = JulianZero
		if c.Day, ok = p.number(3); !ok || c.Day > 365 {
			return c, p.errorf("%s: day n needs n from 0 to 365", what)
		}
	default:
		if !p.more() {
			return c, p.errorf("missing %s", what)
		}
		return c, p.errorf("%s: date (Jn, n or Mm.w.d) expected", what)
	}
	c.Time = 2 * 3600
	if p.peek() == '/' {
		p.i++
		t, err := p.clock(whatTime, 3, 167)
		if err != nil {
			return c, err
		}
		c.Time = t
	}
	return c, nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
