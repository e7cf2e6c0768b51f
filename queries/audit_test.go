package queries_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/queries"
)

func TestAuditFiltersAndPages(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := t.Context()
	store := eventstore.New(pool, domain.Events(), slog.New(slog.DiscardHandler))
	add := func(meta domain.Metadata, stream string, e domain.Event) {
		t.Helper()
		if _, err := store.Append(ctx, meta, eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: []domain.Event{e}}); err != nil {
			t.Fatal(err)
		}
	}
	admin := domain.Metadata{Actor: "root-id", ActorKind: domain.ActorAdmin, ClientIP: "203.0.113.7"}
	anon := domain.Metadata{Actor: "anonymous", ActorKind: domain.ActorAnonymous}
	for range 3 {
		add(anon, domain.LoginAttemptsStream, domain.LoginFailed{Username: "nobody", Provider: "local", Reason: "unknown_user"})
	}
	add(admin, domain.UserStream("u1"), domain.UserDisabled{UserID: "x", Reason: "console"})
	add(admin, domain.UserStream("u2"), domain.UserDisabled{UserID: "x", Reason: "console"})
	add(anon, domain.LoginAttemptsStream, domain.LoginFailed{Username: "nobody", Provider: "local", Reason: "unknown_user"})
	r := queries.NewReader(pool)

	positions := func(es []queries.AuditEvent) []int64 {
		var p []int64
		for _, e := range es {
			p = append(p, e.Position)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		f    queries.AuditFilter
		want []int64
	}{
		{"everything, newest first", queries.AuditFilter{}, []int64{6, 5, 4, 3, 2, 1}},
		{"by actor", queries.AuditFilter{Actor: "root-id"}, []int64{5, 4}},
		{"by exact type", queries.AuditFilter{Type: domain.TypeUserDisabled}, []int64{5, 4}},
		{"by type family", queries.AuditFilter{Type: "user."}, []int64{6, 5, 4, 3, 2, 1}},
		{"another type family", queries.AuditFilter{Type: "host."}, nil},
		{"a type that is only a prefix matches nothing", queries.AuditFilter{Type: "user"}, nil},
		{"by exact stream", queries.AuditFilter{Stream: domain.UserStream("u2")}, []int64{5}},
		{"by stream kind", queries.AuditFilter{Stream: "user-"}, []int64{5, 4}},
		{"a page", queries.AuditFilter{Limit: 2}, []int64{6, 5}},
		{"the next page", queries.AuditFilter{Limit: 2, Before: 5}, []int64{4, 3}},
		{"filters together", queries.AuditFilter{Actor: "anonymous", Before: 4}, []int64{3, 2, 1}},
		{"a pattern character is literal", queries.AuditFilter{Stream: "%-"}, nil},
		{"time: none in the future", queries.AuditFilter{Since: time.Now().Add(time.Hour)}, nil},
		{"time: all in the last hour", queries.AuditFilter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)}, []int64{6, 5, 4, 3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Audit(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if g := positions(got); !equal(g, tc.want) {
				t.Errorf("got positions %v, want %v", g, tc.want)
			}
		})
	}

	got, err := r.Audit(ctx, queries.AuditFilter{Stream: domain.UserStream("u1")})
	if err != nil || len(got) != 1 {
		t.Fatalf("u1: %v %v", got, err)
	}
	e := got[0]
	var data map[string]any
	if err := json.Unmarshal(e.Data, &data); err != nil || data["reason"] != "console" {
		t.Errorf("data = %s (%v), want the event's JSON", e.Data, err)
	}
	if e.Actor != "root-id" || e.ActorKind != string(domain.ActorAdmin) || e.ClientIP != "203.0.113.7" || e.StreamVersion != 1 ||
		e.Type != domain.TypeUserDisabled || e.RecordedAt.IsZero() {
		t.Errorf("event = %+v", e)
	}

	if got, err := r.Audit(ctx, queries.AuditFilter{Limit: 10_000}); err != nil || len(got) != 6 {
		t.Errorf("an over-large limit: %d events, %v", len(got), err)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
