package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/upstream"
	"github.com/authportal/authportal/providers/upstream/githubtest"
	"github.com/authportal/authportal/providers/upstream/googletest"
	"github.com/authportal/authportal/providers/upstream/optest"
)

// noFollow is the user's browser at the upstream's own pages.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// startUpstream opens GET /auth/{provider} in b and returns where the
// portal sent the browser, checking the flow cookie it set.
func startUpstream(t *testing.T, b *browser, provider string) string {
	t.Helper()
	res := b.get("/auth/" + provider)
	if res.Status != http.StatusFound || res.Header.Get("Location") == "" {
		t.Fatalf("GET /auth/%s: %d %s, want a 302 to the upstream", provider, res.Status, res.Body)
	}
	set := res.Header.Get("Set-Cookie")
	for _, want := range []string{"authportal_oauth=", "Path=/auth/" + provider, "Max-Age=600", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("flow cookie %q lacks %q", set, want)
		}
	}
	return res.Header.Get("Location")
}

// atFake follows authURL at a fake upstream and returns the portal path
// (with query) it sends the browser back to.
func atFake(t *testing.T, ts *testServer, authURL string) string {
	t.Helper()
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), ts.URL+"/auth/") {
		t.Fatalf("upstream answered %d (Location %v), want a redirect to the portal", resp.StatusCode, loc)
	}
	return loc.RequestURI()
}

func whoAmI(t *testing.T, b *browser) map[string]any {
	t.Helper()
	return b.get("/whoami").JSON(t)
}

func TestGitHubSignInAndAllowList(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t)
	ts := startServer(t, map[string]string{"LOGIN_PROVIDERS": "github,local",
		"GITHUB_CLIENT_ID": gh.ClientID, "GITHUB_CLIENT_SECRET": gh.ClientSecret,
		"GITHUB_AUTH_URL": gh.URL + githubtest.PathAuthorize, "GITHUB_TOKEN_URL": gh.URL + githubtest.PathToken, "GITHUB_API_URL": gh.URL,
		"GITHUB_ALLOWED": "friend@example.com, @family.example"})

	b := ts.browser(t)
	if login := b.get("/"); !strings.Contains(string(login.Body), `data-provider="github"`) || !strings.Contains(string(login.Body), "Sign in with GitHub") {
		t.Fatalf("login page lacks the GitHub button:\n%s", login.Body)
	}
	if start := b.post("/auth/start-web", map[string]string{"provider": "github"}); start.Status != http.StatusOK || start.JSON(t)["authUrl"] != "/auth/github" {
		t.Fatalf("start-web for github: %d %s", start.Status, start.Body)
	}

	tests := []struct {
		name       string
		account    githubtest.Account
		authorized bool
	}{
		{"an allow-listed email", githubtest.Account{ID: 1, Login: "friend",
			Emails: []githubtest.Email{{Email: "Friend@Example.com", Primary: true, Verified: true}}}, true},
		{"an allow-listed domain", githubtest.Account{ID: 2, Login: "cousin",
			Emails: []githubtest.Email{{Email: "cousin@family.example", Primary: true, Verified: true}}}, true},
		{"a verified email not on the list", githubtest.Account{ID: 3, Login: "stranger",
			Emails: []githubtest.Email{{Email: "stranger@elsewhere.example", Primary: true, Verified: true}}}, false},
		{"an unverified email that would match", githubtest.Account{ID: 4, Login: "pretender", PublicEmail: "friend@example.com",
			Emails: []githubtest.Email{{Email: "friend@example.com", Primary: true, Verified: false}}}, false},
	}
	for _, tt := range tests {
		gh.AddAccount(tt.account)
		gh.SignIn(tt.account.Login)
		b := ts.browser(t)
		authURL := startUpstream(t, b, "github")
		if !strings.HasPrefix(authURL, gh.URL+githubtest.PathAuthorize+"?") {
			t.Fatalf("%s: sent to %s, want the GitHub authorize page", tt.name, authURL)
		}
		u, _ := url.Parse(authURL)
		if q := u.Query(); q.Get("redirect_uri") != ts.URL+"/auth/github/callback" || q.Get("code_challenge_method") != "S256" || q.Get("state") == "" {
			t.Errorf("%s: authorize query %v", tt.name, q)
		}
		done := b.get(atFake(t, ts, authURL))
		if done.Status != http.StatusOK || !strings.Contains(string(done.Body), `data-done="1"`) || !strings.Contains(string(done.Body), `data-provider="github"`) {
			t.Fatalf("%s: callback: %d %s", tt.name, done.Status, done.Body)
		}
		if me := whoAmI(t, b); me["provider"] != "github" || me["authorized"] != tt.authorized {
			t.Errorf("%s: whoami = %v, want a github user, authorized %v", tt.name, me, tt.authorized)
		}
		if got := b.cookie("/auth/github/callback", "authportal_oauth"); got != "" {
			t.Errorf("%s: the flow cookie outlived its callback", tt.name)
		}
	}
	if n := countEvents(t, ts, `event_type = 'user.media_access_granted'`); n != 2 {
		t.Errorf("media_access_granted events: %d, want 2 (the two allow-listed users)", n)
	}
}

