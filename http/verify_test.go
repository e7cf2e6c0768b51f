package http

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// fakeForward is the forward-auth model held in maps, deciding with the
// domain's own rule over the fake access model's users.
type fakeForward struct {
	mu           sync.Mutex
	access       *fakeAccess
	hosts        map[string]domain.ProtectedHost // by host name, "*.example.com" for a wildcard
	perms        map[string]domain.Permissions   // by user id
	defaultAllow bool
}

func (f *fakeForward) ProtectedHost(host string) (domain.ProtectedHost, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h, ok := f.hosts[host]; ok {
		return h, true
	}
	for rest := host; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return domain.ProtectedHost{}, false
		}
		rest = rest[i+1:]
		if h, ok := f.hosts["*."+rest]; ok {
			return h, true
		}
	}
}

func (f *fakeForward) DecideForward(userID, host string) domain.ForwardVerdict {
	f.access.mu.Lock()
	u, known := f.access.users[userID]
	f.access.mu.Unlock()
	if !known {
		return domain.ForwardVerdict{Reason: domain.ReasonUnknownUser}
	}
	var hp *domain.ProtectedHost
	if h, ok := f.ProtectedHost(host); ok {
		hp = &h
	}
	f.mu.Lock()
	p, defaultAllow := f.perms[userID], f.defaultAllow
	f.mu.Unlock()
	return domain.DecideForward(u.Standing(), p, hp, defaultAllow)
}

// verifyEnv is a test server with forward auth: two protected hosts, and
// users U1 (allowed everywhere) and U2 (deny_all but for wiki).
type verifyEnv struct {
	*testEnv
	fwd *fakeForward
}

func newVerifyEnv(t *testing.T, configure ...func(*Config, *Deps)) verifyEnv {
	t.Helper()
	fwd := &fakeForward{
		hosts: map[string]domain.ProtectedHost{
			"app.example.com":  {ID: "h-app", Host: "app.example.com", Name: "App", ForwardAuth: true},
			"wiki.example.com": {ID: "h-wiki", Host: "wiki.example.com", Name: "Wiki", ForwardAuth: true},
			"*.lab.test":       {ID: "h-lab", Host: "*.lab.test", Name: "Lab", ForwardAuth: true},
			"docs.example.com": {ID: "h-docs", Host: "docs.example.com", Name: "Docs", ForwardAuth: false},
		},
		perms: map[string]domain.Permissions{
			"U2": {Mode: domain.DenyAll, Hosts: map[string]bool{"h-wiki": true}},
		},
	}
	e := newTestEnv(t, append([]func(*Config, *Deps){func(_ *Config, d *Deps) { d.Forward = fwd }}, configure...)...)
	fwd.access = e.access
	e.addUser("U1", func(u *queries.AccessUser) { u.Username, u.Email = "nina", "nina@example.com" })
	e.addUser("U2", func(u *queries.AccessUser) { u.Username, u.Email = "otto", "otto@example.com" })
	return verifyEnv{testEnv: e, fwd: fwd}
}

// caddy is the header set Caddy's forward_auth sends for a request to url.
func caddy(method, rawURL string) http.Header {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	return http.Header{"X-Forwarded-Method": {method}, "X-Forwarded-Proto": {u.Scheme}, "X-Forwarded-Host": {u.Host},
		"X-Forwarded-Uri": {u.RequestURI()}}
}

// verifyAs asks verify with h, as the holder of the session cookie value
// ("" for none).
func (e verifyEnv) verifyAs(value, query string, h http.Header) reply {
	e.t.Helper()
	var cookies []*http.Cookie
	if value != "" {
		cookies = append(cookies, jar(sessionCookie, value))
	}
	return e.send(req{method: http.MethodGet, path: verifyPath + query, header: h, cookies: cookies})
}

func TestVerifyAllowed(t *testing.T) {
	e := newVerifyEnv(t)
	e.addUser("A1", func(u *queries.AccessUser) { u.Username, u.Email, u.Admin = "root", "root@example.com", true })
	tests := []struct {
		name, user, url            string
		wantUser, wantMail, groups string
	}{
		{"allow_all user", "U1", "https://app.example.com/x?y=1", "nina", "nina@example.com", "users"},
		{"deny_all user on their exception", "U2", "https://wiki.example.com/", "otto", "otto@example.com", "users"},
		{"admin", "A1", "https://app.example.com/", "root", "root@example.com", "admins,users"},
		{"under a wildcard, host in capitals with a port", "U1", "https://Grafana.LAB.test:8443/d", "nina", "nina@example.com", "users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, value := e.cookie(tt.user, domain.SessionFull)
			res := e.verifyAs(value, "", caddy("GET", tt.url))
			if res.status != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", res.status, res.body)
			}
			for name, want := range map[string]string{
				"Remote-User": tt.wantUser, "X-Forwarded-User": tt.wantUser, "Remote-Name": tt.wantUser,
				"Remote-Email": tt.wantMail, "X-Forwarded-Email": tt.wantMail,
				"Remote-Groups": tt.groups, "X-Forwarded-Groups": tt.groups, "Cache-Control": "no-store",
			} {
				if got := res.header.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("verify set cookies: %q", sc)
			}
		})
	}
}

