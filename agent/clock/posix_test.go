package clock

import (
	"errors"
	"strings"
	"testing"
)

// mwd builds an Mm.w.d change at the given local time in seconds.
func mwd(m, w, d, t int) Change {
	return Change{Kind: MonthWeekDay, Month: m, Week: w, Day: d, Time: t}
}

const h = 3600

func TestParsePOSIX(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Rule
	}{
		{"central Europe", "CET-1CEST,M3.5.0,M10.5.0/3", Rule{
			StdName: "CET", StdOffset: 1 * h, DSTName: "CEST", DSTOffset: 2 * h,
			Start: mwd(3, 5, 0, 2*h), End: mwd(10, 5, 0, 3*h),
		}},
		{"US east", "EST5EDT,M3.2.0,M11.1.0", Rule{
			StdName: "EST", StdOffset: -5 * h, DSTName: "EDT", DSTOffset: -4 * h,
			Start: mwd(3, 2, 0, 2*h), End: mwd(11, 1, 0, 2*h),
		}},
		{"DST without rule gets the US rule", "EST5EDT", Rule{
			StdName: "EST", StdOffset: -5 * h, DSTName: "EDT", DSTOffset: -4 * h,
			Start: mwd(3, 2, 0, 2*h), End: mwd(11, 1, 0, 2*h),
		}},
		{"southern hemisphere", "AEST-10AEDT,M10.1.0,M4.1.0/3", Rule{
			StdName: "AEST", StdOffset: 10 * h, DSTName: "AEDT", DSTOffset: 11 * h,
			Start: mwd(10, 1, 0, 2*h), End: mwd(4, 1, 0, 3*h),
		}},
		{"quoted fixed zone", "<+04>-4", Rule{StdName: "+04", StdOffset: 4 * h}},
		{"half hour", "<+0330>-3:30", Rule{StdName: "+0330", StdOffset: 3*h + 30*60}},
		{"seconds in offset", "LMT-0:53:28", Rule{StdName: "LMT", StdOffset: 53*60 + 28}},
		{"explicit plus sign", "ABC+3", Rule{StdName: "ABC", StdOffset: -3 * h}},
		{"UTC", "UTC0", Rule{StdName: "UTC", StdOffset: 0}},
		{"negative times (old Nuuk)", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", Rule{
			StdName: "-03", StdOffset: -3 * h, DSTName: "-02", DSTOffset: -2 * h,
			Start: mwd(3, 5, 0, -2*h), End: mwd(10, 5, 0, -1*h),
		}},
		{"hour 26 (Israel)", "IST-2IDT,M3.4.4/26,M10.5.0", Rule{
			StdName: "IST", StdOffset: 2 * h, DSTName: "IDT", DSTOffset: 3 * h,
			Start: mwd(3, 4, 4, 26*h), End: mwd(10, 5, 0, 2*h),
		}},
		{"explicit DST offset with minutes", "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", Rule{
			StdName: "+1245", StdOffset: 12*h + 45*60, DSTName: "+1345", DSTOffset: 13*h + 45*60,
			Start: mwd(9, 5, 0, 2*h+45*60), End: mwd(4, 1, 0, 3*h+45*60),
		}},
		{"negative DST (Dublin)", "IST-1GMT0,M10.5.0,M3.5.0/1", Rule{
			StdName: "IST", StdOffset: 1 * h, DSTName: "GMT", DSTOffset: 0,
			Start: mwd(10, 5, 0, 2*h), End: mwd(3, 5, 0, 1*h),
		}},
		{"Julian days and permanent DST (RFC 8536)", "EST5EDT4,0/0,J365/25", Rule{
			StdName: "EST", StdOffset: -5 * h, DSTName: "EDT", DSTOffset: -4 * h,
			Start: Change{Kind: JulianZero, Day: 0, Time: 0},
			End:   Change{Kind: JulianNoLeap, Day: 365, Time: 25 * h},
		}},
		{"extreme times", "AAA3BBB,J1/-167,365/167:59:59", Rule{
			StdName: "AAA", StdOffset: -3 * h, DSTName: "BBB", DSTOffset: -2 * h,
			Start: Change{Kind: JulianNoLeap, Day: 1, Time: -167 * h},
			End:   Change{Kind: JulianZero, Day: 365, Time: 167*h + 59*60 + 59},
		}},
		{"offset 24h", "<-24>24", Rule{StdName: "-24", StdOffset: -24 * h}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePOSIX(tt.in)
			if err != nil {
				t.Fatalf("ParsePOSIX(%q): %v", tt.in, err)
			}
			if *got != tt.want {
				t.Errorf("ParsePOSIX(%q)\n got %+v\nwant %+v", tt.in, *got, tt.want)
			}
		})
	}
}

func TestParsePOSIXErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the message after `clock: posix tz "in": `
	}{
		{"empty", "", `missing standard time name at the start`},
		{"zone file reference", ":Europe/Berlin", `a ":name" zone file reference is not a rule at the start`},
		{"name too short", "AB1", `standard time name "AB" is shorter than 3 characters after "AB"`},
		{"quoted name too short", "<+4>-4", `standard time name "+4" is shorter than 3 characters after "<+4>"`},
		{"unterminated quote", "<+04-4", `unterminated "<" in standard time name after "<+04-4"`},
		{"bad quoted char", "<+0 4>-4", `invalid character ' ' in quoted standard time name after "<+0"`},
		{"name too long", "ABCDEFGHIJKLMNOPQ1", `standard time name is longer than 16 characters after "ABCDEFGHIJKLMNOPQ"`},
		{"digit first", "1CET", `standard time name expected, found '1' at the start`},
		{"missing offset", "CET", `missing offset after "CET"`},
		{"sign without digits", "CET-", `offset expected (2 hour digits at most) after "CET-"`},
		{"offset over 24h", "CET-25", `offset hours 25 over 24 after "CET-25"`},
		{"three offset digits", "CET-100", `offset expected (2 hour digits at most) after "CET-100"`},
		{"minutes over 59", "CET-1:60", `offset minutes or seconds 60 over 59 after "CET-1:60"`},
		{"colon without minutes", "CET-1:", `offset minutes or seconds expected after "CET-1:"`},
		{"short DST name", "CET-1CE", `daylight saving time name "CE" is shorter than 3 characters after "CET-1CE"`},
		{"garbage after DST name", "CET-1CEST;", `unexpected ';' after "CET-1CEST"`},
		{"missing end rule", "CET-1CEST,M3.5.0", `missing "," and the end of daylight saving time after "CET-1CEST,M3.5.0"`},
		{"empty end rule", "CET-1CEST,M3.5.0,", `missing end of daylight saving time after "CET-1CEST,M3.5.0,"`},
		{"month 13", "CET-1CEST,M13.5.0,M10.5.0", `start of daylight saving time: Mm.w.d needs m from 1 to 12 after "CET-1CEST,M13"`},
		{"week 6", "CET-1CEST,M3.6.0,M10.5.0", `start of daylight saving time: Mm.w.d needs w from 1 to 5 after "CET-1CEST,M3.6"`},
		{"weekday 7", "CET-1CEST,M3.5.7,M10.5.0", `start of daylight saving time: Mm.w.d needs d from 0 to 6 after "CET-1CEST,M3.5.7"`},
		{"missing dot", "CET-1CEST,M3,M10.5.0", `start of daylight saving time: Mm.w.d needs "." after the month after "CET-1CEST,M3"`},
		{"J0", "CET-1CEST,J0,J300", `start of daylight saving time: Jn needs n from 1 to 365 after "CET-1CEST,J0"`},
		{"J366", "CET-1CEST,J60,J366", `end of daylight saving time: Jn needs n from 1 to 365 after "CET-1CEST,J60,J366"`},
		{"day 366", "CET-1CEST,366,300", `start of daylight saving time: day n needs n from 0 to 365 after "CET-1CEST,366"`},
		{"bad date", "CET-1CEST,X3,M10.5.0", `start of daylight saving time: date (Jn, n or Mm.w.d) expected after "CET-1CEST,"`},
		{"time over 167h", "CET-1CEST,M3.5.0/168,M10.5.0", `time of the start of daylight saving time hours 168 over 167 after "CET-1CEST,M3.5.0/168"`},
		{"slash without time", "CET-1CEST,M3.5.0/,M10.5.0", `time of the start of daylight saving time expected (3 hour digits at most) after "CET-1CEST,M3.5.0/"`},
		{"trailing text", "CET-1CEST,M3.5.0,M10.5.0/3 x", `unexpected " x" after "CET-1CEST,M3.5.0,M10.5.0/3"`},
		{"third rule", "CET-1CEST,M3.5.0,M10.5.0,M11.1.0", `unexpected ",M11.1.0" after "CET-1CEST,M3.5.0,M10.5.0"`},
		{"rule without DST", "CET-1,M3.5.0,M10.5.0", `daylight saving time name expected, found ',' after "CET-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParsePOSIX(tt.in)
			if err == nil {
				t.Fatalf("ParsePOSIX(%q) = %+v, want an error", tt.in, *r)
			}
			if !errors.Is(err, ErrPOSIX) {
				t.Errorf("error %v does not wrap ErrPOSIX", err)
			}
			want := `clock: posix tz "` + tt.in + `": ` + tt.want
			if err.Error() != want {
				t.Errorf("ParsePOSIX(%q) error\n got %s\nwant %s", tt.in, err, want)
			}
		})
	}
}

func TestParsePOSIXTooLong(t *testing.T) {
	in := "CET-1CEST,M3.5.0,M10.5.0/3" + strings.Repeat(" ", MaxPOSIXLen)
	_, err := ParsePOSIX(in)
	if !errors.Is(err, ErrPOSIX) || !strings.Contains(err.Error(), "longer than 256 bytes") {
		t.Fatalf("ParsePOSIX(long) error = %v, want a length error", err)
	}
	if len(err.Error()) > 120 {
		t.Errorf("error quotes the whole input: %d bytes", len(err.Error()))
	}
}
