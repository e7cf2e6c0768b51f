package http

import (
	"context"
	"net/http"
	"time"
)

// The probes answer plain text and never say why in detail: the reason is
// in the log, not in a response anyone can read.
func (s *Server) registerHealth(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /startupz", func(w http.ResponseWriter, r *http.Request) {
		if !s.deps.Health.Started() {
			plain(w, http.StatusServiceUnavailable, "starting")
			return
		}
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if !s.deps.Health.Started() {
			plain(w, http.StatusServiceUnavailable, "starting")
			return
		}
		if err := s.deps.Health.Ready(ctx); err != nil {
			s.deps.Logger.WarnContext(ctx, "not ready", "err", err)
			plain(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		plain(w, http.StatusOK, "ok")
	})
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n")) // a probe that went away needs no answer
}
