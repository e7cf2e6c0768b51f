package domain

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// Protected host names are stored in one form, so that matching a request
// is a map lookup: IDNA-normalised (the Lookup profile: Unicode labels to
// xn-- punycode, letters to lower case, STD3 characters only), lower case,
// without a trailing dot or a port. A wildcard "*.example.com" matches a
// subdomain at any depth (a.example.com, a.b.example.com), as Authelia's
// "*." rules do, but never example.com itself; the most specific entry
// wins (exact name, then the wildcard of the nearest parent).

// ErrHostName is returned by NormalizeHost for a name that is not a host
// name; the wrapping error says what is wrong in plain words.
var ErrHostName = errors.New("not a valid host name")

// NormalizeHost returns the stored form of a host name an admin entered,
// or an error wrapping ErrHostName that says what is wrong.
func NormalizeHost(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: it is empty", ErrHostName)
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@") {
		return "", fmt.Errorf("%w: give only the host name, such as app.example.com, without a scheme or path", ErrHostName)
	}
	if strings.Contains(s, ":") {
		return "", fmt.Errorf("%w: a host name has no port (the port is not part of what is matched)", ErrHostName)
	}
	wild := strings.HasPrefix(s, "*.")
	if wild {
		s = s[2:]
	}
	if strings.Contains(s, "*") {
		return "", fmt.Errorf("%w: a wildcard is only allowed as the whole first label, as in *.example.com", ErrHostName)
	}
	s = strings.TrimSuffix(s, ".")
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil || ascii == "" {
		return "", fmt.Errorf("%w: only letters, digits and hyphens are allowed between the dots, and a part cannot start or end with a hyphen", ErrHostName)
	}
	ascii = strings.ToLower(ascii)
	if len(ascii) > 253 {
		return "", fmt.Errorf("%w: it is longer than 253 characters", ErrHostName)
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", fmt.Errorf("%w: each part between dots must have 1 to 63 characters", ErrHostName)
		}
	}
	if wild {
		if len(labels) < 2 {
			return "", fmt.Errorf("%w: a wildcard needs a domain of at least two parts, as in *.example.com", ErrHostName)
		}
		return "*." + ascii, nil
	}
	return ascii, nil
}

// RequestHost returns the stored form of a host as a proxy sent it (any
// case, maybe with a port or a trailing dot), for matching. It does not
// allocate for a lower-case ASCII host; a Unicode one is converted with
// IDNA, and one that cannot be is returned as "" (it matches nothing).
func RequestHost(h string) string {
	if strings.HasPrefix(h, "[") { // an IPv6 literal: never a protected host name
		if i := strings.IndexByte(h, ']'); i > 0 {
			return strings.ToLower(h[:i+1])
		}
		return ""
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 0x80 {
			a, err := idna.Lookup.ToASCII(h)
			if err != nil {
				return ""
			}
			return strings.ToLower(a)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// WildcardBase returns "example.com" for "*.example.com" and false for a
// name that is not a wildcard.
func WildcardBase(host string) (string, bool) {
	if strings.HasPrefix(host, "*.") {
		return host[2:], true
	}
	return "", false
}
