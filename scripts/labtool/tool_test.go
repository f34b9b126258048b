package main

import (
	"strings"
	"testing"
)

func TestFormatLog(t *testing.T) {
	in := strings.Join([]string{
		`{"time":"2025-01-02T12:00:01.5Z","level":"INFO","msg":"decision","mac":"02:00:00:00:00:0a","device":"Device A","kind":"dns","name":"games.test","qtype":"A","proto":"udp","dst":"10.99.0.2","action":"block","reason":"device-blocklist","rule":"games.test"}`,
		`{"time":"2025-01-02T12:00:02Z","level":"WARN","msg":"reload refused","err":"bad"}`,
		`not json`,
	}, "\n")
	var out strings.Builder
	if err := formatLog(strings.NewReader(in), &out, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines:\n%s", len(lines), out.String())
	}
	tests := []struct {
		name string
		line string
		want []string
	}{
		{"decision", lines[0], []string{"Device A", "dns", "games.test", "BLOCK", "(device-blocklist games.test)", "udp to 10.99.0.2"}},
		{"other record", lines[1], []string{"agent WARN", "reload refused", "err=bad"}},
		{"not json", lines[2], []string{"not json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !strings.Contains(tc.line, w) {
					t.Errorf("line %q lacks %q", tc.line, w)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	doc := map[string]any{"end": map[string]any{"sum": []any{1.0, map[string]any{"bps": 2.5}}}}
	tests := []struct {
		name    string
		path    string
		want    any
		wantErr bool
	}{
		{name: "nested", path: "end.sum.1.bps", want: 2.5},
		{name: "index", path: "end.sum.0", want: 1.0},
		{name: "missing key", path: "end.nope", wantErr: true},
		{name: "bad index", path: "end.sum.7", wantErr: true},
		{name: "through a number", path: "end.sum.0.x", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookup(doc, tc.path)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    float64
		wantErr bool
	}{
		{name: "odd", in: []string{"3", "1", "2"}, want: 2},
		{name: "even", in: []string{"4", "1", "2", "3"}, want: 2.5},
		{name: "one", in: []string{"7.5"}, want: 7.5},
		{name: "none", wantErr: true},
		{name: "not a number", in: []string{"x"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := median(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("median(%v) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
