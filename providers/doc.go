// Package providers groups the adapters to identity sources, one
// sub-package each: local passwords (local), TOTP second factors (totp), and,
// later, Plex, Jellyfin, Emby and upstream OIDC. Adapters verify what an
// outside party or a user presents; they never decide who may enter and
// never touch the log.
package providers
