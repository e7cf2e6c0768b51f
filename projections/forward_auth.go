package projections

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// ForwardAuth is the read model of forward auth: the protected hosts and
// each user's permissions (mode and host exceptions). The access model is
// loaded from it at start.
type ForwardAuth struct{}

// ForwardAuthName is the durable name of the forward-auth projection.
const ForwardAuthName = "forward_auth"

func (ForwardAuth) Name() string     { return ForwardAuthName }
func (ForwardAuth) Tables() []string { return []string{"protected_hosts", "user_permissions"} }
func (ForwardAuth) Handles() []string {
	return []string{domain.TypeHostAdded, domain.TypeHostUpdated, domain.TypeHostRemoved, domain.TypeUserPermissionsSet}
}

func (ForwardAuth) Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error {
	hosts, perms := t.Ident("protected_hosts"), t.Ident("user_permissions")
	var err error
	switch e := rec.Event.(type) {
	case domain.HostAdded:
		_, err = tx.Exec(ctx, `INSERT INTO `+hosts+` (id, host, name, forward_auth, created_at, position)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET host = $2, name = $3, forward_auth = $4, position = $6`,
			e.HostID, e.Host, e.Name, e.ForwardAuth, rec.RecordedAt, rec.Position)
	case domain.HostUpdated:
		_, err = tx.Exec(ctx, `UPDATE `+hosts+` SET host = $2, name = $3, forward_auth = $4, position = $5 WHERE id = $1`,
			e.HostID, e.Host, e.Name, e.ForwardAuth, rec.Position)
	case domain.HostRemoved:
		_, err = tx.Exec(ctx, `DELETE FROM `+hosts+` WHERE id = $1`, e.HostID)
	case domain.UserPermissionsSet:
		_, err = tx.Exec(ctx, `INSERT INTO `+perms+` (user_id, mode, hosts, position) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET mode = $2, hosts = $3, position = $4`,
			e.UserID, string(e.Mode), nonNil(e.Hosts), rec.Position)
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
