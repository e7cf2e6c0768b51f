package http

import (
	"net/http"
	"testing"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

// State-changing requests from another origin are refused before they
// reach a handler; same-origin and non-browser clients pass.
func TestCrossOriginRequestsAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		header  http.Header
		refused bool
	}{
		{"cross-site fetch", http.Header{"Sec-Fetch-Site": {"cross-site"}}, true},
		{"same-site sibling", http.Header{"Sec-Fetch-Site": {"same-site"}}, true},
		{"foreign Origin", http.Header{"Origin": {"https://evil.example"}}, true},
		{"same-origin fetch", http.Header{"Sec-Fetch-Site": {"same-origin"}}, false},
		{"the configured origin", http.Header{"Origin": {testBaseURL}}, false},
		{"no browser headers (curl)", nil, false},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/auth/login", "/logout"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				e := newTestEnv(t)
				e.addUser("U1")
				e.login.do = func(commands.Login) (commands.LoginResult, error) { return started(domain.SessionFull), nil }
				e.logout.do = func(commands.Logout) (commands.Result, error) { return commands.Result{Position: 10}, nil }
				res := e.send(req{method: http.MethodPost, path: path, header: tt.header,
					body: map[string]string{"username": "pat", "password": "correct horse"}, cookies: []*http.Cookie{jar(e.cookie("U1", domain.SessionFull))}})
				ran := len(e.login.received()) + len(e.logout.received())
				if tt.refused {
					if res.status != http.StatusForbidden || res.problem(t) != problemType(problemCrossOrigin) {
						t.Errorf("got %d %s, want 403 cross-origin", res.status, res.body)
					}
					if ran != 0 || res.setCookie(sessionCookie) != nil {
						t.Errorf("a refused request ran %d commands and set %v", ran, res.header.Values("Set-Cookie"))
					}
					return
				}
				if res.status >= 400 || ran != 1 {
					t.Errorf("got %d %s with %d commands run, want it through", res.status, res.body, ran)
				}
			})
		}
	}
}

// Reading is never refused for its origin: a cross-site GET is how links work.
func TestCrossOriginReadsPass(t *testing.T) {
	e := newTestEnv(t)
	res := e.send(req{method: http.MethodGet, path: "/whoami", header: http.Header{"Sec-Fetch-Site": {"cross-site"}}})
	if res.status != http.StatusOK {
		t.Errorf("cross-site GET: %d", res.status)
	}
}
