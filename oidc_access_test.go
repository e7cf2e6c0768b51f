package main

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/plex/plextest"
	"golang.org/x/oauth2"
)

// A signed-in user without access gets no code; a user who loses access
// between the code and its exchange gets no token.
func TestOIDCOnlyAuthorizedUsersGetCodesAndTokens(t *testing.T) {
	t.Parallel()
	plex := plextest.NewServer(t)
	plex.AddAccount(plextest.Account{ID: 1, Username: "owner", Token: "owner-token"})
	plex.AddAccount(plextest.Account{ID: 1001, Username: "friend", Token: "friend-token"})
	plex.AddAccount(plextest.Account{ID: 1002, Username: "stranger", Token: "stranger-token"})
	plex.AddServer(plextest.MediaServer{Name: "Home", MachineID: "machine-1", OwnerID: 1})
	plex.Share("machine-1", 1001)
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "plex", "LOGIN_PROVIDERS": "plex,local",
		"PLEX_API_URL": plex.URL, "PLEX_APP_URL": plex.URL, "PLEX_SERVER_MACHINE_ID": "machine-1", "MEDIA_RECHECK_INTERVAL": "1s"})
	rp := newRelyingParty(t, ts, "Jellyseerr", "--first-party")

	stranger := ts.browser(t)
	signInWithPlex(t, stranger, plex, "stranger-token")
	if me := stranger.get("/whoami").JSON(t); me["authenticated"] != true || me["authorized"] != false {
		t.Fatalf("stranger: %v, want signed in without access", me)
	}
	q := url.Values{"client_id": {rp.id}, "redirect_uri": {rp.redirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"st"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
	loc := redirected(t, stranger.get("/oidc/authorize?"+q.Encode()))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" {
		t.Errorf("authorize for a user without access: %s, want access_denied and no code", loc)
	}

	friend := ts.browser(t)
	signInWithPlex(t, friend, plex, "friend-token")
	f := rp.authorize(friend)
	if f.code == "" {
		t.Fatalf("friend got no code: %s", f.location)
	}
	if f.location.Query().Get("iss") != ts.URL {
		t.Errorf("iss = %q", f.location.Query().Get("iss"))
	}
	var amr []string
	tok, idt, err := rp.exchange(f)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&c); err == nil {
		amr = c.AMR
	}
	if !slices.Equal(amr, []string{"fed"}) {
		t.Errorf("amr of a Plex sign-in = %v, want [fed]", amr)
	}

	// The friend is removed from the server: the next code they got before
	// must not become tokens.
	f2 := rp.authorize(friend)
	plex.Unshare("machine-1", 1001)
	deadline := time.Now().Add(15 * time.Second)
	for countEvents(t, ts, `event_type = 'user.media_access_revoked'`) < 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if _, _, err := rp.exchange(f2); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("exchange after the user lost access: %v, want invalid_grant", err)
	}
	if _, err := rp.userinfo(tok.AccessToken); err == nil {
		t.Error("userinfo after the user lost access succeeded")
	}
}

