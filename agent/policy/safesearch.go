package policy

import (
	"strings"

	"github.com/safeinternet/cpe/agent/config"
)

// SafeSearch and YouTube Restricted Mode work through DNS: the search host a
// browser asks for is answered with a CNAME to the provider's restricted
// host, which serves the same site with explicit results filtered. Providers
// document these hosts for schools and families.
const (
	googleSafe          = "forcesafesearch.google.com"
	bingSafe            = "strict.bing.com"
	duckDuckGoSafe      = "safe.duckduckgo.com"
	youTubeStrict       = "restrict.youtube.com"
	youTubeModerate     = "restrictmoderate.youtube.com"
	googleSearchDomains = `google.com google.ad google.ae google.com.af google.com.ag google.al
google.am google.co.ao google.com.ar google.as google.at google.com.au google.az google.ba
google.com.bd google.be google.bf google.bg google.com.bh google.bi google.bj google.com.bn
google.com.bo google.com.br google.bs google.bt google.co.bw google.by google.com.bz google.ca
google.cat google.cd google.cf google.cg google.ch google.ci google.co.ck google.cl google.cm
google.cn google.com.co google.co.cr google.com.cu google.cv google.com.cy google.cz google.de
google.dj google.dk google.dm google.com.do google.dz google.com.ec google.ee google.com.eg
google.es google.com.et google.fi google.com.fj google.fm google.fr google.ga google.ge
google.gg google.com.gh google.com.gi google.gl google.gm google.gr google.com.gt google.gy
google.com.hk google.hn google.hr google.ht google.hu google.co.id google.ie google.co.il
google.im google.co.in google.iq google.is google.it google.je google.com.jm google.jo
google.co.jp google.co.ke google.com.kh google.ki google.kg google.co.kr google.com.kw
google.kz google.la google.com.lb google.li google.lk google.co.ls google.lt google.lu
google.lv google.com.ly google.co.ma google.md google.me google.mg google.mk google.ml
google.com.mm google.mn google.com.mt google.mu google.mv google.mw google.com.mx
google.com.my google.co.mz google.com.na google.com.ng google.com.ni google.ne google.nl
google.no google.com.np google.nr google.nu google.co.nz google.com.om google.com.pa
google.com.pe google.com.pg google.com.ph google.com.pk google.pl google.pn google.com.pr
google.ps google.pt google.com.py google.com.qa google.ro google.rs google.ru google.rw
google.com.sa google.com.sb google.sc google.se google.com.sg google.sh google.si google.sk
google.com.sl google.sn google.so google.sm google.sr google.st google.com.sv google.td
google.tg google.co.th google.com.tj google.tl google.tm google.tn google.to google.com.tr
google.tt google.com.tw google.co.tz google.com.ua google.co.ug google.co.uk google.com.uy
google.co.uz google.com.vc google.co.ve google.co.vi google.com.vn google.vu google.ws
google.co.za google.co.zm google.co.zw`
)

// bypassNames returns the names by which devices discover ways around the
// household's DNS, and how restricted profiles are answered for them.
func bypassNames() map[string]Answer {
	return map[string]Answer{
		// Firefox's canary: NXDOMAIN turns its DNS over HTTPS off.
		"use-application-dns.net": AnswerNXDomain,
		// iCloud Private Relay: NXDOMAIN makes Apple devices fall back to the
		// network's DNS and report that Private Relay is off for it.
		"mask.icloud.com":    AnswerNXDomain,
		"mask-h2.icloud.com": AnswerNXDomain,
		// Discovery of Designated Resolvers (RFC 9462): no data, so that clients
		// do not upgrade to an encrypted resolver the router cannot see.
		"_dns.resolver.arpa": AnswerNoData,
	}
}

// safeSearch maps search and YouTube host names to their restricted hosts.
type safeSearch struct {
	search   map[string]string // Google, Bing, DuckDuckGo
	strict   map[string]string // YouTube, strict
	moderate map[string]string // YouTube, moderate
}

// newSafeSearch builds the host tables. Its maps are never modified
// afterwards.
func newSafeSearch() *safeSearch {
	ss := &safeSearch{search: map[string]string{}, strict: map[string]string{}, moderate: map[string]string{}}
	for _, d := range strings.Fields(googleSearchDomains) {
		ss.search[d] = googleSafe
		ss.search["www."+d] = googleSafe
	}
	for _, h := range []string{"bing.com", "www.bing.com"} {
		ss.search[h] = bingSafe
	}
	for _, h := range []string{"duckduckgo.com", "www.duckduckgo.com", "start.duckduckgo.com"} {
		ss.search[h] = duckDuckGoSafe
	}
	for _, h := range []string{"www.youtube.com", "m.youtube.com", "youtubei.googleapis.com",
		"youtube.googleapis.com", "www.youtube-nocookie.com"} {
		ss.strict[h] = youTubeStrict
		ss.moderate[h] = youTubeModerate
	}
	return ss
}

// target returns the restricted host for name under settings st, or "".
func (ss *safeSearch) target(name []byte, st *Settings) string {
	if st.SafeSearch {
		if t, ok := ss.search[string(name)]; ok {
			return t
		}
	}
	switch st.YouTube {
	case config.YouTubeStrict:
		return ss.strict[string(name)]
	case config.YouTubeModerate:
		return ss.moderate[string(name)]
	}
	return ""
}

// Targets returns every host a Redirect can point to, so that the daemon can
// keep their addresses at hand. The slice is the caller's.
func Targets() []string {
	return []string{googleSafe, bingSafe, duckDuckGoSafe, youTubeStrict, youTubeModerate}
}
