package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
)

// StatsCollector counts what a capture holds; feed it every event.
type StatsCollector struct {
	first, last time.Time
	perConn     map[string]*[2]map[string]int
	commands    map[cmdKey]int
	errors      map[int]int
	roles       map[string]int
	messages    [2]int
	bytes       [2]int
	gapBytes    [2]int
	skipped     [2]int
	conns       int
}

type cmdKey struct {
	dialect string
	dir     dissect.Dir
	cmd     string
}

// NewStatsCollector returns an empty collector.
func NewStatsCollector() *StatsCollector {
	return &StatsCollector{perConn: map[string]*[2]map[string]int{}, commands: map[cmdKey]int{}, errors: map[int]int{}, roles: map[string]int{}}
}

// Event implements dissect.Sink.
func (s *StatsCollector) Event(ev *dissect.Event) {
	if s.first.IsZero() || ev.Time.Before(s.first) {
		s.first = ev.Time
	}
	if ev.Time.After(s.last) {
		s.last = ev.Time
	}
	switch ev.Kind {
	case dissect.KindMessage:
		m := ev.Message
		c := s.perConn[ev.Conn.ID]
		if c == nil {
			c = &[2]map[string]int{{}, {}}
			s.perConn[ev.Conn.ID] = c
		}
		c[ev.Dir][m.Cmd]++
		if f, ok := m.Fields.(*dissect.ErrorFields); ok {
			s.errors[f.Code]++
		}
	case dissect.KindSummary:
		sum := ev.Summary
		s.conns++
		role := string(sum.Role)
		if role == "" {
			role = "unknown"
		}
		s.roles[role]++
		dialect := sum.Protocol
		if dialect == "" {
			dialect = "unknown"
		}
		if c := s.perConn[ev.Conn.ID]; c != nil {
			for d := range c {
				for cmd, n := range c[d] {
					s.commands[cmdKey{dialect, dissect.Dir(d), cmd}] += n
				}
			}
			delete(s.perConn, ev.Conn.ID)
		}
		for d := 0; d < 2; d++ {
			s.messages[d] += sum.Messages[d]
			s.bytes[d] += sum.Bytes[d]
			s.gapBytes[d] += sum.GapBytes[d]
			s.skipped[d] += sum.Skipped[d]
		}
	}
}

// CommandCount is how often one command was sent in one direction under
// one dialect.
type CommandCount struct {
	Dialect string `json:"dialect"`
	Dir     string `json:"dir"`
	Cmd     string `json:"cmd"`
	Count   int    `json:"count"`
}

// ErrorCount is how often an error code was sent.
type ErrorCount struct {
	Code    int    `json:"code"`
	Meaning string `json:"meaning"`
	Count   int    `json:"count"`
}

// Stats is the summary of a capture.
type Stats struct {
	Start        string         `json:"start"`
	End          string         `json:"end"`
	Seconds      float64        `json:"duration_seconds"`
	Connections  int            `json:"connections"`
	Roles        map[string]int `json:"connections_by_role"`
	Messages     perDir[int]    `json:"messages"`
	Bytes        perDir[int]    `json:"bytes"`
	GapBytes     perDir[int]    `json:"gap_bytes"`
	SkippedBytes perDir[int]    `json:"skipped_bytes"`
	Commands     []CommandCount `json:"commands"`
	Errors       []ErrorCount   `json:"errors"`
}

// Stats returns the totals, commands sorted by dialect, direction, name.
func (s *StatsCollector) Stats() *Stats {
	st := &Stats{Connections: s.conns, Roles: s.roles, Messages: both(s.messages), Bytes: both(s.bytes),
		GapBytes: both(s.gapBytes), SkippedBytes: both(s.skipped), Commands: []CommandCount{}, Errors: []ErrorCount{}}
	if !s.first.IsZero() {
		st.Start, st.End, st.Seconds = FormatTime(s.first), FormatTime(s.last), s.last.Sub(s.first).Seconds()
	}
	for k, n := range s.commands {
		st.Commands = append(st.Commands, CommandCount{k.dialect, k.dir.String(), k.cmd, n})
	}
	sort.Slice(st.Commands, func(i, j int) bool {
		a, b := st.Commands[i], st.Commands[j]
		if a.Dialect != b.Dialect {
			return a.Dialect < b.Dialect
		}
		if a.Dir != b.Dir {
			return a.Dir < b.Dir
		}
		return a.Cmd < b.Cmd
	})
	for code, n := range s.errors {
		st.Errors = append(st.Errors, ErrorCount{code, dissect.ErrorMeaning(code), n})
	}
	sort.Slice(st.Errors, func(i, j int) bool { return st.Errors[i].Code < st.Errors[j].Code })
	return st
}

// WriteStatsJSON writes the stats as one JSON object.
func WriteStatsJSON(w io.Writer, st *Stats) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return fmt.Errorf("writing stats as JSON: %w", err)
	}
	return nil
}

// WriteStatsTable writes the stats as a summary and tables.
func WriteStatsTable(w io.Writer, st *Stats) error {
	if st.Start == "" {
		_, err := fmt.Fprintln(w, "No MSNP traffic in this capture.")
		return err
	}
	roles := make([]string, 0, len(st.Roles))
	for r, n := range st.Roles {
		roles = append(roles, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(roles)
	if _, err := fmt.Fprintf(w, "Time span %s to %s (%s)\nConnections %d (%v)\nMessages C->S %d, S->C %d; bytes C->S %d, S->C %d; missing %d B; skipped %d B\n\n",
		st.Start, st.End, formatDuration(time.Duration(st.Seconds*float64(time.Second))), st.Connections, roles,
		st.Messages.C2S, st.Messages.S2C, st.Bytes.C2S, st.Bytes.S2C,
		st.GapBytes.C2S+st.GapBytes.S2C, st.SkippedBytes.C2S+st.SkippedBytes.S2C); err != nil {
		return err
	}
	rows := make([][]string, len(st.Commands))
	for i, c := range st.Commands {
		rows[i] = []string{c.Dialect, c.Dir, c.Cmd, strconv.Itoa(c.Count)}
	}
	if err := writeTable(w, []string{"Dialect", "Dir", "Cmd", "Count"}, rows); err != nil {
		return err
	}
	if len(st.Errors) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	rows = make([][]string, len(st.Errors))
	for i, e := range st.Errors {
		rows[i] = []string{strconv.Itoa(e.Code), e.Meaning, strconv.Itoa(e.Count)}
	}
	return writeTable(w, []string{"Error", "Meaning", "Count"}, rows)
}
