//go:build !linux

package capture

import "fmt"

// OpenLive fails: live capture uses Linux AF_PACKET sockets.
func OpenLive(cfg LiveConfig) (*Live, error) {
	return nil, fmt.Errorf("live capture on %q: %w", cfg.Interface, ErrLiveUnsupported)
}

// LiveInterfaces fails: live capture uses Linux AF_PACKET sockets.
func LiveInterfaces() ([]Interface, error) {
	return nil, ErrLiveUnsupported
}
