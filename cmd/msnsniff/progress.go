package main

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressDelay is how long an input must take before a bar appears, so
// small captures never flash one.
const progressDelay = time.Second

// progress shows how far through an input the run is, on stderr, only when
// stderr is a terminal and the input takes more than a moment.
type progress struct {
	w     io.Writer
	name  string
	total int64 // -1 when unknown (standard input, gzip)
	start time.Time
	bar   *progressbar.ProgressBar
}

// newProgress returns a progress for one input, or nil when no bar may be
// shown (stderr not a terminal).
func newProgress(stderr io.Writer, name string) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	total := int64(-1)
	if name != "-" && !strings.HasSuffix(name, ".gz") {
		if st, err := os.Stat(name); err == nil {
			total = st.Size()
		}
	}
	return &progress{w: stderr, name: name, total: total, start: time.Now()}
}

// update reports that n bytes of the input have been read.
func (p *progress) update(n int64) {
	if p == nil {
		return
	}
	if p.bar == nil {
		if time.Since(p.start) < progressDelay {
			return
		}
		p.bar = progressbar.NewOptions64(p.total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	_ = p.bar.Set64(n)
}

// clear removes the bar so that a message can be printed cleanly.
func (p *progress) clear() {
	if p != nil && p.bar != nil {
		_ = p.bar.Clear()
	}
}

// done finishes and removes the bar.
func (p *progress) done() {
	if p != nil && p.bar != nil {
		_ = p.bar.Finish()
	}
}
