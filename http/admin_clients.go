package http

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/queries"
	"github.com/danielgtaylor/huma/v2"
)

// clientAdmin changes and lists OAuth clients (commands.ClientsHandler and queries.Reader).
type clientAdmin interface {
	Register(ctx context.Context, cmd commands.RegisterClient) (commands.ClientResult, error)
	Update(ctx context.Context, cmd commands.UpdateClient) (commands.ClientResult, error)
	RotateSecret(ctx context.Context, cmd commands.ClientID) (commands.ClientResult, error)
	Delete(ctx context.Context, cmd commands.ClientID) (commands.ClientResult, error)
	OAuthClients(ctx context.Context) ([]queries.OAuthClient, error)
	WaitFor(ctx context.Context, projection string, position int64, timeout time.Duration) error
}

var problemClientNotFound = problemKind{http.StatusNotFound, "client-not-found", "No such client"}

type clientBody struct {
	Name                   string   `json:"name" maxLength:"100" doc:"What users see on the consent page"`
	RedirectURIs           []string `json:"redirectUris" maxItems:"20" doc:"Exact addresses the app may be sent back to: https, or http on localhost"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris,omitempty" maxItems:"20" required:"false"`
	Public                 bool     `json:"public,omitempty" required:"false" doc:"A client that cannot keep a secret (a browser or mobile app); set at creation only"`
	FirstParty             bool     `json:"firstParty,omitempty" required:"false" doc:"Trusted: users are not asked to consent"`
	Scopes                 []string `json:"scopes,omitempty" required:"false" doc:"Scopes it may ask for; empty: all"`
}

func (b clientBody) spec() domain.ClientSpec {
	return domain.ClientSpec{Name: b.Name, RedirectURIs: b.RedirectURIs, PostLogoutRedirectURIs: b.PostLogoutRedirectURIs,
		FirstParty: b.FirstParty, Scopes: b.Scopes}
}

type clientListOutput struct {
	Body struct {
		Clients []queries.OAuthClient `json:"clients"`
	}
}

type clientSecretOutput struct {
	Body struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret,omitempty" doc:"Shown this once; only a hash is kept"`
	}
}

type clientPath struct {
	ID string `path:"id" maxLength:"64"`
}

// registerClientAdmin adds the OAuth clients' admin operations.
func (s *Server) registerClientAdmin(api huma.API) {
	if s.deps.OIDC == nil || s.deps.OIDC.Admin == nil {
		return
	}
	a := s.deps.OIDC.Admin
	tags := []string{adminTag}
	huma.Register(api, huma.Operation{OperationID: "list-oauth-clients", Method: http.MethodGet, Path: "/api/admin/oauth/clients", Tags: tags,
		Summary: "List the OAuth clients"},
		func(ctx context.Context, _ *struct{}) (*clientListOutput, error) {
			if _, err := requireAdmin(ctx); err != nil {
				return nil, err
			}
			list, err := a.OAuthClients(ctx)
			if err != nil {
				return nil, s.apiError(ctx, err)
			}
			out := &clientListOutput{}
			out.Body.Clients = list
			if out.Body.Clients == nil {
				out.Body.Clients = []queries.OAuthClient{}
			}
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "create-oauth-client", Method: http.MethodPost, Path: "/api/admin/oauth/clients", Tags: tags,
		Summary: "Register an OAuth client", DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body clientBody }) (*clientSecretOutput, error) {
			p, err := requireAdmin(ctx)
			if err != nil {
				return nil, err
			}
			res, err := a.Register(ctx, commands.RegisterClient{Spec: in.Body.spec(), Public: in.Body.Public, Meta: adminMeta(ctx, p)})
			return s.clientResult(ctx, res, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-oauth-client", Method: http.MethodPut, Path: "/api/admin/oauth/clients/{id}", Tags: tags,
		Summary: "Change an OAuth client (not its secret)"},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body clientBody
		}) (*clientSecretOutput, error) {
			p, err := requireAdmin(ctx)
			if err != nil {
				return nil, err
			}
			res, err := a.Update(ctx, commands.UpdateClient{ClientID: in.ID, Spec: in.Body.spec(), Meta: adminMeta(ctx, p)})
			return s.clientResult(ctx, res, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-oauth-client", Method: http.MethodDelete, Path: "/api/admin/oauth/clients/{id}", Tags: tags,
		Summary: "Delete an OAuth client", DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *clientPath) (*struct{}, error) {
			p, err := requireAdmin(ctx)
			if err != nil {
				return nil, err
			}
			res, err := a.Delete(ctx, commands.ClientID{ClientID: in.ID, Meta: adminMeta(ctx, p)})
			if _, err := s.clientResult(ctx, res, err); err != nil {
				return nil, err
			}
			return nil, nil
		})
	huma.Register(api, huma.Operation{OperationID: "rotate-oauth-client-secret", Method: http.MethodPost, Path: "/api/admin/oauth/clients/{id}/rotate-secret",
		Tags: tags, Summary: "Give a confidential client a new secret (shown once)"},
		func(ctx context.Context, in *clientPath) (*clientSecretOutput, error) {
			p, err := requireAdmin(ctx)
			if err != nil {
				return nil, err
			}
			res, err := a.RotateSecret(ctx, commands.ClientID{ClientID: in.ID, Meta: adminMeta(ctx, p)})
			return s.clientResult(ctx, res, err)
		})
}

// clientResult maps a client command's outcome, and waits for the list to
// show it (read-your-writes for the console).
func (s *Server) clientResult(ctx context.Context, res commands.ClientResult, err error) (*clientSecretOutput, error) {
	switch {
	case errors.Is(err, domain.ErrClientNotFound):
		return nil, problemClientNotFound.err("There is no such client.")
	case errors.Is(err, domain.ErrClientPublic):
		return nil, problemInvalidInput.err("A public client has no secret to rotate.")
	case err != nil:
		return nil, s.apiError(ctx, err)
	}
	if err := s.deps.OIDC.Admin.WaitFor(ctx, projections.OAuthClientsName, res.Position, freshnessWait); err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &clientSecretOutput{}
	out.Body.ClientID, out.Body.ClientSecret = res.ClientID, res.Secret
	return out, nil
}
