package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Login checks a local username and password and opens a session.
type Login struct {
	Username string
	Password string
	// Device is the browser's device cookie, already verified by the caller;
	// zero when it had none. A device that signed in as this user before
	// spends from its own failure budget, not the account's.
	Device Device
	Meta   domain.Metadata
}

// Device is what a verified device cookie says: this browser (ID) once
// signed in as Username (normalized).
type Device struct {
	ID       string
	Username string
}

// LoginResult is the session opened: full, or pending a second factor.
type LoginResult struct {
	Result
	Session  domain.SessionStarted
	Username string // normalized: the name a device cookie is issued for
}

// LoginHandler handles Login.
type LoginHandler struct {
	store     Store
	hasher    PasswordHasher
	budgets   Budgets
	sealer    *Sealer
	newID     NewID
	now       Clock
	logger    *slog.Logger
	policy    domain.SessionPolicy
	bootstrap map[string]bool // normalized usernames made admin when they sign in
}

// NewLoginHandler panics on a nil dependency. bootstrapAdmins lists the
// usernames of ADMIN_BOOTSTRAP_USERS.
func NewLoginHandler(store Store, hasher PasswordHasher, budgets Budgets, sealer *Sealer, newID NewID, now Clock,
	logger *slog.Logger, policy domain.SessionPolicy, bootstrapAdmins []string) LoginHandler {
	if store == nil || hasher == nil || budgets == nil || sealer == nil || newID == nil || now == nil || logger == nil {
		panic("commands.NewLoginHandler: nil dependency")
	}
	boot := map[string]bool{}
	for _, name := range bootstrapAdmins {
		if n, err := domain.NormalizeUsername(name); err == nil {
			boot[n] = true
		}
	}
	return LoginHandler{store: store, hasher: hasher, budgets: budgets, sealer: sealer, newID: newID, now: now,
		logger: logger, policy: policy, bootstrap: boot}
}

// Handle returns ErrInvalidCredentials for every first-factor failure, after
// spending the same hashing time whatever failed, and a *RateLimitedError
// when the attempt's failure budget is spent.
//
// What an attacker can make it write is bounded: a failure spends a token
// from a shared bucket (see Budgets), logs one line, and reaches the event
// log at most once per account and per address per audit window
// (recordFailure). It never touches the user's stream, so a flood of wrong
// passwords neither slows nor conflicts with the right one.
func (h LoginHandler) Handle(ctx context.Context, cmd Login) (LoginResult, error) {
	name, nameErr := domain.NormalizeUsername(cmd.Username)
	budget := h.budgetFor(cmd, name, nameErr == nil)
	if err := h.reserve(ctx, budget); err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}

	u, ok, err := h.account(ctx, name, nameErr == nil)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if !ok {
		if err := h.hasher.VerifyNobody(ctx, cmd.Password); err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
		return LoginResult{}, h.recordFailure(ctx, cmd, domain.User{}, "unknown_user")
	}
	hash, err := h.sealer.OpenPasswordHash(u.PasswordHash, u.ID)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	match, err := h.hasher.Verify(ctx, hash, cmd.Password)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if !match {
		return LoginResult{}, h.recordFailure(ctx, cmd, u, "bad_password")
	}
	// Right password: what was reserved against failures is given back.
	if err := h.budgets.Refund(ctx, budget.scope, budget.id, budget.limit); err != nil {
		h.logger.WarnContext(ctx, "sign-in budget refund failed", "err", err)
	}

	// The password was checked once; only the decision is retried.
	sessionID := h.newID()
	res, err := retry(ctx, "login", func() (LoginResult, error) {
		u, version, err := loadUser(ctx, h.store, u.ID)
		if err != nil {
			return LoginResult{}, err
		}
		login, err := u.Login(sessionID, "local", h.bootstrap[u.Username], h.policy, h.now())
		if err != nil {
			return LoginResult{}, err
		}
		appends := []eventstore.Append{{StreamID: domain.SessionStream(sessionID), Expected: eventstore.NoStream, Events: []domain.Event{login.Session}}}
		if len(login.User) > 0 {
			appends = append(appends, eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(version), Events: login.User})
		}
		res, err := h.store.Append(ctx, cmd.Meta, appends...)
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{Result: Result{Position: res.LastPosition}, Session: login.Session, Username: u.Username}, nil
	})
	if errors.Is(err, domain.ErrUserDisabled) {
		return LoginResult{}, h.recordFailure(ctx, cmd, u, "disabled")
	}
	if err != nil {
		return LoginResult{}, err
	}
	h.logger.InfoContext(ctx, "sign-in succeeded", "client_ip", cmd.Meta.ClientIP, "user_id", res.Session.UserID,
		"session_kind", string(res.Session.Kind), "request_id", cmd.Meta.RequestID)
	return res, nil
}

// account finds the user a username names. Every name costs the same
// reads, whether it is invalid, unclaimed or has an account: the claim
// stream, then a user's snapshot and stream (an empty one for nobody), so
// that the lookup's time tells nothing either.
func (h LoginHandler) account(ctx context.Context, name string, valid bool) (domain.User, bool, error) {
	if !valid {
		name = ""
	}
	claims, _, err := h.store.Load(ctx, domain.UsernameStream(name))
	if err != nil {
		return domain.User{}, false, err
	}
	u, _, err := loadUser(ctx, h.store, domain.ClaimedUserID(claims))
	if errors.Is(err, domain.ErrUserNotFound) {
		return domain.User{}, false, nil
	}
	return u, err == nil, err
}
