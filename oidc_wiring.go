package main

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/queries"
)

// clientAdmin is the admin API's view of OAuth clients: the commands that
// change them and the read model that lists them.
type clientAdmin struct {
	commands.ClientsHandler
	*queries.Reader
}

// wireOIDC builds the OpenID Connect provider's parts.
func (a *app) wireOIDC(sealer *commands.Sealer) {
	a.keys = commands.NewKeyRing(a.store, sealer, a.now)
	if a.config.OIDC.SigningKey != nil {
		a.keys.UseStatic(a.config.OIDC.SigningKey)
	}
	a.oidc = &apihttp.OIDC{
		Issuer:  a.config.OIDC.Issuer,
		Clients: commands.NewClients(a.store),
		Grants:  commands.NewGrantsHandler(a.store, a.now),
		Keys:    a.keys,
		Tokens:  a.reader,
		Admin:   clientAdmin{commands.NewClientsHandler(a.store, newID), a.reader},
	}
}

// ensureSigningKey makes the first signing key at a server's start when
// the log has none and the operator gave none; nodes starting together
// make one between them.
func (a *app) ensureSigningKey(ctx context.Context) error {
	if err := a.keys.Ensure(ctx, domain.Metadata{Actor: "system", ActorKind: domain.ActorSystem}); err != nil {
		return fmt.Errorf("oidc signing key: %w", err)
	}
	return nil
}
