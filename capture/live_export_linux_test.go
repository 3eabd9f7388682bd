package capture

import "golang.org/x/net/bpf"

// AttachFilter attaches prog to the socket fd, as a live capture does.
func AttachFilter(fd int, prog []bpf.Instruction) error { return attachFilter(fd, prog) }
