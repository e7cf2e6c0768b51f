package upstream

import (
	"context"
	"encoding/json"
	"net/http"
)

// getJSON GETs url with the access token as a Bearer header (never in the
// query) and decodes a 200 answer into dst. Failures come back as *Error for
// provider and step: see statusKind.
func (h httpSetup) getJSON(ctx context.Context, provider, step, url, accessToken string, header http.Header, dst any) *Error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &Error{Provider: provider, Step: step, Kind: errConfig(), Cause: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := h.client.Do(req)
	if err != nil {
		return &Error{Provider: provider, Step: step, Kind: errUnavailable(), Cause: transportCause(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &Error{Provider: provider, Step: step, Status: resp.StatusCode, Kind: statusKind(resp.StatusCode)}
	}
	if err := json.NewDecoder(resp.Body).Decode(dst); err != nil {
		return &Error{Provider: provider, Step: step, Status: resp.StatusCode, Kind: errUnavailable(), Cause: err}
	}
	return nil
}
