package usage

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

var june3 = time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)

// used is a meter with some use by anna: 3 periods, 2 of them in category
// 3, and an exhausted category 3 limit.
func used(t *testing.T) *Meter {
	t.Helper()
	m := NewMeter(minute, threshold)
	l := Limits{PerCategory: [32]time.Duration{3: 2 * minute}}
	now := june3
	for i := range 3 {
		m.Add("anna", uint8(3*min(1, 2-i)), 5000)
		m.Close(now, func(string) (Limits, time.Duration) { return l, 0 })
		now = now.Add(minute)
	}
	return m
}

func TestSaveLoad(t *testing.T) {
	m := used(t)
	if !m.Dirty() {
		t.Fatal("not dirty after use")
	}
	var b bytes.Buffer
	if err := m.Save(&b); err != nil {
		t.Fatal(err)
	}
	if m.Dirty() {
		t.Fatal("dirty after Save")
	}
	const want = `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"3m0s","categories":{"3":"2m0s"},"warned":8,"exhausted":8}}}` + "\n"
	if b.String() != want {
		t.Errorf("saved\n%s\nwant\n%s", b.String(), want)
	}

	for _, tc := range []struct {
		name     string
		now      time.Time
		wantUsed time.Duration
		wantCat3 time.Duration
	}{
		{"same day", june3.Add(5 * time.Hour), 3 * minute, 2 * minute},
		{"same local day elsewhere", time.Date(2024, 6, 3, 23, 30, 0, 0, zone(t, "Asia/Baku")), 3 * minute, 2 * minute},
		{"next day: zeros", june3.Add(24 * time.Hour), 0, 0},
		{"local date differs: zeros", time.Date(2024, 6, 4, 1, 0, 0, 0, zone(t, "Asia/Baku")), 0, 0},
		{"day before: zeros", june3.Add(-24 * time.Hour), 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m2 := NewMeter(minute, threshold)
			if err := m2.Load(bytes.NewReader(b.Bytes()), tc.now); err != nil {
				t.Fatal(err)
			}
			total, cats := m2.Used("anna")
			if total != tc.wantUsed || cats[3] != tc.wantCat3 {
				t.Errorf("used %v, category 3 %v; want %v, %v", total, cats[3], tc.wantUsed, tc.wantCat3)
			}
			if m2.Dirty() {
				t.Error("dirty after Load")
			}
		})
	}
}

// TestLoadKeepsEvents checks that events sent before a restart are not sent
// again, and that bytes added before Load still count.
func TestLoadKeepsEvents(t *testing.T) {
	var b bytes.Buffer
	if err := used(t).Save(&b); err != nil {
		t.Fatal(err)
	}
	m := NewMeter(minute, threshold)
	m.Add("anna", 3, 5000)
	if err := m.Load(&b, june3); err != nil {
		t.Fatal(err)
	}
	l := Limits{PerCategory: [32]time.Duration{3: 2 * minute}}
	if ev := m.Close(june3.Add(10*minute), func(string) (Limits, time.Duration) { return l, 0 }); ev != nil {
		t.Errorf("events after Load: %v", ev)
	}
	if total, cats := m.Used("anna"); total != 4*minute || cats[3] != 3*minute {
		t.Errorf("used %v, category 3 %v; want 4m, 3m", total, cats[3])
	}
}

