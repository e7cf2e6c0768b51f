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

// The admin API of protected hosts: the hosts forward auth guards, each a
// name (or a wildcard such as *.example.com) with a display name and a
// forward-auth flag. A host registered with forwardAuth off is known (a
// valid place to send someone back to after sign-in) but never passed by
// forward auth: a proxy that asks anyway gets 403.

var (
	problemHostTaken    = problemKind{http.StatusConflict, "host-taken", "Host already registered"}
	problemHostNotFound = problemKind{http.StatusNotFound, "host-not-found", "No such host"}
	problemUserNotFound = problemKind{http.StatusNotFound, "user-not-found", "No such user"}
)

// readModelWait bounds how long an admin change waits for the read model
// and this node's access model to show it, so the next read sees it.
const readModelWait = 2 * time.Second

type hostJSON struct {
	ID          string `json:"id"`
	Host        string `json:"host" doc:"Host name in stored form: IDNA (punycode), lower case; *.example.com matches any subdomain, at any depth, but not example.com"`
	Name        string `json:"name"`
	ForwardAuth bool   `json:"forwardAuth" doc:"false: registered (a valid return target after sign-in) but never passed by forward auth"`
}

func hostOut(h queries.ProtectedHost) hostJSON {
	return hostJSON{ID: h.ID, Host: h.Host, Name: h.Name, ForwardAuth: h.ForwardAuth}
}

type hostSpecBody struct {
	Host        string `json:"host" maxLength:"300" doc:"app.example.com or *.example.com; no scheme, path or port"`
	Name        string `json:"name,omitempty" maxLength:"400" doc:"Shown to people; defaults to the host"`
	ForwardAuth *bool  `json:"forwardAuth,omitempty" doc:"Guard this host with forward auth (default true)"`
}

func (b hostSpecBody) spec() domain.HostSpec {
	fa := b.ForwardAuth == nil || *b.ForwardAuth
	return domain.HostSpec{Host: b.Host, Name: b.Name, ForwardAuth: fa}
}

type hostsOutput struct {
	Body struct {
		Hosts []hostJSON `json:"hosts"`
	}
}

type hostOutput struct {
	Body hostJSON
}

type hostAddInput struct {
	Body hostSpecBody
}

type hostUpdateInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body hostSpecBody
}

type hostIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

func (s *Server) registerHostsAPI(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "admin-hosts-list", Method: http.MethodGet, Path: "/api/admin/hosts", Tags: []string{adminTag},
		Summary: "List the protected hosts", Errors: []int{http.StatusUnauthorized, http.StatusForbidden},
	}, s.adminHostsList)
	huma.Register(api, huma.Operation{
		OperationID: "admin-hosts-add", Method: http.MethodPost, Path: "/api/admin/hosts", Tags: []string{adminTag},
		Summary: "Put a host behind forward auth", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity},
	}, s.adminHostsAdd)
	huma.Register(api, huma.Operation{
		OperationID: "admin-hosts-update", Method: http.MethodPut, Path: "/api/admin/hosts/{id}", Tags: []string{adminTag},
		Summary: "Change a protected host",
		Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, s.adminHostsUpdate)
	huma.Register(api, huma.Operation{
		OperationID: "admin-hosts-remove", Method: http.MethodDelete, Path: "/api/admin/hosts/{id}", Tags: []string{adminTag},
		Summary: "Take a host away", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound},
	}, s.adminHostsRemove)
}

func (s *Server) adminHostsList(ctx context.Context, _ *struct{}) (*hostsOutput, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	hosts, err := s.deps.ForwardAdmin.Reader.ProtectedHosts(ctx)
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	out := &hostsOutput{}
	out.Body.Hosts = make([]hostJSON, 0, len(hosts))
	for _, h := range hosts {
		out.Body.Hosts = append(out.Body.Hosts, hostOut(h))
	}
	return out, nil
}

func (s *Server) adminHostsAdd(ctx context.Context, in *hostAddInput) (*hostOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ForwardAdmin.Hosts.Add(ctx, commands.AddHost{Spec: in.Body.spec(), Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	return s.hostAfter(ctx, res.Position, res.HostID)
}

func (s *Server) adminHostsUpdate(ctx context.Context, in *hostUpdateInput) (*hostOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ForwardAdmin.Hosts.Update(ctx, commands.UpdateHost{HostID: in.ID, Spec: in.Body.spec(), Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	return s.hostAfter(ctx, res.Position, in.ID)
}

func (s *Server) adminHostsRemove(ctx context.Context, in *hostIDInput) (*struct{}, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ForwardAdmin.Hosts.Remove(ctx, commands.RemoveHost{HostID: in.ID, Meta: adminMeta(ctx, p)})
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	if err := s.awaitForwardChange(ctx, projections.ForwardAuthName, res.Position); err != nil {
		return nil, s.adminError(ctx, err)
	}
	return nil, nil
}

// hostAfter waits for a change at position to show and answers the host as
// the read model now has it.
func (s *Server) hostAfter(ctx context.Context, position int64, id string) (*hostOutput, error) {
	if err := s.awaitForwardChange(ctx, projections.ForwardAuthName, position); err != nil {
		return nil, s.adminError(ctx, err)
	}
	hosts, err := s.deps.ForwardAdmin.Reader.ProtectedHosts(ctx)
	if err != nil {
		return nil, s.adminError(ctx, err)
	}
	for _, h := range hosts {
		if h.ID == id {
			return &hostOutput{Body: hostOut(h)}, nil
		}
	}
	return nil, s.adminError(ctx, domain.ErrHostNotFound)
}

// awaitForwardChange waits until the projection and this node's access
// model reflect position (0: nothing was written), so that the admin's next
// read, and this node's next forward-auth decision, see the change.
func (s *Server) awaitForwardChange(ctx context.Context, projection string, position int64) error {
	if position == 0 {
		return nil
	}
	if err := s.deps.ForwardAdmin.Reader.WaitFor(ctx, projection, position, readModelWait); err != nil {
		return err
	}
	return s.awaitModel(ctx, position)
}

// adminError maps the admin API's own failures, then defers to apiError.
func (s *Server) adminError(ctx context.Context, err error) error {
	var invalid *domain.InvalidInputError
	switch {
	case errors.Is(err, domain.ErrHostTaken):
		return problemHostTaken.err("Another protected host already has that name.")
	case errors.Is(err, domain.ErrHostNotFound):
		return problemHostNotFound.err("No protected host has that id.")
	case errors.Is(err, domain.ErrUserNotFound), errors.Is(err, queries.ErrNotFound):
		return problemUserNotFound.err("No user has that id or name.")
	case errors.As(err, &invalid):
		m := problemInvalidInput.err(invalidInputWords(invalid))
		m.Errors = []*huma.ErrorDetail{{Location: "body." + invalid.Field, Message: invalidInputWords(invalid)}}
		return m
	}
	return s.apiError(ctx, err)
}
