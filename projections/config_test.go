package projections_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/jackc/pgx/v5/pgxpool"
)

// followConfig runs c.Follow on store (listening for other nodes' appends)
// until tb ends.
func followConfig(tb testing.TB, c *projections.Config, store *eventstore.Store) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { store.Listen(ctx); done <- struct{}{} }()
	go func() {
		if err := c.Follow(ctx, store, discard); err != nil {
			tb.Error(err)
		}
		done <- struct{}{}
	}()
	tb.Cleanup(func() { cancel(); <-done; <-done })
}

func saveMFA(tb testing.TB, store *eventstore.Store, version int64, enforce bool) int64 {
	tb.Helper()
	doc, err := json.Marshal(domain.MFAConfig{Enable: true, Enforce: enforce, Issuer: "AuthPortal"})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := store.Append(context.Background(), domain.Metadata{ActorKind: domain.ActorSystem}, eventstore.Append{
		StreamID: domain.ConfigStream(domain.SectionMFA), Expected: eventstore.Exactly(version - 1),
		Events: []domain.Event{domain.ConfigSectionSaved{Section: domain.SectionMFA, Version: version, Document: doc}}})
	if err != nil {
		tb.Fatal(err)
	}
	return res.LastPosition
}

// twoNodes returns a writer's store and a follower's model on the same
// database, each with its own pool, as two servers have.
func twoNodes(tb testing.TB) (*eventstore.Store, *projections.Config) {
	tb.Helper()
	pool := pgtest.New(tb)
	other, err := pgxpool.New(context.Background(), pool.Config().ConnString())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(other.Close)
	writer := eventstore.New(pool, domain.Events(), discard)
	reader := eventstore.New(other, domain.Events(), discard)
	saveMFA(tb, writer, 1, false)
	model := projections.NewConfig()
	if err := model.Load(context.Background(), reader); err != nil {
		tb.Fatal(err)
	}
	followConfig(tb, model, reader)
	return writer, model
}

// The model loads the current versions, follows saves made elsewhere,
// says so on Changed, and never goes back to an older version.
func TestConfigModelFollowsTheLog(t *testing.T) {
	t.Parallel()
	writer, model := twoNodes(t)
	if m, ok := model.MFA(); !ok || m.Enforce || model.Version(domain.SectionMFA) != 1 {
		t.Fatalf("loaded mfa = %+v %v (version %d), want version 1 without enforce", m, ok, model.Version(domain.SectionMFA))
	}
	if _, ok := model.Security(); ok {
		t.Error("a section never saved reads as set")
	}
	changed := model.Changed()
	pos := saveMFA(t, writer, 2, true)
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("Changed was not closed by a save on another node")
	}
	wait, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := model.WaitFor(wait, pos); err != nil {
		t.Fatal(err)
	}
	if m, _ := model.MFA(); !m.Enforce || model.Version(domain.SectionMFA) != 2 {
		t.Errorf("mfa after the save = %+v (version %d), want version 2 enforcing", m, model.Version(domain.SectionMFA))
	}
	model.Apply(domain.Recorded{Position: pos + 100, Event: domain.ConfigSectionSaved{Section: domain.SectionMFA, Version: 1, Document: []byte(`{"enable":false,"enforce":false,"issuer":"Old"}`)}})
	if m, _ := model.MFA(); !m.Enforce || model.Version(domain.SectionMFA) != 2 {
		t.Errorf("an older version replaced the current one: %+v", m)
	}
}

// BenchmarkConfigPropagation measures how long a save on one node takes to
// be in force on another: append, NOTIFY, the follower's read and apply.
func BenchmarkConfigPropagation(b *testing.B) {
	writer, model := twoNodes(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pos := saveMFA(b, writer, int64(i)+2, i%2 == 0)
		if err := model.WaitFor(context.Background(), pos); err != nil {
			b.Fatal(err)
		}
	}
}