func TestLoadFixture(t *testing.T) {
	f, err := os.Open("testdata/state-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := NewMeter(minute, threshold)
	if err := m.Load(f, june3); err != nil {
		t.Fatal(err)
	}
	total, cats := m.Used("anna")
	if total != 65*minute || cats[3] != 20*minute || cats[31] != minute {
		t.Errorf("anna: %v, %v", total, cats)
	}
	if total, _ := m.Used("bob"); total != 150*time.Second {
		t.Errorf("bob: %v", total)
	}
	if total, cats := m.Exhausted("anna", Limits{Total: 2 * time.Hour, PerCategory: [32]time.Duration{3: 20 * minute}}, 0); total || cats != 1<<3 {
		t.Errorf("Exhausted: %v %#b", total, cats)
	}
}

func TestLoadCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       error
	}{
		{"empty", ``, ErrCorrupt},
		{"truncated", `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"3m`, ErrCorrupt},
		{"not json", "\x00\x01garbage", ErrCorrupt},
		{"trailing data", `{"version":1,"date":"2024-06-03","people":{}} {}`, ErrCorrupt},
		{"no version", `{"date":"2024-06-03","people":{}}`, ErrCorrupt},
		{"future version", `{"version":2,"date":"2024-06-03","people":{}}`, ErrVersion},
		{"unknown field", `{"version":1,"date":"2024-06-03","people":{},"extra":1}`, ErrCorrupt},
		{"bad date", `{"version":1,"date":"2024-13-03","people":{"anna":{"used":"1m"}}}`, ErrCorrupt},
		{"bad duration", `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"soon"}}}`, ErrCorrupt},
		{"negative", `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"-1m"}}}`, ErrCorrupt},
		{"a month of use", `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"720h"}}}`, ErrCorrupt},
		{"category 0", `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"1m","categories":{"0":"1m"}}}}`, ErrCorrupt},
		{"category 32", `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"1m","categories":{"32":"1m"}}}}`, ErrCorrupt},
		{"category 300", `{"version":1,"date":"2024-06-03","people":{"anna":{"used":"1m","categories":{"300":"1m"}}}}`, ErrCorrupt},
		{"empty name", `{"version":1,"date":"2024-06-03","people":{"":{"used":"1m"}}}`, ErrCorrupt},
		{"long name", `{"version":1,"date":"2024-06-03","people":{"` + strings.Repeat("x", MaxNameLen+1) + `":{"used":"1m"}}}`, ErrCorrupt},
		{"too many people", manyPeople(MaxPeople + 1), ErrCorrupt},
		{"too large", `{"version":1,"date":"2024-06-03","people":{}}` + strings.Repeat(" ", maxStateSize), ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := used(t)
			before, _ := m.MarshalJSON()
			dirty := m.Dirty()
			err := m.Load(strings.NewReader(tc.file), june3)
			if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "usage: load: ") {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
			after, _ := m.MarshalJSON()
			if !bytes.Equal(before, after) || m.Dirty() != dirty {
				t.Errorf("a failed Load changed the meter:\n%s\n%s", before, after)
			}
		})
	}
}

func manyPeople(n int) string {
	var b strings.Builder
	b.WriteString(`{"version":1,"date":"2024-06-03","people":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"p` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":{"used":"1m"}`)
	}
	b.WriteString(`}}`)
	return b.String()
}

func TestLoadReadError(t *testing.T) {
	m := NewMeter(minute, threshold)
	err := m.Load(io.MultiReader(strings.NewReader(`{"vers`), errReader{}), june3)
	if !errors.Is(err, errBroken) || errors.Is(err, ErrCorrupt) {
		t.Errorf("Load = %v", err)
	}
}

// TestLoadNoDate loads what a Meter that never closed a period saves.
func TestLoadNoDate(t *testing.T) {
	var b bytes.Buffer
	if err := NewMeter(minute, threshold).Save(&b); err != nil {
		t.Fatal(err)
	}
	if err := NewMeter(minute, threshold).Load(&b, june3); err != nil {
		t.Errorf("Load = %v", err)
	}
}

func TestSaveWriteError(t *testing.T) {
	m := used(t)
	if err := m.Save(errWriter{}); !errors.Is(err, errBroken) || !strings.HasPrefix(err.Error(), "usage: save: ") {
		t.Errorf("Save = %v", err)
	}
	if !m.Dirty() {
		t.Error("clean after a failed Save")
	}
	var calls countWriter
	if err := m.Save(&calls); err != nil || calls != 1 {
		t.Errorf("Save: %v, %d Write calls, want 1", err, calls)
	}
}

var errBroken = errors.New("broken")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errBroken }

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c++; return len(p), nil }

// FuzzLoad checks that Load never panics, and that whatever it accepts it
// saves and loads back to the same state.
func FuzzLoad(f *testing.F) {
	seed, _ := os.ReadFile("testdata/state-v1.json")
	f.Add(seed)
	f.Add([]byte(`{"version":1,"date":"2024-06-03","people":{}}`))
	f.Add([]byte(`{"version":1,"date":"","people":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := NewMeter(minute, threshold)
		if err := m.Load(bytes.NewReader(b), june3); err != nil {
			return
		}
		first, _ := m.MarshalJSON()
		m2 := NewMeter(minute, threshold)
		if err := m2.Load(bytes.NewReader(first), june3); err != nil {
			t.Fatalf("own encoding %s rejected: %v", first, err)
		}
		if second, _ := m2.MarshalJSON(); !bytes.Equal(first, second) {
			t.Fatalf("round trip:\n%s\n%s", first, second)
		}
	})
}
