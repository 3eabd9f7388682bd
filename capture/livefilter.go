package capture

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Filter is a parsed capture filter expression: the subset of pcap-filter(7)
// that msnsniff compiles into the kernel's BPF program itself, so that live
// capture needs neither libpcap nor cgo.
//
// The subset is:
//
//	[ip|ip6|tcp] [src|dst|src or dst|src and dst] host ADDR-OR-NAME
//	[ip|ip6|tcp] [src|dst|src or dst|src and dst] net CIDR   (or net ADDR mask MASK)
//	[ip|ip6|tcp] [src|dst|src or dst|src and dst] port N
//	[ip|ip6|tcp] [src|dst|src or dst|src and dst] portrange N-M
//	ip | ip6 | tcp
//
// combined with and (&&), or (||), not (!) and parentheses, with not binding
// tightest and and before or. As in tcpdump, a bare value repeats the
// qualifiers of the primitive before it ("host a or b" is "host a or host
// b"), and a bare value with no primitive before it is a host. Host names
// are resolved once, when the expression is parsed; a name with several
// addresses matches any of them.
type Filter struct {
	text string
	root *filterNode
}

// String returns the expression as it was given.
func (f *Filter) String() string { return f.text }

// filterOp is the operator of a filterNode.
type filterOp uint8

const (
	opPrimitive filterOp = iota
	opAnd
	opOr
	opNot
)

// filterNode is one node of the expression tree: a primitive, or an
// operator over one (not) or two (and, or) sub-expressions.
type filterNode struct {
	op   filterOp
	l, r *filterNode
	prim primitive
}

// protoQual restricts a primitive to one IP version; tcp restricts nothing,
// because only TCP reaches the filter's primitives.
type protoQual uint8

const (
	protoAny protoQual = iota
	protoIPv4
	protoIPv6
	protoTCP
)

// dirQual says which end of a packet a primitive looks at.
type dirQual uint8

const (
	dirSrcOrDst dirQual = iota
	dirSrc
	dirDst
	dirSrcAndDst
)

// kindQual is what a primitive compares.
type kindQual uint8

const (
	kindHost kindQual = iota
	kindNet
	kindPort
	kindPortRange
	kindProto // a bare ip, ip6 or tcp: the protocol qualifier is the test
)

// quals are the qualifiers of a primitive, which a bare value that follows
// it inherits.
type quals struct {
	proto protoQual
	dir   dirQual
	kind  kindQual
}

// primitive is one test on a packet.
type primitive struct {
	quals
	// prefixes are the addresses (full-length prefixes) of a host or the
	// network of a net.
	prefixes []netip.Prefix
	// lo and hi are the port of a port primitive (lo == hi) or the bounds
	// of a portrange, inclusive.
	lo, hi uint16
}

// Words of pcap-filter(7) outside the subset, recognised so that they get
// a clear error instead of being looked up as host names.
var unsupportedFilterWords = map[string]bool{
	"udp": true, "icmp": true, "icmp6": true, "arp": true, "rarp": true, "sctp": true,
	"igmp": true, "igrp": true, "pim": true, "vrrp": true, "ah": true, "esp": true,
	"ether": true, "fddi": true, "tr": true, "wlan": true, "ppp": true, "slip": true,
	"link": true, "vlan": true, "mpls": true, "pppoed": true, "pppoes": true, "geneve": true,
	"less": true, "greater": true, "len": true, "proto": true, "protochain": true,
	"broadcast": true, "multicast": true, "gateway": true, "inbound": true, "outbound": true,
	"ifname": true, "on": true, "rnr": true, "rulenum": true, "reason": true, "action": true,
	"decnet": true, "iso": true, "atalk": true, "ipx": true, "netbeui": true, "stp": true,
	"lat": true, "mopdl": true, "moprc": true, "sca": true, "clnp": true, "esis": true,
	"isis": true, "l1": true, "l2": true, "iih": true, "lsp": true, "snp": true, "csnp": true,
	"psnp": true, "type": true, "subtype": true, "dir": true, "ra": true, "ta": true, "addr1": true,
	"addr2": true, "addr3": true, "addr4": true, "lane": true, "oam": true, "oamf4": true,
	"metac": true, "bcc": true, "sc": true, "ilmic": true, "connectmsg": true, "metaconnect": true,
}

