package main

import (
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
)

// The clients admin API: admins only; redirect URIs validated; the secret
// shown once and replaced by a rotation; a deleted client's tokens end.
func TestOIDCClientsAdminAPI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "root", "correct horse battery", true)
	ts.addUser(t, "ada", "correct horse battery", false)
	admin, user := ts.browser(t), ts.browser(t)
	admin.login("root", "correct horse battery", http.StatusOK)
	user.login("ada", "correct horse battery", http.StatusOK)

	body := map[string]any{"name": "Immich", "redirectUris": []string{"https://photos.example.test/auth/callback"}, "firstParty": true}
	if res := user.post("/api/admin/oauth/clients", body); res.Status != http.StatusForbidden {
		t.Errorf("a non-admin registering a client: %d, want 403", res.Status)
	}
	if res := ts.browser(t).get("/api/admin/oauth/clients"); res.Status != http.StatusUnauthorized {
		t.Errorf("listing clients signed out: %d, want 401", res.Status)
	}
	for _, bad := range []string{"http://photos.example.test/cb", "https://photos.example.test/cb#frag", "photos.example.test/cb", "javascript:alert(1)", "https://user:pw@photos.example.test/"} {
		res := admin.post("/api/admin/oauth/clients", map[string]any{"name": "Bad", "redirectUris": []string{bad}})
		if res.Status != http.StatusUnprocessableEntity || res.problemType(t) != "urn:authportal:problem:invalid-input" {
			t.Errorf("redirect URI %q: %d %s, want 422 invalid-input", bad, res.Status, res.Body)
		}
	}
	if res := admin.post("/api/admin/oauth/clients", map[string]any{"name": "Loopback", "redirectUris": []string{"http://127.0.0.1:8123/cb", "http://localhost/cb"}}); res.Status != http.StatusCreated {
		t.Errorf("loopback http redirect URIs: %d %s, want 201", res.Status, res.Body)
	}

	created := admin.post("/api/admin/oauth/clients", body)
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	c := created.JSON(t)
	id, secret := c["client_id"].(string), c["client_secret"].(string)
	if id == "" || secret == "" {
		t.Fatalf("create answered %v, want client_id and client_secret", c)
	}
	list := admin.get("/api/admin/oauth/clients").JSON(t)["clients"].([]any)
	if len(list) != 2 {
		t.Fatalf("list: %v, want two clients", list)
	}
	for _, item := range list {
		if m := item.(map[string]any); m["clientId"] == id && (m["name"] != "Immich" || m["client_secret"] != nil || m["secretHash"] != nil) {
			t.Errorf("listed client %v: want its name and no secret", m)
		}
	}

	upd := admin.do(http.MethodPut, "/api/admin/oauth/clients/"+id, map[string]any{"name": "Immich Photos",
		"redirectUris": []string{"https://photos.example.test/auth/callback"}, "firstParty": true}, nil)
	if upd.Status != http.StatusOK {
		t.Errorf("update: %d %s", upd.Status, upd.Body)
	}
	if res := admin.do(http.MethodPut, "/api/admin/oauth/clients/NOSUCHCLIENT", body, nil); res.Status != http.StatusNotFound {
		t.Errorf("update an unknown client: %d, want 404", res.Status)
	}

	// Sign ada in through it, then rotate the secret: the old one stops working.
	rp := &relyingParty{t: t, ts: ts, id: id, secret: secret, redirect: "https://photos.example.test/auth/callback"}
	rp.provider = newRelyingParty(t, ts, "Other").provider
	rp.conf = oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: rp.redirect, Endpoint: rp.provider.Endpoint(), Scopes: []string{"openid", "email"}}
	tok, _, err := rp.exchange(rp.authorize(user))
	if err != nil {
		t.Fatal(err)
	}
	rot := admin.post("/api/admin/oauth/clients/"+id+"/rotate-secret", nil)
	newSecret, _ := rot.JSON(t)["client_secret"].(string)
	if rot.Status != http.StatusOK || newSecret == "" || newSecret == secret {
		t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
	}
	if status, body, _ := rp.post("/oidc/introspect", url.Values{"token": {tok.AccessToken}}); status != http.StatusUnauthorized {
		t.Errorf("the old secret after rotation: %d %v, want 401", status, body)
	}
	rp.secret = newSecret
	if status, body, _ := rp.post("/oidc/introspect", url.Values{"token": {tok.AccessToken}}); status != http.StatusOK || body["active"] != true {
		t.Errorf("the new secret: %d %v, want an active token", status, body)
	}

	if res := admin.do(http.MethodDelete, "/api/admin/oauth/clients/"+id, nil, nil); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if _, err := rp.userinfo(tok.AccessToken); err == nil {
		t.Error("userinfo with a deleted client's token succeeded")
	}
	if status, _, _ := rp.post("/oidc/introspect", url.Values{"token": {tok.AccessToken}}); status != http.StatusUnauthorized {
		t.Errorf("a deleted client authenticating: %d, want 401", status)
	}
	if n := countEvents(t, ts, `stream_id = $1`, "client-"+id); n != 4 {
		t.Errorf("events of the client: %d, want 4 (registered, updated, secret rotated, deleted)", n)
	}
}
