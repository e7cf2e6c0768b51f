package mediabrowser

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/authportal/authportal/providers"
)

// maxBody bounds every response read from the server (after decompression).
const maxBody = 1 << 20

// Client talks to one Jellyfin or Emby server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string // ServerURL without a trailing slash, with "/emby" for Emby
	hc   *http.Client
}

// NewClient validates cfg and returns a client using hc (a fresh
// http.Client when nil). The client applies cfg.Timeout both as a
// per-call context deadline and as its http.Client's Timeout; hc itself is
// not modified.
func NewClient(cfg Config, hc *http.Client) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	if c.Timeout == 0 || c.Timeout > cfg.Timeout {
		c.Timeout = cfg.Timeout
	}
	// A redirect would replay the credentials to wherever it points.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base := strings.TrimRight(cfg.ServerURL, "/")
	if cfg.Flavor == Emby && !strings.HasSuffix(strings.ToLower(base), "/emby") {
		base += "/emby"
	}
	return &Client{cfg: cfg, base: base, hc: c}, nil
}

// Flavor reports which server the client talks to.
func (c *Client) Flavor() Flavor { return c.cfg.Flavor }

// authorization builds the MediaBrowser header value; token may be empty.
func (c *Client) authorization(token string) string {
	v := fmt.Sprintf(`MediaBrowser Client="%s", Device="%s", DeviceId="%s", Version="%s"`,
		c.cfg.AppName, c.cfg.DeviceName, c.cfg.DeviceID, c.cfg.AppVersion)
	if token != "" {
		v += fmt.Sprintf(`, Token="%s"`, token)
	}
	return v
}

// call sends one request and decodes a 200 answer into out. It returns the
// status (0 when no answer came) and a transport or decoding error; callers
// map statuses to errors. It never retries.
func (c *Client) call(ctx context.Context, method, path, token string, body, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	auth := c.authorization(token)
	// Newer Jellyfin refuses the legacy X-Emby-* headers; Emby documents
	// both names, and older Emby builds read only X-Emby-Authorization.
	req.Header.Set("Authorization", auth)
	if c.cfg.Flavor == Emby {
		req.Header.Set("X-Emby-Authorization", auth)
		if token != "" {
			req.Header.Set("X-Emby-Token", token)
		}
		// Set explicitly (Emby servers compress); we then decode ourselves.
		req.Header.Set("Accept-Encoding", "gzip")
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return resp.StatusCode, fmt.Errorf("reading gzip answer: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading answer: %w", err)
	}
	if len(data) > maxBody {
		return resp.StatusCode, fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	if resp.StatusCode != http.StatusOK || out == nil {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("decoding answer: %w", err)
	}
	return resp.StatusCode, nil
}

// fail builds an *Error for op from what call returned: refused (the
// sentinel for this call's refusals) for 400, 401 and 403, ErrUnavailable for
// everything else.
func (c *Client) fail(op string, status int, err error, refused error) error {
	e := &Error{Flavor: c.cfg.Flavor, Op: op, Status: status}
	switch {
	case err != nil:
		// No answer, a timeout, or an answer we could not read: the server
		// is not working as it should, which never grants anything.
		e.Err, e.cause = providers.ErrUnavailable, err
	case status == http.StatusBadRequest, status == http.StatusUnauthorized, status == http.StatusForbidden:
		// Jellyfin answers 400 for many refusals; 401 is a wrong name,
		// password or token; 403 a disabled account.
		e.Err = refused
	default:
		// 5xx, 429 (Jellyfin's rate limit), a 404 from a wrong ServerURL, or
		// an unexpected 2xx/3xx: never a grant, and an admin should look.
		e.Err = providers.ErrUnavailable
	}
	return e
}