func TestUpstreamCallbackRefusals(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t)
	gh.AddAccount(githubtest.Account{ID: 7, Login: "friend", Emails: []githubtest.Email{{Email: "friend@example.com", Primary: true, Verified: true}}})
	g := googletest.NewServer(t)
	ts := startServer(t, map[string]string{"LOGIN_PROVIDERS": "github,google",
		"GOOGLE_CLIENT_ID": g.ClientID, "GOOGLE_CLIENT_SECRET": g.ClientSecret,
		"GOOGLE_AUTH_URL": g.URL + googletest.PathAuthorize, "GOOGLE_TOKEN_URL": g.URL + googletest.PathToken,
		"GOOGLE_JWKS_URL":  g.URL + googletest.PathCerts,
		"GITHUB_CLIENT_ID": gh.ClientID, "GITHUB_CLIENT_SECRET": gh.ClientSecret,
		"GITHUB_AUTH_URL": gh.URL + githubtest.PathAuthorize, "GITHUB_TOKEN_URL": gh.URL + githubtest.PathToken, "GITHUB_API_URL": gh.URL,
		"GITHUB_ALLOWED": "friend@example.com"})
	tokenRequests := func() int { return len(gh.RequestsTo(githubtest.PathToken)) }
	refused := func(t *testing.T, res response, status int, words string) {
		t.Helper()
		if res.Status != status || !strings.Contains(string(res.Body), words) || strings.Contains(string(res.Body), `data-done="1"`) {
			t.Errorf("got %d, want %d with %q:\n%s", res.Status, status, words, res.Body)
		}
	}

	t.Run("missing cookie", func(t *testing.T) {
		gh.SignIn("friend")
		callback := atFake(t, ts, startUpstream(t, ts.browser(t), "github"))
		before := tokenRequests()
		refused(t, ts.browser(t).get(callback), http.StatusBadRequest, "not started in this browser")
		if tokenRequests() != before {
			t.Error("a callback without its cookie still asked GitHub for a token")
		}
	})
	t.Run("state mismatch", func(t *testing.T) {
		gh.SignIn("friend")
		b := ts.browser(t)
		callback := atFake(t, ts, startUpstream(t, b, "github"))
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("state", q.Get("state")+"x")
		before := tokenRequests()
		refused(t, b.get(u.Path+"?"+q.Encode()), http.StatusBadRequest, "does not match")
		if tokenRequests() != before {
			t.Error("a callback with a foreign state still asked GitHub for a token")
		}
		// The cookie went with the failed attempt: the genuine callback
		// cannot follow it.
		refused(t, b.get(callback), http.StatusBadRequest, "not started in this browser")
	})
	t.Run("replayed callback", func(t *testing.T) {
		gh.SignIn("friend")
		b := ts.browser(t)
		startUpstream(t, b, "github") // a first attempt's cookie, overwritten by the next
		authURL := startUpstream(t, b, "github")
		kept := b.cookie("/auth/github/callback", "authportal_oauth")
		callback := atFake(t, ts, authURL)
		if done := b.get(callback); !strings.Contains(string(done.Body), `data-done="1"`) {
			t.Fatalf("first callback: %d %s", done.Status, done.Body)
		}
		refused(t, b.get(callback), http.StatusBadRequest, "not started in this browser")
		// Even with the cookie put back, the code is spent.
		replay := ts.browser(t)
		u, _ := url.Parse(ts.URL + "/auth/github/callback")
		replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: "authportal_oauth", Value: kept, Path: "/auth/github"}})
		before := tokenRequests()
		refused(t, replay.get(callback), http.StatusUnauthorized, "did not accept")
		if tokenRequests() != before+1 {
			t.Errorf("replay: %d token requests, want one (refused by GitHub)", tokenRequests()-before)
		}
		if me := whoAmI(t, replay); me["authenticated"] != false {
			t.Errorf("a replayed callback signed a browser in: %v", me)
		}
	})
	t.Run("cookie of another provider", func(t *testing.T) {
		gh.SignIn("friend")
		b := ts.browser(t)
		callback := atFake(t, ts, startUpstream(t, b, "github"))
		kept := b.cookie("/auth/github/callback", "authportal_oauth")
		other := ts.browser(t)
		u, _ := url.Parse(ts.URL + "/auth/google/callback")
		other.client.Jar.SetCookies(u, []*http.Cookie{{Name: "authportal_oauth", Value: kept, Path: "/auth/google"}})
		refused(t, other.get(strings.Replace(callback, "/auth/github/", "/auth/google/", 1)), http.StatusBadRequest, "not started in this browser")
		if n := len(g.RequestsTo(googletest.PathToken)); n != 0 {
			t.Errorf("a GitHub flow cookie brought to Google's callback made %d token requests", n)
		}
	})
	t.Run("expired cookie", func(t *testing.T) {
		gh.SignIn("friend")
		b := ts.browser(t)
		callback := atFake(t, ts, startUpstream(t, b, "github"))
		ts.clock.Advance(11 * time.Minute) // the jar still sends it; the portal's clock says it is stale
		before := tokenRequests()
		refused(t, b.get(callback), http.StatusBadRequest, "longer than 10 minutes")
		if tokenRequests() != before {
			t.Error("an expired flow cookie still asked GitHub for a token")
		}
	})
	t.Run("upstream error param", func(t *testing.T) {
		gh.SignIn("") // the user declines at GitHub
		b := ts.browser(t)
		callback := atFake(t, ts, startUpstream(t, b, "github"))
		if !strings.Contains(callback, "error=access_denied") {
			t.Fatalf("the fake sent %s, want error=access_denied", callback)
		}
		refused(t, b.get(callback), http.StatusUnauthorized, "request was declined")
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("error", "<script>bad</script>")
		b2 := ts.browser(t)
		cb2 := atFake(t, ts, startUpstream(t, b2, "github"))
		u2, _ := url.Parse(cb2)
		q.Set("state", u2.Query().Get("state"))
		res := b2.get(u.Path + "?" + q.Encode())
		refused(t, res, http.StatusBadGateway, `answered &#34;unknown&#34;`)
		if strings.Contains(string(res.Body), "bad</script>") {
			t.Error("the upstream's error text was shown")
		}
	})
	t.Run("upstream down", func(t *testing.T) {
		gh.SignIn("friend")
		b := ts.browser(t)
		callback := atFake(t, ts, startUpstream(t, b, "github"))
		gh.FailWith(githubtest.PathToken, http.StatusBadGateway)
		defer gh.FailWith(githubtest.PathToken, 0)
		refused(t, b.get(callback), http.StatusServiceUnavailable, "not answering")
	})
	t.Run("unknown provider", func(t *testing.T) {
		if res := ts.browser(t).get("/auth/gitlab"); res.Status != http.StatusNotFound {
			t.Errorf("GET /auth/gitlab: %d, want 404", res.Status)
		}
	})
}