// The consent page: deny sends access_denied back; prompt=consent asks
// again; prompt=login asks to sign in again and then goes on; a consent
// form answered twice is refused.
func TestOIDCConsentAndPrompts(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ada", "correct horse battery", false)
	rp := newRelyingParty(t, ts, "Nextcloud")
	b := ts.browser(t)
	b.login("ada", "correct horse battery", http.StatusOK)
	authURL := func(state string, extra ...oauth2.AuthCodeOption) string {
		opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier())}, extra...)
		return strings.TrimPrefix(rp.conf.AuthCodeURL(state, opts...), ts.URL)
	}

	// prompt=none before any consent.
	if loc := redirected(t, b.get(authURL("n", oauth2.SetAuthURLParam("prompt", "none")))); loc.Query().Get("error") != "consent_required" {
		t.Errorf("prompt=none without consent: %s, want consent_required", loc)
	}
	page := b.get(authURL("d"))
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "Allow Nextcloud?") || !strings.Contains(string(page.Body), "See your email address") {
		t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	// Browsers hold the form's redirect to the page's form-action: the app's origin must be in it.
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://nextcloud.example.test;") {
		t.Errorf("consent page CSP %q does not let the form end at the app", csp)
	}
	req := string(hiddenRequest.FindSubmatch(page.Body)[1])
	// The sealed request is bound to this session: another browser cannot answer it.
	other := ts.browser(t)
	other.login("ada", "correct horse battery", http.StatusOK)
	if res := other.postForm("/oidc/authorize/decision", url.Values{"request": {req}, "decision": {"allow"}}); res.Status != http.StatusBadRequest {
		t.Errorf("another session answering the consent form: %d, want 400", res.Status)
	}
	loc := redirected(t, b.postForm("/oidc/authorize/decision", url.Values{"request": {req}, "decision": {"deny"}}))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "d" || loc.Query().Get("code") != "" {
		t.Errorf("deny: %s, want access_denied with the state", loc)
	}

	page = b.get(authURL("a"))
	req = string(hiddenRequest.FindSubmatch(page.Body)[1])
	if loc := redirected(t, b.postForm("/oidc/authorize/decision", url.Values{"request": {req}, "decision": {"allow"}})); loc.Query().Get("code") == "" {
		t.Fatalf("allow: %s, want a code", loc)
	}
	if res := b.postForm("/oidc/authorize/decision", url.Values{"request": {req}, "decision": {"allow"}}); res.Status != http.StatusConflict {
		t.Errorf("the same consent form answered twice: %d, want 409", res.Status)
	}
	if loc := redirected(t, b.get(authURL("n2", oauth2.SetAuthURLParam("prompt", "none")))); loc.Query().Get("code") == "" {
		t.Errorf("prompt=none after consent: %s, want a code", loc)
	}
	if res := b.get(authURL("c", oauth2.SetAuthURLParam("prompt", "consent"))); res.Status != http.StatusOK || hiddenRequest.Find(res.Body) == nil {
		t.Errorf("prompt=consent: %d, want the consent page again", res.Status)
	}

	// prompt=login: a page asks to sign in again; its POST ends the session
	// and sends the user to sign in, back to the request without prompt.
	res := b.get(authURL("l", oauth2.SetAuthURLParam("prompt", "login")))
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `id="reauth"`) {
		t.Fatalf("prompt=login: %d %s", res.Status, res.Body)
	}
	loc = redirected(t, b.postForm("/oidc/authorize/reauth", url.Values{"next": {extractNext(t, res.Body)}}))
	next := loc.Query().Get("next")
	if loc.Path != "/login" || strings.Contains(next, "prompt=") || !strings.Contains(next, "state=l") {
		t.Fatalf("reauth went to %s, want /login?next=<request without prompt>", loc)
	}
	if me := b.get("/whoami").JSON(t); me["authenticated"] != false {
		t.Errorf("after reauth the old session still stands: %v", me)
	}
	b.login("ada", "correct horse battery", http.StatusOK)
	if loc := redirected(t, b.get(next)); loc.Query().Get("code") == "" {
		t.Errorf("after signing in again: %s, want a code", loc)
	}

	// max_age older than the sign-in asks again too.
	ts.clock.Advance(10 * time.Minute)
	if res := b.get(authURL("m", oauth2.SetAuthURLParam("max_age", "60"))); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `id="reauth"`) {
		t.Errorf("max_age=60 ten minutes after sign-in: %d, want the sign-in-again page", res.Status)
	}
	if loc := redirected(t, b.get(authURL("m2", oauth2.SetAuthURLParam("max_age", "3600")))); loc.Query().Get("code") == "" {
		t.Errorf("max_age=3600: %s, want a code", loc)
	}
}

func extractNext(t *testing.T, body []byte) string {
	t.Helper()
	const marker = `name="next" value="`
	i := strings.Index(string(body), marker)
	if i < 0 {
		t.Fatalf("no next field in %s", body)
	}
	rest := string(body[i+len(marker):])
	v := rest[:strings.IndexByte(rest, '"')]
	return html.UnescapeString(v)
}

// A public client authenticates with nothing but PKCE; it may not present a secret.
func TestOIDCPublicClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ada", "correct horse battery", false)
	rp := newRelyingParty(t, ts, "Phone", "--public", "--first-party")
	if rp.secret != "" {
		t.Fatalf("a public client got a secret")
	}
	rp.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	b := ts.browser(t)
	b.login("ada", "correct horse battery", http.StatusOK)
	if _, _, err := rp.exchange(rp.authorize(b)); err != nil {
		t.Fatalf("public client exchange: %v", err)
	}
	f := rp.authorize(b)
	withSecret := *rp
	withSecret.secret = "anything"
	if status, body, _ := withSecret.post("/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {f.code},
		"redirect_uri": {rp.redirect}, "code_verifier": {f.verifier}}); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("public client with a secret: %d %v, want invalid_client", status, body)
	}
}
