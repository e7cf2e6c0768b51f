package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
	"github.com/danielgtaylor/huma/v2"
)

// The audit view: what happened, read from the log itself, newest first,
// filtered by who did it, what kind of event, which stream and when, one
// bounded page at a time.

// auditReader reads pages of the log (queries.Reader).
type auditReader interface {
	Audit(ctx context.Context, f queries.AuditFilter) ([]queries.AuditEvent, error)
}

type auditInput struct {
	Actor  string `query:"actor" maxLength:"128" doc:"A user id or username, or system"`
	Type   string `query:"type" maxLength:"100" doc:"An event type (user.disabled), or a family ending in a dot (user.)"`
	Stream string `query:"stream" maxLength:"200" doc:"A stream id (user-<id>), or a kind ending in a dash (user-)"`
	Since  string `query:"since" maxLength:"40" doc:"RFC 3339 time: recorded at or after"`
	Until  string `query:"until" maxLength:"40" doc:"RFC 3339 time: recorded before"`
	Before int64  `query:"before" minimum:"0" doc:"The next page: events below this position (the previous page's next)"`
	Limit  int    `query:"limit" minimum:"0" maximum:"200" doc:"Events per page (default 50, at most 200)"`
}

type auditEventJSON struct {
	Position      int64           `json:"position"`
	Stream        string          `json:"stream"`
	StreamVersion int64           `json:"streamVersion"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schemaVersion"`
	Data          json.RawMessage `json:"data" doc:"The event as written; secrets are only ever in the log sealed, hashed or digested"`
	Actor         string          `json:"actor" doc:"A user id, system, or anonymous"`
	ActorName     string          `json:"actorName,omitempty" doc:"The actor's username, when the actor is a user"`
	ActorKind     string          `json:"actorKind"`
	ClientIP      string          `json:"clientIp,omitempty"`
	RequestID     string          `json:"requestId,omitempty"`
	RecordedAt    time.Time       `json:"recordedAt"`
}

type auditOutput struct {
	Body struct {
		Events []auditEventJSON `json:"events"`
		Next   int64            `json:"next,omitempty" doc:"Pass as before for the next page; absent on the last"`
	}
}

func (s *Server) registerAuditAPI(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "admin-audit", Method: http.MethodGet, Path: "/api/admin/audit", Tags: []string{adminTag},
		Summary: "Events from the log, newest first, filtered and paged",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, s.adminAudit)
}

func (s *Server) adminAudit(ctx context.Context, in *auditInput) (*auditOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	f := queries.AuditFilter{Type: in.Type, Stream: in.Stream, Before: in.Before, Limit: in.Limit}
	var err error
	if f.Since, err = auditTime("since", in.Since); err != nil {
		return nil, s.adminError(ctx, err)
	}
	if f.Until, err = auditTime("until", in.Until); err != nil {
		return nil, s.adminError(ctx, err)
	}
	if f.Actor, err = s.auditActor(ctx, in.Actor); err != nil {
		return nil, s.adminError(ctx, err)
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	events, err := s.deps.Audit.Audit(ctx, f)
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	names := map[string]string{}
	out := &auditOutput{}
	out.Body.Events = make([]auditEventJSON, 0, len(events))
	for _, e := range events {
		out.Body.Events = append(out.Body.Events, auditEventJSON{
			Position: e.Position, Stream: e.StreamID, StreamVersion: e.StreamVersion, Type: e.Type, SchemaVersion: e.SchemaVersion,
			Data: e.Data, Actor: e.Actor, ActorName: s.actorName(ctx, names, e), ActorKind: e.ActorKind, ClientIP: e.ClientIP,
			RequestID: e.RequestID, RecordedAt: e.RecordedAt,
		})
	}
	if len(events) == f.Limit {
		out.Body.Next = events[len(events)-1].Position
	}
	return out, nil
}

func auditTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &domain.InvalidInputError{Field: field, Reason: "give a time such as 2026-11-23T20:00:00Z"}
	}
	return t, nil
}

// auditActor turns a username into the user id the log records; an id,
// "system", "anonymous" or a name no user has is matched as it is.
func (s *Server) auditActor(ctx context.Context, actor string) (string, error) {
	if actor == "" || s.deps.ForwardAdmin.Reader == nil {
		return actor, nil
	}
	u, err := s.findUser(ctx, actor)
	switch {
	case errors.Is(err, queries.ErrNotFound):
		return actor, nil
	case err != nil:
		return "", err
	}
	return u.ID, nil
}

// actorName is the username of the event's actor when it is a user, looked
// up once per actor per page.
func (s *Server) actorName(ctx context.Context, names map[string]string, e queries.AuditEvent) string {
	if s.deps.ForwardAdmin.Reader == nil || e.Actor == "" || e.ActorKind == string(domain.ActorAnonymous) || e.ActorKind == string(domain.ActorSystem) {
		return ""
	}
	if name, ok := names[e.Actor]; ok {
		return name
	}
	name := ""
	if u, err := s.deps.ForwardAdmin.Reader.User(ctx, e.Actor); err == nil {
		name = u.Username
	}
	names[e.Actor] = name
	return name
}
