package http

import (
	"crypto/sha256"
	"sync"
)

// cookieCacheGeneration is how many verified cookies one generation of the
// cache holds; the cache holds at most two generations.
const cookieCacheGeneration = 8192

// cookieCache remembers session cookies that verified, keyed by the SHA-256
// of the cookie's value (so the cache holds no cookie itself), with their
// claims. Only decode puts anything in, and only a cookie whose signature
// checked: an anonymous client sending random cookies adds nothing, and a
// flood of them costs one header check and one HMAC each.
//
// It is bounded by two generations: entries go into the current one; when
// that is full it becomes the previous one (the one before is dropped) and
// a hit there moves the entry forward. So at most 2*size entries live, the
// cookies in use survive, and no request pays for more than one map's
// allocation. What an entry holds never goes stale: a cookie's claims are
// fixed by its signature, expiry is checked by the caller on every hit, and
// whether the session still stands is read from the access model.
type cookieCache struct {
	size int

	mu       sync.RWMutex
	cur, old map[[sha256.Size]byte]SessionClaims
}

func newCookieCache(size int) *cookieCache {
	return &cookieCache{size: size, cur: make(map[[sha256.Size]byte]SessionClaims, size)}
}

// cookieKey hashes a cookie value (at most maxCookieLen bytes, as decode
// checks) through a buffer on the stack: no allocation per request.
func cookieKey(value string) [sha256.Size]byte {
	var buf [maxCookieLen]byte
	n := copy(buf[:], value)
	return sha256.Sum256(buf[:n])
}

func (c *cookieCache) get(key [sha256.Size]byte) (SessionClaims, bool) {
	c.mu.RLock()
	s, ok := c.cur[key]
	if ok {
		c.mu.RUnlock()
		return s, true
	}
	s, ok = c.old[key]
	c.mu.RUnlock()
	if ok {
		c.put(key, s)
	}
	return s, ok
}

func (c *cookieCache) put(key [sha256.Size]byte, s SessionClaims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= c.size {
		c.old, c.cur = c.cur, make(map[[sha256.Size]byte]SessionClaims, c.size)
	}
	c.cur[key] = s
}

// len is how many cookies the cache holds (for tests).
func (c *cookieCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.old)
}