// filterKeywords are the words the subset gives a meaning to; none of them
// can be a bare value.
var filterKeywords = map[string]bool{
	"and": true, "or": true, "not": true, "src": true, "dst": true, "host": true,
	"net": true, "port": true, "portrange": true, "ip": true, "ip6": true, "tcp": true,
	"mask": true,
}

// FilterSyntaxError reports an expression outside the supported subset, or
// one that does not parse.
type FilterSyntaxError struct {
	Expr string // the whole expression
	Pos  int    // byte offset of the offending token in Expr
	Msg  string
}

// Error formats the error with the position of the offending token.
func (e *FilterSyntaxError) Error() string {
	return fmt.Sprintf("filter %q: at offset %d: %s", e.Expr, e.Pos, e.Msg)
}

// resolveTimeout bounds the lookup of a host name in a filter.
const resolveTimeout = 10 * time.Second

// ParseFilter parses a capture filter expression (see Filter for the
// grammar). An empty or blank expression returns nil, which matches every
// packet. Errors are *FilterSyntaxError, or a wrapped resolver error for a
// host name that does not resolve.
func ParseFilter(expr string) (*Filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	toks, err := lexFilter(expr)
	if err != nil {
		return nil, err
	}
	p := &filterParser{expr: expr, toks: toks}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.text != "" {
		return nil, p.errorf(t, "unexpected %q", t.text)
	}
	return &Filter{text: expr, root: root}, nil
}

// filterToken is one word or operator of an expression; text is "" at the
// end of the input.
type filterToken struct {
	text string
	pos  int
}

// lexFilter splits an expression into words, parentheses and the operators
// !, &&, || (spelled as the words not, and, or).
func lexFilter(expr string) ([]filterToken, error) {
	var toks []filterToken
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, filterToken{string(c), i})
			i++
		case c == '!':
			toks = append(toks, filterToken{"not", i})
			i++
		case c == '&' || c == '|':
			if i+1 >= len(expr) || expr[i+1] != c {
				return nil, &FilterSyntaxError{Expr: expr, Pos: i, Msg: fmt.Sprintf("%q: did you mean %q?", c, string([]byte{c, c}))}
			}
			op := "and"
			if c == '|' {
				op = "or"
			}
			toks = append(toks, filterToken{op, i})
			i += 2
		default:
			j := i
			for j < len(expr) && !strings.ContainsRune(" \t\n\r()!&|", rune(expr[j])) {
				j++
			}
			toks = append(toks, filterToken{expr[i:j], i})
			i = j
		}
	}
	return append(toks, filterToken{"", len(expr)}), nil
}

// filterParser is a recursive-descent parser over the tokens.
type filterParser struct {
	expr string
	toks []filterToken
	i    int
	// last holds the qualifiers of the previous primitive, which a bare
	// value inherits.
	last    quals
	hasLast bool
}

func (p *filterParser) peek() filterToken   { return p.toks[p.i] }
func (p *filterParser) peekAt(n int) string { return p.toks[min(p.i+n, len(p.toks)-1)].text }
func (p *filterParser) next() filterToken {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *filterParser) errorf(t filterToken, format string, a ...any) error {
	return &FilterSyntaxError{Expr: p.expr, Pos: t.pos, Msg: fmt.Sprintf(format, a...)}
}

// parseOr parses and-expressions joined by or.
func (p *filterParser) parseOr() (*filterNode, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek().text, "or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &filterNode{op: opOr, l: l, r: r}
	}
	return l, nil
}

// parseAnd parses unary expressions joined by and.
func (p *filterParser) parseAnd() (*filterNode, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek().text, "and") {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &filterNode{op: opAnd, l: l, r: r}
	}
	return l, nil
}

