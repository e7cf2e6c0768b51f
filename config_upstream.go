package main

import (
	"net/url"
	"slices"
	"strings"

	"github.com/authportal/authportal/providers/upstream"
)

// UpstreamConfig is how the portal reaches the outside account providers
// LOGIN_PROVIDERS opens (github, google, oidc), and whom each may let in.
// RedirectURLs are not here: they are APP_BASE_URL + /auth/{provider}/callback
// (upstreamFlows).
type UpstreamConfig struct {
	GitHub   upstream.GitHubConfig // GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_AUTH_URL, GITHUB_TOKEN_URL, GITHUB_API_URL
	Google   upstream.GoogleConfig // GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL, GOOGLE_ISSUER, GOOGLE_JWKS_URL
	OIDC     upstream.OIDCConfig   // OIDC_UPSTREAM_ISSUER, OIDC_UPSTREAM_CLIENT_ID, OIDC_UPSTREAM_CLIENT_SECRET, OIDC_UPSTREAM_SCOPES
	OIDCName string                // OIDC_UPSTREAM_NAME: the button's name ("Sign in with Authentik"); empty: "single sign-on"
	// Allowed are GITHUB_ALLOWED, GOOGLE_ALLOWED and OIDC_UPSTREAM_ALLOWED,
	// by provider.
	Allowed map[string]AllowList
}

// AllowList is whom an upstream's sign-in gives access to: exact email
// addresses and whole domains ("@example.com"), matched only against an
// email the upstream says is verified. Everyone else signs in as a user
// without access until an admin grants it.
type AllowList struct {
	Emails  []string // lower case
	Domains []string // lower case, without the "@"
}

// Allows reports whether email, verified by the upstream, is on the list.
func (a AllowList) Allows(email string, verified bool) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if !verified || at <= 0 || at == len(email)-1 {
		return false
	}
	return slices.Contains(a.Emails, email) || slices.Contains(a.Domains, email[at+1:])
}

// parseAllowList reads a comma list of emails and @domains; bad holds the
// entries that are neither.
func parseAllowList(v string) (list AllowList, bad []string) {
	for _, entry := range splitList(strings.ToLower(v)) {
		at := strings.LastIndexByte(entry, '@')
		domain := entry[at+1:]
		switch {
		case at < 0 || domain == "" || strings.ContainsAny(entry, " \t<>\"") || strings.Count(entry, "@") > 1 ||
			!strings.Contains(domain, ".") && domain != "localhost":
			bad = append(bad, entry)
		case at == 0:
			list.Domains = append(list.Domains, domain)
		default:
			list.Emails = append(list.Emails, entry)
		}
	}
	return list, bad
}

// loadUpstreamConfig: the variables of each enabled upstream, one problem
// line per bad variable. Nothing is read for an upstream that is not
// enabled.
func loadUpstreamConfig(e env, p *Providers) {
	u := &p.Upstream
	u.Allowed = map[string]AllowList{}
	required := func(name, what string) string {
		v := e.str(name, "")
		if v == "" {
			e.bad(name, "is required with %s", what)
		}
		return v
	}
	optionalURL := func(name string) string {
		v := e.str(name, "")
		if v != "" && !absoluteHTTPURL(v) {
			e.bad(name, "must be an absolute http(s) URL")
		}
		return v
	}
	allowList := func(name string) AllowList {
		list, bad := parseAllowList(e.getenv(name))
		if len(bad) > 0 {
			e.bad(name, "must be a comma list of email addresses and @domains; cannot read %s", strings.Join(quoteAll(bad), ", "))
		}
		return list
	}
	if p.Has("github") {
		u.GitHub = upstream.GitHubConfig{
			ClientID: required("GITHUB_CLIENT_ID", "GitHub sign-in (from the GitHub OAuth app)"), ClientSecret: required("GITHUB_CLIENT_SECRET", "GitHub sign-in"),
			AuthURL: optionalURL("GITHUB_AUTH_URL"), TokenURL: optionalURL("GITHUB_TOKEN_URL"), APIURL: optionalURL("GITHUB_API_URL"),
		}
		u.Allowed["github"] = allowList("GITHUB_ALLOWED")
	}
	if p.Has("google") {
		u.Google = upstream.GoogleConfig{
			ClientID: required("GOOGLE_CLIENT_ID", "Google sign-in (from the Google Cloud OAuth client)"), ClientSecret: required("GOOGLE_CLIENT_SECRET", "Google sign-in"),
			AuthURL: optionalURL("GOOGLE_AUTH_URL"), TokenURL: optionalURL("GOOGLE_TOKEN_URL"),
			Issuer: optionalURL("GOOGLE_ISSUER"), JWKSURL: optionalURL("GOOGLE_JWKS_URL"),
		}
		u.Allowed["google"] = allowList("GOOGLE_ALLOWED")
	}
	if p.Has("oidc") {
		issuer := e.str("OIDC_UPSTREAM_ISSUER", "")
		switch {
		case issuer == "":
			e.bad("OIDC_UPSTREAM_ISSUER", "is required with oidc sign-in, e.g. https://sso.example.com/application/o/authportal/")
		case !absoluteHTTPURL(issuer):
			e.bad("OIDC_UPSTREAM_ISSUER", "must be an absolute http(s) URL, the issuer exactly as its discovery document names it")
		}
		u.OIDC = upstream.OIDCConfig{
			Name: "oidc", Issuer: issuer,
			ClientID: required("OIDC_UPSTREAM_CLIENT_ID", "oidc sign-in"), ClientSecret: required("OIDC_UPSTREAM_CLIENT_SECRET", "oidc sign-in"),
			Scopes: strings.Fields(strings.ReplaceAll(e.getenv("OIDC_UPSTREAM_SCOPES"), ",", " ")),
		}
		u.OIDCName = e.str("OIDC_UPSTREAM_NAME", "")
		if len(u.OIDCName) > 64 {
			e.bad("OIDC_UPSTREAM_NAME", "must be at most 64 characters")
		}
		u.Allowed["oidc"] = allowList("OIDC_UPSTREAM_ALLOWED")
	}
}

func absoluteHTTPURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = `"` + s + `"`
	}
	return out
}
