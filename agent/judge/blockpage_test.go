package judge

import (
	"strings"
	"testing"
)

func TestBlockedHTTP(t *testing.T) {
	got := string(blockedHTTP(nil, []byte("www.games.test"), "http://192.168.1.1:8090/#/blocked?name="))
	want := "HTTP/1.1 302 Found\r\nLocation: http://192.168.1.1:8090/#/blocked?name=www.games.test\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n" +
		"Content-Length: 41\r\n\r\nBlocked by Safe Internet: www.games.test\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := string(blockedHTTP(nil, []byte("x.test"), "")); !strings.HasPrefix(got, "HTTP/1.1 403 Forbidden\r\nContent-Type") {
		t.Errorf("without the page: %q", got)
	}
	var l pageLink
	link := "http://[fd50::1]:8090/#/blocked?name="
	l.v6.Store(&link)
	if l.get(false) != "" || l.get(true) != link {
		t.Errorf("links by family: %q %q", l.get(false), l.get(true))
	}
}