// parseUnary parses not, a parenthesised expression or a primitive.
func (p *filterParser) parseUnary() (*filterNode, error) {
	t := p.peek()
	switch strings.ToLower(t.text) {
	case "not":
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &filterNode{op: opNot, l: x}, nil
	case "(":
		p.next()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.text != ")" {
			if c.text == "" {
				return nil, p.errorf(c, "missing %q", ")")
			}
			return nil, p.errorf(c, "expected %q, found %q", ")", c.text)
		}
		return x, nil
	case "":
		return nil, p.errorf(t, "expression ends where a primitive (host, net, port, portrange, ip, ip6, tcp) was expected")
	case ")", "and", "or":
		return nil, p.errorf(t, "unexpected %q where a primitive was expected", t.text)
	}
	return p.parsePrimitive()
}

// endOfPrimitive reports whether the token cannot continue a primitive.
func endOfPrimitive(s string) bool {
	switch strings.ToLower(s) {
	case "", ")", "and", "or":
		return true
	}
	return false
}

// parsePrimitive parses [proto] [dir] [kind] value, or a bare protocol.
func (p *filterParser) parsePrimitive() (*filterNode, error) {
	start := p.peek()
	var q quals
	qualified := false // any qualifier was written
	kindGiven := false

	switch strings.ToLower(p.peek().text) {
	case "ip":
		q.proto = protoIPv4
	case "ip6":
		q.proto = protoIPv6
	case "tcp":
		q.proto = protoTCP
	}
	if q.proto != protoAny {
		p.next()
		qualified = true
		if endOfPrimitive(p.peek().text) {
			q.kind = kindProto
			return &filterNode{prim: primitive{quals: q}}, nil
		}
	}

	switch d := strings.ToLower(p.peek().text); d {
	case "src", "dst":
		p.next()
		qualified = true
		q.dir = dirSrc
		if d == "dst" {
			q.dir = dirDst
		}
		// "src or dst" and "src and dst" are qualifiers when the other
		// direction follows at once; otherwise the or/and is an operator.
		other := "dst"
		if d == "dst" {
			other = "src"
		}
		if op := strings.ToLower(p.peek().text); (op == "or" || op == "and") && strings.EqualFold(p.peekAt(1), other) {
			p.next()
			p.next()
			q.dir = dirSrcOrDst
			if op == "and" {
				q.dir = dirSrcAndDst
			}
		}
	}

	switch strings.ToLower(p.peek().text) {
	case "host":
		q.kind = kindHost
		kindGiven = true
	case "net":
		q.kind = kindNet
		kindGiven = true
	case "port":
		q.kind = kindPort
		kindGiven = true
	case "portrange":
		q.kind = kindPortRange
		kindGiven = true
	}
	if kindGiven {
		p.next()
	} else if !qualified {
		// A bare value: tcpdump's abbreviation.
		if p.hasLast {
			q = p.last
		} else {
			q.kind = kindHost
		}
	}

	v := p.next()
	low := strings.ToLower(v.text)
	switch {
	case endOfPrimitive(v.text) || v.text == "(":
		if v.text == "" {
			return nil, p.errorf(v, "expression ends where a value for %q was expected", start.text)
		}
		return nil, p.errorf(v, "expected a value after %q, found %q", start.text, v.text)
	case unsupportedFilterWords[low]:
		return nil, p.errorf(v, "%q is outside the supported filter subset (host, net, port, portrange, src, dst, ip, ip6, tcp, and, or, not)", v.text)
	case filterKeywords[low]:
		return nil, p.errorf(v, "unexpected %q where a value was expected", v.text)
	}

	prim := primitive{quals: q}
	var err error
	switch q.kind {
	case kindHost:
		prim.prefixes, err = p.hostPrefixes(v, q.proto)
	case kindNet:
		prim.prefixes, err = p.netPrefix(v, q.proto)
	case kindPort:
		var n uint16
		n, err = p.port(v, v.text)
		prim.lo, prim.hi = n, n
	case kindPortRange:
		prim.lo, prim.hi, err = p.portRange(v)
	}
	if err != nil {
		return nil, err
	}
	p.last, p.hasLast = prim.quals, true
	return &filterNode{prim: prim}, nil
}

