// Package plex signs people in with their Plex account through the PIN flow
// on plex.tv, and tells whether that account may use the configured Plex
// Media Server.
//
// It owns the calls to plex.tv (create and poll a PIN, read the account, list
// the account's resources), the app.plex.tv URL the user is sent to, and the
// [Authorizer] that turns an account into a [providers.Identity]: owner,
// shared user ("server_visible") or not shared.
//
// It must not log, write events, route HTTP or keep state beyond the
// Authorizer's resolved owner id and machine identifier; tokens it is given
// are never put in an error, a URL or a log line (they travel only in the
// X-Plex-Token header). Servers are matched on their machine identifier,
// never on a name alone, because anyone who owns a server can give it any name.
package plex
