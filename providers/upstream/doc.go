// Package upstream signs users in through outside OAuth 2.0 / OpenID Connect
// accounts: a generic OpenID Connect provider ([OIDC]), GitHub ([GitHub]) and
// Google ([Google]). Each is an [Upstream]: [Upstream.AuthURL] gives the URL
// to send the browser to, [Upstream.Finish] turns the code the browser brings
// back into a [providers.Identity].
//
// What it owns: building authorization URLs with PKCE (S256), exchanging
// codes, verifying ID tokens (OIDC: signature, issuer, audience, expiry,
// nonce) and mapping profiles to an Identity. Every outside call has a
// context deadline and an http.Client timeout, and every response body is
// read through a size limit.
//
// What it must not do: it never stores state, nonces or verifiers (the
// caller keeps them, see [Upstream]), never decides who may enter (Identity
// Access is always false: an admin decides), never logs and never touches
// the event log or HTTP routing. No token, secret or code appears in an
// error string.
//
// goth is not used. goth's github and google providers cannot send a PKCE
// code_verifier with the exchange, take no context, read responses without
// a limit, and goth's github takes the public profile email (unverified)
// when there is one; google's profile URL is a constant that cannot point
// at a fake and carries the access token in the query string. Both are done
// here with golang.org/x/oauth2 directly, in a few lines each. The generic
// upstream uses github.com/coreos/go-oidc/v3, not goth's openidConnect,
// which does not verify ID token signatures.
package upstream
