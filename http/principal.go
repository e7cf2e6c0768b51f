package http

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// Principal is the signed-in user behind a request and the session they act in.
type Principal struct {
	SessionClaims
	User queries.AccessUser
}

// Authorized reports whether the user may enter protected apps now. It is
// read from the access model, not the cookie: access changes take effect at once.
func (p *Principal) Authorized() bool { return p.User.Authorized() }

// freshnessWait bounds how long a request waits for this node's access
// model to reach the session's start (read-your-writes across nodes).
const freshnessWait = 2 * time.Second

var errNoSession = errors.New("no valid session")

// resolve checks a session cookie against the access model: signature and
// expiry, then that the session was not ended, its user's epoch still
// matches (admin change, revocation) and the user is not disabled.
func (s *Server) resolve(ctx context.Context, cookie string) (*Principal, error) {
	claims, u, err := s.check(ctx, cookie)
	if err != nil {
		return nil, err
	}
	return &Principal{SessionClaims: claims, User: u}, nil
}

// check is resolve without building a Principal, for the verify endpoint:
// on a cookie this node's model has caught up with, it reads no database
// and allocates nothing.
func (s *Server) check(ctx context.Context, cookie string) (SessionClaims, queries.AccessUser, error) {
	if cookie == "" {
		return SessionClaims{}, queries.AccessUser{}, errNoSession
	}
	claims, err := s.codec.decode(cookie)
	if err != nil {
		return SessionClaims{}, queries.AccessUser{}, errNoSession
	}
	if claims.Position > s.deps.Access.Position() {
		if err := s.catchUp(ctx, claims.Position); err != nil {
			return SessionClaims{}, queries.AccessUser{}, err
		}
	}
	u, err := s.deps.Access.CheckSession(claims.SessionID, claims.UserID, claims.Epoch, s.deps.Now())
	if err != nil {
		return SessionClaims{}, queries.AccessUser{}, errNoSession
	}
	return claims, u, nil
}

// catchUp waits for this node's model to reach a cookie's position. Ahead
// of the model means the model lags, or the cookie names a position this
// log never reached (a log started afresh under the same SESSION_SECRET):
// only the first is worth waiting for. It bounds its own wait, since the
// verify endpoint runs without the request deadline middleware.
func (s *Server) catchUp(ctx context.Context, position int64) error {
	ctx, cancel := context.WithTimeout(ctx, requestDeadline)
	defer cancel()
	head, err := s.deps.Reader.Head(ctx)
	if err != nil {
		return err
	}
	if position > head {
		return errNoSession
	}
	return s.awaitModel(ctx, position)
}

// withSession puts the full session, when there is a valid one, in the
// request's metadata. Requests without one go on: each handler decides
// whether it needs one.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var value string
		if c, err := r.Cookie(sessionCookie); err == nil {
			value = c.Value
		}
		p, err := s.resolve(r.Context(), value)
		switch {
		case err == nil && p.Kind == domain.SessionFull:
			metaFrom(r.Context()).Principal = p
		case err != nil && !errors.Is(err, errNoSession):
			// The access model is behind: better an error than a stale answer.
			s.deps.Logger.WarnContext(r.Context(), "session check timed out", "err", err)
			writeProblem(w, r, problemUnavailable, "The server is catching up. Try again in a moment.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// principal returns the request's full session, or nil.
func principal(ctx context.Context) *Principal { return metaFrom(ctx).Principal }

// awaitModel waits until this node's access model reflects position, so
// that the client's next request sees what this one did.
func (s *Server) awaitModel(ctx context.Context, position int64) error {
	wait, cancel := context.WithTimeout(ctx, freshnessWait)
	defer cancel()
	return s.deps.Access.WaitFor(wait, position)
}
