package plex_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/plex"
)

// TestRealPlex runs the same calls against plex.tv itself when
// PLEX_CONTRACT_TOKEN holds a Plex account token (optionally
// PLEX_CONTRACT_MACHINE_ID a server that account sees), so the fake's wire
// format can be checked against the real one.
func TestRealPlex(t *testing.T) {
	token := os.Getenv("PLEX_CONTRACT_TOKEN")
	if token == "" {
		t.Skip("PLEX_CONTRACT_TOKEN not set: the contract runs against the fake only")
	}
	c, err := plex.NewClient(plex.Config{ClientID: "authportal-contract-test", Product: "AuthPortal contract test", Timeout: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	pin, err := c.CreatePIN(ctx)
	if err != nil || pin.ID <= 0 || pin.Code == "" {
		t.Fatalf("CreatePIN = %+v, %v", pin, err)
	}
	if _, err := c.CheckPIN(ctx, pin.ID); !errors.Is(err, providers.ErrPending) {
		t.Errorf("CheckPIN of a new pin: err = %v, want ErrPending", err)
	}
	acct, err := c.Account(ctx, token)
	if err != nil || acct.ID <= 0 || acct.UUID == "" {
		t.Fatalf("Account = %+v, %v", acct, err)
	}
	if _, err := c.Account(ctx, "not-a-token"); !errors.Is(err, providers.ErrInvalidCredentials) {
		t.Errorf("Account(bad token): err = %v, want ErrInvalidCredentials", err)
	}
	res, err := c.Resources(ctx, token)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	if id := os.Getenv("PLEX_CONTRACT_MACHINE_ID"); id != "" {
		az, err := plex.NewAuthorizer(c, plex.AuthConfig{ServerMachineID: id})
		if err != nil {
			t.Fatal(err)
		}
		ident, err := az.Decide(ctx, token, acct)
		if err != nil || !ident.Access {
			t.Errorf("Decide for a server the account sees = %+v, %v; resources %+v", ident, err, res)
		}
	}
}
