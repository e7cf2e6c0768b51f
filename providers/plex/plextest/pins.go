package plextest

import (
	"crypto/rand"
	"net/http"
	"strings"
	"time"
)

// pinJSON is plex.tv's AuthPinContainer.
func (s *Server) pinJSON(p *pin) map[string]any {
	var tok any
	if p.token != "" {
		tok = p.token
	}
	left := int(p.expiresAt.Sub(s.now()) / time.Second)
	if left < 0 {
		left = 0
	}
	return map[string]any{
		"id":               p.id,
		"code":             p.code,
		"product":          p.product,
		"trusted":          false,
		"qr":               s.URL + "/api/v2/pins/qr/" + p.code,
		"clientIdentifier": p.clientID,
		"location": map[string]any{
			"code": "US", "european_union_member": false, "continent_code": "NA", "country": "United States",
			"city": "Test", "time_zone": "America/New_York", "postal_code": "00000",
			"in_privacy_restricted_country": false, "in_privacy_restricted_region": false,
			"subdivisions": "NY", "coordinates": "0, 0",
		},
		"expiresIn":       left,
		"createdAt":       p.createdAt.UTC().Format(time.RFC3339),
		"expiresAt":       p.expiresAt.UTC().Format(time.RFC3339),
		"authToken":       tok,
		"newRegistration": nil,
	}
}

// createPIN serves POST /api/v2/pins: 201 with the PIN; a long code when
// strong=true (query or form), else 4 characters.
func (s *Server) createPIN(w http.ResponseWriter, r *http.Request) {
	n := 4
	if strings.EqualFold(r.FormValue("strong"), "true") {
		n = 25
	}
	life := s.PINLifetime
	if life == 0 {
		life = 15 * time.Minute
	}
	s.mu.Lock()
	now := s.now()
	p := &pin{
		id:        s.nextPIN,
		code:      code(n),
		clientID:  param(r, "X-Plex-Client-Identifier"),
		product:   param(r, "X-Plex-Product"),
		createdAt: now,
		expiresAt: now.Add(life),
	}
	s.nextPIN++
	s.pins[p.id] = p
	body := s.pinJSON(p)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, body)
}

// getPIN serves GET /api/v2/pins/{id}: 200 with authToken null until
// claimed; 404 with code 1020 when unknown, expired, or asked for under
// another client identifier than the one that created it.
func (s *Server) getPIN(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(r.PathValue("id"))
	s.mu.Lock()
	p := s.pins[id]
	if !ok || p == nil || s.expiredLocked(p) || p.clientID != param(r, "X-Plex-Client-Identifier") {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, 1020, "Code not found or expired")
		return
	}
	body := s.pinJSON(p)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

const codeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func code(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}
