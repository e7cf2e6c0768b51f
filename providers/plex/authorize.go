package plex

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/authportal/authportal/providers"
)

// Reasons an [Authorizer] gives in providers.Identity.Reason.
const (
	ReasonOwner         = "owner"          // the account owns the server
	ReasonServerVisible = "server_visible" // the server is shared with the account
	ReasonNotShared     = "not_shared"     // neither
)

// AuthConfig says which Plex Media Server grants access.
//
// ServerMachineID is the server's machine identifier and is what access is
// decided on; when set, ServerName is ignored. ServerName is accepted instead only together with OwnerToken:
// the name is then resolved, once, to the machine identifier of the server
// of that name the owner owns. A name alone is refused by Validate, because
// anyone who owns a server can give it the same name. OwnerToken also makes
// the owner recognised by account id (the owner is recognised without it
// too, by the server being owned in their own resources). OwnerToken alone
// is an owner-only configuration: nobody else gets access.
type AuthConfig struct {
	ServerMachineID string
	ServerName      string
	OwnerToken      string
}

// Validate reports the first problem with c, naming the setting.
func (c AuthConfig) Validate() error {
	id, name, owner := strings.TrimSpace(c.ServerMachineID), strings.TrimSpace(c.ServerName), strings.TrimSpace(c.OwnerToken)
	switch {
	case id == "" && name == "" && owner == "":
		return errors.New("plex: set PLEX_SERVER_MACHINE_ID (or PLEX_SERVER_NAME with PLEX_OWNER_TOKEN, or PLEX_OWNER_TOKEN alone for owner-only access)")
	case id == "" && name != "" && owner == "":
		return errors.New("plex: PLEX_SERVER_NAME needs PLEX_OWNER_TOKEN (a server name alone can be copied by anyone who owns a server); set PLEX_SERVER_MACHINE_ID instead or add the owner token")
	}
	return nil
}

// Authorizer decides what a signed-in Plex account may do. It is safe for
// concurrent use; it remembers the owner's account id and the resolved
// machine identifier for its lifetime (build a new one when the
// configuration changes).
type Authorizer struct {
	client *Client
	cfg    AuthConfig

	mu        sync.Mutex
	ownerID   int64  // 0 until resolved
	machineID string // "" until resolved
}

// NewAuthorizer returns an Authorizer asking plex.tv through client, or
// cfg's validation error.
func NewAuthorizer(client *Client, cfg AuthConfig) (*Authorizer, error) {
	if client == nil {
		return nil, errors.New("plex: NewAuthorizer needs a client")
	}
	cfg.ServerMachineID = strings.TrimSpace(cfg.ServerMachineID)
	cfg.ServerName = strings.TrimSpace(cfg.ServerName)
	cfg.OwnerToken = strings.TrimSpace(cfg.OwnerToken)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Authorizer{client: client, cfg: cfg, machineID: cfg.ServerMachineID}, nil
}

// Decide returns the identity of acct, the account userToken belongs to
// (from [Client.Account]), with Access, Admin and Reason filled:
//   - the account of OwnerToken, or one whose resources hold the server as
//     owned: Access and Admin, "owner";
//   - one whose resources hold the server (matched on machine identifier):
//     Access, "server_visible";
//   - anyone else: no access, "not_shared".
//
// Errors match providers.ErrInvalidCredentials when userToken is refused,
// providers.ErrUnavailable when plex.tv cannot answer, and also
// ErrMisconfigured when the owner token or server name cannot be used (a
// refused owner token is passed over when ServerMachineID is set). An error
// is never a grant. EmailVerified stays false: plex.tv does not say it
// checked the address.
func (a *Authorizer) Decide(ctx context.Context, userToken string, acct Account) (providers.Identity, error) {
	if userToken == "" {
		return providers.Identity{}, fmt.Errorf("plex: authorize: empty token: %w", providers.ErrInvalidCredentials)
	}
	if acct.ID <= 0 {
		return providers.Identity{}, fmt.Errorf("plex: authorize: account without an id: %w", providers.ErrInvalidCredentials)
	}
	id := providers.Identity{
		Provider:    "plex",
		Subject:     strconv.FormatInt(acct.ID, 10),
		Username:    acct.Username,
		Email:       acct.Email,
		DisplayName: acct.Title,
		AvatarURL:   acct.Thumb,
		Token:       userToken,
		Reason:      ReasonNotShared,
	}

	if a.cfg.OwnerToken != "" {
		ownerID, err := a.owner(ctx)
		switch {
		case err == nil && acct.ID == ownerID:
			id.Access, id.Admin, id.Reason = true, true, ReasonOwner
			return id, nil
		case errors.Is(err, ErrMisconfigured) && a.cfg.ServerMachineID != "":
			// A refused owner token (the owner signed out everywhere)
			// must not lock everyone out when the machine identifier
			// alone decides soundly: the owner is still recognised by
			// the server being owned in their resources. [Authorizer.Check]
			// reports the token.
		case err != nil:
			return providers.Identity{}, err
		}
	}

	machineID, err := a.server(ctx)
	if err != nil {
		return providers.Identity{}, err
	}
	if machineID == "" { // owner-only configuration
		return id, nil
	}
	resources, err := a.client.Resources(ctx, userToken)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("plex: authorize: %w", err)
	}
	for _, r := range resources {
		if !r.IsServer() || r.ClientIdentifier != machineID {
			continue
		}
		id.Access, id.Reason = true, ReasonServerVisible
		if r.Owned {
			id.Admin, id.Reason = true, ReasonOwner
		}
		break
	}
	return id, nil
}