// checkFamily rejects an address whose family contradicts the protocol
// qualifier.
func (p *filterParser) checkFamily(t filterToken, a netip.Addr, proto protoQual) error {
	if proto == protoIPv4 && !a.Is4() {
		return p.errorf(t, "%s is not an IPv4 address, but the primitive says ip", a)
	}
	if proto == protoIPv6 && a.Is4() {
		return p.errorf(t, "%s is not an IPv6 address, but the primitive says ip6", a)
	}
	return nil
}

// hostPrefixes turns an address or a host name into full-length prefixes.
func (p *filterParser) hostPrefixes(t filterToken, proto protoQual) ([]netip.Prefix, error) {
	if a, err := netip.ParseAddr(t.text); err == nil {
		a = a.WithZone("")
		if err := p.checkFamily(t, a, proto); err != nil {
			return nil, err
		}
		return []netip.Prefix{netip.PrefixFrom(a, a.BitLen())}, nil
	}
	if strings.Contains(t.text, "/") {
		return nil, p.errorf(t, "%q is a network: write net %s", t.text, t.text)
	}
	if _, err := strconv.Atoi(t.text); err == nil {
		return nil, p.errorf(t, "%q is not an address; for a port write port %s", t.text, t.text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	network := map[protoQual]string{protoIPv4: "ip4", protoIPv6: "ip6"}[proto]
	if network == "" {
		network = "ip"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, network, t.text)
	if err != nil {
		return nil, fmt.Errorf("filter %q: host %s: %w", p.expr, t.text, err)
	}
	var out []netip.Prefix
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	if len(out) == 0 {
		return nil, p.errorf(t, "host %s has no addresses", t.text)
	}
	return out, nil
}

// netPrefix parses CIDR notation, a bare address (a network of one), or
// an IPv4 address followed by "mask" and a netmask.
func (p *filterParser) netPrefix(t filterToken, proto protoQual) ([]netip.Prefix, error) {
	var pfx netip.Prefix
	if strings.Contains(t.text, "/") {
		var err error
		if pfx, err = netip.ParsePrefix(t.text); err != nil {
			return nil, p.errorf(t, "net %s: %v", t.text, err)
		}
	} else {
		a, err := netip.ParseAddr(t.text)
		if err != nil {
			return nil, p.errorf(t, "net %s: want a network such as 10.0.0.0/8 or 2001:db8::/32", t.text)
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
		if strings.EqualFold(p.peek().text, "mask") {
			p.next()
			mt := p.next()
			m, err := netip.ParseAddr(mt.text)
			if err != nil || !m.Is4() || !a.Is4() {
				return nil, p.errorf(mt, "mask %q: want an IPv4 netmask such as 255.255.0.0 after an IPv4 network", mt.text)
			}
			mask := uint32(m.As4()[0])<<24 | uint32(m.As4()[1])<<16 | uint32(m.As4()[2])<<8 | uint32(m.As4()[3])
			ones := bits.LeadingZeros32(^mask)
			if mask<<ones != 0 {
				return nil, p.errorf(mt, "mask %s is not contiguous", mt.text)
			}
			pfx = netip.PrefixFrom(a, ones)
		}
	}
	if pfx.Masked() != pfx {
		return nil, p.errorf(t, "net %s has host bits set; did you mean %s?", pfx, pfx.Masked())
	}
	if err := p.checkFamily(t, pfx.Addr(), proto); err != nil {
		return nil, err
	}
	return []netip.Prefix{pfx}, nil
}

// port parses a decimal TCP port.
func (p *filterParser) port(t filterToken, s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, p.errorf(t, "port %s: out of range 0-65535", s)
		}
		return 0, p.errorf(t, "port %q: want a number (service names are not supported)", s)
	}
	return uint16(n), nil
}

// portRange parses N-M.
func (p *filterParser) portRange(t filterToken) (lo, hi uint16, err error) {
	a, b, ok := strings.Cut(t.text, "-")
	if !ok {
		return 0, 0, p.errorf(t, "portrange %q: want N-M", t.text)
	}
	if lo, err = p.port(t, a); err != nil {
		return 0, 0, err
	}
	if hi, err = p.port(t, b); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		return 0, 0, p.errorf(t, "portrange %s: %d is above %d", t.text, lo, hi)
	}
	return lo, hi, nil
}