func TestGoogleSignInAndAllowList(t *testing.T) {
	t.Parallel()
	g := googletest.NewServer(t)
	g.AddAccount(googletest.Account{Sub: "111", Email: "friend@example.com", EmailVerified: true, Name: "Friend"})
	g.AddAccount(googletest.Account{Sub: "222", Email: "friend2@example.com", EmailVerified: false, Name: "Unverified"})
	ts := startServer(t, map[string]string{"LOGIN_PROVIDERS": "google",
		"GOOGLE_CLIENT_ID": g.ClientID, "GOOGLE_CLIENT_SECRET": g.ClientSecret,
		"GOOGLE_AUTH_URL": g.URL + googletest.PathAuthorize, "GOOGLE_TOKEN_URL": g.URL + googletest.PathToken,
		"GOOGLE_JWKS_URL": g.URL + googletest.PathCerts, "GOOGLE_ALLOWED": "@example.com"})
	for _, tc := range []struct {
		sub        string
		authorized bool
	}{{"111", true}, {"222", false}} {
		g.SignIn(tc.sub)
		b := ts.browser(t)
		done := b.get(atFake(t, ts, startUpstream(t, b, "google")))
		if !strings.Contains(string(done.Body), `data-done="1"`) {
			t.Fatalf("google %s: callback %d %s", tc.sub, done.Status, done.Body)
		}
		if me := whoAmI(t, b); me["provider"] != "google" || me["authorized"] != tc.authorized {
			t.Errorf("google %s: whoami = %v, want authorized %v", tc.sub, me, tc.authorized)
		}
	}
}

