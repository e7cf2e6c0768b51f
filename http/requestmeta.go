package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

// requestMeta is what every request knows about where it came from.
type requestMeta struct {
	RequestID string
	ClientIP  string
	UserAgent string
	Principal *Principal // nil until the session middleware finds one
	// Devices are the request's device cookies that verify: browsers that
	// signed in before (see devicecookie.go).
	Devices []commands.Device
}

type metaKey struct{}

func metaFrom(ctx context.Context) *requestMeta {
	if m, ok := ctx.Value(metaKey{}).(*requestMeta); ok {
		return m
	}
	return &requestMeta{}
}

// eventMeta is the event metadata for what this request does.
func eventMeta(ctx context.Context) domain.Metadata {
	m := metaFrom(ctx)
	md := domain.Metadata{
		Actor: "anonymous", ActorKind: domain.ActorAnonymous,
		ClientIP: m.ClientIP, UserAgent: m.UserAgent, RequestID: m.RequestID, CorrelationID: m.RequestID,
	}
	if p := m.Principal; p != nil {
		md.Actor, md.ActorKind = p.UserID, domain.ActorUser
	}
	return md
}

// withRequestMeta assigns a request id and resolves the client IP. Forwarding
// headers are believed only from peers in trusted: anyone else could write them.
func withRequestMeta(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		ua := r.UserAgent()
		if len(ua) > 256 {
			ua = ua[:256]
		}
		m := &requestMeta{RequestID: id, ClientIP: clientIP(r, trusted), UserAgent: ua}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), metaKey{}, m)))
	})
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms (Go 1.24+)
	return hex.EncodeToString(b)
}

// clientIP walks X-Forwarded-For from the right, skipping trusted proxies, so
// a client cannot put an address of its choosing in front.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() {
		return ""
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		if real, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-Ip"))); err == nil {
			return real.Unmap().String()
		}
		return peer.String()
	}
	hops := strings.Split(strings.Join(xff, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: the last address a trusted hop vouched for stands
		}
		peer = addr.Unmap()
		if !isTrusted(peer, trusted) {
			break
		}
	}
	return peer.String()
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
