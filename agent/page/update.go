package page

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/schedule"
	"github.com/safeinternet/cpe/ui"
)

// apply makes the page's change u with e, translated from the page's types
// to the configuration's. A value that does not translate is a
// *ui.FieldError on its request field; what the editor refuses is returned
// as it is (see pageError). The caller validates the result as a whole.
func apply(e *config.Editor, u ui.Update) error {
	switch {
	case u.Person != nil:
		p, err := personOf(u.Person)
		if err != nil {
			return err
		}
		name, err := e.PutPerson(p)
		if err == nil && p.Name == "" && u.Created != nil {
			*u.Created = name
		}
		return err
	case u.DeletePerson != "":
		return e.DeletePerson(u.DeletePerson)
	case u.Device != nil:
		d := u.Device
		mac, err := config.ParseMAC(d.MAC)
		if err != nil {
			return &ui.FieldError{Field: "mac", Msg: err.Error()}
		}
		e.PutDevice(config.Device{MAC: mac, Name: d.Name, Kind: d.Kind, Person: d.Person, Profile: d.Profile})
		return nil
	case u.ForgetDevice != "":
		mac, err := config.ParseMAC(u.ForgetDevice)
		if err != nil {
			return ui.ErrNotFound
		}
		return e.ForgetDevice(mac)
	case u.Profile != nil:
		p, err := profileOf(u.Profile)
		if err != nil {
			return err
		}
		return e.SetProfile(p)
	case u.Schedule != nil:
		s, err := scheduleOf(u.Schedule)
		if err != nil {
			return err
		}
		name, err := e.PutSchedule(s)
		if err == nil && s.Name == "" && u.Created != nil {
			*u.Created = name
		}
		return err
	case u.DeleteSchedule != "":
		return e.DeleteSchedule(u.DeleteSchedule)
	case u.Pause != nil:
		until := u.Pause.Until
		switch {
		case u.Pause.Resume:
			until = time.Time{}
		case u.Pause.Forever:
			until = config.Forever
		}
		return e.Pause(u.Pause.Person, until)
	case u.Extra != nil:
		if !u.Extra.Until.IsZero() {
			return e.Free(u.Extra.Person, u.Extra.Until)
		}
		return e.AddBonus(u.Extra.Person, time.Duration(u.Extra.Minutes)*time.Minute)
	case u.Settings != nil:
		return settings(e, u.Settings)
	}
	return errors.New("page: empty change")
}

// personOf translates a person's settings.
func personOf(pc *ui.PersonConfig) (config.Person, error) {
	p := config.Person{Name: pc.ID, Display: pc.Name, Profile: pc.Profile, Allow: pc.Allow, Block: pc.Block,
		Rules: config.Rules{Schedules: pc.Schedules,
			Limits: config.Limits{Daily: pc.DailyLimit, HasDaily: pc.HasDailyLimit}}}
	var err error
	if p.Rules.Block, err = categories("block_category", pc.BlockCategory); err != nil {
		return p, err
	}
	if p.Rules.Allow, err = categories("allow_category", pc.AllowCategory); err != nil {
		return p, err
	}
	for _, name := range slices.Sorted(maps.Keys(pc.CategoryLimits)) {
		id, ok := category.ParseID(name)
		if !ok {
			return p, &ui.FieldError{Field: "category_limits_minutes", Msg: fmt.Sprintf("no category %q", name)}
		}
		p.Rules.Limits.Category[id] = pc.CategoryLimits[name]
		p.Rules.Limits.HasCategory = p.Rules.Limits.HasCategory.With(id)
	}
	return p, nil
}

// profileOf translates a profile's settings; its block_category is the
// wanted set.
func profileOf(pc *ui.ProfileConfig) (config.Profile, error) {
	p := config.Profile{Name: pc.ID, SafeSearch: pc.SafeSearch, QUIC: pc.QUIC,
		Rules: config.Rules{Schedules: pc.Schedules,
			Limits: config.Limits{Daily: pc.DailyLimit, HasDaily: pc.HasDailyLimit}}}
	var err error
	if p.Rules.Block, err = categories("block_category", pc.BlockCategory); err != nil {
		return p, err
	}
	if p.YouTube, err = config.ParseYouTube(pc.YouTube); err != nil {
		return p, &ui.FieldError{Field: "youtube", Msg: err.Error()}
	}
	return p, nil
}

