package uitest

import (
	"slices"
	"strconv"
	"strings"

	"github.com/safeinternet/cpe/ui"
)

// builtinProfiles are the built-in profiles' ids, which the router keeps
// for their own sections.
var builtinProfiles = []string{"under6", "child", "preteen", "teen", "adult", "unassigned"}

// newID makes an id for a new section shown as name, as the router's
// configuration editor does (config.Editor): the name's ASCII letters and
// digits in lower case, spaces, hyphens and underscores as "_", at most 32
// bytes; prefix ("person_", "schedule_") before it when it starts with a
// digit, prefix alone (without its "_") when nothing of the name fits (a
// name in Cyrillic, say). Ids are one namespace in the router's file, and
// the built-in profiles' are kept: an id that is taken gets "_2", "_3", ….
// f.mu held.
func (f *Fake) newID(name, prefix string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case (r == ' ' || r == '-' || r == '_') && b.Len() > 0:
			b.WriteByte('_')
		}
	}
	base := strings.Trim(b.String(), "_")
	if len(base) > 32 {
		base = base[:32]
	}
	switch {
	case base == "":
		base = strings.TrimSuffix(prefix, "_")
	case base[0] >= '0' && base[0] <= '9':
		base = prefix + base
	}
	if !f.taken(base) {
		return base
	}
	for n := 2; ; n++ {
		if id := base + "_" + strconv.Itoa(n); !f.taken(id) {
			return id
		}
	}
}

// taken reports whether a section of the router's file has id: a person,
// schedule or profile (built-in ones included), or a configured device,
// whose section the router names dev_ and its address's hex digits.
// f.mu held.
func (f *Fake) taken(id string) bool {
	return slices.Contains(builtinProfiles, id) || f.person(id) >= 0 || f.schedule(id) >= 0 || f.profile(id) >= 0 ||
		slices.ContainsFunc(f.hh.Devices, func(d ui.DeviceConfig) bool { return d.Configured && deviceSection(d.MAC) == id })
}

// deviceSection is the name the router gives the section of a device it
// adds: dev_ and the hex digits of its canonical MAC.
func deviceSection(mac string) string { return "dev_" + strings.ReplaceAll(mac, ":", "") }
