package commands_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

// jellyfinAccounts is a real client to a fake Jellyfin, as the only
// provisioner.
type jellyfinAccounts struct{ c *mediabrowser.Client }

func (j jellyfinAccounts) MediaAccounts(provider string) (commands.MediaAccounts, bool) {
	return j.c, provider == "jellyfin"
}

// brokenAppend is the store, except that the accept's append fails: after
// writing it (landed, the answer lost as when the database goes away
// mid-commit) or without writing it.
type brokenAppend struct {
	commands.Store
	landed bool
}

var errConnectionLost = errors.New("connection lost")

func (b brokenAppend) Append(ctx context.Context, meta domain.Metadata, appends ...eventstore.Append) (eventstore.Result, error) {
	if len(appends) < 4 { // not the accept
		return b.Store.Append(ctx, meta, appends...)
	}
	if b.landed {
		if _, err := b.Store.Append(ctx, meta, appends...); err != nil {
			return eventstore.Result{}, err
		}
	}
	return eventstore.Result{}, errConnectionLost
}

// A media account is deleted again only when the portal's append surely
// did not land: one that landed with its answer lost is linked, and stays.
func TestAcceptInviteUndoesTheMediaAccountOnlyWhenNothingWasWritten(t *testing.T) {
	t.Parallel()
	for _, landed := range []bool{false, true} {
		t.Run(map[bool]string{false: "not written", true: "written, answer lost"}[landed], func(t *testing.T) {
			jf := mbtest.NewJellyfin(t)
			client, err := mediabrowser.NewClient(mediabrowser.Config{Flavor: mediabrowser.Jellyfin, ServerURL: jf.URL, AppName: "t", AppVersion: "1",
				DeviceName: "t", DeviceID: "d", APIKey: mbtest.APIKey, Timeout: 5 * time.Second}, &http.Client{})
			if err != nil {
				t.Fatal(err)
			}
			f := newInviteFixture(t, nil, policy)
			f.create = f.create.WithProvisioning(jellyfinAccounts{client})
			_, token := f.invite(t, commands.CreateInvite{Link: true, Provision: "jellyfin"})
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			clock := func() time.Time { return *f.clock }
			accept := commands.NewAcceptInviteHandler(brokenAppend{Store: f.store, landed: landed}, f.found, cheapHasher(t), testSealer(t),
				unlimited{}, rand.Text, clock, policy, logger).WithProvisioning(jellyfinAccounts{client})

			_, err = accept.Handle(t.Context(), commands.AcceptInvite{Token: token, Username: "friend", Password: "friend passphrase", Meta: anon("203.0.113.9")})
			if !errors.Is(err, errConnectionLost) {
				t.Fatalf("accept: %v, want the lost connection", err)
			}
			if _, kept := jf.UserByName("friend"); kept != landed {
				t.Errorf("Jellyfin account kept: %v, want %v", kept, landed)
			}
		})
	}
}

func TestCreateInviteRefusesAMediaServerThatCannotMakeAccounts(t *testing.T) {
	t.Parallel()
	f := newInviteFixture(t, nil, policy)
	_, err := f.create.Handle(t.Context(), commands.CreateInvite{Link: true, Provision: "jellyfin", Meta: adminMeta})
	var invalid *domain.InvalidInputError
	if !errors.As(err, &invalid) || invalid.Field != "provision" {
		t.Errorf("provision without a provisioner: %v, want invalid provision", err)
	}
}
