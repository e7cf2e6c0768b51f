package http

import (
	"context"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// The web layer's dependencies, declared here with only the methods it
// calls, so that its tests run against hand-written fakes and the commands
// and read models can change behind them without touching this package.

// loginer signs a user in with a local password (commands.LoginHandler).
type loginer interface {
	Handle(ctx context.Context, cmd commands.Login) (commands.LoginResult, error)
}

// logouter ends a session (commands.LogoutHandler).
type logouter interface {
	Handle(ctx context.Context, cmd commands.Logout) (commands.Result, error)
}

// totpStarter begins a TOTP enrollment (commands.StartTOTPEnrollmentHandler).
type totpStarter interface {
	Handle(ctx context.Context, cmd commands.StartTOTPEnrollment) (commands.StartTOTPEnrollmentResult, error)
}

// totpVerifier turns TOTP on with a first code (commands.VerifyTOTPEnrollmentHandler).
type totpVerifier interface {
	Handle(ctx context.Context, cmd commands.VerifyTOTPEnrollment) (commands.VerifyTOTPEnrollmentResult, error)
}

// challengeAnswerer answers a pending session's second-factor challenge
// (commands.AnswerMFAChallengeHandler).
type challengeAnswerer interface {
	Handle(ctx context.Context, cmd commands.AnswerMFAChallenge) (commands.AnswerMFAChallengeResult, error)
}

// accessModel is this node's in-memory model of users and live sessions
// (queries.Access), as the session check reads it.
type accessModel interface {
	// Position is the last log position the model has applied.
	Position() int64
	// WaitFor blocks until the model has applied pos, or ctx ends
	// (queries.ErrModelBehind).
	WaitFor(ctx context.Context, pos int64) error
	// CheckSession applies domain.CheckSession to a session and its user.
	CheckSession(sessionID, userID string, epoch int64, now time.Time) (queries.AccessUser, error)
}

// headReader tells the position of the last event in the log (queries.Reader).
type headReader interface {
	Head(ctx context.Context) (int64, error)
}

// forwardDecider is this node's in-memory forward-auth model
// (projections.Access): protected hosts and each user's permissions. The
// verify endpoint and the sign-in return check read it, never the database.
type forwardDecider interface {
	// DecideForward applies domain.DecideForward to a user and the host
	// (lower case, no port) of the request a proxy asks about.
	DecideForward(userID, host string) domain.ForwardVerdict
	// ProtectedHost returns the registered host entry host falls under (the
	// most specific one), if any.
	ProtectedHost(host string) (domain.ProtectedHost, bool)
}

// ForwardAdmin is what the admin API for forward auth (admin_hosts.go,
// admin_users.go) calls; a nil Hosts registers none of it.
type ForwardAdmin struct {
	Hosts       hostManager
	Permissions permissionsSetter
	Disabled    disabledSetter
	Reader      forwardReader
	Model       forwardModel
}

// hostManager adds, changes and removes protected hosts (commands.HostsHandler).
type hostManager interface {
	Add(ctx context.Context, cmd commands.AddHost) (commands.AddHostResult, error)
	Update(ctx context.Context, cmd commands.UpdateHost) (commands.Result, error)
	Remove(ctx context.Context, cmd commands.RemoveHost) (commands.Result, error)
}

// permissionsSetter sets a user's forward-auth permissions (commands.SetPermissionsHandler).
type permissionsSetter interface {
	Handle(ctx context.Context, cmd commands.SetPermissions) (commands.Result, error)
}

// disabledSetter disables or enables a user (commands.SetDisabledHandler).
type disabledSetter interface {
	Handle(ctx context.Context, cmd commands.SetDisabled) (commands.Result, error)
}

// forwardReader reads protected hosts and users from the projection
// tables (queries.Reader).
type forwardReader interface {
	WaitFor(ctx context.Context, projection string, position int64, timeout time.Duration) error
	ProtectedHosts(ctx context.Context) ([]queries.ProtectedHost, error)
	Users(ctx context.Context) ([]queries.UserSummary, error)
	User(ctx context.Context, id string) (queries.UserSummary, error)
	UsersNamed(ctx context.Context, name string) ([]queries.UserSummary, error)
}

// forwardModel decides forward-auth requests from this node's access
// model (queries.Access), as the verify endpoint does.
type forwardModel interface {
	DecideForward(userID, host string) domain.ForwardVerdict
}
