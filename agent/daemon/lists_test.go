package daemon

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeinternet/cpe/agent/category"
	"github.com/safeinternet/cpe/agent/config"
	"github.com/safeinternet/cpe/agent/judge"
	"github.com/safeinternet/cpe/agent/policy"
)

// TestLoadLists checks the three ways lists are loaded: read and compiled at
// start, taken from their compiled form after a restart, and rebuilt shard by
// shard when a reload changes them (the running policy follows each shard).
func TestLoadLists(t *testing.T) {
	dir := t.TempDir()
	games := filepath.Join(dir, "games.txt")
	write := func(text string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(games, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(games, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	write("games.test\n# a comment\nplay.example\n", time.Unix(1000, 0))
	cfg, err := config.LoadBytes("t", []byte("config category_list 'g'\n\toption format 'domains'\n\toption category 'games'\n\toption path '"+games+"'\n"))
	if err != nil {
		t.Fatal(err)
	}
	newDaemon := func() *Daemon {
		return &Daemon{opts: Options{StateDir: filepath.Join(dir, "state")}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	has := func(m *category.Matcher, name string) bool {
		return m.Lookup([]byte(name)).Has(category.Games)
	}

	d := newDaemon()
	m, key, err := d.loadLists(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !has(m, "www.games.test") || !has(m, "play.example") || has(m, "other.test") || m.Len() != 2 {
		t.Fatalf("built matcher: %d names", m.Len())
	}
	if _, err := os.Stat(filepath.Join(dir, "state", listsFile)); err != nil {
		t.Fatalf("compiled form not kept: %v", err)
	}

	// A restart finds the compiled form: the list is not read again. (Its
	// content changes here behind the key's back: same size, same time.)
	write("gamez.test\n# a comment\nplay.example\n", time.Unix(1000, 0))
	m2, key2, err := newDaemon().loadLists(cfg)
	if err != nil || key2 != key || !has(m2, "games.test") || has(m2, "gamez.test") {
		t.Fatalf("restart: %v, key equal %v, games.test %v", err, key2 == key, has(m2, "games.test"))
	}

	// A reload with a changed list rebuilds it, publishing each shard.
	d.lists, d.listsKey = m, key
	snap, err := policy.Compile(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	d.cfg.Store(cfg)
	d.judge = judge.New(judge.Config{}, &judge.Rules{Snap: snap})
	write("video.example\nnew.games.example\n", time.Unix(2000, 0))
	m3, key3, err := d.loadLists(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if key3 == key || has(m3, "games.test") || !has(m3, "new.games.example") || m3.Len() != 2 {
		t.Errorf("rebuilt matcher: games.test %v, new.games.example %v, %d names", has(m3, "games.test"), has(m3, "new.games.example"), m3.Len())
	}
	if d.judge.Rules().Snap == snap {
		t.Error("the running policy did not follow the rebuilt shards")
	}

	// A missing list fails the load.
	os.Remove(games)
	if _, _, err := d.loadLists(cfg); err == nil {
		t.Error("a missing list loaded")
	}
}