func TestVerifyDenied(t *testing.T) {
	e := newVerifyEnv(t, func(c *Config, _ *Deps) { c.RequestEmail, c.RequestSubject = "owner@example.com", "Please let me in" })
	e.addUser("N1", func(u *queries.AccessUser) { u.Username, u.AccessGranted, u.MediaAccess = "newbie", false, false })
	tests := []struct {
		name, user, url, why string
	}{
		{"deny_all, host not listed", "U2", "https://app.example.com/", "Your account is not allowed to open app.example.com."},
		{"not authorized", "N1", "https://app.example.com/", "Your account does not have access to the apps behind this portal yet."},
		{"unknown host", "U1", "https://elsewhere.example.org/", "elsewhere.example.org is not one of the apps this portal lets people into."},
		{"registered, forward auth off", "U1", "https://docs.example.com/", "docs.example.com is not set up to let people in through this portal."},
		{"no host given", "U1", "", "this app is not one of the apps this portal lets people into."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, value := e.cookie(tt.user, domain.SessionFull)
			h := http.Header{}
			if tt.url != "" {
				h = caddy("GET", tt.url)
			}
			res := e.verifyAs(value, "", h)
			if res.status != http.StatusForbidden || res.problem(t) != problemType(problemForwardDenied) {
				t.Fatalf("status %d, want 403 forward-denied: %s", res.status, res.body)
			}
			if detail := res.json(t)["detail"]; detail != tt.why {
				t.Errorf("detail %q, want %q", detail, tt.why)
			}
			if res.header.Get("Remote-User") != "" {
				t.Error("a denied answer names the user")
			}

			h.Set("Accept", "text/html,application/xhtml+xml")
			page := e.verifyAs(value, "", h)
			body := string(page.body)
			if page.status != http.StatusForbidden || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
				t.Fatalf("browser: status %d %s, want a 403 page", page.status, page.header.Get("Content-Type"))
			}
			for _, want := range []string{
				strings.ReplaceAll(tt.why, "'", "&#39;"),
				`href="mailto:owner@example.com?subject=Please&#43;let&#43;me&#43;in`,
				`href="https://auth.example.com/static/app.css"`,
				`href="https://auth.example.com/home"`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("the page lacks %q:\n%s", want, body)
				}
			}
			if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src https://auth.example.com;") {
				t.Errorf("CSP %q does not allow the portal's stylesheet on the app's origin", csp)
			}
		})
	}

	t.Run("whom to ask without a request address", func(t *testing.T) {
		e := newVerifyEnv(t)
		_, value := e.cookie("U2", domain.SessionFull)
		h := caddy("GET", "https://app.example.com/")
		h.Set("Accept", "text/html")
		res := e.verifyAs(value, "", h)
		if !strings.Contains(string(res.body), "ask the administrator of this portal") {
			t.Errorf("the page does not say whom to ask:\n%s", res.body)
		}
	})
}

