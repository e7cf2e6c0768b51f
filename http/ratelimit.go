package http

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per key (a client IP, a user id), forgetting
// keys that have been idle long enough to have refilled.
type limiter struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	swept   time.Time
}

func newLimiter(every time.Duration, burst int, now func() time.Time) *limiter {
	return &limiter{every: every, burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// allow takes a token for key, or says how long until one is free.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	r := l.bucket(key).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// exhausted reports whether key has no token left, without taking one:
// with spend, it charges failures only.
func (l *limiter) exhausted(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok || b.TokensAt(now) >= 1 {
		return false, 0
	}
	r := b.ReserveN(now, 1)
	defer r.CancelAt(now)
	return true, r.DelayFrom(now)
}

// spend takes a token from key's bucket, even into debt.
func (l *limiter) spend(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucket(key).ReserveN(l.now(), 1)
}

// bucket returns key's bucket, full when new. l.mu must be held.
func (l *limiter) bucket(key string) *rate.Limiter {
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.buckets[key] = b
	}
	return b
}

// sweep drops full buckets: a key idle for burst*every is back to a fresh bucket anyway.
func (l *limiter) sweep(now time.Time) {
	refill := l.every * time.Duration(l.burst)
	if now.Sub(l.swept) < refill {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}

// withRateLimit answers 429 to POSTs on limited paths beyond their client IP's budget.
func withRateLimit(limits map[string]*limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := limits[r.URL.Path]; l != nil && r.Method == http.MethodPost {
			if ok, wait := l.allow(metaFrom(r.Context()).ClientIP); !ok {
				writeTooManyRequests(w, r, wait)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeTooManyRequests(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	m, retryAfter := tooManyAttempts(wait)
	w.Header().Set("Retry-After", retryAfter)
	writeErrorModel(w, r, m)
}
