// Package http is AuthPortal's web face: huma JSON operations, server-rendered
// pages (templates and static files embedded in the binary), and the
// middleware every request passes (request id, client IP, security headers,
// rate limits, same-origin check, session). The forward-auth endpoint
// (verify.go), which every proxied request to every protected app goes
// through, is served in front of that stack: it reads no database and writes
// nothing, so it needs none of it.
//
// An operation decodes its input, builds a command or query, calls it and
// maps the result; it writes no SQL and decides no rule. Every error goes
// through problem.go, which turns it into an RFC 9457 problem with a stable
// type and keeps causes in the log only. The OpenID Connect provider's
// endpoints (oidc_*.go) are the exception their RFCs make: the token,
// revocation and introspection endpoints answer RFC 6749 §5.2 JSON errors,
// and authorization errors go back to the client's checked redirect_uri.
package http
