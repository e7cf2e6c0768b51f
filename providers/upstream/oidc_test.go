package upstream_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/upstream"
	"github.com/authportal/authportal/providers/upstream/optest"
)

// startOP starts a real OP that knows the clients optest.ClientID and
// optest.OtherClientID, both redirecting to callback.
func startOP(t *testing.T) *optest.Server {
	t.Helper()
	op := optest.NewServer(t)
	op.Register(callback)
	return op
}

func newOIDC(t *testing.T, issuer, clientID string, mod func(*upstream.OIDCConfig)) *upstream.OIDC {
	t.Helper()
	cfg := upstream.OIDCConfig{Issuer: issuer, ClientID: clientID, ClientSecret: optest.ClientSecret, RedirectURL: callback}
	if mod != nil {
		mod(&cfg)
	}
	o, err := upstream.NewOIDC(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// code runs the browser part of a sign-in with o at op and returns the code.
func code(t *testing.T, op *optest.Server, o upstream.Upstream, f flow) string {
	t.Helper()
	authURL, err := o.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	return mustState(t, op.SignIn(t, authURL, op.Username(), callback).Query(), f)
}

// tamperSignature changes one character in the middle of a JWS signature.
func tamperSignature(jws string) string {
	i := strings.LastIndexByte(jws, '.') + 10
	c := byte('A')
	if jws[i] == 'A' {
		c = 'B'
	}
	return jws[:i] + string(c) + jws[i+1:]
}

func TestOIDCSignIn(t *testing.T) {
	op := startOP(t)
	o := newOIDC(t, op.Issuer, optest.ClientID, func(c *upstream.OIDCConfig) { c.Name = "corp" })
	f := newFlow()
	code := code(t, op, o, f)

	id, err := o.Finish(t.Context(), code, f.verifier, f.nonce)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := providers.Identity{
		Provider: "corp", Subject: "id1", Username: op.Username(),
		Email: "test-user@zitadel.ch", EmailVerified: true, DisplayName: "Test User",
	}
	if id != want {
		t.Fatalf("got %+v, want %+v", id, want)
	}
	if n := op.Hits(optest.PathDiscovery); n != 1 {
		t.Fatalf("discovery fetched %d times, want once", n)
	}
	if n := op.Hits(optest.PathToken); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestOIDCRefused(t *testing.T) {
	tests := []struct {
		name string
		// prepare runs before the sign-in; it may start a sign-in of its
		// own and plant its ID token.
		prepare func(t *testing.T, op *optest.Server, f flow)
		finish  func(t *testing.T, o *upstream.OIDC, code string, f flow) error
		step    string // the check that must refuse
	}{
		{
			name: "wrong nonce",
			step: "nonce",
			finish: func(t *testing.T, o *upstream.OIDC, code string, f flow) error {
				_, err := o.Finish(t.Context(), code, f.verifier, upstream.NewNonce())
				return err
			},
		},
		{
			name: "wrong PKCE verifier",
			step: "token",
			finish: func(t *testing.T, o *upstream.OIDC, code string, f flow) error {
				_, err := o.Finish(t.Context(), code, upstream.NewVerifier(), f.nonce)
				return err
			},
		},
		{
			name: "replayed code",
			step: "token",
			finish: func(t *testing.T, o *upstream.OIDC, code string, f flow) error {
				if _, err := o.Finish(t.Context(), code, f.verifier, f.nonce); err != nil {
					t.Fatalf("first Finish: %v", err)
				}
				_, err := o.Finish(t.Context(), code, f.verifier, f.nonce)
				return err
			},
		},
		{
			name: "tampered signature",
			step: "id_token",
			prepare: func(t *testing.T, op *optest.Server, f flow) {
				op.RewriteIDToken(tamperSignature)
			},
		},
		{
			name: "ID token for another audience",
			step: "id_token",
			prepare: func(t *testing.T, op *optest.Server, f flow) {
				// A genuine token, same user and nonce, issued to client "other".
				other := newOIDC(t, op.Issuer, optest.OtherClientID, nil)
				if _, err := other.Finish(t.Context(), code(t, op, other, f), f.verifier, f.nonce); err != nil {
					t.Fatalf("sign-in as the other client: %v", err)
				}
				foreign := op.LastIDToken(t)
				op.RewriteIDToken(func(string) string { return foreign })
			},
		},
		{
			name: "ID token from another issuer with the same keys",
			step: "id_token",
			prepare: func(t *testing.T, op *optest.Server, f flow) {
				op2 := optest.NewServer(t)
				op2.Share(op.Storage) // same clients, users and signing key
				rp2 := newOIDC(t, op2.Issuer, optest.ClientID, nil)
				if _, err := rp2.Finish(t.Context(), code(t, op2, rp2, f), f.verifier, f.nonce); err != nil {
					t.Fatalf("sign-in at the second issuer: %v", err)
				}
				foreign := op2.LastIDToken(t)
				op.RewriteIDToken(func(string) string { return foreign })
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := startOP(t)
			o := newOIDC(t, op.Issuer, optest.ClientID, nil)
			f := newFlow()
			if tt.prepare != nil {
				tt.prepare(t, op, f)
			}
			code := code(t, op, o, f)
			finish := tt.finish
			if finish == nil {
				finish = func(t *testing.T, o *upstream.OIDC, code string, f flow) error {
					_, err := o.Finish(t.Context(), code, f.verifier, f.nonce)
					return err
				}
			}
			err := finish(t, o, code, f)
			wantKind(t, err, providers.ErrInvalidCredentials)
			if ue := (*upstream.Error)(nil); !errors.As(err, &ue) || ue.Step != tt.step {
				t.Fatalf("refused at %+v, want at step %q", err, tt.step)
			}
			noSecrets(t, err, code, f.verifier, f.nonce, optest.ClientSecret)
		})
	}
}

func TestOIDCIssuerMismatchAtDiscovery(t *testing.T) {
	op := startOP(t) // its issuer is http://127.0.0.1:PORT
	u, _ := url.Parse(op.Issuer)
	o := newOIDC(t, "http://localhost:"+u.Port(), optest.ClientID, nil)
	f := newFlow()
	_, err := o.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
	wantKind(t, err, providers.ErrUnavailable)
	if n := op.Hits(optest.PathDiscovery); n != 1 {
		t.Fatalf("discovery fetched %d times, want once", n)
	}
}

func TestOIDCUnavailable(t *testing.T) {
	const short = 300 * time.Millisecond // the OP is local; only a blocked path takes this long
	tests := []struct {
		name    string
		timeout time.Duration
		fail    func(op *optest.Server)
		late    bool // fail after discovery, at Finish
	}{
		{name: "issuer down", fail: func(op *optest.Server) { op.SetDown(true) }},
		{name: "slow discovery", timeout: short, fail: func(op *optest.Server) { op.BlockPath(optest.PathDiscovery) }},
		{name: "token endpoint 502", late: true, fail: func(op *optest.Server) { op.FailWith(optest.PathToken, http.StatusBadGateway) }},
		{name: "slow token endpoint", late: true, timeout: short, fail: func(op *optest.Server) { op.BlockPath(optest.PathToken) }},
		{name: "keys endpoint 503", late: true, fail: func(op *optest.Server) { op.FailWith(optest.PathKeys, http.StatusServiceUnavailable) }},
		{name: "userinfo 500", late: true, fail: func(op *optest.Server) { op.FailWith(optest.PathUserinfo, http.StatusInternalServerError) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := startOP(t)
			o := newOIDC(t, op.Issuer, optest.ClientID, func(c *upstream.OIDCConfig) { c.Timeout = tt.timeout })
			f := newFlow()
			if !tt.late {
				tt.fail(op)
				_, err := o.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
				wantKind(t, err, providers.ErrUnavailable)
				return
			}
			code := code(t, op, o, f)
			tt.fail(op)
			_, err := o.Finish(t.Context(), code, f.verifier, f.nonce)
			wantKind(t, err, providers.ErrUnavailable)
			noSecrets(t, err, code, f.verifier, optest.ClientSecret)
		})
	}
}

// A down issuer at start does not stop the portal: discovery is retried on
// a later call once RetryAfter has passed, and not before.
func TestOIDCDiscoveryRetried(t *testing.T) {
	tests := []struct {
		name    string
		elapsed time.Duration // between the failed attempt and the next
		wantUp  bool
	}{
		{name: "retried once RetryAfter has passed", elapsed: time.Minute, wantUp: true},
		{name: "not retried before RetryAfter", elapsed: 59 * time.Second, wantUp: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := startOP(t)
			op.SetDown(true)
			clock := time.Now()
			o := newOIDC(t, op.Issuer, optest.ClientID, func(c *upstream.OIDCConfig) {
				c.RetryAfter = time.Minute
				c.Now = func() time.Time { return clock }
			})
			f := newFlow()
			_, err := o.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
			wantKind(t, err, providers.ErrUnavailable)

			op.SetDown(false)
			clock = clock.Add(tt.elapsed)
			_, err = o.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
			if tt.wantUp {
				if err != nil {
					t.Fatalf("AuthURL after the issuer came back: %v", err)
				}
				code := code(t, op, o, f)
				if _, err := o.Finish(t.Context(), code, f.verifier, f.nonce); err != nil {
					t.Fatalf("Finish after the issuer came back: %v", err)
				}
				return
			}
			wantKind(t, err, providers.ErrUnavailable)
			if n := op.Hits(optest.PathDiscovery); n != 1 {
				t.Fatalf("discovery tried %d times, want once", n)
			}
		})
	}
}

// An ID token past its expiry is refused.
func TestOIDCExpiredIDToken(t *testing.T) {
	op := startOP(t)
	late := false
	o := newOIDC(t, op.Issuer, optest.ClientID, func(c *upstream.OIDCConfig) {
		c.Now = func() time.Time {
			if late {
				return time.Now().Add(24 * time.Hour)
			}
			return time.Now()
		}
	})
	f := newFlow()
	code := code(t, op, o, f)
	late = true // the token arrives a day after it was issued
	_, err := o.Finish(t.Context(), code, f.verifier, f.nonce)
	wantKind(t, err, providers.ErrInvalidCredentials)
	if ue := (*upstream.Error)(nil); !errors.As(err, &ue) || ue.Step != "id_token" {
		t.Fatalf("refused at %+v, want at step id_token", err)
	}
}

// Concurrent first sign-ins share one discovery.
func TestOIDCConcurrentDiscovery(t *testing.T) {
	op := startOP(t)
	o := newOIDC(t, op.Issuer, optest.ClientID, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			f := newFlow()
			_, err := o.AuthURL(t.Context(), f.state, f.nonce, f.verifier)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("AuthURL: %v", err)
		}
	}
	if n := op.Hits(optest.PathDiscovery); n != 1 {
		t.Fatalf("discovery fetched %d times, want once", n)
	}
}
