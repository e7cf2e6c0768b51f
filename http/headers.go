package http

import (
	"net/http"
	"strings"
)

// The policy pages run under: scripts and styles from this origin only,
// images from here or data: (the QR code), no framing, no plugins.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Swagger UI styles elements inline; /docs alone gets that allowance.
const docsContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

func withSecurityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if strings.HasPrefix(r.URL.Path, "/docs") {
			h.Set("Content-Security-Policy", docsContentSecurityPolicy)
		} else {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		// Nothing AuthPortal answers belongs in a shared cache.
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
