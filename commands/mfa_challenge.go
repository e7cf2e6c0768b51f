package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/totp"
)

// AnswerMFAChallenge completes a pending session with a TOTP or recovery code.
type AnswerMFAChallenge struct {
	SessionID string
	Code      string
	Meta      domain.Metadata
}

// AnswerMFAChallengeResult is the full session that replaces the pending one.
type AnswerMFAChallengeResult struct {
	Result
	Session           domain.SessionStarted
	RecoveryCodesLeft int
}

// AnswerMFAChallengeHandler handles AnswerMFAChallenge.
type AnswerMFAChallengeHandler struct {
	store   Store
	sealer  *Sealer
	budgets Budgets
	newID   NewID
	now     Clock
	policy  PolicySource
}

// NewAnswerMFAChallengeHandler panics on a nil dependency.
func NewAnswerMFAChallengeHandler(store Store, sealer *Sealer, budgets Budgets, newID NewID, now Clock, policy PolicySource) AnswerMFAChallengeHandler {
	if store == nil || sealer == nil || budgets == nil || newID == nil || now == nil {
		panic("commands.NewAnswerMFAChallengeHandler: nil dependency")
	}
	return AnswerMFAChallengeHandler{store: store, sealer: sealer, budgets: budgets, newID: newID, now: now, policy: policy}
}

// Handle returns domain.ErrCodeInvalid or domain.ErrCodeReused for a code that
// does not pass (and records MFAChallengeFailed), domain.ErrWrongSessionKind
// for a session that owes no challenge, and a *RateLimitedError when the
// account's second-factor budget is spent. Each attempt takes its token
// before the code is checked, on a budget every node shares, so parallel
// guesses are never checked beyond the budget. Two requests racing with the
// same code both decide on the same stream version; the second append
// conflicts, re-decides, and finds the step used.
func (h AnswerMFAChallengeHandler) Handle(ctx context.Context, cmd AnswerMFAChallenge) (AnswerMFAChallengeResult, error) {
	pending, err := reserveCodeAttempt(ctx, h.store, h.budgets, cmd.SessionID, h.now())
	if err != nil {
		return AnswerMFAChallengeResult{}, fmt.Errorf("answer mfa challenge: %w", err)
	}
	newSessionID := h.newID()
	out, err := retry(ctx, "answer mfa challenge", func() (AnswerMFAChallengeResult, error) {
		now := h.now()
		live, err := loadLiveSession(ctx, h.store, cmd.SessionID, now)
		if err != nil {
			return AnswerMFAChallengeResult{}, err
		}
		if err := live.session.OwesChallenge(); err != nil {
			return AnswerMFAChallengeResult{}, err
		}
		u := live.user
		used, err := h.check(u, cmd)
		if err != nil {
			return AnswerMFAChallengeResult{}, err
		}
		u.Apply(used)
		ended, started := live.session.CompleteMFA(u, newSessionID, h.policy.Policy(), now)
		res, err := h.store.Append(ctx, cmd.Meta,
			eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(live.userVersion), Events: []domain.Event{used}},
			eventstore.Append{StreamID: domain.SessionStream(live.session.ID), Expected: eventstore.Exactly(live.sessionVersion), Events: ended},
			eventstore.Append{StreamID: domain.SessionStream(newSessionID), Expected: eventstore.NoStream, Events: []domain.Event{started}},
		)
		if err != nil {
			return AnswerMFAChallengeResult{}, err
		}
		return AnswerMFAChallengeResult{Result: Result{Position: res.LastPosition}, Session: started, RecoveryCodesLeft: u.RecoveryCodesLeft()}, nil
	})
	if reason := failureReason(err); reason != "" {
		// Joined, so the caller still finds the code error with errors.Is.
		err = errors.Join(err, h.recordFailure(ctx, cmd, pending, reason))
	}
	if err == nil {
		// Only failures spend the budget: a right code gives its token back.
		h.budgets.Refund(ctx, scopeMFAAccount, pending.UserID, MFAAccountLimit)
	}
	return out, err
}

// check decides which code was given and whether it passes.
func (h AnswerMFAChallengeHandler) check(u domain.User, cmd AnswerMFAChallenge) (domain.Event, error) {
	if totp.LooksLikeRecoveryCode(cmd.Code) {
		return u.UseRecoveryCode(totp.RecoveryDigest(u.ID, cmd.Code), cmd.SessionID)
	}
	sealed, err := u.TOTPSecret()
	if err != nil {
		return nil, err
	}
	secret, err := h.sealer.Open(sealed, u.ID)
	if err != nil {
		return nil, err
	}
	step, ok := totp.Match(string(secret), cmd.Code, h.now())
	if !ok {
		return nil, domain.ErrCodeInvalid
	}
	return u.AcceptTOTP(step, cmd.SessionID)
}

func failureReason(err error) string {
	switch {
	case errors.Is(err, domain.ErrCodeInvalid):
		return "invalid"
	case errors.Is(err, domain.ErrCodeReused):
		return "reused"
	}
	return ""
}

// recordFailure appends MFAChallengeFailed to the pending session's stream:
// not the user's, which every sign-in reads, and bounded by the budget.
func (h AnswerMFAChallengeHandler) recordFailure(ctx context.Context, cmd AnswerMFAChallenge, s domain.Session, reason string) error {
	ev := domain.MFAChallengeFailed{UserID: s.UserID, SessionID: s.ID, Reason: reason}
	if _, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.SessionStream(s.ID), Expected: eventstore.Any, Events: []domain.Event{ev}}); err != nil {
		return fmt.Errorf("record mfa failure: %w", err)
	}
	return nil
}
