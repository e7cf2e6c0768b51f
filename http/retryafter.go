package http

import "net/http"

// unavailableRetryAfter is what a 503 tells clients to wait: the causes (a model
// catching up, a database reconnecting, a full hashing queue) pass in about
// a second, and a client that retries sooner only adds load.
const unavailableRetryAfter = "1"

// withRetryAfter adds Retry-After to every 503 that does not carry one, so
// that huma operations and plain handlers answer "try again" the same way
// whichever path produced the problem.
func withRetryAfter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&retryAfterWriter{ResponseWriter: w}, r)
	})
}

type retryAfterWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *retryAfterWriter) WriteHeader(status int) {
	if !w.wrote && status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *retryAfterWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (w *retryAfterWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
