package category

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

type listCase struct {
	name string
	in   string
	want []string       // names added, in order
	skip map[Reason]int // skipped by reason
	// counts of comments and blank lines
	comments, blank int
}

func runListCases(t *testing.T, f Format, tests []listCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			st, err := ReadList(strings.NewReader(tt.in), f, func(d []byte) { got = append(got, string(d)) })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("added %q, want %q", got, tt.want)
			}
			var skip [NumReasons]int
			invalid := 0
			for r, n := range tt.skip {
				skip[r] = n
				invalid += n
			}
			if st.Skipped != skip || st.Invalid != invalid {
				t.Errorf("skipped %v (invalid %d), want %v (%d)", st.Skipped, st.Invalid, skip, invalid)
			}
			if st.Comments != tt.comments || st.Blank != tt.blank {
				t.Errorf("comments %d blank %d, want %d %d", st.Comments, st.Blank, tt.comments, tt.blank)
			}
			if st.Added != len(tt.want) {
				t.Errorf("Added = %d, want %d", st.Added, len(tt.want))
			}
			if lines := strings.Count(tt.in, "\n") + btoi(!strings.HasSuffix(tt.in, "\n") && tt.in != ""); st.Lines != lines {
				t.Errorf("Lines = %d, want %d", st.Lines, lines)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestReadDomains(t *testing.T) {
	runListCases(t, FormatDomains, []listCase{
		{name: "plain", in: "example.com\nsub.example.org\n", want: []string{"example.com", "sub.example.org"}},
		{name: "comments and blanks", in: "# title\n\n! adblock-style\n[Adblock Plus 2.0]\n   \nexample.com\n",
			want: []string{"example.com"}, comments: 3, blank: 2},
		{name: "CRLF and no final newline", in: "a.example\r\nb.example\r\nc.example", want: []string{"a.example", "b.example", "c.example"}},
		{name: "uppercase and trailing dot", in: "WWW.Example.COM.\n", want: []string{"www.example.com"}},
		{name: "inline comment", in: "example.com # tracker\nexample.net\t#x\n", want: []string{"example.com", "example.net"}},
		{name: "underscores and hyphens", in: "_dmarc.x-y.example\nr1---sn-4g5e.googlevideo.com\n", want: []string{"_dmarc.x-y.example", "r1---sn-4g5e.googlevideo.com"}},
		{name: "ip addresses", in: "1.2.3.4\n2001:db8::1\n10.0.0.0/8\n", skip: map[Reason]int{ReasonIP: 3}},
		{name: "numeric top label", in: "1.2.3\n", skip: map[Reason]int{ReasonIP: 1}},
		{name: "invalid names", in: "exa mple.com\nexa$mple.com\na..b\n.lead\n*.wild\nh\xc3\xa9.example\n" + strings.Repeat("a", 64) + ".com\n",
			skip: map[Reason]int{ReasonName: 6, ReasonSyntax: 1}},
		{name: "too long name", in: strings.Repeat("abcdefghi.", 26) + "com\n", skip: map[Reason]int{ReasonName: 1}},
		{name: "longest name", in: strings.Repeat("a.", 126) + "a\n", want: []string{strings.Repeat("a.", 126) + "a"}},
		{name: "localhost", in: "localhost\nlocalhost.localdomain\n", skip: map[Reason]int{ReasonLocal: 2}},
		{name: "hosts line is not a domain", in: "0.0.0.0 example.com\n", skip: map[Reason]int{ReasonSyntax: 1}},
	})
}

func TestReadHosts(t *testing.T) {
	runListCases(t, FormatHosts, []listCase{
		{name: "zero and loopback", in: "0.0.0.0 ads.example\n127.0.0.1\tTrack.Example\n", want: []string{"ads.example", "track.example"}},
		{name: "several names", in: "0.0.0.0 a.example b.example c.example # ads\n", want: []string{"a.example", "b.example", "c.example"}},
		{name: "ipv6", in: "::1 v6.example\n:: ip6-localhost\nfe80::1%lo0 z.example\n", want: []string{"v6.example", "z.example"}, skip: map[Reason]int{ReasonLocal: 1}},
		{name: "localhost entries", in: "127.0.0.1 localhost\n::1 ip6-loopback\n255.255.255.255 broadcasthost\n0.0.0.0 0.0.0.0\n",
			skip: map[Reason]int{ReasonLocal: 3, ReasonIP: 1}},
		{name: "comments CRLF blank", in: "# Title\r\n\r\n0.0.0.0 x.example\r\n", want: []string{"x.example"}, comments: 1, blank: 1},
		{name: "no address", in: "example.com\n", skip: map[Reason]int{ReasonSyntax: 1}},
		{name: "address alone", in: "0.0.0.0\n", skip: map[Reason]int{ReasonSyntax: 1}},
		{name: "bad name among good", in: "0.0.0.0 good.example bad_name! also.example\n", want: []string{"good.example", "also.example"}, skip: map[Reason]int{ReasonName: 1}},
	})
}

func TestReadAdblock(t *testing.T) {
	runListCases(t, FormatAdblock, []listCase{
		{name: "plain rules", in: "||ads.example^\n||Track.Example^|\n", want: []string{"ads.example", "track.example"}},
		{name: "header and comments", in: "[Adblock Plus 2.0]\n! Title: x\n# also\n||a.example^\n", want: []string{"a.example"}, comments: 3},
		{name: "exception", in: "@@||good.example^\n", skip: map[Reason]int{ReasonException: 1}},
		{name: "options", in: "||ads.example^$third-party\n||x.example^$important,dnsrewrite=1.2.3.4\n", skip: map[Reason]int{ReasonOptions: 2}},
		{name: "paths", in: "||example.com/ads/*\n||example.com^/x\n", skip: map[Reason]int{ReasonPath: 2}},
		{name: "other syntax", in: "example.com##.banner\n|https://x.example\n||no-caret.example\n||a.example^*\n/regex/\n",
			skip: map[Reason]int{ReasonSyntax: 5}},
		{name: "wildcard inside", in: "||ad*.example^\n", skip: map[Reason]int{ReasonName: 1}},
		{name: "ip rule", in: "||1.2.3.4^\n", skip: map[Reason]int{ReasonIP: 1}},
		{name: "CRLF", in: "||a.example^\r\n", want: []string{"a.example"}},
	})
}

func TestReadWildcard(t *testing.T) {
	runListCases(t, FormatWildcard, []listCase{
		{name: "star dot", in: "*.ads.example\n*.X.example\n", want: []string{"ads.example", "x.example"}},
		{name: "plain too", in: "plain.example\n", want: []string{"plain.example"}},
		{name: "inner star", in: "a.*.example\n*example.com\n", skip: map[Reason]int{ReasonName: 2}},
		{name: "comments", in: "# c\n*.a.example # c\n", want: []string{"a.example"}, comments: 1},
	})
}

func TestReadAuto(t *testing.T) {
	runListCases(t, FormatAuto, []listCase{
		{name: "mixed", in: "# mixed\nplain.example\n0.0.0.0 hosts.example other.example\n||adblock.example^\n*.wild.example\n@@||ex.example^\n1.2.3.4\n",
			want:     []string{"plain.example", "hosts.example", "other.example", "adblock.example", "wild.example"},
			comments: 1, skip: map[Reason]int{ReasonException: 1, ReasonIP: 1}},
	})
}

func TestReadListLongLine(t *testing.T) {
	in := "a.example\n" + strings.Repeat("x", 200<<10) + "\nb.example\n"
	var got []string
	st, err := ReadList(strings.NewReader(in), FormatDomains, func(d []byte) { got = append(got, string(d)) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"a.example", "b.example"}) || st.Skipped[ReasonTooLong] != 1 || st.Lines != 3 {
		t.Errorf("got %q, stats %+v", got, st)
	}
}

func TestReadListReadError(t *testing.T) {
	boom := errors.New("boom")
	r := iotest.TimeoutReader(strings.NewReader(strings.Repeat("a.example\n", 10000)))
	_, err := ReadList(r, FormatDomains, func([]byte) {})
	if err == nil || !strings.HasPrefix(err.Error(), "category: read list: ") {
		t.Errorf("err = %v", err)
	}
	_, err = ReadList(iotest.ErrReader(boom), FormatDomains, func([]byte) {})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap %v", err, boom)
	}
}

func TestReadListAllocs(t *testing.T) {
	in := strings.Repeat("0.0.0.0 ads.example.com\n||x.example^\n*.y.example\nplain.example\n", 100)
	r := strings.NewReader(in)
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(in)
		ReadList(r, FormatAuto, func([]byte) {})
	})
	// The bufio.Reader and its buffer, the parser: a fixed handful per call, none per line.
	if allocs > 5 {
		t.Errorf("ReadList: %v allocations per call of 400 lines, want a constant ≤ 5", allocs)
	}
}
