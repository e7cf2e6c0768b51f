package projections_test

import (
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
)

// appendTo appends events to one stream (any version) and returns the position of the last.
func appendTo(t *testing.T, store *eventstore.Store, stream string, events ...domain.Event) int64 {
	t.Helper()
	res, err := store.Append(t.Context(), domain.Metadata{Actor: "test", ActorKind: domain.ActorCLI},
		eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return res.LastPosition
}

// verdicts is what a model answers for each (user, host) of the scenario.
func verdicts(a *projections.Access) map[string]domain.ForwardReason {
	out := map[string]domain.ForwardReason{}
	for _, u := range []string{"friend", "stranger", "admin"} {
		for _, h := range []string{"app.example.com", "x.apps.example.com", "other.example.net"} {
			v := a.DecideForward(u, h)
			out[u+"@"+h] = v.Reason
		}
	}
	return out
}

// The model follows forward-auth events from the log, and a model loaded
// from the projection tables answers as the one that followed the log.
func TestAccessForwardFollowThenLoad(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	a := projections.NewAccess()
	follow(t, a, store)

	appendTo(t, store, domain.UserStream("friend"), domain.UserRegistered{UserID: "friend", Username: "friend", Provider: "plex"},
		domain.MediaAccessGranted{UserID: "friend", Provider: "plex"})
	appendTo(t, store, domain.UserStream("stranger"), domain.UserRegistered{UserID: "stranger", Username: "stranger", Provider: "plex"})
	appendTo(t, store, domain.UserStream("admin"), domain.UserRegistered{UserID: "admin", Username: "admin", Provider: "local"},
		domain.AdminGranted{UserID: "admin"})
	appendTo(t, store, domain.HostStream("H1"), domain.HostAdded{HostID: "H1", Host: "app.example.com", Name: "App", ForwardAuth: true})
	pos := appendTo(t, store, domain.HostStream("H2"), domain.HostAdded{HostID: "H2", Host: "*.apps.example.com", Name: "Apps", ForwardAuth: true})
	waitFor(t, a, pos)

	check := func(what string, want map[string]domain.ForwardReason) {
		t.Helper()
		got := verdicts(a)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s = %q, want %q", what, k, got[k], w)
			}
		}
	}
	check("hosts added", map[string]domain.ForwardReason{
		"friend@app.example.com":    domain.ReasonAllowAll,
		"friend@x.apps.example.com": domain.ReasonAllowAll,
		"friend@other.example.net":  domain.ReasonUnknownHost,
		"stranger@app.example.com":  domain.ReasonNotAuthorized,
		"admin@x.apps.example.com":  domain.ReasonAllowAll,
	})

	pos = appendTo(t, store, domain.UserStream("friend"), domain.UserPermissionsSet{UserID: "friend", Mode: domain.DenyAll, Hosts: []string{"H2"}})
	waitFor(t, a, pos)
	check("friend narrowed to H2", map[string]domain.ForwardReason{
		"friend@app.example.com":    domain.ReasonDenyAll,
		"friend@x.apps.example.com": domain.ReasonAllowException,
	})

	appendTo(t, store, domain.HostStream("H2"), domain.HostUpdated{HostID: "H2", Host: "*.apps.example.com", Name: "Apps", ForwardAuth: false})
	pos = appendTo(t, store, domain.UserStream("admin"), domain.UserDisabled{UserID: "admin", Reason: "cli"},
		domain.SessionsRevoked{UserID: "admin", Epoch: 1, Reason: "disabled"})
	waitFor(t, a, pos)
	check("H2 off, admin disabled", map[string]domain.ForwardReason{
		"friend@x.apps.example.com": domain.ReasonNotForwardAuth,
		"admin@app.example.com":     domain.ReasonDisabled,
	})

	pos = appendTo(t, store, domain.HostStream("H1"), domain.HostRemoved{HostID: "H1", Host: "app.example.com"})
	waitFor(t, a, pos)
	check("H1 removed", map[string]domain.ForwardReason{"friend@app.example.com": domain.ReasonUnknownHost})
	if _, ok := a.ProtectedHost("app.example.com"); ok {
		t.Error("a removed host still matches")
	}
	followed := verdicts(a)

	// The tables, brought to the head by the runner, give the same model.
	_, cancel, stopped := startRunner(t, projections.RunnerConfig{Pool: pool, Store: store, Projections: projections.All(), StandbyInterval: 100 * time.Millisecond})
	waitCaughtUp(t, pool, store, allNames...)
	cancel()
	waitStopped(t, stopped)
	loaded := projections.NewAccess()
	loaded.SetForwardDefault(true) // as serve sets it, before loading
	if err := loaded.Load(t.Context(), pool, time.Now()); err != nil {
		t.Fatalf("load: %v", err)
	}
	if v := loaded.DecideForward("friend", "other.example.net"); v.Reason != domain.ReasonDefaultAllow {
		t.Errorf("FORWARD_AUTH_DEFAULT=authenticated lost by Load: got %q, want default_allow", v.Reason)
	}
	loaded.SetForwardDefault(false)
	if got, want := loaded.Position(), head(t, store); got != want {
		t.Errorf("position after load: got %d, want %d", got, want)
	}
	for k, want := range followed {
		if got := verdicts(loaded)[k]; got != want {
			t.Errorf("loaded model: %s = %q, the following model said %q", k, got, want)
		}
	}
	if u, _ := loaded.User("admin"); !u.Disabled {
		t.Error("loaded model: admin not disabled (users.disabled not projected)")
	}
}
