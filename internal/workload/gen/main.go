// Command gen writes a large generated MSNP capture for benchmarks:
//
//	go run ./internal/workload/gen -o /tmp/1g.pcap -size 1G -seed 1
//
// The same flags always give the same file.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/msnsniff/msnsniff/internal/workload"
)

func main() {
	var cfg workload.Config
	out := flag.String("o", "", "capture file to write (- for standard output)")
	size := flag.String("size", "100M", "capture size to reach: bytes, or with a K, M or G suffix (binary multiples)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed; the same seed gives the same capture")
	flag.IntVar(&cfg.Sessions, "sessions", 200, "user visits in progress at any time")
	flag.Float64Var(&cfg.Reorder, "reorder", 0, "probability that a data segment is swapped with the next")
	flag.Float64Var(&cfg.Duplicate, "dup", 0, "probability that a data segment is captured twice")
	flag.Float64Var(&cfg.Loss, "loss", 0, "probability that a data segment is missing")
	flag.Float64Var(&cfg.Logins, "logins", 0, "share of the first visits that begin with a login (0: the capture starts in the steady state)")
	flag.BoolVar(&cfg.Hold, "hold", false, "server-side shape: every visit logs in near the start and stays signed in until the capture ends (all -sessions logins open at once)")
	flag.DurationVar(&cfg.Visit, "visit", 0, "with -hold: every visit signs out this long after its login and a new user logs in in its place (a login storm of -sessions at a time); 0: visits stay until the end")
	contacts := flag.String("contacts", "100-599", "contact list size of each user: N, or MIN-MAX drawn uniformly")
	flag.Parse()
	n, err := parseSize(*size)
	if err == nil {
		cfg.MinContacts, cfg.MaxContacts, err = parseRange(*contacts)
	}
	if err != nil || *out == "" || flag.NArg() > 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
		}
		flag.Usage()
		os.Exit(2)
	}
	cfg.Size = n
	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	st, err := workload.Generate(w, cfg)
	if err == nil && w != os.Stdout {
		err = w.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: writing %s: %v\n", *out, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d bytes, %d packets, %d visits, %d connections, %d messages, %d lost, %d duplicated, %d swapped\n",
		*out, st.Bytes, st.Packets, st.Visits, st.Connections, st.Messages, st.Lost, st.Duplicated, st.Swapped)
}

// parseRange reads N or MIN-MAX.
func parseRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := lo, error(nil)
	if isRange {
		hi, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || lo < 1 || hi < lo {
		return 0, 0, fmt.Errorf("-contacts %q: want N or MIN-MAX, positive, MIN <= MAX", s)
	}
	return lo, hi, nil
}

// parseSize reads 123, 10K, 100M or 2G (binary multiples).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number with an optional K, M or G suffix", s)
	}
	return n * mult, nil
}