func TestOIDCUpstreamSignInAgainstARealOP(t *testing.T) {
	t.Parallel()
	op := optest.NewServer(t)
	ts := startServer(t, map[string]string{"LOGIN_PROVIDERS": "oidc,local",
		"OIDC_UPSTREAM_ISSUER": op.Issuer, "OIDC_UPSTREAM_CLIENT_ID": optest.ClientID, "OIDC_UPSTREAM_CLIENT_SECRET": optest.ClientSecret,
		"OIDC_UPSTREAM_NAME": "Authentik", "OIDC_UPSTREAM_ALLOWED": "test-user@zitadel.ch"})
	callback := ts.URL + "/auth/oidc/callback"
	op.Register(callback)

	if login := ts.browser(t).get("/"); !strings.Contains(string(login.Body), "Sign in with Authentik") {
		t.Errorf("login page lacks the configured name:\n%s", login.Body)
	}
	for _, tc := range []struct {
		username   string
		authorized bool
	}{{op.Username(), true}, {"test-user2", false}} {
		b := ts.browser(t)
		authURL := startUpstream(t, b, "oidc")
		u, _ := url.Parse(authURL)
		if q := u.Query(); !strings.HasPrefix(authURL, op.Issuer) || q.Get("nonce") == "" || q.Get("code_challenge_method") != "S256" {
			t.Fatalf("sent to %s, want the OP's authorize endpoint with nonce and PKCE", authURL)
		}
		back := op.SignIn(t, authURL, tc.username, callback)
		done := b.get(back.RequestURI())
		if !strings.Contains(string(done.Body), `data-done="1"`) {
			t.Fatalf("%s: callback %d %s", tc.username, done.Status, done.Body)
		}
		if me := whoAmI(t, b); me["provider"] != "oidc" || me["authorized"] != tc.authorized {
			t.Errorf("%s: whoami = %v, want an oidc user, authorized %v", tc.username, me, tc.authorized)
		}
	}

	// The OP goes down between the redirect and the callback.
	b := ts.browser(t)
	back := op.SignIn(t, startUpstream(t, b, "oidc"), op.Username(), callback)
	op.SetDown(true)
	res := b.get(back.RequestURI())
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(string(res.Body), "Authentik is not answering") {
		t.Errorf("OP down at the callback: %d %s", res.Status, res.Body)
	}
}

