// Package upstream signs users in through outside OAuth 2.0 / OpenID Connect
// accounts: a generic OpenID Connect provider ([OIDC]), GitHub ([GitHub]) and
// Google ([Google]). Each is an [Upstream]: [Upstream.AuthURL] gives the URL
// to send the browser to, [Upstream.Finish] turns the code the browser brings
// back into a [providers.Identity].
//
// What it owns: building authorization URLs with PKCE (S256), exchanging
// codes, verifying ID tokens (OIDC and Google: signature, issuer, audience,
// expiry, nonce) and mapping profiles to an Identity. Every outside call is
// bounded by an http.Client timeout (and a context deadline where the
// library takes a context), and every response body is read through a size
// limit.
//
// What it must not do: it never stores state, nonces or verifiers (the
// caller keeps them, see [Upstream]), never decides who may enter (Identity
// Access is always false: an admin decides), never logs and never touches
// the event log or HTTP routing. No token, secret or code appears in an
// error string.
//
// GitHub and Google go through goth's providers (github.com/markbates/goth,
// called directly, never through gothic, whose global cookie store trusts a
// caller's state): goth builds their authorization requests and reads and
// maps GitHub's profile. Around goth, this package adds what goth cannot do
// without losing a security property: the PKCE verifier at the code
// exchange (goth's Session.Authorize sends none, so the exchange is
// golang.org/x/oauth2's with oauth2.VerifierOption), a context and a size
// limit on every call, the verified-email rule for GitHub (goth prefers the
// public profile email), and Google's identity from its ID token verified
// with github.com/coreos/go-oidc/v3 (goth's Google FetchUser asks a fixed
// URL with the access token in the query string). The generic upstream
// uses go-oidc, not goth's openidConnect, which does not verify ID token
// signatures.
package upstream
