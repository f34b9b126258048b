package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	const (
		h = 3600
		m = 60
	)
	weekdays := DaysOf(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	weekend := DaysOf(time.Saturday, time.Sunday)
	for _, tc := range []struct {
		in        string
		want      Window
		canonical string
	}{
		{"mon-fri 21:00-07:00", Window{weekdays, 21 * h, 7 * h}, "mon-fri 21:00-07:00"},
		{"sat,sun 22:30-08:00", Window{weekend, 22*h + 30*m, 8 * h}, "sat,sun 22:30-08:00"},
		{"daily 00:00-24:00", Window{AllDays, 0, 24 * h}, "daily 00:00-24:00"},
		{"mon 16:00-18:00", Window{DaysOf(time.Monday), 16 * h, 18 * h}, "mon 16:00-18:00"},
		{"  Mon\t7:05-8:00  ", Window{DaysOf(time.Monday), 7*h + 5*m, 8 * h}, "mon 07:05-08:00"},
		{"weekdays 08:00:30-09:00:59", Window{weekdays, 8*h + 30, 9*h + 59}, "mon-fri 08:00:30-09:00:59"},
		{"weekend 10:00-10:00", Window{weekend, 10 * h, 10 * h}, "sat,sun 10:00-10:00"},
		{"fri-mon 20:00-06:00", Window{weekend | DaysOf(time.Friday, time.Monday), 20 * h, 6 * h}, "mon,fri-sun 20:00-06:00"},
		{"sun-sat 00:00-00:00", Window{AllDays, 0, 0}, "daily 00:00-00:00"},
		{"mon,wed,thu,fri 23:59:59-24:00:00", Window{DaysOf(time.Monday, time.Wednesday, time.Thursday, time.Friday), 24*h - 1, 24 * h}, "mon,wed-fri 23:59:59-24:00"},
		{"tue,mon,tue 12:00-13:00", Window{DaysOf(time.Monday, time.Tuesday), 12 * h, 13 * h}, "mon,tue 12:00-13:00"},
		{"sun 00:00-01:00", Window{DaysOf(time.Sunday), 0, h}, "sun 00:00-01:00"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			w, err := ParseWindow(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if w != tc.want {
				t.Fatalf("ParseWindow = %+v, want %+v", w, tc.want)
			}
			if got := w.String(); got != tc.canonical {
				t.Fatalf("String = %q, want %q", got, tc.canonical)
			}
		})
	}
}

func TestParseWindowErrors(t *testing.T) {
	for _, tc := range []struct {
		in       string
		sentinel error
		names    string // the part the message must name
	}{
		{"", ErrSyntax, "DAYS START-END"},
		{"mon", ErrSyntax, "DAYS START-END"},
		{"mon 10:00-11:00 extra", ErrSyntax, "DAYS START-END"},
		{"mon-fry 21:00-07:00", ErrSyntax, `day "fry"`},
		{"mon,,tue 21:00-07:00", ErrSyntax, `day ""`},
		{"monday 21:00-07:00", ErrSyntax, `day "monday"`},
		{"mon 21:00", ErrSyntax, `times "21:00"`},
		{"mon 25:00-07:00", ErrRange, `start "25:00"`},
		{"mon 24:00-07:00", ErrRange, `start "24:00"`},
		{"mon 21:00-24:01", ErrRange, `end "24:01"`},
		{"mon 21:60-07:00", ErrRange, `start "21:60"`},
		{"mon 21:00-07:00:60", ErrRange, `end "07:00:60"`},
		{"mon 21:0-07:00", ErrSyntax, `start "21:0"`},
		{"mon 210:00-07:00", ErrSyntax, `start "210:00"`},
		{"mon 21:00-07:00-08:00", ErrSyntax, `end "07:00-08:00"`},
		{"mon +1:00-07:00", ErrSyntax, `start "+1:00"`},
		{"mon 1:00:00:00-07:00", ErrSyntax, `start "1:00:00:00"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseWindow(tc.in)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("%v: not %v", err, tc.sentinel)
			}
			if !strings.HasPrefix(msg, `schedule: window "`+tc.in+`": `) || !strings.Contains(msg, tc.names) {
				t.Errorf("error %q does not quote the input and name %s", msg, tc.names)
			}
		})
	}
}

func TestParseWindowMessage(t *testing.T) {
	for in, want := range map[string]string{
		"mon-fry 21:00-07:00": `schedule: window "mon-fry 21:00-07:00": day "fry": syntax`,
		"mon 25:00-07:00":     `schedule: window "mon 25:00-07:00": start "25:00": time out of range`,
	} {
		if _, err := ParseWindow(in); err == nil || err.Error() != want {
			t.Errorf("ParseWindow(%q) = %v, want %s", in, err, want)
		}
	}
	// The sentinels name the package; the messages above name it once.
	for _, err := range []error{ErrNoDays, ErrRange, ErrSyntax} {
		if !strings.HasPrefix(err.Error(), "schedule: ") {
			t.Errorf("sentinel %q does not name the package", err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Window
		want error
	}{
		{"ok", Window{AllDays, 0, day}, nil},
		{"no days", Window{0, 0, 10}, ErrNoDays},
		{"bit 7", Window{0x80 | 1, 0, 10}, ErrNoDays},
		{"start negative", Window{1, -1, 10}, ErrRange},
		{"start 24:00", Window{1, day, 10}, ErrRange},
		{"end past 24:00", Window{1, 0, day + 1}, ErrRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.w.Validate()
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
			if err != nil && Week([]Window{tc.w}).Active(time.Date(2024, 1, 1, 0, 0, 5, 0, time.UTC)) {
				t.Fatal("an invalid window is active")
			}
		})
	}
}

func TestWeekdays(t *testing.T) {
	for _, tc := range []struct {
		days Weekdays
		want string
	}{
		{0, "none"},
		{AllDays, "daily"},
		{AllDays | 0x80, "daily"},
		{DaysOf(time.Sunday), "sun"},
		{DaysOf(time.Sunday, time.Monday), "mon,sun"},
		{DaysOf(time.Saturday, time.Sunday, time.Monday, time.Tuesday), "mon,tue,sat,sun"},
		{AllDays &^ DaysOf(time.Wednesday), "mon,tue,thu-sun"},
		{AllDays &^ DaysOf(time.Sunday), "mon-sat"},
	} {
		if got := tc.days.String(); got != tc.want {
			t.Errorf("%07b: String = %q, want %q", uint8(tc.days), got, tc.want)
		}
	}
	if !DaysOf(time.Saturday).Has(time.Saturday) || DaysOf(time.Saturday).Has(time.Sunday) || AllDays.Has(7) || AllDays.Has(-1) {
		t.Error("Has")
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{
		"mon-fri 21:00-07:00", "sat,sun 22:30-08:00", "daily 00:00-24:00", "mon 16:00-18:00",
		"weekend 09:00:30-09:45", "fri-mon 7:00-7:00", "WEEKDAYS 23:59:59-24:00:00", "mon 24:00-01:00",
		"sun,sun-sat 00:00-00:00", "tue\t12:00-13:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "schedule: window ") {
				t.Fatalf("error %q without the operation", err)
			}
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("ParseWindow(%q) accepted an invalid window: %v", s, err)
		}
		c := w.String()
		w2, err := ParseWindow(c)
		if err != nil || w2 != w {
			t.Fatalf("ParseWindow(%q) = %+v; String %q parses as %+v, %v", s, w, c, w2, err)
		}
		if c2 := w2.String(); c2 != c {
			t.Fatalf("String not canonical: %q then %q", c, c2)
		}
	})
}
