package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/authportal/authportal/commands"
)

// logout ends the session, full or pending a second factor ("use another
// account" on the challenge page), and clears both cookies. It is a POST, so
// the same-origin check guards it: another site cannot sign a user out. It
// waits until this node's access model has the session's end, so the old
// cookie is refused from the very next request.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var sessions []string
	if p := principal(ctx); p != nil {
		sessions = append(sessions, p.SessionID)
	}
	switch p, err := s.resolve(ctx, pendingValue(r)); {
	case err == nil && p.Kind.Pending():
		sessions = append(sessions, p.SessionID)
	case err != nil && !errors.Is(err, errNoSession):
		// The model is behind: clearing the cookie alone would leave the
		// pending session able to answer its challenge.
		writeErrorModel(w, r, problemFor(ctx, s.deps.Logger, err))
		return
	}
	for _, id := range sessions {
		res, err := s.deps.Logout.Handle(ctx, commands.Logout{SessionID: id, Meta: eventMeta(ctx)})
		if err == nil {
			err = s.awaitModel(ctx, res.Position)
		}
		if err != nil {
			writeErrorModel(w, r, problemFor(ctx, s.deps.Logger, err))
			return
		}
	}
	for _, name := range []string{sessionCookie, pendingCookie} {
		c := s.jar.expire(name)
		http.SetCookie(w, &c)
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(map[string]any{"ok": true, "redirect": "/"}); err != nil {
			s.deps.Logger.DebugContext(ctx, "client went away", "err", err)
		}
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
