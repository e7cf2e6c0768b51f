// Package mediabrowser signs people in against a Jellyfin or Emby server,
// which share the MediaBrowser API, and re-checks their access later.
//
// It owns the wire exchange with the media server: one credential request per
// sign-in attempt (Jellyfin counts every failure toward its lockout), the
// MediaBrowser Authorization header, a stable device id, the validation of the
// returned token and the read of the user's policy. It returns a
// providers.Identity and errors wrapping the shared providers errors.
//
// It must not decide who may enter the portal, touch the log, log anything,
// or route HTTP: the caller does. No error it returns carries a password,
// token or API key.
package mediabrowser
