package upstream_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/upstream"
)

// flow is one attempt's secrets, as the portal would keep them.
type flow struct{ state, nonce, verifier string }

func newFlow() flow {
	return flow{upstream.NewState(), upstream.NewNonce(), upstream.NewVerifier()}
}

// browse plays the browser: it follows authURL (and the provider's own
// redirects) until the provider redirects to redirectURL, and returns the
// query it brings back.
func browse(t testing.TB, authURL, redirectURL string, hc *http.Client) url.Values {
	t.Helper()
	if hc == nil {
		hc = &http.Client{}
	}
	c := *hc
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURL) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("browsing %s: %v", authURL, err)
	}
	defer resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), redirectURL) {
		t.Fatalf("provider answered %d, Location %v; want a redirect to %s", resp.StatusCode, loc, redirectURL)
	}
	return loc.Query()
}

// mustFinishState checks the state that came back, as the portal must.
func mustState(t *testing.T, q url.Values, f flow) string {
	t.Helper()
	if !upstream.StateEqual(q.Get("state"), f.state) {
		t.Fatalf("state came back as %q, want the one sent", q.Get("state"))
	}
	if q.Get("code") == "" {
		t.Fatalf("no code in callback %v", q)
	}
	return q.Get("code")
}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want one wrapping %v", err, kind)
	}
	var ue *upstream.Error
	if kind != nil && (kind == providers.ErrInvalidCredentials || kind == providers.ErrUnavailable) && !errors.As(err, &ue) {
		t.Fatalf("got %T, want *upstream.Error", err)
	}
}

// noSecrets fails when err's text holds any of secrets.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q contains a secret", err)
		}
	}
}
