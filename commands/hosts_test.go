package commands_test

import (
	"crypto/rand"
	"errors"
	"sync"
	"testing"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

var cliMeta = domain.Metadata{Actor: "cli", ActorKind: domain.ActorCLI}

func TestHostNamesAreUniqueWhateverTheCaseAndTheRace(t *testing.T) {
	store := newStore(t)
	hosts := commands.NewHostsHandler(store, rand.Text)
	names := []string{"app.example.com", "APP.example.com", "app.example.com.", "App.Example.Com", "app.example.com"}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			_, errs[i] = hosts.Add(t.Context(), commands.AddHost{Spec: domain.HostSpec{Host: name, ForwardAuth: true}, Meta: cliMeta})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, domain.ErrHostTaken):
			t.Errorf("add %q: %v, want nil or ErrHostTaken", names[i], err)
		}
	}
	if won != 1 {
		t.Fatalf("%d adds of the same host succeeded, want exactly 1", won)
	}
}

func TestHostRenameAndRemoveFreeTheName(t *testing.T) {
	store := newStore(t)
	hosts := commands.NewHostsHandler(store, rand.Text)
	ctx := t.Context()
	a, err := hosts.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: "a.example.com", ForwardAuth: true}, Meta: cliMeta})
	if err != nil {
		t.Fatal(err)
	}
	b, err := hosts.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: "b.example.com", ForwardAuth: true}, Meta: cliMeta})
	if err != nil {
		t.Fatal(err)
	}
	// Renaming onto another host's name is refused; onto a free one works and frees the old.
	if _, err := hosts.Update(ctx, commands.UpdateHost{HostID: a.HostID, Spec: domain.HostSpec{Host: "b.example.com"}, Meta: cliMeta}); !errors.Is(err, domain.ErrHostTaken) {
		t.Errorf("rename onto a taken name: %v, want ErrHostTaken", err)
	}
	if _, err := hosts.Update(ctx, commands.UpdateHost{HostID: a.HostID, Spec: domain.HostSpec{Host: "c.example.com", ForwardAuth: true}, Meta: cliMeta}); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if _, err := hosts.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: "a.example.com"}, Meta: cliMeta}); err != nil {
		t.Errorf("the old name is not free after a rename: %v", err)
	}
	if _, err := hosts.Remove(ctx, commands.RemoveHost{HostID: b.HostID, Meta: cliMeta}); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := hosts.Remove(ctx, commands.RemoveHost{HostID: b.HostID, Meta: cliMeta}); !errors.Is(err, domain.ErrHostNotFound) {
		t.Errorf("remove twice: %v, want ErrHostNotFound", err)
	}
	if _, err := hosts.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: "b.example.com"}, Meta: cliMeta}); err != nil {
		t.Errorf("the name is not free after a remove: %v", err)
	}
	if res, err := hosts.Update(ctx, commands.UpdateHost{HostID: a.HostID, Spec: domain.HostSpec{Host: "C.example.com", ForwardAuth: true}, Meta: cliMeta}); err != nil || res.Position != 0 {
		t.Errorf("the same values again: %+v, %v; want nothing appended", res, err)
	}
}

func TestSetPermissionsRefusesUnknownHosts(t *testing.T) {
	store := newStore(t)
	ctx := t.Context()
	hosts := commands.NewHostsHandler(store, rand.Text)
	user, err := commands.NewRegisterUserHandler(store, cheapHasher(t), testSealer(t), rand.Text).Handle(ctx,
		commands.RegisterUser{Username: "friend", Password: "correct horse battery", AccessGranted: true, Meta: cliMeta})
	if err != nil {
		t.Fatal(err)
	}
	app, err := hosts.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: "app.example.com", ForwardAuth: true}, Meta: cliMeta})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := hosts.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: "gone.example.com", ForwardAuth: true}, Meta: cliMeta})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hosts.Remove(ctx, commands.RemoveHost{HostID: gone.HostID, Meta: cliMeta}); err != nil {
		t.Fatal(err)
	}
	set := commands.NewSetPermissionsHandler(store)
	for _, ids := range [][]string{{"nope"}, {app.HostID, gone.HostID}} {
		_, err := set.Handle(ctx, commands.SetPermissions{UserID: user.UserID, Mode: domain.DenyAll, HostIDs: ids, Meta: cliMeta})
		var invalid *domain.InvalidInputError
		if !errors.As(err, &invalid) || invalid.Field != "hosts" {
			t.Errorf("hosts %v: %v, want an invalid hosts field", ids, err)
		}
	}
	if _, err := set.Handle(ctx, commands.SetPermissions{UserID: user.UserID, Mode: domain.DenyAll, HostIDs: []string{app.HostID}, Meta: cliMeta}); err != nil {
		t.Fatalf("set: %v", err)
	}
	events, _, err := store.Load(ctx, domain.UserStream(user.UserID))
	if err != nil {
		t.Fatal(err)
	}
	u := domain.FoldUser(events)
	if u.Permissions.Mode != domain.DenyAll || !u.Permissions.Hosts[app.HostID] {
		t.Errorf("user permissions = %+v, want deny_all except %s", u.Permissions, app.HostID)
	}
	if _, err := set.Handle(ctx, commands.SetPermissions{UserID: "nobody", Mode: domain.DenyAll, Meta: cliMeta}); !errors.Is(err, domain.ErrUserNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}
