package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The relying party in these tests is coreos/go-oidc with x/oauth2, an
// implementation independent of the provider's own code; requests it has
// no helper for (refresh reuse, revoke, introspect, logout) are plain HTTP.

// relyingParty is one registered client and its go-oidc view of the portal.
type relyingParty struct {
	t        *testing.T
	ts       *testServer
	id       string
	secret   string
	redirect string
	provider *oidc.Provider
	conf     oauth2.Config
}

// newRelyingParty registers a client through the CLI (extra: more flags).
func newRelyingParty(t *testing.T, ts *testServer, name string, extra ...string) *relyingParty {
	t.Helper()
	redirect := "https://" + strings.ToLower(name) + ".example.test/callback"
	args := append([]string{"client", "add", "--name", name, "--redirect-uri", redirect,
		"--post-logout-redirect-uri", "https://" + strings.ToLower(name) + ".example.test/bye"}, extra...)
	out, err := ts.cli(t, "", args...)
	if err != nil {
		t.Fatalf("client add: %v", err)
	}
	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ClientID == "" {
		t.Fatalf("client add printed %q: want {client_id, client_secret}", out)
	}
	provider, err := oidc.NewProvider(t.Context(), ts.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &relyingParty{t: t, ts: ts, id: created.ClientID, secret: created.ClientSecret, redirect: redirect, provider: provider,
		conf: oauth2.Config{ClientID: created.ClientID, ClientSecret: created.ClientSecret, RedirectURL: redirect,
			Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}}
}

func (rp *relyingParty) verifier() *oidc.IDTokenVerifier {
	return rp.provider.Verifier(&oidc.Config{ClientID: rp.id, Now: rp.ts.clock.Now})
}

// flow is one authorization request as the relying party made it.
type flow struct {
	state, nonce, verifier string
	code                   string
	location               *url.URL // where the portal sent the browser at the end
}

var hiddenRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)

// authorize runs the browser through /oidc/authorize (and the consent page,
// allowing, when it shows) and returns where it ended.
func (rp *relyingParty) authorize(b *browser, opts ...oauth2.AuthCodeOption) flow {
	rp.t.Helper()
	f := flow{state: oauth2.GenerateVerifier()[:16], nonce: oauth2.GenerateVerifier()[:20], verifier: oauth2.GenerateVerifier()}
	opts = append([]oauth2.AuthCodeOption{oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}, opts...)
	res := b.get(strings.TrimPrefix(rp.conf.AuthCodeURL(f.state, opts...), rp.ts.URL))
	if res.Status == http.StatusOK {
		m := hiddenRequest.FindSubmatch(res.Body)
		if m == nil {
			rp.t.Fatalf("authorize answered a page without a consent form: %s", res.Body)
		}
		res = b.postForm("/oidc/authorize/decision", url.Values{"request": {string(m[1])}, "decision": {"allow"}})
	}
	f.location = redirected(rp.t, res)
	f.code = f.location.Query().Get("code")
	return f
}

