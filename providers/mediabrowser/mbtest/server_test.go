package mbtest_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

const clientHeader = `MediaBrowser Client="t", Device="t", DeviceId="dev1", Version="1"`

// send makes a raw request with a transport that does not decompress, so
// the test sees the wire.
func send(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestWireFormat(t *testing.T) {
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "u1", Name: "alice", Password: "pw"})
	jf.AddUser(mbtest.User{ID: "u2", Name: "bob", Password: "pw", IsDisabled: true})
	emby := mbtest.NewEmby(t)
	emby.AddUser(mbtest.User{ID: "u1", Name: "alice", Password: "pw"})
	emby.AddUser(mbtest.User{ID: "u2", Name: "bob", Password: "pw", IsDisabled: true})

	auth := map[string]string{"Authorization": clientHeader, "Content-Type": "application/json"}
	legacy := map[string]string{"X-Emby-Authorization": clientHeader, "Content-Type": "application/json"}
	tests := []struct {
		name       string
		srv        *mbtest.Server
		path       string
		header     map[string]string
		body       string
		wantStatus int
	}{
		{"jellyfin sign-in", jf, "/Users/AuthenticateByName", auth, `{"Username":"alice","Pw":"pw"}`, 200},
		{"jellyfin lower-case names", jf, "/users/authenticatebyname", auth, `{"username":"alice","pw":"pw"}`, 200},
		{"jellyfin ignores Password", jf, "/Users/AuthenticateByName", auth, `{"Username":"alice","Password":"pw"}`, 401},
		{"jellyfin wrong password", jf, "/Users/AuthenticateByName", auth, `{"Username":"alice","Pw":"no"}`, 401},
		{"jellyfin disabled", jf, "/Users/AuthenticateByName", auth, `{"Username":"bob","Pw":"pw"}`, 403},
		{"jellyfin legacy header refused", jf, "/Users/AuthenticateByName", legacy, `{"Username":"alice","Pw":"pw"}`, 400},
		{"jellyfin no device id", jf, "/Users/AuthenticateByName", map[string]string{"Authorization": `MediaBrowser Client="t", Device="t", Version="1"`}, `{"Username":"alice","Pw":"pw"}`, 400},
		{"jellyfin user without token", jf, "/Users/u1", auth, "", 401},
		{"jellyfin user with API key", jf, "/Users/u1", map[string]string{"Authorization": `MediaBrowser Token="` + mbtest.APIKey + `"`}, "", 200},
		{"jellyfin API key in ApiKey query", jf, "/Users/u1?ApiKey=" + mbtest.APIKey, nil, "", 200},
		{"jellyfin API key in api_key query refused", jf, "/Users/u1?api_key=" + mbtest.APIKey, nil, "", 400},
		{"jellyfin unknown user", jf, "/Users/nobody", map[string]string{"Authorization": `MediaBrowser Token="` + mbtest.APIKey + `"`}, "", 404},
		{"emby sign-in under /emby", emby, "/emby/Users/AuthenticateByName", auth, `{"Username":"alice","Pw":"pw"}`, 200},
		{"emby sign-in at the root", emby, "/Users/AuthenticateByName", auth, `{"Username":"alice","Pw":"pw"}`, 200},
		{"emby X-Emby-Authorization", emby, "/emby/Users/AuthenticateByName", legacy, `{"Username":"alice","Pw":"pw"}`, 200},
		{"emby disabled", emby, "/emby/Users/AuthenticateByName", auth, `{"Username":"bob","Pw":"pw"}`, 401},
		{"emby API key in X-Emby-Token", emby, "/emby/Users/u1", map[string]string{"X-Emby-Token": mbtest.APIKey}, "", 200},
		{"emby API key in api_key query", emby, "/emby/Users/u1?api_key=" + mbtest.APIKey, nil, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if tt.body != "" {
				method = http.MethodPost
			}
			resp, body := send(t, method, tt.srv.URL+tt.path, tt.header, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tt.wantStatus, body)
			}
			if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("error Content-Type %q, want text/plain", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestAuthenticationResultAndGzip(t *testing.T) {
	emby := mbtest.NewEmby(t)
	emby.AddUser(mbtest.User{ID: "u1", Name: "alice", Password: "pw", IsAdministrator: true})
	h := map[string]string{"Authorization": clientHeader, "Content-Type": "application/json", "Accept-Encoding": "gzip"}
	resp, raw := send(t, http.MethodPost, emby.URL+"/emby/Users/AuthenticateByName", h, `{"Username":"alice","Pw":"pw"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d Content-Encoding %q, want 200 gzip", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("answer is not gzip: %v", err)
	}
	var res struct {
		AccessToken string
		ServerId    string
		User        struct {
			Id     string
			Name   string
			Policy struct{ IsAdministrator, IsDisabled bool }
		}
		SessionInfo struct{ DeviceId, UserId string }
	}
	if err := json.NewDecoder(zr).Decode(&res); err != nil {
		t.Fatalf("decoding AuthenticationResult: %v", err)
	}
	if res.AccessToken == "" || res.ServerId == "" || res.User.Id != "u1" || res.User.Name != "alice" ||
		!res.User.Policy.IsAdministrator || res.SessionInfo.DeviceId != "dev1" || res.SessionInfo.UserId != "u1" {
		t.Errorf("AuthenticationResult = %+v", res)
	}
	if !emby.TokenValid(res.AccessToken) {
		t.Error("AccessToken not accepted")
	}

	// Without Accept-Encoding the answer is plain.
	delete(h, "Accept-Encoding")
	resp, _ = send(t, http.MethodPost, emby.URL+"/emby/Users/AuthenticateByName", h, `{"Username":"alice","Pw":"pw"}`)
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("Content-Encoding %q without Accept-Encoding", resp.Header.Get("Content-Encoding"))
	}
}

func TestJellyfinLockoutAndLegacy(t *testing.T) {
	jf := mbtest.NewJellyfin(t)
	u := jf.AddUser(mbtest.User{Name: "carol", Password: "pw", LoginAttemptsBeforeLockout: 2})
	h := map[string]string{"Authorization": clientHeader}
	for range 2 {
		send(t, http.MethodPost, jf.URL+"/Users/AuthenticateByName", h, `{"Username":"carol","Pw":"no"}`)
	}
	if resp, _ := send(t, http.MethodPost, jf.URL+"/Users/AuthenticateByName", h, `{"Username":"carol","Pw":"pw"}`); resp.StatusCode != 403 {
		t.Errorf("after lockout: status %d, want 403", resp.StatusCode)
	}
	if got, _ := jf.User(u.ID); !got.IsDisabled {
		t.Error("user not disabled after reaching LoginAttemptsBeforeLockout")
	}

	jf.SetLegacyAuthorization(true)
	jf.UpdateUser(u.ID, func(u *mbtest.User) { u.IsDisabled = false })
	if resp, _ := send(t, http.MethodPost, jf.URL+"/Users/AuthenticateByName", map[string]string{"X-Emby-Authorization": clientHeader},
		`{"Username":"carol","Pw":"pw"}`); resp.StatusCode != 200 {
		t.Errorf("legacy on, X-Emby-Authorization: status %d, want 200", resp.StatusCode)
	}
}

// Start serves outside a test; stop frees a blocked handler and closes the
// server, and a second stop does nothing.
func TestStartServesUntilStopped(t *testing.T) {
	s, stop := mbtest.Start("jellyfin")
	defer stop()
	s.AddUser(mbtest.User{Name: "ann", Password: "pw"})
	resp, _ := send(t, http.MethodPost, s.URL+"/Users/AuthenticateByName",
		map[string]string{"Authorization": clientHeader, "Content-Type": "application/json"}, `{"Username":"ann","Pw":"pw"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in on a started server: %d, want 200", resp.StatusCode)
	}

	s.Slow()
	arrived := make(chan struct{})
	s.BeforeServe(func(mbtest.Request) { close(arrived) })
	blocked := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.URL + "/System/Info/Public")
		if err == nil {
			resp.Body.Close()
		}
		blocked <- err
	}()
	<-arrived // the request is in its handler, about to block
	stop()
	<-blocked // stop returned, so it did not wait for the blocked handler forever
	stop()
	if resp, err := http.Get(s.URL + "/System/Info/Public"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still answers after stop")
	}
}
