package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Login checks a local username and password and opens a session.
type Login struct {
	Username string
	Password string
	Meta     domain.Metadata
}

// LoginResult is the session opened: full, or pending a second factor.
type LoginResult struct {
	Result
	Session domain.SessionStarted
}

// LoginHandler handles Login.
type LoginHandler struct {
	store     Store
	hasher    PasswordHasher
	sealer    *Sealer // opens password hashes that PasswordChanged sealed
	newID     NewID
	now       Clock
	policy    domain.SessionPolicy
	bootstrap map[string]bool // normalized usernames made admin when they sign in
}

// NewLoginHandler panics on a nil dependency. bootstrapAdmins lists the
// usernames of ADMIN_BOOTSTRAP_USERS.
func NewLoginHandler(store Store, hasher PasswordHasher, sealer *Sealer, newID NewID, now Clock, policy domain.SessionPolicy, bootstrapAdmins []string) LoginHandler {
	if store == nil || hasher == nil || sealer == nil || newID == nil || now == nil {
		panic("commands.NewLoginHandler: nil dependency")
	}
	boot := map[string]bool{}
	for _, name := range bootstrapAdmins {
		if n, err := domain.NormalizeUsername(name); err == nil {
			boot[n] = true
		}
	}
	return LoginHandler{store: store, hasher: hasher, sealer: sealer, newID: newID, now: now, policy: policy, bootstrap: boot}
}

// Handle returns ErrInvalidCredentials for every first-factor failure,
// after spending the same hashing time and recording a LoginFailed event.
func (h LoginHandler) Handle(ctx context.Context, cmd Login) (LoginResult, error) {
	name, nameErr := domain.NormalizeUsername(cmd.Username)
	var userID string
	if nameErr == nil {
		claims, _, err := h.store.Load(ctx, domain.UsernameStream(name))
		if err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
		userID = domain.ClaimedUserID(claims)
	}
	if userID == "" {
		if err := h.hasher.VerifyNobody(ctx, cmd.Password); err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
		return LoginResult{}, h.fail(ctx, cmd, domain.LoginAttemptsStream, "", "unknown_user")
	}

	u, _, err := loadUser(ctx, h.store, userID)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	hash, err := openPasswordHash(h.sealer, userID, u.PasswordHash)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	ok, err := h.hasher.Verify(ctx, hash, cmd.Password)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	switch {
	case !ok:
		return LoginResult{}, h.fail(ctx, cmd, domain.UserStream(userID), userID, "bad_password")
	case u.Disabled:
		return LoginResult{}, h.fail(ctx, cmd, domain.UserStream(userID), userID, "disabled")
	}

	// The password was checked once; only the decision is retried.
	sessionID := h.newID()
	return retry(ctx, "login", func() (LoginResult, error) {
		u, version, err := loadUser(ctx, h.store, userID)
		if err != nil {
			return LoginResult{}, err
		}
		login, err := u.Login(sessionID, h.bootstrap[u.Username], h.policy, h.now())
		if errors.Is(err, domain.ErrUserDisabled) {
			return LoginResult{}, ErrInvalidCredentials
		}
		if err != nil {
			return LoginResult{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta,
			eventstore.Append{StreamID: domain.UserStream(userID), Expected: eventstore.Exactly(version), Events: login.User},
			eventstore.Append{StreamID: domain.SessionStream(sessionID), Expected: eventstore.NoStream, Events: []domain.Event{login.Session}},
		)
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{Result: Result{Position: res.LastPosition}, Session: login.Session}, nil
	})
}

// fail records a failed attempt and returns ErrInvalidCredentials.
func (h LoginHandler) fail(ctx context.Context, cmd Login, stream, userID, reason string) error {
	ev := domain.LoginFailed{UserID: userID, Username: auditName(cmd.Username), Provider: "local", Reason: reason}
	if _, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: []domain.Event{ev}}); err != nil {
		return fmt.Errorf("login: record failure: %w", err)
	}
	return ErrInvalidCredentials
}

// auditName is the attempted username as the audit trail keeps it: lower
// case, printable, at most 64 runes.
func auditName(raw string) string {
	clean := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, strings.TrimSpace(raw))
	if r := []rune(clean); len(r) > 64 {
		clean = string(r[:64])
	}
	return clean
}
