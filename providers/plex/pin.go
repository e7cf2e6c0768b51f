package plex

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/authportal/authportal/providers"
)

const (
	opCreatePIN = "create pin"
	opCheckPIN  = "check pin"
)

// PIN is a sign-in request on plex.tv that the user approves in the auth
// app. It is tied to the client identifier that created it.
type PIN struct {
	ID        int64
	Code      string
	ExpiresAt time.Time // zero when plex.tv did not say
}

// pinBody is plex.tv's AuthPinContainer, the fields this package reads.
type pinBody struct {
	ID        int64   `json:"id"`
	Code      string  `json:"code"`
	ExpiresAt string  `json:"expiresAt"`
	AuthToken *string `json:"authToken"`
}

// CreatePIN asks plex.tv for a strong (long-code) PIN for the auth-app flow.
func (c *Client) CreatePIN(ctx context.Context) (PIN, error) {
	var b pinBody
	form := url.Values{"strong": {"true"}}
	if err := c.do(ctx, opCreatePIN, http.MethodPost, "/api/v2/pins", form, "", maxSmallBody, &b); err != nil {
		return PIN{}, err
	}
	if b.ID <= 0 || b.Code == "" {
		return PIN{}, fmt.Errorf("plex: %s: answer without id or code: %w", opCreatePIN, providers.ErrUnavailable)
	}
	p := PIN{ID: b.ID, Code: b.Code}
	if t, err := time.Parse(time.RFC3339, b.ExpiresAt); err == nil {
		p.ExpiresAt = t
	}
	return p, nil
}

// AuthURL is the app.plex.tv page where the user approves pin; the app then
// sends the browser to forwardURL (omitted when empty). The parameters sit
// in the URL fragment, as the auth app reads them there.
func (c *Client) AuthURL(pin PIN, forwardURL string) string {
	v := url.Values{}
	v.Set("clientID", c.cfg.ClientID)
	v.Set("code", pin.Code)
	v.Set("context[device][product]", c.cfg.Product)
	v.Set("context[device][platform]", c.cfg.Device)
	v.Set("context[device][device]", c.cfg.Device)
	if c.cfg.Version != "" {
		v.Set("context[device][version]", c.cfg.Version)
	}
	if forwardURL != "" {
		v.Set("forwardUrl", forwardURL)
	}
	return c.appURL + "/auth#?" + v.Encode()
}

// CheckPIN polls the PIN once. It returns the user's token once approved, an
// error matching providers.ErrPending until then, and one matching
// providers.ErrInvalidCredentials when plex.tv no longer knows the PIN
// (expired, unknown, or created under another client identifier).
func (c *Client) CheckPIN(ctx context.Context, id int64) (string, error) {
	if id <= 0 {
		return "", fmt.Errorf("plex: %s: invalid pin id %d: %w", opCheckPIN, id, providers.ErrInvalidCredentials)
	}
	var b pinBody
	path := "/api/v2/pins/" + strconv.FormatInt(id, 10)
	if err := c.do(ctx, opCheckPIN, http.MethodGet, path, nil, "", maxSmallBody, &b); err != nil {
		return "", err
	}
	if b.ID != id {
		return "", fmt.Errorf("plex: %s: answer for another pin: %w", opCheckPIN, providers.ErrUnavailable)
	}
	if b.AuthToken == nil || *b.AuthToken == "" {
		return "", fmt.Errorf("plex: %s %d: %w", opCheckPIN, id, providers.ErrPending)
	}
	return *b.AuthToken, nil
}
