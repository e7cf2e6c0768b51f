// Package mbtest provides fake Jellyfin and Emby servers for tests, in the
// manner of net/http/httptest. They speak the MediaBrowser wire format the
// real servers speak (see /work/shared/notes/providers.md §2–§3 at the time
// of writing): the Authorization header and its token fallbacks,
// POST /Users/AuthenticateByName with its AuthenticationResult and its 401/403
// text/plain refusals, Jellyfin's failed-attempt lockout, GET /Users/{id} and
// /Users/Me with a user token or an API key, Emby's /emby prefix and gzip.
//
// Tests seed users, toggle failures (down, slow, a fixed status) and read
// back every request received.
package mbtest
