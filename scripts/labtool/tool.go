package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ANSI colours for -color.
const (
	red   = "\x1b[31m"
	green = "\x1b[32m"
	dim   = "\x1b[2m"
	reset = "\x1b[0m"
)

// formatLog reads slog JSON lines from r and writes one readable line per record to w.
// Lines that are not JSON are copied as they are. It returns at the end of r.
func formatLog(r io.Reader, w io.Writer, color bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	bw := bufio.NewWriter(w)
	for sc.Scan() {
		line := sc.Text()
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			fmt.Fprintln(bw, line)
		} else {
			fmt.Fprintln(bw, formatRecord(rec, color))
		}
		// Live output: flush every line.
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

// formatRecord renders one log record: decisions as
//
//	12:00:01 Device A    dns games.test           A     BLOCK (device-blocklist games.test) udp to 192.168.50.1
//
// and everything else as "12:00:01 agent LEVEL msg key=value ...".
func formatRecord(rec map[string]any, color bool) string {
	ts := str(rec, "time")
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		ts = t.Local().Format("15:04:05")
	}
	if rec["msg"] == "decision" {
		device := str(rec, "device")
		if device == "" {
			device = str(rec, "mac")
		}
		action := strings.ToUpper(str(rec, "action"))
		why := str(rec, "reason")
		if rule := str(rec, "rule"); rule != "" {
			why += " " + rule
		}
		if cat := str(rec, "category"); cat != "" && action == "BLOCK" {
			why += " " + cat
			if entry := str(rec, "entry"); entry != "" {
				why += " [" + entry + "]"
			}
		}
		if person := str(rec, "person"); person != "" {
			device += "/" + person
		}
		if color {
			c := green
			if action == "BLOCK" {
				c = red
			}
			action = c + fmt.Sprintf("%-5s", action) + reset
		} else {
			action = fmt.Sprintf("%-5s", action)
		}
		qtype := strings.TrimPrefix(str(rec, "qtype"), "Type")
		via := str(rec, "proto")
		if dst := str(rec, "dst"); dst != "" {
			via += " to " + dst
		}
		return fmt.Sprintf("%s %-12s %-4s %-24s %-5s %s (%s) %s", ts, device, str(rec, "kind"),
			str(rec, "name"), qtype, action, why, via)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s agent %-5s %s", ts, str(rec, "level"), str(rec, "msg"))
	keys := make([]string, 0, len(rec))
	for k := range rec {
		switch k {
		case "time", "level", "msg":
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, rec[k])
	}
	if color {
		return dim + b.String() + reset
	}
	return b.String()
}

func str(rec map[string]any, key string) string {
	switch v := rec[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// printJSONPath prints the value at the dotted path in the JSON file (or stdin for "-").
// Numbers print in plain decimal; objects and arrays as JSON.
func printJSONPath(w io.Writer, file, path string) error {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("json: %s: %w", file, err)
	}
	v, err = lookup(v, path)
	if err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		_, err = fmt.Fprintln(w, x)
	case float64:
		_, err = fmt.Fprintln(w, strconv.FormatFloat(x, 'f', -1, 64))
	default:
		b, _ := json.Marshal(x)
		_, err = fmt.Fprintln(w, string(b))
	}
	return err
}

// lookup follows a dotted path of object keys and array indexes.
func lookup(v any, path string) (any, error) {
	if path == "" || path == "." {
		return v, nil
	}
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[key]
			if !ok {
				return nil, fmt.Errorf("json: no key %q in path %q", key, path)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("json: bad index %q in path %q", key, path)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("json: %q in path %q is not an object or array", key, path)
		}
	}
	return v, nil
}

// printMedian prints the median of the numeric arguments (mean of the middle two for an even
// count).
func printMedian(w io.Writer, args []string) error {
	m, err := median(args)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, strconv.FormatFloat(m, 'f', -1, 64))
	return err
}

func median(args []string) (float64, error) {
	if len(args) == 0 {
		return 0, errors.New("median: no numbers")
	}
	xs := make([]float64, len(args))
	for i, a := range args {
		x, err := strconv.ParseFloat(a, 64)
		if err != nil {
			return 0, fmt.Errorf("median: %w", err)
		}
		xs[i] = x
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2], nil
	}
	return (xs[n/2-1] + xs[n/2]) / 2, nil
}
