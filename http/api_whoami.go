package http

import (
	"context"
	"time"
)

type whoamiSession struct {
	ID        string    `json:"id" doc:"This session's id, as the account page lists it"`
	Kind      string    `json:"kind"`
	MFA       bool      `json:"mfa" doc:"A second factor was passed in this session"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type whoamiOutput struct {
	Body struct {
		Authenticated bool           `json:"authenticated"`
		UserID        string         `json:"userId,omitempty"`
		Username      string         `json:"username,omitempty"`
		Email         string         `json:"email,omitempty"`
		Provider      string         `json:"provider,omitempty"`
		Authorized    bool           `json:"authorized"`
		Admin         bool           `json:"admin"`
		MFAEnabled    bool           `json:"mfaEnabled"`
		Session       *whoamiSession `json:"session,omitempty"`
	}
}

func (s *Server) whoami(ctx context.Context, _ *struct{}) (*whoamiOutput, error) {
	out := &whoamiOutput{}
	p := principal(ctx)
	if p == nil {
		return out, nil
	}
	b := &out.Body
	b.Authenticated, b.UserID, b.Username, b.Email, b.Provider = true, p.UserID, p.User.Username, p.User.Email, p.User.Provider
	b.Authorized, b.Admin, b.MFAEnabled = p.Authorized(), p.User.Admin, p.User.MFAEnabled
	b.Session = &whoamiSession{ID: p.SessionID, Kind: string(p.Kind), MFA: p.MFA, IssuedAt: p.IssuedAt.In(s.config.Location), ExpiresAt: p.ExpiresAt.In(s.config.Location)}
	return out, nil
}

type meOutput struct {
	Body struct {
		Username string `json:"username"`
		UUID     string `json:"uuid"`
	}
}

func (s *Server) me(ctx context.Context, _ *struct{}) (*meOutput, error) {
	p := principal(ctx)
	if p == nil {
		return nil, problemUnauthenticated.err("Sign in first.")
	}
	out := &meOutput{}
	out.Body.Username, out.Body.UUID = p.User.Username, p.UserID
	return out, nil
}
