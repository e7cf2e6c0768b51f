package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"
)

// goth's GitHub and Google providers (github.com/markbates/goth, called
// directly, never through gothic) build the authorization request and, for
// GitHub, read and map the profile. Three things they cannot do are done
// here around them: send a PKCE verifier with the code exchange (their
// Session.Authorize exchanges without one, so the exchange is x/oauth2's with
// oauth2.VerifierOption), take a context, and report an HTTP status other
// than inside their error text.

// gothAuthURL returns the authorization URL goth's provider p builds for
// state, with what goth cannot add (authRequest).
func gothAuthURL(p goth.Provider, state string, endpoint *url.URL, verifier, nonce string) (string, error) {
	sess, err := p.BeginAuth(state)
	if err != nil {
		return "", fmt.Errorf("upstream %s: begin the authorization: %w", p.Name(), err)
	}
	raw, err := sess.GetAuthURL()
	if err != nil {
		return "", fmt.Errorf("upstream %s: authorization URL: %w", p.Name(), err)
	}
	return authRequest(raw, endpoint, verifier, nonce)
}

// authRequest returns the authorization URL a goth provider built (raw)
// with what goth cannot add: the S256 challenge of verifier, the nonce when
// there is one, and, when endpoint is set, that endpoint in place of the one
// goth holds (goth's Google endpoint is a package variable, shared by every
// user of the package, so it is never changed).
func authRequest(raw string, endpoint *url.URL, verifier, nonce string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("upstream: goth built an unreadable authorization URL: %w", err)
	}
	if endpoint != nil {
		u.Scheme, u.Host, u.Path, u.RawPath = endpoint.Scheme, endpoint.Host, endpoint.Path, endpoint.RawPath
	}
	q := u.Query()
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	q.Set("code_challenge_method", "S256")
	if nonce != "" {
		q.Set("nonce", nonce)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// answers notes the HTTP status of each answer a goth call received, by
// URL path, for mapping goth's untyped errors (0: asked, no answer).
type answers struct {
	mu     sync.Mutex
	status map[string]int
}

func (a *answers) note(path string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.status == nil {
		a.status = map[string]int{}
	}
	a.status[path] = status
}

// of returns the status path answered, and whether it was asked at all.
func (a *answers) of(path string) (status int, asked bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	status, asked = a.status[path]
	return status, asked
}

// gothClient returns the client for one goth call: h's client (Timeout and
// size limit included), refusing to start a request once ctx is done (goth
// makes its requests without a context, so the Timeout is what bounds a
// request under way), adding header's fields a request lacks, and noting
// every answer's status in seen.
func (h httpSetup) gothClient(ctx context.Context, header http.Header, seen *answers) *http.Client {
	c := *h.client
	c.Transport = noteTransport{ctx: ctx, base: h.client.Transport, header: header, seen: seen}
	return &c
}

type noteTransport struct {
	ctx    context.Context
	base   http.RoundTripper
	header http.Header
	seen   *answers
}

func (t noteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.ctx.Err(); err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	for k, v := range t.header {
		if r.Header.Get(k) == "" {
			r.Header[k] = v
		}
	}
	t.seen.note(r.URL.Path, 0)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.seen.note(r.URL.Path, resp.StatusCode)
	return resp, nil
}