func TestOIDCUpstreamDownAtStart(t *testing.T) {
	t.Parallel()
	op := optest.NewServer(t)
	op.SetDown(true)
	ts := startServer(t, map[string]string{"LOGIN_PROVIDERS": "oidc",
		"OIDC_UPSTREAM_ISSUER": op.Issuer, "OIDC_UPSTREAM_CLIENT_ID": optest.ClientID, "OIDC_UPSTREAM_CLIENT_SECRET": optest.ClientSecret})
	res := ts.browser(t).get("/auth/oidc")
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(string(res.Body), "not answering") || res.Header.Get("Set-Cookie") != "" {
		t.Errorf("OP down at the start: %d %q %s", res.Status, res.Header.Get("Set-Cookie"), res.Body)
	}
}

func TestUpstreamConfig(t *testing.T) {
	base := map[string]string{"APP_BASE_URL": "https://auth.example.com", "SESSION_SECRET": strings.Repeat("s", 32)}
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	c, err := LoadConfig(envOf(with(map[string]string{"LOGIN_PROVIDERS": "github,google,oidc,local",
		"GITHUB_CLIENT_ID": "id", "GITHUB_CLIENT_SECRET": "gh-secret-value", "GITHUB_ALLOWED": "A@Example.com, @Family.example",
		"GOOGLE_CLIENT_ID": "gid", "GOOGLE_CLIENT_SECRET": "gsecret",
		"OIDC_UPSTREAM_ISSUER": "https://sso.example.com/app/", "OIDC_UPSTREAM_CLIENT_ID": "oid", "OIDC_UPSTREAM_CLIENT_SECRET": "osecret",
		"OIDC_UPSTREAM_SCOPES": "openid email, groups"})))
	if err != nil {
		t.Fatalf("valid upstream configuration refused: %v", err)
	}
	u := c.Providers.Upstream
	if u.GitHub.ClientSecret != "gh-secret-value" || u.OIDC.Issuer != "https://sso.example.com/app/" || strings.Join(u.OIDC.Scopes, " ") != "openid email groups" {
		t.Errorf("upstream config = %+v", u)
	}
	allowed := u.Allowed["github"]
	for _, tc := range []struct {
		email    string
		verified bool
		want     bool
	}{{"a@example.com", true, true}, {"A@EXAMPLE.COM", true, true}, {"x@family.example", true, true}, {"x@sub.family.example", true, false},
		{"a@example.com", false, false}, {"b@example.com", true, false}, {"", true, false}} {
		if got := allowed.Allows(tc.email, tc.verified); got != tc.want {
			t.Errorf("Allows(%q, verified %v) = %v, want %v", tc.email, tc.verified, got, tc.want)
		}
	}

	_, err = LoadConfig(envOf(with(map[string]string{"LOGIN_PROVIDERS": "github,oidc",
		"GITHUB_CLIENT_SECRET": "gh-secret-value", "GITHUB_ALLOWED": "friend@example.com, nonsense, @", "GITHUB_API_URL": "api.github.com",
		"OIDC_UPSTREAM_ISSUER": "sso.example.com", "OIDC_UPSTREAM_CLIENT_ID": "oid"})))
	if err == nil {
		t.Fatal("bad upstream configuration accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"GITHUB_CLIENT_ID:", "GITHUB_API_URL:", "GITHUB_ALLOWED:", "OIDC_UPSTREAM_ISSUER:", "OIDC_UPSTREAM_CLIENT_SECRET:"}
	if len(lines) != len(want) {
		t.Errorf("got %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("no line for %s:\n%v", w, err)
		}
	}
	if !strings.Contains(err.Error(), `"nonsense"`) || strings.Contains(err.Error(), "gh-secret-value") {
		t.Errorf("error should name the bad entry and never the secret:\n%v", err)
	}
}

// A Google ID token that is forged, for someone else, for another sign-in
// or stale is refused with the plain message, and signs nobody in.
func TestGoogleIDTokenRefused(t *testing.T) {
	t.Parallel()
	g := googletest.NewServer(t)
	g.AddAccount(googletest.Account{Sub: "111", Email: "friend@example.com", EmailVerified: true})
	g.SignIn("111")
	ts := startServer(t, map[string]string{"LOGIN_PROVIDERS": "google",
		"GOOGLE_CLIENT_ID": g.ClientID, "GOOGLE_CLIENT_SECRET": g.ClientSecret,
		"GOOGLE_AUTH_URL": g.URL + googletest.PathAuthorize, "GOOGLE_TOKEN_URL": g.URL + googletest.PathToken,
		"GOOGLE_JWKS_URL": g.URL + googletest.PathCerts, "GOOGLE_ALLOWED": "@example.com"})
	tests := []struct {
		name  string
		forge func()
	}{
		{"signed by another key", func() { g.SignWithUnpublishedKey(true) }},
		{"for another audience", func() {
			g.EditIDToken(func(c map[string]any) { c["aud"] = "another-client.apps.googleusercontent.com" })
		}},
		{"with another sign-in's nonce", func() {
			g.EditIDToken(func(c map[string]any) { c["nonce"] = upstream.NewNonce() })
		}},
		{"expired", func() {
			g.EditIDToken(func(c map[string]any) {
				c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
			})
		}},
		{"from another issuer", func() {
			g.EditIDToken(func(c map[string]any) { c["iss"] = "https://accounts.example.test" })
		}},
	}
	for _, tt := range tests {
		tt.forge()
		b := ts.browser(t)
		res := b.get(atFake(t, ts, startUpstream(t, b, "google")))
		if res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), "Google did not accept that sign-in. Start again from the sign-in page.") ||
			strings.Contains(string(res.Body), `data-done="1"`) {
			t.Errorf("%s: got %d, want 401 with the plain message:\n%s", tt.name, res.Status, res.Body)
		}
		if me := whoAmI(t, b); me["authenticated"] != false {
			t.Errorf("%s: a refused ID token signed the browser in: %v", tt.name, me)
		}
		g.SignWithUnpublishedKey(false)
		g.EditIDToken(nil)
	}
	// The genuine token still works.
	b := ts.browser(t)
	if done := b.get(atFake(t, ts, startUpstream(t, b, "google"))); !strings.Contains(string(done.Body), `data-done="1"`) {
		t.Fatalf("genuine token: %d %s", done.Status, done.Body)
	}
}

