package plex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authportal/authportal/providers"
)

// Defaults for the zero values of [Config].
const (
	DefaultAPIURL  = "https://plex.tv"
	DefaultAppURL  = "https://app.plex.tv"
	DefaultProduct = "AuthPortal"
	DefaultTimeout = 10 * time.Second
)

// Response size bounds: a PIN or an account is a few KiB; a resources list
// grows with the servers and connections an account sees.
const (
	maxSmallBody     = 256 << 10
	maxResourcesBody = 8 << 20
)

// Config configures a [Client].
type Config struct {
	// APIURL is plex.tv's base URL; DefaultAPIURL when empty.
	APIURL string
	// AppURL is the Plex auth app's base URL; DefaultAppURL when empty.
	AppURL string
	// ClientID is sent as X-Plex-Client-Identifier. It must be stable for
	// the life of a PIN (plex.tv ties a PIN to the identifier that created
	// it), so keep one per installation. Required.
	ClientID string
	// Product is X-Plex-Product, also shown to the user in the auth app;
	// DefaultProduct when empty.
	Product string
	// Version is X-Plex-Version; optional.
	Version string
	// Device is X-Plex-Device and X-Plex-Platform; "Web" when empty.
	Device string
	// Timeout bounds every call to plex.tv (context deadline and
	// http.Client timeout); DefaultTimeout when zero.
	Timeout time.Duration
	// Transport carries the requests; http.DefaultTransport when nil.
	Transport http.RoundTripper
}

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	if strings.TrimSpace(c.ClientID) == "" {
		return errors.New("plex: ClientID is required (a stable X-Plex-Client-Identifier)")
	}
	if len(c.ClientID) > 256 || strings.ContainsAny(c.ClientID, "\r\n") {
		return errors.New("plex: ClientID must be one line of at most 256 characters")
	}
	for _, f := range []struct{ name, v string }{{"APIURL", c.APIURL}, {"AppURL", c.AppURL}} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("plex: %s %q must be an absolute http(s) URL", f.name, f.v)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("plex: %s %q must not carry credentials, a query or a fragment", f.name, f.v)
		}
	}
	if c.Timeout < 0 {
		return errors.New("plex: Timeout must not be negative")
	}
	return nil
}

// Client calls plex.tv. It is safe for concurrent use.
type Client struct {
	apiURL  string
	appURL  string
	cfg     Config
	timeout time.Duration
	hc      *http.Client
}

// NewClient returns a client for cfg, or cfg's validation error.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.AppURL == "" {
		cfg.AppURL = DefaultAppURL
	}
	if cfg.Product == "" {
		cfg.Product = DefaultProduct
	}
	if cfg.Device == "" {
		cfg.Device = "Web"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &Client{
		apiURL:  strings.TrimRight(cfg.APIURL, "/"),
		appURL:  strings.TrimRight(cfg.AppURL, "/"),
		cfg:     cfg,
		timeout: cfg.Timeout,
		hc: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			// A redirect would carry X-Plex-Token (not a header Go strips)
			// to wherever it points: plex.tv's API does not redirect, so
			// one is an error.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// ClientID is the X-Plex-Client-Identifier this client sends.
func (c *Client) ClientID() string { return c.cfg.ClientID }

// do sends one request to plex.tv and decodes a 2xx JSON answer into out.
// A non-2xx answer becomes an *APIError; transport failures and malformed
// answers wrap providers.ErrUnavailable.
func (c *Client) do(ctx context.Context, op, method, path string, form url.Values, token string, limit int64, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.apiURL+path, body)
	if err != nil {
		return fmt.Errorf("plex: %s: %w", op, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	h := req.Header
	h.Set("Accept", "application/json")
	h.Set("X-Plex-Client-Identifier", c.cfg.ClientID)
	h.Set("X-Plex-Product", c.cfg.Product)
	if c.cfg.Version != "" {
		h.Set("X-Plex-Version", c.cfg.Version)
	}
	h.Set("X-Plex-Device", c.cfg.Device)
	h.Set("X-Plex-Platform", c.cfg.Device)
	if token != "" {
		h.Set("X-Plex-Token", token)
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("plex: %s: %w: %s", op, providers.ErrUnavailable, transportReason(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("plex: %s: reading answer: %w: %s", op, providers.ErrUnavailable, transportReason(err))
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("plex: %s: answer larger than %d bytes: %w", op, limit, providers.ErrUnavailable)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(op, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("plex: %s: malformed answer: %w", op, errors.Join(providers.ErrUnavailable, err))
	}
	return nil
}

// transportReason says why a request failed without repeating the URL or
// anything else taken from the request.
func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err.Error()
		}
		return err.Error()
	}
}
