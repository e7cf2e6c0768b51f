package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/plex"
	"github.com/authportal/authportal/queries"
	"github.com/authportal/authportal/workers"
)

// The providers and mfa sections take effect without a restart: the web
// face is rebuilt with the sign-in providers and MFA flags they set and
// swapped in whole (webHolder), and the media re-check asks whichever
// servers the current section names (liveCheckers). Requests in flight
// finish on the face they started on; every cookie the faces issue is
// keyed by SESSION_SECRET, so a sign-in begun on one finishes on the next.

// providersFromSection is c's providers as the providers section sets them,
// secrets opened. What the section does not hold (each server's app name,
// the re-check interval) stays as the environment set it.
func providersFromSection(c Providers, doc *domain.ProvidersConfig, sealer *commands.Sealer) (Providers, error) {
	var errs []error
	open := func(path string, s domain.Secret) string {
		v, err := sealer.OpenConfigSecret(path, s)
		errs = append(errs, err)
		return v
	}
	allow := func(entries []string) AllowList {
		list, _ := parseAllowList(strings.Join(entries, ","))
		return list
	}
	p := c
	p.Primary, p.Enabled = doc.MediaServer, append([]string(nil), doc.Login...)
	p.Plex.APIURL, p.Plex.AppURL = orDefault(doc.Plex.APIURL, plex.DefaultAPIURL), orDefault(doc.Plex.AppURL, plex.DefaultAppURL)
	p.Plex.Product, p.Plex.Version, p.Plex.Device = orDefault(p.Plex.Product, "AuthPortal"), version, "Web"
	p.PlexAuth.ServerMachineID, p.PlexAuth.ServerName = doc.Plex.ServerMachineID, doc.Plex.ServerName
	p.PlexAuth.OwnerToken = open("providers.plex.ownerToken", doc.Plex.OwnerToken)
	for _, mb := range []struct {
		flavor mediabrowser.Flavor
		from   domain.MediaBrowserSettings
		into   *mediabrowser.Config
	}{{mediabrowser.Jellyfin, doc.Jellyfin, &p.Jellyfin}, {mediabrowser.Emby, doc.Emby, &p.Emby}} {
		into := mb.into
		into.Flavor, into.ServerURL, into.AdminIsAdmin = mb.flavor, mb.from.ServerURL, mb.from.AdminIsAdmin
		into.APIKey = open("providers."+string(mb.flavor)+".apiKey", mb.from.APIKey)
		into.AppName, into.AppVersion, into.DeviceName = orDefault(into.AppName, "AuthPortal"), orDefault(into.AppVersion, version), "AuthPortal"
	}
	u := &p.Upstream
	gh, gg, oi := doc.GitHub, doc.Google, doc.OIDC
	u.GitHub.ClientID, u.GitHub.AuthURL, u.GitHub.TokenURL, u.GitHub.APIURL = gh.ClientID, gh.AuthURL, gh.TokenURL, gh.APIURL
	u.GitHub.ClientSecret = open("providers.github.clientSecret", gh.ClientSecret)
	u.Google.ClientID, u.Google.AuthURL, u.Google.TokenURL = gg.ClientID, gg.AuthURL, gg.TokenURL
	u.Google.Issuer, u.Google.JWKSURL = gg.Issuer, gg.JWKSURL
	u.Google.ClientSecret = open("providers.google.clientSecret", gg.ClientSecret)
	u.OIDC.Name, u.OIDC.Issuer, u.OIDC.ClientID, u.OIDC.Scopes = "oidc", oi.Issuer, oi.ClientID, oi.Scopes
	u.OIDC.ClientSecret = open("providers.oidc.clientSecret", oi.ClientSecret)
	u.OIDCName = oi.Name
	u.Allowed = map[string]AllowList{"github": allow(gh.Allowed), "google": allow(gg.Allowed), "oidc": allow(oi.Allowed)}
	return p, errors.Join(errs...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// liveCheckers are the media servers the re-check asks, swapped when the
// providers section changes. The worker holds one forwarder per media
// server; one that is not configured now "cannot tell", which leaves the
// friend's access as it is (as before it was configured).
type liveCheckers struct {
	mu       sync.RWMutex
	checkers map[string]workers.AccessChecker
}

var errNotConfigured = errors.New("this media server is not configured now")

func (l *liveCheckers) set(checkers map[string]workers.AccessChecker) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checkers = checkers
}

// forwarders is the worker's view: every media server, asking whichever
// checker is current.
func (l *liveCheckers) forwarders() map[string]workers.AccessChecker {
	out := map[string]workers.AccessChecker{}
	for _, name := range []string{"plex", "jellyfin", "emby"} {
		out[name] = forwardChecker{l, name}
	}
	return out
}

type forwardChecker struct {
	l    *liveCheckers
	name string
}

func (f forwardChecker) CheckAccess(ctx context.Context, li queries.LinkedIdentity, token string) (bool, string, error) {
	f.l.mu.RLock()
	c := f.l.checkers[f.name]
	f.l.mu.RUnlock()
	if c == nil {
		return false, "", errNotConfigured
	}
	return c.CheckAccess(ctx, li, token)
}

// webHolder is the web face in use; swapping it is how a saved section
// reaches the pages.
type webHolder struct {
	web atomic.Pointer[apihttp.Server]
}

func newWebHolder(web *apihttp.Server) *webHolder {
	h := &webHolder{}
	h.web.Store(web)
	return h
}

func (h *webHolder) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.web.Load().ServeHTTP(w, r) }