// owner returns the account id of OwnerToken, asking plex.tv the first time.
func (a *Authorizer) owner(ctx context.Context) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ownerID != 0 {
		return a.ownerID, nil
	}
	acct, err := a.client.Account(ctx, a.cfg.OwnerToken)
	if errors.Is(err, providers.ErrInvalidCredentials) {
		return 0, fmt.Errorf("plex: authorize: owner token refused (%v): %w", err, errors.Join(ErrMisconfigured, providers.ErrUnavailable))
	}
	if err != nil {
		return 0, fmt.Errorf("plex: authorize: owner account: %w", err)
	}
	a.ownerID = acct.ID
	return a.ownerID, nil
}

// server returns the configured machine identifier, resolving ServerName
// through the owner's own resources the first time; "" when neither is set.
// A failed resolution is not remembered, so the next sign-in tries again.
func (a *Authorizer) server(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.machineID != "" || a.cfg.ServerName == "" {
		return a.machineID, nil
	}
	resources, err := a.client.Resources(ctx, a.cfg.OwnerToken)
	if errors.Is(err, providers.ErrInvalidCredentials) {
		return "", fmt.Errorf("plex: authorize: owner token refused (%v): %w", err, errors.Join(ErrMisconfigured, providers.ErrUnavailable))
	}
	if err != nil {
		return "", fmt.Errorf("plex: authorize: owner's resources: %w", err)
	}
	var found []string
	for _, r := range resources {
		if r.IsServer() && r.Owned && r.Name == a.cfg.ServerName && r.ClientIdentifier != "" {
			found = append(found, r.ClientIdentifier)
		}
	}
	switch len(found) {
	case 1:
		a.machineID = found[0]
		return a.machineID, nil
	case 0:
		return "", fmt.Errorf("plex: authorize: the owner owns no server named %q: %w", a.cfg.ServerName, errors.Join(ErrMisconfigured, providers.ErrUnavailable))
	default:
		return "", fmt.Errorf("plex: authorize: the owner owns %d servers named %q; set the machine identifier: %w", len(found), a.cfg.ServerName, errors.Join(ErrMisconfigured, providers.ErrUnavailable))
	}
}

// Check resolves what the configuration names (the owner's account, the
// server name) and returns the first error, matching ErrMisconfigured when
// the owner token or server name cannot be used. Call it at start and from
// readiness or the admin console: Decide passes over a refused owner token
// when ServerMachineID is set, so only Check reports it then.
func (a *Authorizer) Check(ctx context.Context) error {
	if a.cfg.OwnerToken != "" {
		if _, err := a.owner(ctx); err != nil {
			return err
		}
	}
	_, err := a.server(ctx)
	return err
}

// MachineID returns the machine identifier access is decided on, resolving
// ServerName if it has not been yet; "" in an owner-only configuration.
func (a *Authorizer) MachineID(ctx context.Context) (string, error) {
	return a.server(ctx)
}
