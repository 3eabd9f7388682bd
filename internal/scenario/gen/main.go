// Command gen writes the bundled captures of testdata/pcaps from the
// scripts in package scenario: go run ./internal/scenario/gen -out testdata/pcaps
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msnsniff/msnsniff/internal/scenario"
)

func main() {
	out := flag.String("out", "testdata/pcaps", "directory to write the captures to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, c := range scenario.Bundled() {
		var b bytes.Buffer
		if err := c.Write(&b); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		path := filepath.Join(*out, c.Name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("%-22s %6d bytes  %s\n", c.Name, b.Len(), c.Description)
	}
}
