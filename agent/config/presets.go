package config

import (
	"fmt"

	"github.com/safeinternet/cpe/agent/category"
)

// Age is an age band: the defaults of a profile come from its band. The
// bands are those that laws on protecting children from harmful information
// commonly use.
type Age uint8

// Age bands.
const (
	AgeNone    Age = iota // no band: a profile written out option by option
	AgeUnder6             // "under6": under 6 years
	AgeChild              // "6-11"
	AgePreteen            // "12-15"
	AgeTeen               // "16-17"
	AgeAdult              // "adult"
)

// String returns the band as the configuration spells it.
func (a Age) String() string {
	switch a {
	case AgeNone:
		return ""
	case AgeUnder6:
		return "under6"
	case AgeChild:
		return "6-11"
	case AgePreteen:
		return "12-15"
	case AgeTeen:
		return "16-17"
	case AgeAdult:
		return "adult"
	}
	return fmt.Sprintf("age(%d)", uint8(a))
}

// ProfileName returns the name of the built-in profile of band a: under6,
// child, preteen, teen or adult; "" for AgeNone.
func (a Age) ProfileName() string {
	for _, b := range builtinProfiles {
		if b.age == a && a != AgeNone {
			return b.name
		}
	}
	return ""
}

// parseAge reads an age band.
func parseAge(s string) (Age, error) {
	for a := AgeUnder6; a <= AgeAdult; a++ {
		if s == a.String() {
			return a, nil
		}
	}
	return AgeNone, fmt.Errorf("%q is not an age band: use under6, 6-11, 12-15, 16-17 or adult", s)
}

// preset is what an age band gives a profile before its own options.
type preset struct {
	restricted bool
	safeSearch bool
	youTube    YouTubeMode
	block      category.Set
}

// Categories blocked for every child: content no age band below adult
// should reach, and the ways around the filter.
var childFloor = set(category.Adult, category.Gambling, category.Hate, category.Drugs,
	category.Malware, category.VPN, category.DoH)

// presets holds the defaults of each band. Younger bands block everything an
// older band blocks, and more.
var presets = map[Age]preset{
	AgeUnder6: {restricted: true, safeSearch: true, youTube: YouTubeStrict,
		block: childFloor | set(category.Violence, category.Weapons, category.Crime, category.Dating,
			category.Games, category.Social, category.Chat, category.Video)},
	AgeChild: {restricted: true, safeSearch: true, youTube: YouTubeStrict,
		block: childFloor | set(category.Violence, category.Weapons, category.Crime, category.Dating,
			category.Social, category.Chat)},
	AgePreteen: {restricted: true, safeSearch: true, youTube: YouTubeModerate,
		block: childFloor | set(category.Violence, category.Weapons, category.Crime, category.Dating)},
	AgeTeen: {restricted: true, safeSearch: true, youTube: YouTubeModerate,
		block: childFloor | set(category.Weapons, category.Crime)},
	AgeAdult: {block: set(category.Malware)},
}

// Built-in profiles: every configuration has them, named after the bands
// and "unassigned"; a profile section of the same name edits one.
var builtinProfiles = []struct {
	name string
	age  Age
}{
	{"under6", AgeUnder6},
	{"child", AgeChild},
	{"preteen", AgePreteen},
	{"teen", AgeTeen},
	{"adult", AgeAdult},
	// unassigned is the profile of devices nobody has assigned, strict by
	// default: a new or randomised MAC address buys nothing.
	{DefaultUnassigned, AgeChild},
}

// DefaultUnassigned is the profile of devices nobody has assigned when the
// agent section names none.
const DefaultUnassigned = "unassigned"

func set(ids ...category.ID) category.Set {
	var s category.Set
	for _, id := range ids {
		s = s.With(id)
	}
	return s
}

// Blocked returns the categories the band blocks before a profile's own
// block_category and allow_category options.
func (a Age) Blocked() category.Set { return presets[a].block }

// Builtin reports whether name is a built-in profile, and its band.
func Builtin(name string) (Age, bool) {
	for _, b := range builtinProfiles {
		if b.name == name {
			return b.age, true
		}
	}
	return AgeNone, false
}
