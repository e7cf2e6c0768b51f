package plextest

import (
	"fmt"
	"net/http"
)

// SetAppUser signs the browser into the fake auth app as the account of
// token: loading the auth page then approves the PIN for that account.
func (s *Server) SetAppUser(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appUser = token
}

// authPage serves GET /auth, a stand-in for app.plex.tv/auth: its script
// reads the fragment (clientID, code, forwardUrl), approves the PIN for the
// app user through POST /auth/claim, then goes to forwardUrl.
func (s *Server) authPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><title>Fake Plex auth</title><p id="status">Approving…</p>
<script>
const q = new URLSearchParams(location.hash.replace(/^#!?\??/, ""));
fetch("/auth/claim", {method: "POST", body: new URLSearchParams({code: q.get("code") || "", clientID: q.get("clientID") || ""})})
  .then(r => { if (!r.ok) throw new Error("claim " + r.status); const f = q.get("forwardUrl"); document.getElementById("status").textContent = "Approved"; if (f) location.href = f; })
  .catch(e => { document.getElementById("status").textContent = e.message; });
</script>`)
}

// authClaim serves POST /auth/claim (form code, clientID): approves the live
// PIN with that code, created by that client, for the app user.
func (s *Server) authClaim(w http.ResponseWriter, r *http.Request) {
	code, clientID := r.PostFormValue("code"), r.PostFormValue("clientID")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[s.appUser]; !ok || s.appUser == "" {
		http.Error(w, "no app user signed in", http.StatusUnauthorized)
		return
	}
	for _, p := range s.pins {
		if p.code == code && p.clientID == clientID && !s.expiredLocked(p) {
			p.token = s.appUser
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	http.Error(w, "no such pin", http.StatusNotFound)
}
