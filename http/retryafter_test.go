package http

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authportal/authportal/projections"
)

// A wait for the model that times out (after an outage, say) is a 503 with
// Retry-After, on huma operations and plain handlers alike, never a 500.
func TestModelBehindIsUnavailableWithRetryAfter(t *testing.T) {
	a := projections.NewAccess()
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	waitErr := a.WaitFor(ctx, 5)
	if waitErr == nil {
		t.Fatal("WaitFor for a position the model never reaches returned nil")
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	wrapped := fmt.Errorf("logout: %w", waitErr)

	m := problemFor(t.Context(), logger, wrapped)
	if m.Status != http.StatusServiceUnavailable || m.Type != problemUnavailable.typeURI() {
		t.Fatalf("problem for a model that is behind: %d %s, want 503 %s", m.Status, m.Type, problemUnavailable.typeURI())
	}

	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"plain problem", func(w http.ResponseWriter, r *http.Request) {
			writeErrorModel(w, r, problemFor(r.Context(), logger, wrapped))
		}, unavailableRetryAfter},
		{"own Retry-After kept", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, "7"},
		{"not a 503", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			withRetryAfter(tt.handler).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/logout", nil))
			if got := rec.Header().Get("Retry-After"); got != tt.want {
				t.Errorf("Retry-After = %q, want %q (status %d)", got, tt.want, rec.Code)
			}
		})
	}
}
