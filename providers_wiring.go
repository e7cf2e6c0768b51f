package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/authportal/authportal/commands"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/plex"
	"github.com/authportal/authportal/queries"
	"github.com/authportal/authportal/workers"
)

// signInProviders builds the outside sign-in doors the configuration opens.
// Client identities the providers see (Plex's client identifier, a media
// server's device id) derive from SESSION_SECRET, so every node and every
// restart is the same client: one device per user on Jellyfin, and a Plex
// PIN made by one node can be checked by another.
//
// It also returns, per media server, how the scheduled re-check asks it
// whether a linked account still has access (Jellyfin and Emby only with an
// API key).
func signInProviders(c Config, signIn commands.SignInExternalHandler, logger *slog.Logger) (apihttp.Providers, map[string]workers.AccessChecker, error) {
	p := apihttp.Providers{Enabled: c.Providers.Enabled, Primary: c.Providers.Primary, SignIn: signIn, Passwords: map[string]apihttp.PasswordFlow{}}
	checkers := map[string]workers.AccessChecker{}
	if c.Providers.Has("plex") {
		cfg := c.Providers.Plex
		cfg.ClientID = derivedID(c.SessionSecret, "plex client identifier")
		client, err := plex.NewClient(cfg)
		if err != nil {
			return p, nil, fmt.Errorf("PLEX_API_URL: %w", err)
		}
		auth, err := plex.NewAuthorizer(client, c.Providers.PlexAuth)
		if err != nil {
			return p, nil, fmt.Errorf("PLEX_SERVER_MACHINE_ID: %w", err)
		}
		go func() { // off the start path: Plex may be slow or down, and sign-in says so when tried
			if err := auth.Check(context.Background()); err != nil {
				logger.Warn("plex: the configured server or owner token could not be checked", "err", err)
			}
		}()
		flow := plexFlow{client: client, auth: auth, forwardURL: c.BaseURL.String() + "/auth/forward"}
		p.Plex, checkers["plex"] = flow, flow
	}
	for _, mb := range []struct {
		name string
		cfg  mediabrowser.Config
	}{{"jellyfin", c.Providers.Jellyfin}, {"emby", c.Providers.Emby}} {
		if !c.Providers.Has(mb.name) {
			continue
		}
		mb.cfg.DeviceID = mediabrowser.DeviceIDFrom(c.SessionSecret, mb.cfg.Flavor, mb.cfg.ServerURL)
		client, err := mediabrowser.NewClient(mb.cfg, nil)
		if err != nil {
			return p, nil, fmt.Errorf("%s: %w", mb.name, err)
		}
		p.Passwords[mb.name] = client
		if mb.cfg.APIKey != "" {
			checkers[mb.name] = mediaBrowserChecker{client}
		}
	}
	if err := upstreamFlows(c, &p); err != nil {
		return p, nil, err
	}
	return p, checkers, nil
}

// derivedID is a stable identifier for label, derived from secret.
func derivedID(secret []byte, label string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authportal " + label))
	return "authportal-" + hex.EncodeToString(m.Sum(nil))[:32]
}

// plexFlow is Plex's PIN sign-in as the web layer uses it.
type plexFlow struct {
	client     *plex.Client
	auth       *plex.Authorizer
	forwardURL string
}

func (f plexFlow) Start(ctx context.Context) (int64, string, error) {
	pin, err := f.client.CreatePIN(ctx)
	if err != nil {
		return 0, "", err
	}
	return pin.ID, f.client.AuthURL(pin, f.forwardURL), nil
}

func (f plexFlow) Finish(ctx context.Context, pinID int64) (providers.Identity, error) {
	token, err := f.client.CheckPIN(ctx, pinID)
	if err != nil {
		return providers.Identity{}, err
	}
	acct, err := f.client.Account(ctx, token)
	if err != nil {
		return providers.Identity{}, err
	}
	return f.auth.Decide(ctx, token, acct)
}

// CheckAccess asks plex.tv, with the friend's own token, whether they still
// see the server. A token plex.tv refuses (signed out everywhere) is no
// access until they sign in again.
func (f plexFlow) CheckAccess(ctx context.Context, _ queries.LinkedIdentity, token string) (bool, string, error) {
	if token == "" {
		return false, "no_token", nil
	}
	acct, err := f.client.Account(ctx, token)
	if errors.Is(err, providers.ErrInvalidCredentials) {
		return false, "token_revoked", nil
	}
	if err != nil {
		return false, "", err
	}
	id, err := f.auth.Decide(ctx, token, acct)
	return id.Access, id.Reason, err
}

// mediaBrowserChecker asks Jellyfin or Emby, with the API key, whether the
// user still exists and is enabled.
type mediaBrowserChecker struct{ client *mediabrowser.Client }

func (m mediaBrowserChecker) CheckAccess(ctx context.Context, li queries.LinkedIdentity, _ string) (bool, string, error) {
	return m.client.CheckAccess(ctx, li.Subject)
}
