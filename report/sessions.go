package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/msnsniff/msnsniff/dissect"
)

// ConnRecord is one connection of the sessions report.
type ConnRecord struct {
	Conn             string         `json:"conn"`
	Session          string         `json:"session"`
	Role             string         `json:"role"`
	Parent           string         `json:"parent,omitempty"`
	Client           string         `json:"client"`
	Server           string         `json:"server"`
	User             string         `json:"user"`
	Protocol         string         `json:"protocol"`
	ProtocolInferred bool           `json:"protocol_inferred"`
	ProtocolSource   string         `json:"protocol_source"`
	Start            string         `json:"start"`
	End              string         `json:"end"`
	Duration         float64        `json:"duration_seconds"`
	MidStream        bool           `json:"mid_stream"`
	Messages         perDir[int]    `json:"messages"`
	Bytes            perDir[int]    `json:"bytes"`
	GapBytes         perDir[int]    `json:"gap_bytes"`
	Ended            perDir[string] `json:"ended"`
	Unanswered       []string       `json:"unanswered,omitempty"`
	NotMSNP          bool           `json:"not_msnp,omitempty"`

	start, end time.Time
}

// NewConnRecord builds the record of a connection from its closing event.
func NewConnRecord(ev *dissect.Event) ConnRecord {
	s := ev.Summary
	start := ev.Conn.Start
	return ConnRecord{
		Conn: ev.Conn.ID, Session: s.Session, Role: string(s.Role), Parent: s.Parent,
		Client: ev.Conn.Client, Server: ev.Conn.Server, User: s.User,
		Protocol: s.Protocol, ProtocolInferred: s.ProtocolInferred, ProtocolSource: s.ProtocolSource,
		Start: FormatTime(start), End: FormatTime(ev.Time), Duration: ev.Time.Sub(start).Seconds(),
		MidStream: ev.Conn.MidStream, Messages: both(s.Messages), Bytes: both(s.Bytes),
		GapBytes: both(s.GapBytes), Ended: both(s.Ends), Unanswered: s.Unanswered, NotMSNP: s.NotMSNP,
		start: start, end: ev.Time,
	}
}

// WriteSessionsJSON writes the connection records as one JSON array.
func WriteSessionsJSON(w io.Writer, recs []ConnRecord) error {
	if recs == nil {
		recs = []ConnRecord{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(recs); err != nil {
		return fmt.Errorf("writing sessions as JSON: %w", err)
	}
	return nil
}

// WriteSessionsTable writes one row per connection, grouped by session.
func WriteSessionsTable(w io.Writer, recs []ConnRecord) error {
	if len(recs) == 0 {
		_, err := fmt.Fprintln(w, "No MSNP connection in this capture.")
		return err
	}
	rows := make([][]string, 0, len(recs))
	for _, r := range recs {
		proto := r.Protocol
		if proto == "" {
			proto = "?"
		}
		switch r.ProtocolSource {
		case "inherited":
			proto += " (from NS)"
		case "line shapes":
			proto += " (inferred)"
		}
		role := r.Role
		if role == "" {
			role = "?"
		}
		if r.NotMSNP {
			role = "not MSNP"
		}
		if r.Parent != "" {
			role += " < " + r.Parent
		}
		gaps := "-"
		if g := r.GapBytes.C2S + r.GapBytes.S2C; g > 0 {
			gaps = strconv.Itoa(g) + " B"
		}
		ended := r.Ended.C2S
		if r.Ended.S2C != r.Ended.C2S {
			ended += "/" + r.Ended.S2C
		}
		rows = append(rows, []string{r.Conn, r.Session, role, r.Client, r.Server, r.User, proto,
			r.start.UTC().Format("2006-01-02 15:04:05"), formatDuration(r.end.Sub(r.start)),
			strconv.Itoa(r.Messages.C2S), strconv.Itoa(r.Messages.S2C), strconv.Itoa(r.Bytes.C2S), strconv.Itoa(r.Bytes.S2C), gaps, ended})
	}
	return writeTable(w, []string{"Conn", "Session", "Role", "Client", "Server", "User", "Protocol",
		"Start", "Duration", "Msgs C>S", "Msgs S>C", "Bytes C>S", "Bytes S>C", "Gaps", "Ended"}, rows)
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return d.Round(time.Second).String()
}
