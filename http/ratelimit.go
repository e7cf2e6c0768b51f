package http

import (
	"context"
	"net/http"
	"time"

	"github.com/authportal/authportal/throttle"
	"github.com/danielgtaylor/huma/v2"
)

// Budgets are the token buckets every node shares (throttle.Buckets): a
// limit kept in one process would let a second node multiply it.
type Budgets interface {
	Take(ctx context.Context, scope, id string, l throttle.Limit, now time.Time) (throttle.Decision, error)
}

// Per-address limits on the POSTs that check something guessable: login
// bursts 5 then one every 6 s (10/min); MFA bursts 3 then one every 12 s.
// An address is an IPv4 address or an IPv6 /64 (throttle.AddressKey).
var addressLimits = map[string]throttle.Limit{
	"/api/auth/login":       {Every: 6 * time.Second, Burst: 5},
	"/mfa/challenge/verify": {Every: 12 * time.Second, Burst: 3},
	"/mfa/enroll/verify":    {Every: 12 * time.Second, Burst: 3},
	"/mfa/enroll/start":     {Every: 12 * time.Second, Burst: 3}, // it may check a password (step-up)
	"/auth/forward":         {Every: 6 * time.Second, Burst: 5},  // a media server's password
	"/auth/start-web":       {Every: 6 * time.Second, Burst: 5},  // each makes a Plex PIN
}

// knownDeviceLimit is what a browser with a device cookie may still try
// from an address whose budget others spent (a neighbour on the same /64, a
// shared NAT): small, and its own.
var knownDeviceLimit = throttle.Limit{Every: 30 * time.Second, Burst: 3}

// withRateLimit answers 429 to POSTs on limited paths beyond their client
// address's budget, and 503 when the budgets cannot be read: failing open
// would turn a database hiccup into unlimited guessing. It also reads the
// request's device cookies, which a browser that signed in before carries:
// once the address's budget is spent, such a browser gets a small one of
// its own, so that someone else on its network cannot keep it out.
func (s *Server) withRateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		meta := metaFrom(r.Context())
		meta.Devices = s.device.devices(r)
		if l, limited := addressLimits[r.URL.Path]; limited && r.Method == http.MethodPost {
			d, err := s.takeAddressBudget(r, r.URL.Path, l)
			if err != nil {
				s.deps.Logger.WarnContext(r.Context(), "rate limit unavailable", "err", err)
				writeProblem(w, r, problemUnavailable, "The server is busy. Try again in a moment.")
				return
			}
			if !d.Allowed {
				writeTooManyRequests(w, r, d.RetryAfter)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// takeAddressBudget spends one token of the request's client address from
// the budget named scope, or, once that is spent, of the address's budget
// for the device the request's cookie names.
func (s *Server) takeAddressBudget(r *http.Request, scope string, l throttle.Limit) (throttle.Decision, error) {
	meta := metaFrom(r.Context())
	address := throttle.AddressKey(meta.ClientIP)
	d, err := s.deps.Budgets.Take(r.Context(), "address:"+scope, address, l, s.deps.Now())
	if err == nil && !d.Allowed && len(meta.Devices) > 0 {
		d, err = s.deps.Budgets.Take(r.Context(), "address-device:"+scope, address+"|"+meta.Devices[0].ID, knownDeviceLimit, s.deps.Now())
	}
	return d, err
}

func writeTooManyRequests(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	m, retryAfter := tooManyAttempts(wait)
	w.Header().Set("Retry-After", retryAfter)
	writeErrorModel(w, r, m)
}

// rateLimited is a huma operation's 429, with Retry-After.
func rateLimited(wait time.Duration) error {
	m, retryAfter := tooManyAttempts(wait)
	return huma.ErrorWithHeaders(m, http.Header{"Retry-After": {retryAfter}})
}
