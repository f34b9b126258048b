package uitest

import (
	"fmt"
	"strings"
)

// newID makes a section id from name: lowercase ASCII letters and digits,
// other runs as "_", made unique with a number. f.mu held.
func (f *Fake) newID(name, fallback string, taken func(string) bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if t, ok := translit[r]; ok {
			b.WriteString(t)
			continue
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	id := strings.TrimSuffix(b.String(), "_")
	if len(id) > 32 {
		id = id[:32]
	}
	if id == "" {
		id = fallback
	}
	base := id
	for n := 2; taken(id); n++ {
		id = fmt.Sprintf("%s_%d", base, n)
	}
	return id
}

// translit spells Azerbaijani and Russian letters in ASCII for ids.
var translit = map[rune]string{
	'ə': "e", 'ı': "i", 'ö': "o", 'ü': "u", 'ş': "sh", 'ç': "ch", 'ğ': "g",
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh",
	'щ': "sch", 'ы': "y", 'э': "e", 'ю': "yu", 'я': "ya", 'ь': "", 'ъ': "",
}
