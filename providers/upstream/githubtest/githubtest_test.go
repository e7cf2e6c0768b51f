package githubtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/upstream/githubtest"
)

// The token endpoint answers form-encoded by default and JSON when asked,
// and reports a bad code in a 200 answer, as GitHub does.
func TestTokenEndpointFormats(t *testing.T) {
	tests := []struct {
		name, accept, wantType string
		decode                 func(t *testing.T, body []byte) string // returns the error member
	}{
		{
			name: "default form encoding", wantType: "application/x-www-form-urlencoded",
			decode: func(t *testing.T, body []byte) string {
				v, err := url.ParseQuery(string(body))
				if err != nil {
					t.Fatal(err)
				}
				return v.Get("error")
			},
		},
		{
			name: "JSON when asked", accept: "application/json", wantType: "application/json",
			decode: func(t *testing.T, body []byte) string {
				var m map[string]string
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatal(err)
				}
				return m["error"]
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := githubtest.NewServer(t)
			form := url.Values{"client_id": {fake.ClientID}, "client_secret": {fake.ClientSecret}, "code": {"no-such-code"}}
			req, _ := http.NewRequest(http.MethodPost, fake.URL+githubtest.PathToken, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) {
				t.Fatalf("got %d %s, want 200 %s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantType)
			}
			if got := tt.decode(t, body); got != "bad_verification_code" {
				t.Fatalf("error member %q, want bad_verification_code", got)
			}
		})
	}
}
