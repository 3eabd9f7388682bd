package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/msnsniff/msnsniff/dissect"
)

// filter narrows a big capture down: by connection, session, user,
// command and time.
type filter struct {
	conns, sessions, users, cmds []string
	since, until                 string
	sinceT, untilT               time.Time
	// userConns and sessionConns are the connections of the wanted users
	// and sessions, found by a first pass over the input: a user is named,
	// and some connections are placed in a session, only some way into
	// the connection, after earlier lines were already reported.
	userConns, sessionConns map[string]bool
}

func (f *filter) addFlags(fs *pflag.FlagSet, withCmd bool) {
	fs.StringSliceVar(&f.conns, "conn", nil, "only these connections (e.g. c3; repeatable or comma-separated)")
	fs.StringSliceVar(&f.sessions, "session", nil, "only these sessions (e.g. s2)")
	fs.StringSliceVar(&f.users, "user", nil, "only the connections of this passport (its whole sessions)")
	if withCmd {
		fs.StringSliceVar(&f.cmds, "cmd", nil, "only these commands (e.g. SYN,LSG,LST; error codes as 911)")
	}
	fs.StringVar(&f.since, "since", "", "only from this time (RFC 3339 or \"2006-01-02 15:04:05\", UTC)")
	fs.StringVar(&f.until, "until", "", "only up to this time")
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseTime(flag, s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: not a time (use RFC 3339 or \"2006-01-02 15:04:05\")", flag, s)
}

// prepare validates the flags and, for --user, runs the first pass.
func (f *filter) prepare(o *options, names []string, stderr io.Writer) error {
	var err error
	if f.since != "" {
		if f.sinceT, err = parseTime("since", f.since); err != nil {
			return err
		}
	}
	if f.until != "" {
		if f.untilT, err = parseTime("until", f.until); err != nil {
			return err
		}
	}
	for i, c := range f.cmds {
		f.cmds[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	if len(f.users) == 0 && len(f.sessions) == 0 {
		return nil
	}
	for _, n := range names {
		if n == "-" {
			if len(f.users) > 0 {
				return fmt.Errorf("--user reads the input twice, so it needs capture files, not standard input")
			}
			// --session on standard input: one pass, matching each event
			// against the session known when it happens.
			return nil
		}
	}
	connUser := map[string]string{}
	connSession := map[string]string{}
	sessionUsers := map[string][]string{}
	p, err := newPipeline(o, dissect.SinkFunc(func(ev *dissect.Event) {
		if ev.Kind == dissect.KindSummary {
			connUser[ev.Conn.ID] = ev.Summary.User
			connSession[ev.Conn.ID] = ev.Summary.Session
			sessionUsers[ev.Summary.Session] = append(sessionUsers[ev.Summary.Session], ev.Summary.User)
		}
	}), io.Discard)
	if err != nil {
		return err
	}
	p.run(names)
	f.userConns = map[string]bool{}
	f.sessionConns = map[string]bool{}
	for conn, user := range connUser {
		match := f.wantUser(user)
		for _, u := range sessionUsers[connSession[conn]] {
			match = match || f.wantUser(u)
		}
		if match {
			f.userConns[conn] = true
		}
		if contains(f.sessions, connSession[conn]) {
			f.sessionConns[conn] = true
		}
	}
	return nil
}

func (f *filter) wantUser(u string) bool {
	for _, w := range f.users {
		if u != "" && strings.EqualFold(u, w) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// active says whether any filter is set.
func (f *filter) active() bool {
	return len(f.conns)+len(f.sessions)+len(f.users)+len(f.cmds) > 0 || f.since != "" || f.until != ""
}

// conn says whether a connection passes the connection-level filters.
func (f *filter) conn(id, session, user string) bool {
	if len(f.conns) > 0 && !contains(f.conns, id) {
		return false
	}
	if len(f.sessions) > 0 && !f.sessionConns[id] && !contains(f.sessions, session) {
		return false
	}
	if len(f.users) > 0 && !f.userConns[id] && !f.wantUser(user) {
		return false
	}
	return true
}

// inTime says whether a time passes --since/--until.
func (f *filter) inTime(t time.Time) bool {
	return (f.sinceT.IsZero() || !t.Before(f.sinceT)) && (f.untilT.IsZero() || !t.After(f.untilT))
}

// event says whether an event passes every filter.
func (f *filter) event(ev *dissect.Event) bool {
	if !f.conn(ev.Conn.ID, ev.Conn.Session, "") {
		return false
	}
	if len(f.cmds) > 0 && (ev.Kind != dissect.KindMessage || !contains(f.cmds, ev.Message.Cmd)) {
		return false
	}
	return ev.Kind == dissect.KindSummary || f.inTime(ev.Time)
}

// sink wraps next so that only events passing the filter reach it.
func (f *filter) sink(next dissect.Sink) dissect.Sink {
	if !f.active() {
		return next
	}
	return dissect.SinkFunc(func(ev *dissect.Event) {
		if f.event(ev) {
			next.Event(ev)
		}
	})
}
