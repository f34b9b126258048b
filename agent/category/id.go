package category

import (
	"fmt"
	"strings"
)

// ID is one of our own categories; 0 means none. Values are stable: they are
// stored in conntrack marks (at most 31) and in compiled matchers, so new ones
// are only ever added at the end.
type ID uint8

// Categories. The names (ID.String) are stable too: they appear in the
// configuration, the mapping file and the UI.
const (
	Adult     ID = 1 + iota // "adult": pornography and mixed adult content
	Gambling                // "gambling"
	Violence                // "violence"
	Hate                    // "hate": hate and extremism
	Drugs                   // "drugs"
	Weapons                 // "weapons": weapons and dangerous material
	Crime                   // "crime": crime and hacking, warez, piracy
	Dating                  // "dating"
	Games                   // "games"
	Social                  // "social": social networks
	Chat                    // "chat"
	Video                   // "video": video and streaming
	VPN                     // "vpn": VPN, proxies, filter circumvention and redirectors
	DoH                     // "doh": DNS-over-HTTPS endpoints
	Malware                 // "malware": malware, phishing, scams, cryptojacking, stalkerware
	Allowlist               // "allowlist": never blocked by categories; the only names allowed at bedtime
	Shopping                // "shopping": online shops
	News                    // "news": press and news sites
	Kids                    // "kids": sites suitable for young children (UT1 "child"), an allowlist for under-10s
	Ads                     // "ads": advertising, tracking and analytics

	maxID = Ads
)

// MaxID is the largest ID a Set can hold.
const MaxID ID = 31

var names = [...]string{
	Adult: "adult", Gambling: "gambling", Violence: "violence", Hate: "hate",
	Drugs: "drugs", Weapons: "weapons", Crime: "crime", Dating: "dating",
	Games: "games", Social: "social", Chat: "chat", Video: "video", VPN: "vpn",
	DoH: "doh", Malware: "malware", Allowlist: "allowlist", Shopping: "shopping",
	News: "news", Kids: "kids", Ads: "ads",
}

// String returns the category's stable snake_case name, or "category(N)" for
// an ID that is not defined.
func (id ID) String() string {
	if id >= 1 && id <= maxID {
		return names[id]
	}
	return fmt.Sprintf("category(%d)", uint8(id))
}

// ParseID returns the ID named name (as ID.String writes it, exactly).
func ParseID(name string) (ID, bool) {
	for id := ID(1); id <= maxID; id++ {
		if names[id] == name {
			return id, true
		}
	}
	return 0, false
}

// All returns every defined ID, in order. The slice is the caller's.
func All() []ID {
	ids := make([]ID, 0, maxID)
	for id := ID(1); id <= maxID; id++ {
		ids = append(ids, id)
	}
	return ids
}

// Set is a set of IDs: bit i set means ID i is present. Bit 0 is unused.
type Set uint32

// Has reports whether id is in s.
func (s Set) Has(id ID) bool { return id <= MaxID && s&(1<<id) != 0 }

// With returns s with id added. An id above MaxID leaves s unchanged.
func (s Set) With(id ID) Set {
	if id > MaxID {
		return s
	}
	return s | 1<<id
}

// IDs returns the members of s in order. It allocates: meant for the UI and
// logs, not for the packet path.
func (s Set) IDs() []ID {
	var ids []ID
	for id := ID(1); id <= MaxID; id++ {
		if s.Has(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// String returns the members' names joined by "," ("none" for the empty set).
func (s Set) String() string {
	if s&^1 == 0 {
		return "none"
	}
	var b strings.Builder
	for _, id := range s.IDs() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id.String())
	}
	return b.String()
}
