package report

import (
	"bytes"
	"strings"
	"testing"
)

// viaTablewriter renders the table with tablewriter alone.
func viaTablewriter(t testing.TB, header []string, rows [][]string) []byte {
	var b bytes.Buffer
	tw := newTable(&b, header...)
	for _, r := range rows {
		row := make([]any, len(r))
		for i, c := range r {
			row[i] = c
		}
		if err := tw.Append(row...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Render(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestASCIITableMatchesTablewriter: the fast layout is tablewriter's,
// byte for byte, and everything it declines goes to tablewriter.
func TestASCIITableMatchesTablewriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		rows   [][]string
		fast   bool
	}{
		{"contacts", []string{"Passport", "Nickname", "Lists"}, [][]string{
			{"bob@example.com", "Bob Brown", "FL,AL,RL"}, {"carol@example.com", "Carol :)", ""}}, true},
		{"no rows", []string{"A", "Bee"}, nil, false},
		{"empty cells everywhere", []string{"A", "B"}, [][]string{{"", ""}, {"", ""}}, true},
		{"spaces kept", []string{"Lead", "Trail"}, [][]string{{"  x", "y  "}, {" ", "   "}}, true},
		{"punctuation", []string{"P"}, [][]string{{"|+-*"}, {`"quoted" \ back`}, {"~!@#$%^&()_={}[]:;'<>,.?/`"}}, true},
		{"wide cell", []string{"Passport", "Nickname"}, [][]string{{"a@b.c", "Bob 李"}}, false},
		{"accent", []string{"N"}, [][]string{{"José"}}, false},
		{"tab", []string{"N"}, [][]string{{"a\tb"}}, false},
		{"ragged row", []string{"A", "B"}, [][]string{{"only one"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ok := appendASCIITable(nil, tc.header, tc.rows)
			if ok != tc.fast {
				t.Fatalf("fast path taken = %v, want %v", ok, tc.fast)
			}
			if tc.name == "ragged row" {
				return // tablewriter's own handling of short rows is not ours to compare
			}
			var got bytes.Buffer
			if err := writeTable(&got, tc.header, tc.rows); err != nil {
				t.Fatal(err)
			}
			if want := viaTablewriter(t, tc.header, tc.rows); !bytes.Equal(got.Bytes(), want) {
				t.Errorf("got\n%s\nwant\n%s", got.Bytes(), want)
			}
		})
	}
}

// FuzzASCIITable compares the fast layout with tablewriter on arbitrary
// cells (split from the input on '\x00' and '\x01').
func FuzzASCIITable(f *testing.F) {
	f.Add("Passport\x00Nickname\x01bob@example.com\x00Bob\x01carol\x00 ")
	f.Add("A\x01\x01x")
	f.Add("H\x00I\x01  \x00|")
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\x01")
		header := strings.Split(lines[0], "\x00")
		if len(header) > 8 {
			return
		}
		var rows [][]string
		for _, l := range lines[1:] {
			r := strings.Split(l, "\x00")
			if len(r) != len(header) {
				return
			}
			rows = append(rows, r)
		}
		b, ok := appendASCIITable(nil, header, rows)
		if !ok {
			return
		}
		if want := viaTablewriter(t, header, rows); !bytes.Equal(b, want) {
			t.Errorf("header %q rows %q:\ngot\n%s\nwant\n%s", header, rows, b, want)
		}
	})
}