func redirected(t *testing.T, res response) *url.URL {
	t.Helper()
	if res.Status != http.StatusFound && res.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect: %s", res.Status, res.Body)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// exchange redeems a code through x/oauth2 and checks the ID token with go-oidc.
func (rp *relyingParty) exchange(f flow) (*oauth2.Token, *oidc.IDToken, error) {
	tok, err := rp.conf.Exchange(rp.t.Context(), f.code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.verifier().Verify(rp.t.Context(), raw)
	if err != nil {
		rp.t.Fatalf("go-oidc refused the ID token: %v", err)
	}
	return tok, idt, nil
}

// post sends a client-authenticated form to a portal endpoint.
func (rp *relyingParty) post(path string, form url.Values) (int, map[string]any, http.Header) {
	rp.t.Helper()
	req, err := http.NewRequestWithContext(rp.t.Context(), http.MethodPost, rp.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		rp.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rp.secret != "" {
		req.SetBasicAuth(url.QueryEscape(rp.id), url.QueryEscape(rp.secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		rp.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil && path != "/oidc/revoke" {
		rp.t.Fatalf("%s answered %d without JSON: %v", path, res.StatusCode, err)
	}
	return res.StatusCode, body, res.Header
}

func (rp *relyingParty) userinfo(access string) (*oidc.UserInfo, error) {
	return rp.provider.UserInfo(rp.t.Context(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access, TokenType: "Bearer"}))
}

// The whole flow with an independent relying party: discovery, authorize
// with PKCE through sign-in and consent, code exchange, ID token checks,
// userinfo, refresh rotation and reuse detection, introspection, revocation.
func TestOIDCFullFlow(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ada", "correct horse battery", false)
	rp := newRelyingParty(t, ts, "Grafana")
	rp.conf.Scopes = append(rp.conf.Scopes, "groups", "offline_access")

	var claims struct {
		Methods []string `json:"code_challenge_methods_supported"`
		ISS     bool     `json:"authorization_response_iss_parameter_supported"`
		Grants  []string `json:"grant_types_supported"`
	}
	if err := rp.provider.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(claims.Methods, []string{"S256"}) || !claims.ISS || !slices.Contains(claims.Grants, "refresh_token") {
		t.Errorf("discovery = %+v; want S256 only, iss parameter, refresh_token", claims)
	}

	// Not signed in: to the login page, with the request to come back to.
	b := ts.browser(t)
	start := b.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), ts.URL))
	loc := redirected(t, start)
	if next := loc.Query().Get("next"); loc.Path != "/login" || !strings.HasPrefix(next, "/oidc/authorize?") || !strings.Contains(next, "state=s1") {
		t.Fatalf("unauthenticated authorize went to %s, want /login?next=<the request>", loc)
	}
	b.login("ada", "correct horse battery", http.StatusOK)
	if back := redirected(t, b.get(loc.RequestURI())); back.RequestURI() != loc.Query().Get("next") {
		t.Fatalf("the login page sent a signed-in user to %s, want back to the request", back)
	}

	f := rp.authorize(b)
	if f.code == "" || f.location.Query().Get("state") != f.state || f.location.Query().Get("iss") != ts.URL {
		t.Fatalf("authorize ended at %s; want a code, state %s and iss %s", f.location, f.state, ts.URL)
	}
	tok, idt, err := rp.exchange(f)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	var idc struct {
		Nonce    string   `json:"nonce"`
		AuthTime int64    `json:"auth_time"`
		AMR      []string `json:"amr"`
		SID      string   `json:"sid"`
		AtHash   string   `json:"at_hash"`
	}
	if err := idt.Claims(&idc); err != nil {
		t.Fatal(err)
	}
	if idc.Nonce != f.nonce || idc.AuthTime != ts.clock.Now().Unix() || !slices.Contains(idc.AMR, "pwd") || idc.SID == "" || idc.AtHash == "" {
		t.Errorf("ID token claims = %+v; want the nonce, auth_time, amr pwd, sid, at_hash", idc)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash does not match the access token: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}

	ui, err := rp.userinfo(tok.AccessToken)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var uc struct {
		Username string   `json:"preferred_username"`
		Groups   []string `json:"groups"`
	}
	if err := ui.Claims(&uc); err != nil {
		t.Fatal(err)
	}
	if ui.Subject != idt.Subject || ui.Email != "ada@example.com" || uc.Username != "ada" || !slices.Contains(uc.Groups, "users") {
		t.Errorf("userinfo = %+v %+v; want ada's claims with the ID token's sub", ui, uc)
	}

	// A second authorization remembers the consent: no page this time.
	if again := b.get(strings.TrimPrefix(rp.conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), ts.URL)); again.Status != http.StatusFound {
		t.Errorf("second authorize: status %d, want a redirect without the consent page", again.Status)
	}

	// Refresh rotates; the old refresh token used again revokes the family.
	status, refreshed, _ := rp.post("/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	newRefresh, _ := refreshed["refresh_token"].(string)
	newAccess, _ := refreshed["access_token"].(string)
	if status != http.StatusOK || newRefresh == "" || newRefresh == tok.RefreshToken || newAccess == "" {
		t.Fatalf("refresh: %d %v; want new tokens", status, refreshed)
	}
	if raw, _ := refreshed["id_token"].(string); raw == "" {
		t.Error("refresh gave no ID token")
	} else if _, err := rp.verifier().Verify(t.Context(), raw); err != nil {
		t.Errorf("refreshed ID token: %v", err)
	}
	status, intro, _ := rp.post("/oidc/introspect", url.Values{"token": {newAccess}})
	if status != http.StatusOK || intro["active"] != true || intro["client_id"] != rp.id || intro["sub"] != idt.Subject {
		t.Errorf("introspect a live access token: %d %v", status, intro)
	}
	status, reused, _ := rp.post("/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if status != http.StatusBadRequest || reused["error"] != "invalid_grant" {
		t.Errorf("reused refresh token: %d %v, want 400 invalid_grant", status, reused)
	}
	status, body, _ := rp.post("/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {newRefresh}})
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("the family's newest refresh token after a reuse: %d %v, want invalid_grant", status, body)
	}
	if _, err := rp.userinfo(newAccess); err == nil {
		t.Error("userinfo with an access token of a revoked family succeeded")
	}
	status, intro, _ = rp.post("/oidc/introspect", url.Values{"token": {newAccess}})
	if status != http.StatusOK || intro["active"] != false {
		t.Errorf("introspect a revoked token: %d %v, want inactive", status, intro)
	}

	// Revocation (RFC 7009) of a fresh grant's access token ends it and its refresh token.
	tok2, _, err := rp.exchange(rp.authorize(b))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := rp.post("/oidc/revoke", url.Values{"token": {tok2.AccessToken}}); status != http.StatusOK {
		t.Fatalf("revoke: %d", status)
	}
	if _, err := rp.userinfo(tok2.AccessToken); err == nil {
		t.Error("userinfo after revocation succeeded")
	}
	if status, body, _ := rp.post("/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}}); status != http.StatusBadRequest {
		t.Errorf("refresh after revocation: %d %v, want invalid_grant", status, body)
	}
}

// Every event of the flow is in the log, and no code or token is there in clear.
func TestOIDCLogHoldsNoTokens(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ada", "correct horse battery", false)
	rp := newRelyingParty(t, ts, "Immich", "--scopes", "openid,profile,email,offline_access")
	rp.conf.Scopes = append(rp.conf.Scopes, "offline_access")
	b := ts.browser(t)
	b.login("ada", "correct horse battery", http.StatusOK)
	f := rp.authorize(b)
	tok, _, err := rp.exchange(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{f.code, tok.AccessToken, tok.RefreshToken, rp.secret} {
		if n := countEvents(t, ts, `position(cast($1 AS text) in data::text) > 0`, secret); n != 0 {
			t.Errorf("a secret appears in %d events", n)
		}
	}
	for _, typ := range []string{"client.registered", "consent.granted", "grant.code_issued", "grant.code_redeemed", "oidc.signing_key_generated"} {
		if n := countEvents(t, ts, `event_type = $1`, typ); n != 1 {
			t.Errorf("%s events: %d, want 1", typ, n)
		}
	}
}

// The attacks the issue lists, each against a running portal.
func TestOIDCAttacks(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ada", "correct horse battery", false)
	rp := newRelyingParty(t, ts, "Jellyseerr", "--first-party")
	other := newRelyingParty(t, ts, "Gitea", "--first-party")
	b := ts.browser(t)
	b.login("ada", "correct horse battery", http.StatusOK)

	t.Run("code replay revokes what the first redemption issued", func(t *testing.T) {
		f := rp.authorize(b)
		tok, _, err := rp.exchange(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.conf.Exchange(t.Context(), f.code, oauth2.VerifierOption(f.verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("second redemption: %v, want invalid_grant", err)
		}
		if _, err := rp.userinfo(tok.AccessToken); err == nil {
			t.Error("the first redemption's access token still works after the replay")
		}
	})
	t.Run("PKCE verifier mismatch", func(t *testing.T) {
		f := rp.authorize(b)
		f.verifier = oauth2.GenerateVerifier()
		if _, _, err := rp.exchange(f); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("wrong verifier: %v, want invalid_grant", err)
		}
	})
	t.Run("no PKCE and plain PKCE are refused at authorize", func(t *testing.T) {
		for name, extra := range map[string]url.Values{
			"none":  {},
			"plain": {"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"plain"}},
		} {
			q := url.Values{"client_id": {rp.id}, "redirect_uri": {rp.redirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"x"}}
			for k, v := range extra {
				q[k] = v
			}
			loc := redirected(t, b.get("/oidc/authorize?"+q.Encode()))
			if loc.Query().Get("error") != "invalid_request" || loc.Query().Get("code") != "" || loc.Query().Get("state") != "x" {
				t.Errorf("%s PKCE: sent to %s, want error=invalid_request with the state", name, loc)
			}
		}
	})
	t.Run("redirect_uri tricks get an error page, never a redirect", func(t *testing.T) {
		for _, uri := range []string{rp.redirect + "/../evil", rp.redirect + "x", strings.TrimSuffix(rp.redirect, "callback"), rp.redirect + "?next=https://evil.test",
			strings.Replace(rp.redirect, "https://", "https://evil.test#", 1), strings.ToUpper(rp.redirect), other.redirect, ""} {
			q := url.Values{"client_id": {rp.id}, "redirect_uri": {uri}, "response_type": {"code"}, "scope": {"openid"},
				"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
			res := b.get("/oidc/authorize?" + q.Encode())
			if res.Status != http.StatusBadRequest || res.Header.Get("Location") != "" || !strings.Contains(string(res.Body), `id="oidc-error"`) {
				t.Errorf("redirect_uri %q: status %d, Location %q; want the error page", uri, res.Status, res.Header.Get("Location"))
			}
		}
	})
	t.Run("another client's code", func(t *testing.T) {
		f := rp.authorize(b)
		stolen := *other
		stolen.conf.RedirectURL = rp.redirect
		if _, err := stolen.conf.Exchange(t.Context(), f.code, oauth2.VerifierOption(f.verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("another client redeeming the code: %v, want invalid_grant", err)
		}
	})
	t.Run("another client can neither introspect nor revoke a token", func(t *testing.T) {
		tok, _, err := rp.exchange(rp.authorize(b))
		if err != nil {
			t.Fatal(err)
		}
		if status, body, _ := other.post("/oidc/introspect", url.Values{"token": {tok.AccessToken}}); status != http.StatusOK || body["active"] != false {
			t.Errorf("introspect by another client: %d %v, want inactive", status, body)
		}
		if status, _, _ := other.post("/oidc/revoke", url.Values{"token": {tok.AccessToken}}); status != http.StatusOK {
			t.Errorf("revoke by another client: %d, want 200 (RFC 7009 says nothing more)", status)
		}
		if _, err := rp.userinfo(tok.AccessToken); err != nil {
			t.Errorf("another client's revocation ended the token: %v", err)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		f := rp.authorize(b)
		wrong := *rp
		wrong.secret = "not-the-secret"
		status, body, header := wrong.post("/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {f.code},
			"redirect_uri": {rp.redirect}, "code_verifier": {f.verifier}})
		if status != http.StatusUnauthorized || body["error"] != "invalid_client" || !strings.HasPrefix(header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("wrong secret: %d %v %q; want 401 invalid_client with WWW-Authenticate", status, body, header.Get("WWW-Authenticate"))
		}
		if n := countEvents(t, ts, `event_type LIKE 'client.%' AND stream_id = $1 AND stream_version > 1`, "client-"+rp.id); n != 0 {
			t.Errorf("a failed client authentication wrote %d events", n)
		}
		// The code was not spent by the failed attempt.
		if _, _, err := rp.exchange(f); err != nil {
			t.Errorf("the right client after a wrong secret: %v", err)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		f := rp.authorize(b)
		ts.clock.Advance(2 * time.Minute)
		if _, _, err := rp.exchange(f); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("a code two minutes old: %v, want invalid_grant", err)
		}
	})
	t.Run("prompt=none without a session", func(t *testing.T) {
		q := url.Values{"client_id": {rp.id}, "redirect_uri": {rp.redirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"z"},
			"prompt": {"none"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		loc := redirected(t, ts.browser(t).get("/oidc/authorize?"+q.Encode()))
		if loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != "z" {
			t.Errorf("prompt=none signed out: %s, want login_required", loc)
		}
	})
}

// A portal logout, RP-initiated or not, ends the session's tokens on the spot.
func TestOIDCTokensEndWithTheSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ada", "correct horse battery", false)
	rp := newRelyingParty(t, ts, "Portainer", "--first-party")
	rp.conf.Scopes = append(rp.conf.Scopes, "offline_access")

	b := ts.browser(t)
	b.login("ada", "correct horse battery", http.StatusOK)
	tok, _, err := rp.exchange(rp.authorize(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	q := url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"https://portainer.example.test/bye"}, "state": {"after"}}
	page := b.get("/oidc/logout?" + q.Encode())
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `id="logout-confirm"`) {
		t.Fatalf("logout page: %d %s", page.Status, page.Body)
	}
	bad := b.get("/oidc/logout?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"https://evil.test/"}}.Encode())
	if bad.Status != http.StatusBadRequest {
		t.Errorf("logout to an unregistered address: %d, want the error page", bad.Status)
	}
	loc := redirected(t, b.postForm("/oidc/logout", url.Values{"client_id": {rp.id}, "post_logout_redirect_uri": {"https://portainer.example.test/bye"}, "state": {"after"}}))
	if loc.Host != "portainer.example.test" || loc.Query().Get("state") != "after" {
		t.Errorf("after logout sent to %s, want the registered address with the state", loc)
	}
	if _, err := rp.userinfo(tok.AccessToken); err == nil {
		t.Error("userinfo after logout succeeded")
	}
	if status, body, _ := rp.post("/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}); status != http.StatusBadRequest {
		t.Errorf("refresh after logout: %d %v, want invalid_grant", status, body)
	}

	// Signing out everywhere (a revocation by epoch) does the same.
	b2 := ts.browser(t)
	b2.login("ada", "correct horse battery", http.StatusOK)
	tok2, _, err := rp.exchange(rp.authorize(b2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.cli(t, "", "user", "sessions", "revoke", "--username", "ada"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := rp.userinfo(tok2.AccessToken)
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("userinfo still works five seconds after the user's sessions were revoked")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
