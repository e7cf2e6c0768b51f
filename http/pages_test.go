package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authportal/authportal/domain"
)

func TestPagesFollowTheSession(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		kind         domain.SessionKind // "" for none
		wantStatus   int
		wantLocation string
		wantBody     string
	}{
		{"login page, anonymous", "/login", "", http.StatusOK, "", "<form"},
		{"login page, signed in", "/login?next=/apps", domain.SessionFull, http.StatusSeeOther, "/apps", ""},
		{"home, anonymous", "/home", "", http.StatusSeeOther, "/", ""},
		{"home, signed in", "/home", domain.SessionFull, http.StatusOK, "", "Welcome, user-U1"},
		{"enroll page, challenge owed", "/mfa/enroll", domain.SessionMFAChallenge, http.StatusSeeOther, "/mfa/challenge", ""},
		{"enroll page, anonymous", "/mfa/enroll", "", http.StatusSeeOther, "/", ""},
		{"enroll page, enrollment owed", "/mfa/enroll", domain.SessionMFAEnroll, http.StatusOK, "", "<form"},
		{"challenge page, enrollment owed", "/mfa/challenge", domain.SessionMFAEnroll, http.StatusSeeOther, "/", ""},
		{"challenge page, challenge owed", "/mfa/challenge", domain.SessionMFAChallenge, http.StatusOK, "", "<form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addUser("U1")
			var cookies []*http.Cookie
			if tt.kind != "" {
				cookies = append(cookies, jar(e.cookie("U1", tt.kind)))
			}
			res := e.get(tt.path, cookies...)
			if res.status != tt.wantStatus || res.header.Get("Location") != tt.wantLocation || !strings.Contains(string(res.body), tt.wantBody) {
				t.Errorf("got %d, Location %q, want %d, %q, body with %q:\n%s", res.status, res.header.Get("Location"), tt.wantStatus, tt.wantLocation, tt.wantBody, res.body)
			}
		})
	}
}
