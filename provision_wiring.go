package main

import "github.com/authportal/authportal/commands"

// liveProvisioners are the media servers invites can create accounts on:
// those the current providers section enables with an API key (the same
// clients the media re-check uses, swapped with them).
type liveProvisioners struct{ l *liveCheckers }

func (p liveProvisioners) MediaAccounts(provider string) (commands.MediaAccounts, bool) {
	p.l.mu.RLock()
	c := p.l.checkers[provider]
	p.l.mu.RUnlock()
	mb, ok := c.(mediaBrowserChecker)
	if !ok {
		return nil, false
	}
	return mb.client, true
}

// Provisionable lists the media servers invites can create accounts on now.
func (p liveProvisioners) Provisionable() []string {
	var out []string
	for _, name := range []string{"jellyfin", "emby"} {
		if _, ok := p.MediaAccounts(name); ok {
			out = append(out, name)
		}
	}
	return out
}
