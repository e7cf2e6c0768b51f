package main

import "strings"

// loadForwardAuthConfig reads FORWARD_AUTH_DEFAULT: what a forward-auth
// request for a host that matches no protected host gets. "deny" (the
// default) answers 403; "authenticated" lets any authorized user through.
// Every node reads the same variable, so every node answers alike.
func loadForwardAuthConfig(e env, c *Config) {
	switch v := strings.ToLower(e.str("FORWARD_AUTH_DEFAULT", "deny")); v {
	case "deny":
		c.ForwardAuthDefaultAllow = false
	case "authenticated":
		c.ForwardAuthDefaultAllow = true
	default:
		e.bad("FORWARD_AUTH_DEFAULT", "must be deny or authenticated, got %q", v)
	}
}