// githubEnv is the configuration of a portal signing in with gh.
func githubEnv(gh *githubtest.Server, extra map[string]string) map[string]string {
	env := map[string]string{"LOGIN_PROVIDERS": "github,local",
		"GITHUB_CLIENT_ID": gh.ClientID, "GITHUB_CLIENT_SECRET": gh.ClientSecret,
		"GITHUB_AUTH_URL": gh.URL + githubtest.PathAuthorize, "GITHUB_TOKEN_URL": gh.URL + githubtest.PathToken, "GITHUB_API_URL": gh.URL,
		"GITHUB_ALLOWED": "friend@example.com"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// When the popup is blocked the login page goes to /auth/{provider} itself,
// with its next: the sign-in ends there (through the second factor when one
// is owed), and a next that leaves the site is dropped.
func TestUpstreamFullPageKeepsNext(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t)
	gh.AddAccount(githubtest.Account{ID: 7, Login: "friend", Emails: []githubtest.Email{{Email: "friend@example.com", Primary: true, Verified: true}}})
	gh.SignIn("friend")
	for _, tc := range []struct {
		name, enforce, next, want string
	}{
		{"next kept", "0", "/account", `data-redirect="/account"`},
		{"next with a query kept", "0", "/account?tab=sessions", `data-redirect="/account?tab=sessions"`},
		{"next through the second factor", "1", "/account", `data-redirect="/mfa/enroll?next=%2faccount"`},
		{"no next", "0", "", `data-redirect="/home"`},
		{"next to another site dropped", "0", "//evil.example/x", `data-redirect="/home"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, githubEnv(gh, map[string]string{"MFA_ENABLE": "1", "MFA_ENFORCE": tc.enforce}))
			if tc.next != "" {
				// The login page hands its next to the buttons' script.
				if login := ts.browser(t).get("/?next=" + url.QueryEscape(tc.next)); tc.next == "/account" &&
					!strings.Contains(string(login.Body), `data-next="/account"`) {
					t.Fatalf("login page lacks data-next:\n%s", login.Body)
				}
			}
			b := ts.browser(t)
			start := b.get("/auth/github?next=" + url.QueryEscape(tc.next))
			if start.Status != http.StatusFound {
				t.Fatalf("GET /auth/github: %d %s", start.Status, start.Body)
			}
			done := b.get(atFake(t, ts, start.Header.Get("Location")))
			if !strings.Contains(string(done.Body), `data-done="1"`) || !strings.Contains(strings.ToLower(string(done.Body)), strings.ToLower(tc.want)) {
				t.Fatalf("callback: %d, want %s in\n%s", done.Status, tc.want, done.Body)
			}
		})
	}
}

// The upstream pages spend per-address budgets: past them the answer is a
// plain page with 429 and Retry-After, and nothing reaches the upstream.
func TestUpstreamPagesRateLimited(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t)
	ts := startServer(t, githubEnv(gh, nil))
	limited := func(t *testing.T, res response) {
		t.Helper()
		if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
			!strings.Contains(string(res.Body), "Too many attempts. Try again in") || res.Header.Get("Set-Cookie") != "" {
			t.Fatalf("got %d (Retry-After %q, Set-Cookie %q), want a plain 429 page:\n%s",
				res.Status, res.Header.Get("Retry-After"), res.Header.Get("Set-Cookie"), res.Body)
		}
	}

	b := ts.browser(t)
	for i := range 10 {
		if res := b.get("/auth/github"); res.Status != http.StatusFound {
			t.Fatalf("start %d: %d, want 302 within the budget", i+1, res.Status)
		}
	}
	limited(t, ts.browser(t).get("/auth/github")) // another browser, the same address
	if n := len(gh.RequestsTo(githubtest.PathAuthorize)); n != 0 {
		t.Fatalf("the fake saw %d authorization requests; the test's browser never went there", n)
	}

	// Callbacks have their own budget: a flood of forged ones is cut off
	// before any reaches GitHub's token endpoint.
	for i := range 10 {
		if res := b.get("/auth/github/callback?code=x&state=y"); res.Status != http.StatusBadRequest {
			t.Fatalf("callback %d: %d, want 400 (no flow cookie) within the budget", i+1, res.Status)
		}
	}
	limited(t, b.get("/auth/github/callback?code=x&state=y"))
	if n := len(gh.RequestsTo(githubtest.PathToken)); n != 0 {
		t.Errorf("%d token requests, want none", n)
	}

	// The budget refills with time.
	ts.clock.Advance(time.Minute)
	if res := b.get("/auth/github"); res.Status != http.StatusFound {
		t.Errorf("a minute later: %d, want 302", res.Status)
	}
}
