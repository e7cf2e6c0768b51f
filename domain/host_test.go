package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/authportal/authportal/domain"
)

func TestAddHost(t *testing.T) {
	got, err := domain.AddHost("H1", domain.HostSpec{Host: " Jellyseerr.Example.com. ", ForwardAuth: true})
	want := domain.HostAdded{HostID: "H1", Host: "jellyseerr.example.com", Name: "jellyseerr.example.com", ForwardAuth: true}
	if err != nil || got != want {
		t.Fatalf("AddHost = %+v, %v; want %+v (the name defaults to the host)", got, err, want)
	}
	tests := []struct {
		name  string
		spec  domain.HostSpec
		field string
	}{
		{"bad host", domain.HostSpec{Host: "https://app.example.com"}, "host"},
		{"port", domain.HostSpec{Host: "app.example.com:8080"}, "host"},
		{"control character in name", domain.HostSpec{Host: "app.example.com", Name: "App\x00"}, "name"},
		{"name too long", domain.HostSpec{Host: "app.example.com", Name: string(make([]byte, 101))}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.AddHost("H1", tt.spec)
			var invalid *domain.InvalidInputError
			if !errors.As(err, &invalid) || invalid.Field != tt.field {
				t.Fatalf("AddHost(%+v) error %v, want an invalid %s", tt.spec, err, tt.field)
			}
		})
	}
}

func TestHostLifecycle(t *testing.T) {
	added, err := domain.AddHost("H1", domain.HostSpec{Host: "app.example.com", Name: "App", ForwardAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	h := domain.FoldHost([]domain.Event{added})

	if change, _, err := h.Update(domain.HostSpec{Host: "APP.example.com", Name: "App", ForwardAuth: true}); err != nil || change != nil {
		t.Errorf("same values again: got %+v, %v; want no event", change, err)
	}
	change, renamed, err := h.Update(domain.HostSpec{Host: "app.example.com", Name: "The app", ForwardAuth: false})
	if err != nil || change == nil || renamed || change.Name != "The app" || change.ForwardAuth {
		t.Errorf("new display name and flag: got %+v renamed=%v %v", change, renamed, err)
	}
	change, renamed, err = h.Update(domain.HostSpec{Host: "*.example.com", Name: "All", ForwardAuth: true})
	if err != nil || change == nil || !renamed || change.Host != "*.example.com" {
		t.Errorf("new host name: got %+v renamed=%v %v", change, renamed, err)
	}
	h.Apply(*change)
	if h.Host != "*.example.com" || h.Name != "All" {
		t.Errorf("after update: %+v", h)
	}
	removed, err := h.Remove()
	if err != nil || removed != (domain.HostRemoved{HostID: "H1", Host: "*.example.com"}) {
		t.Fatalf("Remove = %+v, %v", removed, err)
	}
	h.Apply(removed)
	if _, err := h.Remove(); !errors.Is(err, domain.ErrHostNotFound) {
		t.Errorf("removing twice: %v, want ErrHostNotFound", err)
	}
	if _, _, err := h.Update(domain.HostSpec{Host: "x.example.com"}); !errors.Is(err, domain.ErrHostNotFound) {
		t.Errorf("updating a removed host: %v, want ErrHostNotFound", err)
	}
}

func TestClaimedHostID(t *testing.T) {
	claimed := domain.HostNameClaimed{Host: "app.example.com", HostID: "H1"}
	released := domain.HostNameReleased{Host: "app.example.com", HostID: "H1"}
	reclaimed := domain.HostNameClaimed{Host: "app.example.com", HostID: "H2"}
	for _, tt := range []struct {
		claims []domain.Event
		want   string
	}{
		{nil, ""},
		{[]domain.Event{claimed}, "H1"},
		{[]domain.Event{claimed, released}, ""},
		{[]domain.Event{claimed, released, reclaimed}, "H2"},
	} {
		if got := domain.ClaimedHostID(tt.claims); got != tt.want {
			t.Errorf("ClaimedHostID(%v) = %q, want %q", tt.claims, got, tt.want)
		}
	}
}

func TestSetPermissions(t *testing.T) {
	u := domain.FoldUser([]domain.Event{domain.UserRegistered{UserID: "U1", Username: "friend", Provider: "plex"}})

	events, err := u.SetPermissions(domain.DenyAll, []string{"H2", "H1", "H2"})
	want := []domain.Event{domain.UserPermissionsSet{UserID: "U1", Mode: domain.DenyAll, Hosts: []string{"H1", "H2"}}}
	if err != nil || !reflect.DeepEqual(events, want) {
		t.Fatalf("SetPermissions = %v, %v; want %v (sorted, no duplicates)", events, err, want)
	}
	u.Apply(events[0])
	if got := u.Permissions; got.Mode != domain.DenyAll || !got.Hosts["H1"] || !got.Hosts["H2"] || len(got.Hosts) != 2 {
		t.Errorf("after apply: %+v", got)
	}
	if events, err := u.SetPermissions(domain.DenyAll, []string{"H1", "H2"}); err != nil || events != nil {
		t.Errorf("the same again: %v, %v; want no event", events, err)
	}
	events, err = u.SetPermissions(domain.AllowAll, nil)
	if err != nil || len(events) != 1 || events[0].(domain.UserPermissionsSet).Hosts == nil {
		t.Errorf("allow_all without exceptions: %v, %v; want one event with an empty (not null) list", events, err)
	}
	var invalid *domain.InvalidInputError
	if _, err := u.SetPermissions("allow_some", nil); !errors.As(err, &invalid) || invalid.Field != "mode" {
		t.Errorf("bad mode: %v, want an invalid mode", err)
	}
	if _, err := (domain.User{}).SetPermissions(domain.AllowAll, nil); !errors.Is(err, domain.ErrUserNotFound) {
		t.Errorf("no user: %v", err)
	}
}

func TestSetDisabled(t *testing.T) {
	u := domain.FoldUser([]domain.Event{
		domain.UserRegistered{UserID: "U1", Username: "friend", Provider: "plex"},
		domain.MediaAccessGranted{UserID: "U1", Provider: "plex"},
		domain.SessionsRevoked{UserID: "U1", Epoch: 2},
	})
	events, err := u.SetDisabled(true, "console")
	want := []domain.Event{domain.UserDisabled{UserID: "U1", Reason: "console"}, domain.SessionsRevoked{UserID: "U1", Epoch: 3, Reason: "disabled"}}
	if err != nil || !reflect.DeepEqual(events, want) {
		t.Fatalf("disable = %v, %v; want %v", events, err, want)
	}
	for _, e := range events {
		u.Apply(e)
	}
	if !u.Disabled || u.Authorized() {
		t.Errorf("disabled user: Disabled=%v Authorized=%v", u.Disabled, u.Authorized())
	}
	if events, _ := u.SetDisabled(true, "console"); events != nil {
		t.Errorf("disabling again: %v, want no event", events)
	}
	events, err = u.SetDisabled(false, "cli")
	if err != nil || !reflect.DeepEqual(events, []domain.Event{domain.UserEnabled{UserID: "U1", Reason: "cli"}}) {
		t.Fatalf("enable = %v, %v", events, err)
	}
	u.Apply(events[0])
	if u.Disabled || !u.Authorized() {
		t.Errorf("enabled user: Disabled=%v Authorized=%v", u.Disabled, u.Authorized())
	}
}
