package uitest

import (
	"hash/fnv"
	"slices"
	"time"

	"github.com/safeinternet/cpe/ui"
)

// usedCategories are the categories the fake's people spend time in, and
// sampleNames a blocked name per category for the domain history.
var (
	usedCategories = []string{"video", "games", "kids", "social", "chat", "news", "shopping"}
	sampleNames    = map[string]string{
		"games": "www.roblox.com", "social": "www.tiktok.com", "chat": "discord.com",
		"dating": "tinder.com", "gambling": "casino-royal.example", "adult": "adult.example",
		"vpn": "nordvpn.com", "video": "www.twitch.tv", "malware": "malware-test.example",
		"": "www.youtube.com",
	}
)

// Activity returns days local days of activity ending today: the same
// figures for the same day every time (derived from the date), with today's
// usage as Overview shows it.
func (f *Fake) Activity(now time.Time, days int) []ui.Day {
	f.mu.Lock()
	defer f.mu.Unlock()
	days = min(max(days, 1), 31)
	lt := now.In(f.loc)
	out := make([]ui.Day, 0, days)
	for back := days - 1; back >= 0; back-- {
		date := time.Date(lt.Year(), lt.Month(), lt.Day()-back, 12, 0, 0, 0, f.loc).Format(time.DateOnly)
		day := ui.Day{Date: date}
		for _, p := range f.hh.People {
			day.People = append(day.People, f.personDay(p, date, back == 0))
		}
		out = append(out, day)
	}
	return out
}

// personDay makes p's figures for date from a hash of both. f.mu held.
func (f *Fake) personDay(p ui.PersonConfig, date string, today bool) ui.PersonDay {
	h := fnv.New64a()
	h.Write([]byte(date + "/" + p.ID))
	seed := h.Sum64()
	next := func(n uint64) int { // a number in [0, n)
		seed = seed*6364136223846793005 + 1442695040888963407
		return int((seed >> 33) % n)
	}
	var blocked []string
	if i := f.profile(p.Profile); i >= 0 {
		blocked = f.hh.Profiles[i].BlockCategory
	}
	blocked = append(slices.Clone(blocked), p.BlockCategory...)
	d := ui.PersonDay{Person: p.ID, Categories: map[string]time.Duration{}, Blocked: map[string]int{}}
	// Time in 5-minute accounting periods over the allowed categories.
	for _, c := range usedCategories {
		grown := p.Profile == "teen" || p.Profile == "adult"
		if slices.Contains(blocked, c) || c == "kids" && grown || next(3) == 0 {
			continue
		}
		d.Categories[c] = time.Duration(1+next(9)) * 5 * time.Minute
		d.Used += d.Categories[c]
	}
	if today && d.Used > 0 {
		want := f.used[p.ID]
		var sum time.Duration
		for c, t := range d.Categories {
			d.Categories[c] = time.Duration(float64(t) * float64(want) / float64(d.Used)).Truncate(time.Minute)
			sum += d.Categories[c]
		}
		d.Used = want
		if sum < want { // the rounding's remainder goes to the largest
			top := ""
			for c, t := range d.Categories {
				if top == "" || t > d.Categories[top] || t == d.Categories[top] && c < top {
					top = c
				}
			}
			d.Categories[top] += want - sum
		}
		for c, t := range d.Categories {
			if t == 0 {
				delete(d.Categories, c)
			}
		}
	}
	for _, c := range blocked {
		if n := next(5); n > 1 {
			d.Blocked[c] = n - 1
		}
	}
	if p.Profile != "adult" {
		if n := next(4); n > 0 {
			d.Blocked[""] = n // bedtime and time-limit blocks have no category
		}
	}
	if f.settings.HistoryDomains {
		d.Domains = map[string]int{}
		for c, n := range d.Blocked {
			if name, ok := sampleNames[c]; ok {
				d.Domains[name] += n
			}
		}
	}
	return d
}

// Settings returns the settings at now.
func (f *Fake) Settings(now time.Time) ui.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.settings
	s.Now = now
	s.Lists = slices.Clone(s.Lists)
	s.Locked = cloneLocked(f.hh.Locked)
	return s
}
