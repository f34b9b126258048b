package judge

import "sync/atomic"

// blockedHTTP appends the short answer a blocked plain-HTTP request gets:
// a redirect to the web page's child view (link + host), which says why and
// lets the child ask, or a plain 403 when the page is not served.
func blockedHTTP(dst, host []byte, link string) []byte {
	const body1, body2 = "Blocked by Safe Internet: ", "\n"
	n := len(body1) + len(host) + len(body2)
	if link == "" {
		dst = append(dst, "HTTP/1.1 403 Forbidden\r\n"...)
	} else {
		dst = append(dst, "HTTP/1.1 302 Found\r\nLocation: "+link...)
		dst = append(dst, host...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Type: text/plain; charset=utf-8\r\n"+
		"Cache-Control: no-store\r\nConnection: close\r\nContent-Length: "...)
	dst = appendInt(dst, n)
	dst = append(dst, "\r\n\r\n"+body1...)
	dst = append(dst, host...)
	return append(dst, body2...)
}

// appendInt appends the decimal form of n ≥ 0 without allocating.
func appendInt(dst []byte, n int) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// pageLink holds the start of the web page's child-view URL on the router's
// LAN addresses, one per IP family, for blocked plain-HTTP requests:
// "http://192.168.1.1:8090/#/blocked?name=" (the name follows). Empty when
// the page is not served on that family. Set once the page listens.
type pageLink struct {
	v4, v6 atomic.Pointer[string]
}

// get returns the link for the family of the device's address.
func (l *pageLink) get(v6 bool) string {
	if l == nil {
		return ""
	}
	p := l.v4.Load()
	if v6 {
		p = l.v6.Load()
	}
	if p == nil {
		return ""
	}
	return *p
}