// TestVerifyAnonymous: no session (or one that no longer stands) goes to
// the login page with the way back, and leaves nothing behind: no cookie,
// no command, no rate-limit bucket, no log line above debug.
func TestVerifyAnonymous(t *testing.T) {
	budgets := &fakeBudgets{}
	e := newVerifyEnv(t, func(c *Config, d *Deps) { d.Budgets = budgets })
	_, ended := e.cookie("U1", domain.SessionFull)
	e.access.set(func(a *fakeAccess) { clear(a.live) })
	_, revoked := e.cookie("U2", domain.SessionFull, func(c *SessionClaims) { c.Epoch = 0 })
	_, pending := e.cookie("U1", domain.SessionMFAChallenge)

	const back = "https://app.example.com/movies?id=7&sort=new"
	login := "https://auth.example.com/login?rd=" + url.QueryEscape(back)
	tests := []struct {
		name, cookie, query string
		header              http.Header
		status              int
		location            string
	}{
		{"no cookie", "", "", caddy("GET", back), http.StatusFound, login},
		{"garbage cookie", "not.a.cookie", "", caddy("GET", back), http.StatusFound, login},
		{"ended session", ended, "", caddy("GET", back), http.StatusFound, login},
		{"revoked session", revoked, "", caddy("GET", back), http.StatusFound, login},
		{"pending second factor", pending, "", caddy("GET", back), http.StatusFound, login},
		{"nginx", "", "?mode=nginx", http.Header{"X-Original-Url": {back}, "X-Original-Method": {"GET"}}, http.StatusUnauthorized, login},
		{"nginx, mode among other parameters", "", "?x=1&mode=nginx", http.Header{"X-Original-Url": {back}}, http.StatusUnauthorized, login},
		{"unknown host: no way back", "", "", caddy("GET", "https://evil.example.org/"), http.StatusFound, "https://auth.example.com/login"},
		{"no original request", "", "", nil, http.StatusFound, "https://auth.example.com/login"},
		{"javascript proto", "", "", http.Header{"X-Forwarded-Proto": {"javascript"}, "X-Forwarded-Host": {"app.example.com"}, "X-Forwarded-Uri": {"/"}},
			http.StatusFound, "https://auth.example.com/login"},
		{"uri without a leading slash", "", "", http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"app.example.com"}, "X-Forwarded-Uri": {"@evil.com/"}},
			http.StatusFound, "https://auth.example.com/login"},
		{"host with a path in it", "", "", http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil.com/app.example.com"}, "X-Forwarded-Uri": {"/"}},
			http.StatusFound, "https://auth.example.com/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.verifyAs(tt.cookie, tt.query, tt.header)
			if res.status != tt.status || res.header.Get("Location") != tt.location {
				t.Errorf("got %d Location %q, want %d %q", res.status, res.header.Get("Location"), tt.status, tt.location)
			}
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("an anonymous verify set cookies: %q", sc)
			}
		})
	}
	if logs := e.logs.String(); logs != "" {
		t.Errorf("anonymous verifies logged above debug:\n%s", logs)
	}
	if len(e.login.received())+len(e.logout.received()) > 0 || len(budgets.taken) > 0 {
		t.Errorf("anonymous verifies ran commands or took budgets: %v", budgets.taken)
	}
}

// TestVerifyReadsOnlyItsProxysHeaders: each mode reads the headers its
// proxy sets and nothing else, since a proxy passes a client's own headers
// through to verify. A client of nginx sending X-Forwarded-Host (or of
// Caddy sending X-Original-URL) for a host it may enter does not get
// another host judged.
func TestVerifyReadsOnlyItsProxysHeaders(t *testing.T) {
	e := newVerifyEnv(t)
	_, otto := e.cookie("U2", domain.SessionFull) // may open wiki, not app
	tests := []struct {
		name   string
		query  string
		header http.Header
		want   int
	}{
		{"caddy: the forwarded host decides", "", caddy("GET", "https://wiki.example.com/"), http.StatusOK},
		{"caddy: X-Original-URL is ignored", "", func() http.Header {
			h := caddy("GET", "https://app.example.com/")
			h.Set("X-Original-Url", "https://wiki.example.com/")
			return h
		}(), http.StatusForbidden},
		{"nginx: X-Original-URL decides", "?mode=nginx", http.Header{"X-Original-Url": {"https://wiki.example.com/"}}, http.StatusOK},
		{"nginx: X-Forwarded-Host is ignored", "?mode=nginx", http.Header{"X-Original-Url": {"https://app.example.com/"},
			"X-Forwarded-Host": {"wiki.example.com"}, "X-Forwarded-Proto": {"https"}}, http.StatusForbidden},
		{"nginx: no X-Original-URL, only X-Forwarded-Host", "?mode=nginx", http.Header{"X-Forwarded-Host": {"wiki.example.com"}}, http.StatusForbidden},
		{"caddy: several forwarded hosts", "", http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"wiki.example.com, app.example.com"}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := e.verifyAs(otto, tt.query, tt.header); res.status != tt.want {
				t.Errorf("status %d, want %d: %s", res.status, tt.want, res.body)
			}
		})
	}
}

// TestVerifyUntrustedCaller: with TRUSTED_PROXY_CIDRS set, a caller outside
// it (here the test client on 127.0.0.1) is not believed about the
// original request: the host is unknown, so denied, and no way back.
func TestVerifyUntrustedCaller(t *testing.T) {
	e := newVerifyEnv(t, func(c *Config, _ *Deps) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	_, nina := e.cookie("U1", domain.SessionFull)
	if res := e.verifyAs(nina, "", caddy("GET", "https://app.example.com/")); res.status != http.StatusForbidden {
		t.Errorf("signed in, untrusted caller: status %d, want 403", res.status)
	}
	res := e.verifyAs("", "", caddy("GET", "https://app.example.com/"))
	if res.status != http.StatusFound || res.header.Get("Location") != "https://auth.example.com/login" {
		t.Errorf("anonymous, untrusted caller: %d %q, want 302 to the login page without rd", res.status, res.header.Get("Location"))
	}
}

func TestVerifyModelBehind(t *testing.T) {
	e := newVerifyEnv(t)
	e.access.set(func(a *fakeAccess) { a.catchUp = false; a.position = 3 })
	_, value := e.cookie("U1", domain.SessionFull) // at position 5
	res := e.verifyAs(value, "", caddy("GET", "https://app.example.com/"))
	if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
		t.Errorf("status %d Retry-After %q, want 503 with Retry-After", res.status, res.header.Get("Retry-After"))
	}
}

