package main

import (
	"context"
	"fmt"

	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/upstream"
)

// upstreamFlows builds the redirect sign-ins (GitHub, Google, generic OIDC)
// LOGIN_PROVIDERS opens, each returning to APP_BASE_URL +
// /auth/{provider}/callback and deciding access by its allow-list.
func upstreamFlows(c Config, p *apihttp.Providers) error {
	u := c.Providers.Upstream
	callback := func(name string) string { return c.BaseURL.String() + "/auth/" + name + "/callback" }
	p.Redirects, p.Names = map[string]apihttp.RedirectFlow{}, map[string]string{}
	if c.Providers.Has("github") {
		cfg := u.GitHub
		cfg.RedirectURL = callback("github")
		gh, err := upstream.NewGitHub(cfg)
		if err != nil {
			return fmt.Errorf("github: %w", err)
		}
		p.Redirects["github"] = allowListFlow{up: gh, allowed: u.Allowed["github"]}
	}
	if c.Providers.Has("google") {
		cfg := u.Google
		cfg.RedirectURL = callback("google")
		g, err := upstream.NewGoogle(cfg)
		if err != nil {
			return fmt.Errorf("google: %w", err)
		}
		p.Redirects["google"] = allowListFlow{up: g, allowed: u.Allowed["google"]}
	}
	if c.Providers.Has("oidc") {
		cfg := u.OIDC
		cfg.RedirectURL = callback("oidc")
		o, err := upstream.NewOIDC(cfg)
		if err != nil {
			return fmt.Errorf("oidc: %w", err)
		}
		p.Redirects["oidc"] = allowListFlow{up: o, allowed: u.Allowed["oidc"]}
		p.Names["oidc"] = u.OIDCName
	}
	return nil
}

// allowListFlow is an upstream whose sign-ins get access when the
// upstream's verified email is on the admin's allow-list (Reason
// "allow_list"), and none otherwise ("not_allowed"): such a user exists,
// without access, until an admin grants it.
type allowListFlow struct {
	up      upstream.Upstream
	allowed AllowList
}

func (f allowListFlow) AuthURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	return f.up.AuthURL(ctx, state, nonce, verifier)
}

func (f allowListFlow) Finish(ctx context.Context, code, verifier, nonce string) (providers.Identity, error) {
	id, err := f.up.Finish(ctx, code, verifier, nonce)
	if err != nil {
		return providers.Identity{}, err
	}
	id.Access, id.Reason = false, "not_allowed"
	if f.allowed.Allows(id.Email, id.EmailVerified) {
		id.Access, id.Reason = true, "allow_list"
	}
	return id, nil
}
