package report

import (
	"io"
	"slices"
	"sync"
)

// Tables of plain ASCII text are laid out here directly, byte for byte as
// tablewriter lays them out in the project's style (newTable; a test and a
// fuzz target compare the two). tablewriter measures every cell's display
// width and builds several strings per cell, about 9 µs a row: on a
// capture of many logins, rendering the contact tables took as long as
// reading the packets. Any other text (wide or combining characters,
// anything non-ASCII) goes to tablewriter, which defines the layout.

// writeTable writes header and rows as a table in the project's style.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	bp := tableBufs.Get().(*[]byte)
	defer tableBufs.Put(bp)
	if b, ok := appendASCIITable((*bp)[:0], header, rows); ok {
		_, err := w.Write(b)
		if cap(b) <= maxPooledTable {
			*bp = b
		}
		return err
	}
	t := newTable(w, header...)
	for _, r := range rows {
		row := make([]any, len(r))
		for i, c := range r {
			row[i] = c
		}
		if err := t.Append(row...); err != nil {
			return err
		}
	}
	return t.Render()
}

// tableBufs holds the buffers tables are composed in, for the next
// table; one larger than maxPooledTable is left to the collector.
var tableBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledTable = 4 << 20

// plainASCII reports whether s is printable ASCII only: one byte, one
// column.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// appendASCIITable appends the table when it has rows, every header and
// cell is plain ASCII and every row has the header's width; ok is false
// otherwise, and b is then returned as it was.
func appendASCIITable(b []byte, header []string, rows [][]string) ([]byte, bool) {
	if len(rows) == 0 {
		return b, false
	}
	widths := make([]int, len(header))
	for i, h := range header {
		if !plainASCII(h) {
			return b, false
		}
		widths[i] = len(h)
	}
	for _, r := range rows {
		if len(r) != len(header) {
			return b, false
		}
		for i, c := range r {
			if !plainASCII(c) {
				return b, false
			}
			widths[i] = max(widths[i], len(c))
		}
	}
	// The exact size, so that the table is one allocation at most (a
	// busy server's capture prints millions of rows, a list at a time).
	lineLen := 2
	for _, w := range widths {
		lineLen += w + 3
	}
	b = slices.Grow(b, lineLen*(len(rows)+4))
	border := func(b []byte) []byte {
		for _, w := range widths {
			b = append(b, '+')
			for range w + 2 {
				b = append(b, '-')
			}
		}
		return append(b, '+', '\n')
	}
	line := func(b []byte, cells []string) []byte {
		for i, c := range cells {
			b = append(b, '|', ' ')
			b = append(b, c...)
			for range widths[i] - len(c) + 1 {
				b = append(b, ' ')
			}
		}
		return append(b, '|', '\n')
	}
	b = border(b)
	b = line(b, header)
	b = border(b)
	for _, r := range rows {
		b = line(b, r)
	}
	return border(b), true
}