func TestVerifyNotServedWithoutForwardAuth(t *testing.T) {
	e := newTestEnv(t)
	if res := e.get(verifyPath); res.status != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.status)
	}
}

// TestVerifyAfterSignIn: the login page takes rd, signs in and returns to
// it; one it may not return to becomes /home.
func TestVerifyAfterSignIn(t *testing.T) {
	e := newVerifyEnv(t)
	page := e.get("/login?rd=" + url.QueryEscape("https://app.example.com/movies?id=7"))
	if !strings.Contains(string(page.body), `data-next="https://app.example.com/movies?id=7"`) {
		t.Errorf("the login page does not carry rd as next:\n%s", page.body)
	}
	page = e.get("/login?rd=" + url.QueryEscape("https://evil.example.org/"))
	if strings.Contains(string(page.body), "evil.example.org") {
		t.Errorf("the login page carries a foreign rd:\n%s", page.body)
	}
	_, value := e.cookie("U1", domain.SessionFull)
	res := e.get("/login?rd="+url.QueryEscape("https://wiki.example.com/a"), jar(sessionCookie, value))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "https://wiki.example.com/a" {
		t.Errorf("signed in already: %d %q, want 303 to rd", res.status, res.header.Get("Location"))
	}
}

func TestSessionCookieValue(t *testing.T) {
	tests := []string{
		"",
		"authportal_session=abc",
		"a=1; authportal_session=abc; b=2",
		"a=1;authportal_session=abc",
		"xauthportal_session=nope; authportal_session=yes",
		`authportal_session="quoted"`,
		"authportal_session=first; authportal_session=second",
		"authportal_session",
		"  authportal_session =  spaced ",
		"authportal_session; authportal_session=later",
		"authportal_session=bad\\value; authportal_session=good",
		"a=1, authportal_session=comma",
	}
	for _, line := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if line != "" {
			r.Header.Set("Cookie", line)
		}
		want := ""
		if c, err := r.Cookie(sessionCookie); err == nil {
			want = c.Value
		}
		if got := sessionCookieValue(r); got != want {
			t.Errorf("Cookie: %q: got %q, Request.Cookie says %q", line, got, want)
		}
	}
}

// BenchmarkVerify is the allowed path as the server runs it (the cookie
// cache warm), without the network.
func BenchmarkVerify(b *testing.B) {
	base, err := url.Parse(testBaseURL)
	if err != nil {
		b.Fatal(err)
	}
	access := newFakeAccess()
	access.position = 10
	access.put(queries.AccessUser{ID: "U1", Username: "nina", Email: "nina@example.com", AccessGranted: true, Epoch: 1})
	access.live["S1"] = testNow.Add(time.Hour)
	fwd := &fakeForward{access: access, hosts: map[string]domain.ProtectedHost{
		"app.example.com": {ID: "h-app", Host: "app.example.com", ForwardAuth: true}}}
	srv, err := New(Config{BaseURL: base, SessionKey: testKey}, Deps{
		Login: &fakeCommand[commands.Login, commands.LoginResult]{}, Logout: &fakeCommand[commands.Logout, commands.Result]{},
		StartTOTP:  &fakeCommand[commands.StartTOTPEnrollment, commands.StartTOTPEnrollmentResult]{},
		VerifyTOTP: &fakeCommand[commands.VerifyTOTPEnrollment, commands.VerifyTOTPEnrollmentResult]{},
		AnswerMFA:  &fakeCommand[commands.AnswerMFAChallenge, commands.AnswerMFAChallengeResult]{},
		Reader:     &fakeHead{head: 10}, Access: access, Budgets: &fakeBudgets{}, Health: fakeHealth{started: true},
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }, Forward: fwd,
	})
	if err != nil {
		b.Fatal(err)
	}
	value, err := srv.codec.encode(SessionClaims{SessionID: "S1", UserID: "U1", Kind: domain.SessionFull, Epoch: 1, Position: 5,
		IssuedAt: testNow, ExpiresAt: testNow.Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, verifyPath, nil)
	for k, v := range caddy("GET", "https://app.example.com/x") {
		r.Header[k] = v
	}
	r.Header.Set("Cookie", sessionCookie+"="+value)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		srv.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps the status and headers only.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
