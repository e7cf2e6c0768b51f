package throttle

import "net/netip"

// AddressKey is the id under which a client address is limited: the
// address itself for IPv4, its /64 for IPv6, since one subscriber is
// usually handed a whole /64 and could otherwise rotate through 2^64
// addresses, each with a fresh budget.
func AddressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// NetworkKey is the id of the network an address belongs to, for budgets
// that must hold across a whole site rather than a subscriber: an IPv6 /48
// (one site's allocation, 65,536 /64s) or an IPv4 /24.
func NetworkKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 48
	}
	return netip.PrefixFrom(a, bits).Masked().String()
}
