package upstream

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/authportal/authportal/providers"
	"golang.org/x/oauth2"
)

// Upstream is an outside account provider the portal signs users in with.
//
// The caller runs the browser flow and keeps its secrets:
//
//   - Before redirecting, make a fresh state ([NewState]), nonce ([NewNonce])
//     and PKCE verifier ([NewVerifier]) per attempt, keep them server-side or
//     in a sealed, HttpOnly cookie bound to the browser, with a short expiry
//     (minutes), then redirect to AuthURL(ctx, state, nonce, verifier).
//   - On the callback, compare the returned state with the kept one in
//     constant time ([StateEqual]), refuse when absent, expired or different,
//     and delete the kept values before calling Finish, so each is used once.
//   - Call Finish with the code and the kept verifier and nonce. Never show
//     the code, verifier or any token to the user or in logs.
//
// Implementations are safe for concurrent use.
type Upstream interface {
	// Name is the provider name put in Identity.Provider ("github",
	// "google", "oidc" or a configured name).
	Name() string
	// AuthURL returns the authorization URL carrying state, nonce (where
	// the provider uses one) and the S256 challenge of verifier. The generic
	// OIDC upstream discovers its endpoints on first use, so AuthURL can
	// fail with providers.ErrUnavailable.
	AuthURL(ctx context.Context, state, nonce, verifier string) (string, error)
	// Finish exchanges code (with verifier) and returns who signed in.
	// Refused or forged results wrap providers.ErrInvalidCredentials; a
	// down, slow or 5xx provider wraps providers.ErrUnavailable.
	Finish(ctx context.Context, code, verifier, nonce string) (providers.Identity, error)
}

// Defaults shared by the three upstreams.
const (
	// DefaultTimeout bounds each outside call when Config.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// maxBody is the most read from any response.
	maxBody = 1 << 20
)

// NewState returns a fresh random OAuth state (128 bits, crypto/rand.Text).
func NewState() string { return rand.Text() }

// NewNonce returns a fresh random OIDC nonce (128 bits, crypto/rand.Text).
func NewNonce() string { return rand.Text() }

// NewVerifier returns a fresh PKCE code verifier (RFC 7636, 256 bits).
func NewVerifier() string { return oauth2.GenerateVerifier() }

// StateEqual reports in constant time whether the state the browser brought
// back equals the one kept; an empty kept state never matches.
func StateEqual(got, kept string) bool {
	if kept == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(kept)) == 1
}

// errMissingFlowValue is returned when AuthURL or Finish is called without
// the state, nonce, verifier or code it needs: a caller bug.
var errMissingFlowValue = errors.New("upstream: state, nonce, verifier and code must not be empty")

// httpSetup holds the HTTP client and timeout every upstream uses.
type httpSetup struct {
	client  *http.Client
	timeout time.Duration
}

// newHTTPSetup returns a client whose every response body is limited to
// maxBody, with a Timeout when the given client has none. The given client
// is copied, never changed.
func newHTTPSetup(hc *http.Client, timeout time.Duration) httpSetup {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	if c.Timeout == 0 {
		c.Timeout = timeout
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = limitTransport{base: base}
	return httpSetup{client: c, timeout: timeout}
}

// ctx returns ctx bounded by the timeout and carrying the client for
// x/oauth2 and go-oidc.
func (h httpSetup) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, h.client)
	return context.WithTimeout(ctx, h.timeout)
}

// limitTransport limits every response body to maxBody bytes.
type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = limitedBody{Reader: io.LimitReader(resp.Body, maxBody), Closer: resp.Body}
	return resp, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}

// required reports, at once, every empty one of a configuration's required
// fields, given as name and value pairs, for the upstream called upstream.
func required(upstream string, fieldsAndValues ...string) error {
	var errs []error
	for i := 0; i+1 < len(fieldsAndValues); i += 2 {
		if fieldsAndValues[i+1] == "" {
			errs = append(errs, fmt.Errorf("upstream %s: %s is required", upstream, fieldsAndValues[i]))
		}
	}
	return errors.Join(errs...)
}
