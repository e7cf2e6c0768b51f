package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/providers/local"
)

// Login checks a local username and password and opens a session.
type Login struct {
	Username string
	Password string
	// Devices are the browser's device cookies, already verified by the
	// caller. A device that signed in as this user before spends from its
	// own failure budget, not the account's, and gets a hashing slot kept
	// for known devices.
	Devices []Device
	Meta    domain.Metadata
}

// Device is what a verified device cookie says: this browser (ID) signed
// in as Username (normalized) while the password was at Generation.
type Device struct {
	ID         string
	Username   string
	Generation int
}

// LoginResult is the session opened: full, or pending a second factor.
type LoginResult struct {
	Result
	Session            domain.SessionStarted
	Username           string // normalized: the name a device cookie is issued for
	PasswordGeneration int    // what the device cookie is issued under
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
	policy    PolicySource
	bootstrap map[string]bool // normalized usernames made admin when they sign in
}

// NewLoginHandler panics on a nil dependency. bootstrapAdmins lists the
// usernames of ADMIN_BOOTSTRAP_USERS.
func NewLoginHandler(store Store, hasher PasswordHasher, budgets Budgets, sealer *Sealer, newID NewID, now Clock,
	logger *slog.Logger, policy PolicySource, bootstrapAdmins []string) LoginHandler {
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
	valid := nameErr == nil
	device, known := knownDevice(cmd.Devices, name, valid)
	spent, err := h.reserve(ctx, h.budgetsFor(cmd, name, valid, device, known)...)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if known {
		ctx = local.WithPriority(ctx)
	}

	u, ok, err := h.account(ctx, name, valid)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if !ok {
		if err := h.spendNobody(ctx, cmd.Password); err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
		return LoginResult{}, h.recordFailure(ctx, cmd, domain.User{}, name, "unknown_user")
	}
	if known && device.Generation != u.PasswordGeneration {
		// A device known from before a password change is a stranger
		// again: it spends from the account's budget too.
		more, err := h.reserve(ctx, budget{scope: scopeLoginAccount, id: name, limit: LoginAccountLimit})
		if err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
		spent = append(spent, more...)
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
		return LoginResult{}, h.recordFailure(ctx, cmd, u, name, "bad_password")
	}

	// The password was checked once; only the decision is retried.
	sessionID := h.newID()
	res, err := retry(ctx, "login", func() (LoginResult, error) {
		u, version, err := loadUser(ctx, h.store, u.ID)
		if err != nil {
			return LoginResult{}, err
		}
		login, err := u.Login(sessionID, "local", h.bootstrap[u.Username], h.policy.Policy(), h.now())
		if err != nil {
			return LoginResult{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta, withUserEvents(u.ID, version, login.User, login.Session)...)
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{Result: Result{Position: res.LastPosition}, Session: login.Session, Username: u.Username,
			PasswordGeneration: u.PasswordGeneration}, nil
	})
	if errors.Is(err, domain.ErrUserDisabled) {
		// Before any refund: a right password must cost a disabled account
		// what a wrong one does, or the budget would tell them apart.
		return LoginResult{}, h.recordFailure(ctx, cmd, u, name, "disabled")
	}
	if err != nil {
		return LoginResult{}, err
	}
	// A right password: what was reserved against failures is given back.
	h.refund(ctx, spent)
	h.logger.InfoContext(ctx, "sign-in succeeded", "client_ip", cmd.Meta.ClientIP, "user_id", res.Session.UserID,
		"session_kind", string(res.Session.Kind), "request_id", cmd.Meta.RequestID)
	return res, nil
}

// spendNobody spends on a name that matches no account what a wrong
// password costs: a real argon2id run while the shared budget for such
// attempts lasts, then a stand-in of the same duration that leaves the
// hashing slots to real sign-ins.
func (h LoginHandler) spendNobody(ctx context.Context, password string) error {
	d, err := h.budgets.Take(ctx, scopeLoginNobody, "", loginNobodyLimit, h.now())
	if err != nil {
		return err
	}
	if d.Allowed {
		return h.hasher.VerifyNobody(ctx, password)
	}
	return h.hasher.StandIn(ctx)
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
