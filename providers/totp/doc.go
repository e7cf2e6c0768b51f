// Package totp is the TOTP second factor (RFC 6238, via pquerna/otp) and its
// recovery codes. It tells which time step a code matched, which pquerna/otp
// does not, so that callers can refuse a step that was already used. It
// draws QR codes itself: a secret never goes to an outside service.
package totp