// scheduleOf translates a schedule. Its categories are a focus schedule's
// (ui.ScheduleConfig): another kind blocks nothing of its own, and the
// categories a focus schedule had are dropped when it changes kind.
func scheduleOf(sc *ui.ScheduleConfig) (config.Schedule, error) {
	s := config.Schedule{Name: sc.ID, Display: sc.Name}
	var err error
	if s.Kind, err = config.ParseScheduleKind(sc.Kind); err != nil {
		return s, &ui.FieldError{Field: "kind", Msg: err.Error()}
	}
	for _, pw := range sc.Windows {
		w, err := windowOf(pw)
		if err != nil {
			return s, &ui.FieldError{Field: "windows", Msg: err.Error()}
		}
		s.Week = append(s.Week, w)
	}
	if s.Block, err = categories("block_category", sc.BlockCategory); err != nil {
		return s, err
	}
	if s.Kind != config.Focus {
		s.Block = 0
	}
	return s, nil
}

// pageDays are the days of a window as the page spells them, indexed by
// time.Weekday.
var pageDays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// windowOf translates a schedule window: days mon … sun, times HH:MM as
// schedule.ParseWindow reads them.
func windowOf(pw ui.Window) (schedule.Window, error) {
	var days schedule.Weekdays
	for _, d := range pw.Days {
		i := slices.Index(pageDays[:], d)
		if i < 0 {
			return schedule.Window{}, fmt.Errorf("%q is not a day: use mon, tue, wed, thu, fri, sat or sun", d)
		}
		days |= schedule.DaysOf(time.Weekday(i))
	}
	if days == 0 {
		return schedule.Window{}, errors.New("a window needs at least one day")
	}
	if len(pw.Start) != len("21:00") || len(pw.End) != len("07:00") {
		return schedule.Window{}, fmt.Errorf("%q-%q is not a time range HH:MM-HH:MM", pw.Start, pw.End)
	}
	return schedule.ParseWindow(days.String() + " " + pw.Start + "-" + pw.End)
}

// categories translates the category names of field.
func categories(field string, names []string) (category.Set, error) {
	var s category.Set
	for _, name := range names {
		id, ok := category.ParseID(name)
		if !ok {
			return 0, &ui.FieldError{Field: field, Msg: fmt.Sprintf("no category %q", name)}
		}
		s = s.With(id)
	}
	return s, nil
}

// settings translates the household-wide settings that are set.
func settings(e *config.Editor, u *ui.SettingsUpdate) error {
	if u.DNSBlock != nil {
		m, err := config.ParseBlockMode(*u.DNSBlock)
		if err != nil {
			return &ui.FieldError{Field: "dns_block", Msg: err.Error()}
		}
		e.SetDNSBlock(m)
	}
	if u.FailMode != nil {
		m, err := config.ParseFailMode(*u.FailMode)
		if err != nil {
			return &ui.FieldError{Field: "fail_mode", Msg: err.Error()}
		}
		e.SetFailMode(m)
	}
	if u.HistoryDomains != nil {
		e.SetHistoryDomains(*u.HistoryDomains)
	}
	return nil
}

// fieldOf names the request field that a problem with a configuration
// option is about: the option's name, in the API's spelling.
func fieldOf(opt string) string {
	switch opt {
	case config.OptDailyLimit:
		return "daily_limit_minutes"
	case config.OptCategoryLimit:
		return "category_limits_minutes"
	case config.OptWindow:
		return "windows"
	case config.OptSchedule:
		return "schedules"
	case config.OptPauseUntil, config.OptFreeUntil:
		return "until"
	case config.OptBonus:
		return "minutes"
	case config.OptTempAllow:
		return "name"
	}
	return opt
}

// pageError places an error of the configuration on the page's terms: a
// section that is not there is ui.ErrNotFound; a refused value (the first,
// when validation found several) a *ui.FieldError on the request field it
// is about. Other errors, the page's own *ui.FieldError included, are
// returned as they are.
func pageError(err error) error {
	var fe *config.FieldError
	switch {
	case errors.Is(err, config.ErrNotFound):
		return ui.ErrNotFound
	case errors.As(err, &fe):
		return &ui.FieldError{Field: fieldOf(fe.Option()), Msg: fe.Err.Error()}
	}
	return err
}
