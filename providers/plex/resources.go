package plex

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/authportal/authportal/providers"
)

const opResources = "resources"

// Resource is a device (server, player, ...) a plex.tv account can see: its
// own, and the servers shared with it.
type Resource struct {
	Name             string
	ClientIdentifier string // for a server, its machine identifier
	Product          string
	Provides         string // comma-separated roles, e.g. "server"
	Owned            bool   // the token's account owns it
	OwnerID          int64  // the owner's account id; 0 when Owned (plex.tv sends null)
	SourceTitle      string // the owner's name, for a shared server
}

// IsServer reports whether r provides "server".
func (r Resource) IsServer() bool {
	for _, p := range strings.Split(r.Provides, ",") {
		if strings.TrimSpace(p) == "server" {
			return true
		}
	}
	return false
}

// Resources lists the devices token's account can see. A refused token gives
// an error matching providers.ErrInvalidCredentials.
func (c *Client) Resources(ctx context.Context, token string) ([]Resource, error) {
	if token == "" {
		return nil, fmt.Errorf("plex: %s: empty token: %w", opResources, providers.ErrInvalidCredentials)
	}
	var b []struct {
		Name             string  `json:"name"`
		ClientIdentifier string  `json:"clientIdentifier"`
		Product          string  `json:"product"`
		Provides         string  `json:"provides"`
		Owned            bool    `json:"owned"`
		OwnerID          *int64  `json:"ownerId"`
		SourceTitle      *string `json:"sourceTitle"`
	}
	path := "/api/v2/resources?includeHttps=1&includeRelay=1"
	if err := c.do(ctx, opResources, http.MethodGet, path, nil, token, maxResourcesBody, &b); err != nil {
		return nil, err
	}
	out := make([]Resource, 0, len(b))
	for _, r := range b {
		res := Resource{Name: r.Name, ClientIdentifier: r.ClientIdentifier, Product: r.Product, Provides: r.Provides, Owned: r.Owned}
		if r.OwnerID != nil {
			res.OwnerID = *r.OwnerID
		}
		if r.SourceTitle != nil {
			res.SourceTitle = *r.SourceTitle
		}
		out = append(out, res)
	}
	return out, nil
}
