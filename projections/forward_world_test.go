package projections_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// forwardChange is one admin change for forward auth, picked at random: a
// host added, changed or removed, a user's permissions set, or a user
// disabled and enabled again (so that the rest of the scenario can sign
// them in).
func (w *world) forwardChange(id string) {
	w.t.Helper()
	w.forwardAction(id, w.rng.IntN(5))
}

// forwardAction does forward-auth change r (0 to 4) of forwardChange.
func (w *world) forwardAction(id string, r int) {
	w.t.Helper()
	ctx := w.t.Context()
	hosts := commands.NewHostsHandler(w.store, func() string { w.seq++; return fmt.Sprintf("01JPH%021d", w.seq) })
	switch {
	case r == 0 || len(w.hosts) == 0:
		name := fmt.Sprintf("h%d.example.com", w.seq)
		if w.rng.IntN(3) == 0 {
			name = "*." + name
		}
		res, err := hosts.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: name, ForwardAuth: w.rng.IntN(4) != 0}, Meta: w.meta("admin")})
		w.must("add host", err)
		w.hosts = append(w.hosts, res.HostID)
	case r == 1:
		hid := w.hosts[w.rng.IntN(len(w.hosts))]
		_, err := hosts.Update(ctx, commands.UpdateHost{HostID: hid,
			Spec: domain.HostSpec{Host: fmt.Sprintf("r%d.example.org", w.seq), Name: "renamed", ForwardAuth: w.rng.IntN(2) == 0}, Meta: w.meta("admin")})
		w.must("update host", err)
	case r == 2:
		i := w.rng.IntN(len(w.hosts))
		_, err := hosts.Remove(ctx, commands.RemoveHost{HostID: w.hosts[i], Meta: w.meta("admin")})
		w.must("remove host", err)
		w.hosts = slices.Delete(w.hosts, i, i+1)
	case r == 3:
		mode := domain.AllowAll
		if w.rng.IntN(2) == 0 {
			mode = domain.DenyAll
		}
		var ids []string
		for _, hid := range w.hosts {
			if w.rng.IntN(2) == 0 {
				ids = append(ids, hid)
			}
		}
		_, err := commands.NewSetPermissionsHandler(w.store).Handle(ctx, commands.SetPermissions{UserID: id, Mode: mode, HostIDs: ids, Meta: w.meta("admin")})
		w.must("set permissions", err)
	default:
		set := commands.NewSetDisabledHandler(w.store)
		_, err := set.Handle(ctx, commands.SetDisabled{UserID: id, Disabled: true, Reason: "console", Meta: w.meta("admin")})
		w.must("disable", err)
		_, err = set.Handle(ctx, commands.SetDisabled{UserID: id, Disabled: false, Reason: "console", Meta: w.meta("admin")})
		w.must("enable", err)
	}
}

// checkForwardTables compares the forward-auth tables and users.disabled
// with the log.
func checkForwardTables(t *testing.T, pool *pgxpool.Pool, store *eventstore.Store) {
	t.Helper()
	recs, err := store.ReadAll(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]domain.Host{}
	perms := map[string]string{}
	disabled := map[string]bool{}
	for _, rec := range recs {
		switch e := rec.Event.(type) {
		case domain.HostAdded, domain.HostUpdated, domain.HostRemoved:
			id := rec.StreamID[len("host-"):]
			h := hosts[id]
			h.Apply(e)
			hosts[id] = h
		case domain.UserPermissionsSet:
			perms[e.UserID] = fmt.Sprint(e.Mode, e.Hosts)
		case domain.UserDisabled:
			disabled[e.UserID] = true
		case domain.UserEnabled:
			disabled[e.UserID] = false
		}
	}
	want := map[string]string{}
	for id, h := range hosts {
		if h.Exists() {
			want[id] = fmt.Sprint(h.Host, h.Name, h.ForwardAuth)
		}
	}
	got := map[string]string{}
	rows, err := pool.Query(t.Context(), `SELECT id, host, name, forward_auth FROM protected_hosts`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, host, name string
		var fa bool
		if err := rows.Scan(&id, &host, &name, &fa); err != nil {
			t.Fatal(err)
		}
		got[id] = fmt.Sprint(host, name, fa)
	}
	rows.Close()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("protected_hosts:\n got %v\nwant %v", got, want)
	}
	gotPerms := map[string]string{}
	rows, err = pool.Query(t.Context(), `SELECT user_id, mode, hosts FROM user_permissions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, mode string
		var ids []string
		if err := rows.Scan(&id, &mode, &ids); err != nil {
			t.Fatal(err)
		}
		gotPerms[id] = fmt.Sprint(domain.PermissionMode(mode), ids)
	}
	rows.Close()
	if fmt.Sprint(gotPerms) != fmt.Sprint(perms) {
		t.Errorf("user_permissions:\n got %v\nwant %v", gotPerms, perms)
	}
	for id, want := range disabled {
		var got bool
		if err := pool.QueryRow(t.Context(), `SELECT disabled FROM users WHERE id = $1`, id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("users.disabled of %s = %v, want %v", id, got, want)
		}
	}
}
