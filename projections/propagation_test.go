package projections_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
)

// BenchmarkPermissionReachesOtherNode measures how long a permission change
// made through one node (the command, its append and commit) takes to reach
// another node's access model, which answers forward auth: two stores on
// pools of their own over one database, each listening for the log's
// NOTIFY as serve does, with 10,000 users and 500 protected hosts loaded.
//
//	go test ./projections/ -run '^$' -bench PermissionReachesOtherNode -benchtime 300x
func BenchmarkPermissionReachesOtherNode(b *testing.B) {
	pool := pgtest.New(b)
	_, storeA := newNode(b, pool, "node-a")
	_, storeB := newNode(b, pool, "node-b")
	ctx, cancel := context.WithCancel(b.Context())
	listening := make(chan struct{}, 2)
	followed := make(chan error, 1)
	defer func() {
		cancel()
		<-listening
		<-listening
		if err := <-followed; err != nil {
			b.Errorf("node b's model stopped: %v", err)
		}
	}()
	for _, s := range []*eventstore.Store{storeA, storeB} {
		go func() { s.Listen(ctx); listening <- struct{}{} }()
	}

	meta := domain.Metadata{Actor: "bench", ActorKind: domain.ActorCLI}
	const users, hosts = 10_000, 500
	for from := 0; from < users; from += 1000 {
		var appends []eventstore.Append
		for i := from; i < from+1000; i++ {
			id := fmt.Sprintf("U%05d", i)
			appends = append(appends, eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.NoStream, Events: []domain.Event{
				domain.UserRegistered{UserID: id, Username: "user" + id, Provider: "plex"}, domain.MediaAccessGranted{UserID: id, Provider: "plex"},
			}})
		}
		if _, err := storeA.Append(ctx, meta, appends...); err != nil {
			b.Fatal(err)
		}
	}
	var appends []eventstore.Append
	for i := range hosts {
		id := fmt.Sprintf("H%03d", i)
		appends = append(appends, eventstore.Append{StreamID: domain.HostStream(id), Expected: eventstore.NoStream, Events: []domain.Event{
			domain.HostAdded{HostID: id, Host: fmt.Sprintf("app%d.example.com", i), Name: id, ForwardAuth: true},
		}})
	}
	res, err := storeA.Append(ctx, meta, appends...)
	if err != nil {
		b.Fatal(err)
	}
	modelB := projections.NewAccess()
	go func() { followed <- modelB.Follow(ctx, storeB, discard) }()
	if err := modelB.WaitFor(ctx, res.LastPosition); err != nil {
		b.Fatal(err)
	}

	set := commands.NewSetPermissionsHandler(storeA)
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		mode, want := domain.AllowAll, domain.ReasonDenyException
		if i%2 == 1 {
			mode, want = domain.DenyAll, domain.ReasonAllowException
		}
		start := time.Now()
		res, err := set.Handle(ctx, commands.SetPermissions{UserID: "U05000", Mode: mode, HostIDs: []string{"H250"}, Meta: meta})
		if err != nil {
			b.Fatal(err)
		}
		if err := modelB.WaitFor(ctx, res.Position); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		if v := modelB.DecideForward("U05000", "app250.example.com"); v.Reason != want {
			b.Fatalf("node b decided %q after the change, want %q", v.Reason, want)
		}
	}
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
	b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms")
}
