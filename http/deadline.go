package http

import (
	"context"
	"net/http"
	"time"
)

// requestDeadline bounds the work of one request, above all its database
// calls. The database's own statement_timeout cannot fire when the server
// does not answer at all (frozen, a half-open connection): then only this
// deadline ends the wait, pgx fails the call, eventstore classifies it as
// ErrUnavailable and the client gets a 503 instead of a hung login. It sits
// above the statement timeout (4s), so a database that answers reports its
// own cancellation first.
const requestDeadline = 5 * time.Second

// withDeadline gives every request's context requestDeadline.
func withDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), requestDeadline)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
