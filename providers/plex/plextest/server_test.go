package plextest_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/plex/plextest"
)

func do(t *testing.T, method, u string, header map[string]string, body url.Values) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The fake answers as plex.tv does to clients that get the conventions
// wrong, so the client's tests would catch it.
func TestConventions(t *testing.T) {
	srv := plextest.NewServer(t)
	srv.AddAccount(plextest.Account{ID: 5, Token: "tok"})
	tests := []struct {
		name       string
		header     map[string]string
		path       string
		wantStatus int
		wantBody   string
	}{
		{"json", map[string]string{"Accept": "application/json", "X-Plex-Client-Identifier": "c", "X-Plex-Token": "tok"}, "/api/v2/user", 200, `"id":5`},
		{"token in query", map[string]string{"Accept": "application/json", "X-Plex-Client-Identifier": "c"}, "/api/v2/user?X-Plex-Token=tok", 200, `"id":5`},
		{"no accept gives xml", map[string]string{"X-Plex-Client-Identifier": "c", "X-Plex-Token": "tok"}, "/api/v2/user", 200, `<?xml`},
		{"no client id", map[string]string{"Accept": "application/json", "X-Plex-Token": "tok"}, "/api/v2/user", 400, "X-Plex-Client-Identifier is missing"},
		{"bad token", map[string]string{"Accept": "application/json", "X-Plex-Client-Identifier": "c", "X-Plex-Token": "nope"}, "/api/v2/user", 401, `"code":1001`},
		{"unknown pin", map[string]string{"Accept": "application/json", "X-Plex-Client-Identifier": "c"}, "/api/v2/pins/12", 404, `"code":1020`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, http.MethodGet, srv.URL+tt.path, tt.header, nil)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("%s = %d %s; want %d containing %s", tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// The auth page's claim endpoint approves the PIN for the signed-in app user.
func TestAuthClaim(t *testing.T) {
	srv := plextest.NewServer(t)
	srv.AddAccount(plextest.Account{ID: 5, Token: "tok"})
	h := map[string]string{"Accept": "application/json", "X-Plex-Client-Identifier": "c"}
	resp, body := do(t, http.MethodPost, srv.URL+"/api/v2/pins?strong=true", h, url.Values{})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	code := between(body, `"code":"`, `"`)

	if resp, _ := do(t, http.MethodPost, srv.URL+"/auth/claim", nil, url.Values{"code": {code}, "clientID": {"c"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("claim with no app user = %d, want 401", resp.StatusCode)
	}
	srv.SetAppUser("tok")
	if resp, _ := do(t, http.MethodPost, srv.URL+"/auth/claim", nil, url.Values{"code": {code}, "clientID": {"other"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("claim under another client = %d, want 404", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/auth/claim", nil, url.Values{"code": {code}, "clientID": {"c"}}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("claim = %d, want 204", resp.StatusCode)
	}
	_, body = do(t, http.MethodGet, srv.URL+"/api/v2/pins/"+strconv.FormatInt(plextest.FirstPINID, 10), h, nil)
	if !strings.Contains(body, `"authToken":"tok"`) {
		t.Errorf("pin after claim = %s, want authToken tok", body)
	}
	if resp, page := do(t, http.MethodGet, srv.URL+"/auth", nil, nil); resp.StatusCode != 200 || !strings.Contains(page, "/auth/claim") {
		t.Errorf("auth page = %d, want the page that claims", resp.StatusCode)
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}

// Start serves outside a test; stop closes the server, and a second stop
// does nothing.
func TestStartServesUntilStopped(t *testing.T) {
	s, stop := plextest.Start()
	defer stop()
	s.AddAccount(plextest.Account{ID: 7, Username: "ann", Token: "ann-token"})
	header := map[string]string{"Accept": "application/json", "X-Plex-Client-Identifier": "c1", "X-Plex-Token": "ann-token"}
	if resp, body := do(t, http.MethodGet, s.URL+"/api/v2/user", header, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ann"`) {
		t.Fatalf("user on a started server: %d %s", resp.StatusCode, body)
	}
	stop()
	stop()
	if resp, err := http.Get(s.URL + "/api/v2/user"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still answers after stop")
	}
}