// useProvidersSection builds the sign-in providers from the current
// providers section (later versions win over the environment).
func (a *app) useProvidersSection() error {
	doc, ok, err := a.runtime.model.Document(domain.SectionProviders)
	if err != nil || !ok {
		return err
	}
	p, err := providersFromSection(a.config.Providers, doc.(*domain.ProvidersConfig), a.runtime.sealer)
	if err != nil {
		return fmt.Errorf("providers section: %w", err)
	}
	c := a.config
	c.Providers = p
	signIn, checkers, err := signInProviders(c, a.externalSignIn, a.logger)
	if err != nil {
		return fmt.Errorf("providers section: %w", err)
	}
	a.signIn = signIn
	a.checkers.set(checkers)
	return nil
}

// followSections rebuilds the web face whenever the providers or mfa
// section changes, until ctx ends. A section that cannot be built (it was
// valid when saved, but a secret no longer opens) is logged and the face
// in use stays.
func (a *app) followSections(ctx context.Context, web *webHolder, logger *slog.Logger) {
	// mfa starts at 0: the face built at start has the environment's MFA flags,
	// so a saved mfa section is applied on the first round.
	providers, mfa := a.runtime.model.Version(domain.SectionProviders), int64(0)
	for {
		changed := a.runtime.model.Changed()
		p, m := a.runtime.model.Version(domain.SectionProviders), a.runtime.model.Version(domain.SectionMFA)
		if p != providers || m != mfa {
			if err := a.rebuildWeb(web, p != providers); err != nil {
				logger.Error("saved configuration not applied; the previous one stays in use", "providers_version", p, "mfa_version", m, "err", err)
			} else {
				logger.Info("configuration applied", "providers_version", p, "mfa_version", m)
			}
			providers, mfa = p, m
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

func (a *app) rebuildWeb(web *webHolder, providers bool) error {
	if providers {
		if err := a.useProvidersSection(); err != nil {
			return err
		}
	}
	next, err := web.web.Load().Rebuild(func(c *apihttp.Config, d *apihttp.Deps) {
		d.Providers = a.signIn
		if m, ok := a.runtime.model.MFA(); ok {
			c.MFAEnabled, c.MFAEnforce = m.Enable, m.Enforce
		}
	})
	if err != nil {
		return err
	}
	web.web.Store(next)
	return nil
}
