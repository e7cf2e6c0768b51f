package domain

// Forward auth narrows an authorized user to the protected hosts their
// permission mode allows. The rule is data: each decision names the fact
// that decided it, so an admin can ask why (the explain API) and the deny
// page can say whom to ask.

// PermissionMode is how a user's host exceptions are read.
type PermissionMode string

const (
	// AllowAll grants every protected host except the listed ones.
	AllowAll PermissionMode = "allow_all"
	// DenyAll grants none but the listed ones.
	DenyAll PermissionMode = "deny_all"
)

// Valid reports whether m is one of the modes.
func (m PermissionMode) Valid() bool { return m == AllowAll || m == DenyAll }

// Permissions are one user's host permissions. The zero value (no mode set
// yet) reads as AllowAll with no exceptions: an authorized user reaches
// every protected host until an admin narrows them.
type Permissions struct {
	Mode  PermissionMode
	Hosts map[string]bool // host ids: the exceptions to Mode
}

// ProtectedHost is a host (or a wildcard such as *.example.com) that an
// admin put behind forward auth.
type ProtectedHost struct {
	ID          string
	Host        string // IDNA-normalised, lower case; "*.example.com" for a wildcard
	Name        string
	ForwardAuth bool // false: registered (a valid sign-in return target) but not guarded here
}

// ForwardReason names the fact that decided a forward-auth request.
type ForwardReason string

const (
	ReasonAllowAll       ForwardReason = "allow_all"        // mode allow_all and the host is not an exception
	ReasonAllowException ForwardReason = "allowed_host"     // mode deny_all and the host is listed
	ReasonDenyException  ForwardReason = "denied_host"      // mode allow_all and the host is listed
	ReasonDenyAll        ForwardReason = "deny_all"         // mode deny_all and the host is not listed
	ReasonNotAuthorized  ForwardReason = "not_authorized"   // no media access, no admin grant, no invite
	ReasonDisabled       ForwardReason = "disabled"         // the account is disabled
	ReasonUnknownHost    ForwardReason = "unknown_host"     // no protected host matches and the default is deny
	ReasonDefaultAllow   ForwardReason = "default_allow"    // no protected host matches; FORWARD_AUTH_DEFAULT=authenticated
	ReasonNotForwardAuth ForwardReason = "not_forward_auth" // the matching host is registered with forwardAuth off
	ReasonUnknownUser    ForwardReason = "unknown_user"     // the model does not know the user
)

// ForwardVerdict is a forward-auth decision and the fact that decided it.
type ForwardVerdict struct {
	Allowed bool
	Reason  ForwardReason
	Host    *ProtectedHost // the entry that matched, nil when none did
}

// DecideForward is the one rule for whether a user of standing st with
// permissions p may reach host h (nil: no protected host matches the
// request). defaultAllow is FORWARD_AUTH_DEFAULT=authenticated.
func DecideForward(st Standing, p Permissions, h *ProtectedHost, defaultAllow bool) ForwardVerdict {
	switch {
	case st.Disabled:
		return ForwardVerdict{Reason: ReasonDisabled, Host: h}
	case !st.Authorized():
		return ForwardVerdict{Reason: ReasonNotAuthorized, Host: h}
	case h == nil && defaultAllow:
		return ForwardVerdict{Allowed: true, Reason: ReasonDefaultAllow}
	case h == nil:
		return ForwardVerdict{Reason: ReasonUnknownHost}
	case !h.ForwardAuth:
		return ForwardVerdict{Reason: ReasonNotForwardAuth, Host: h}
	}
	listed := p.Hosts[h.ID]
	if p.Mode == DenyAll {
		if listed {
			return ForwardVerdict{Allowed: true, Reason: ReasonAllowException, Host: h}
		}
		return ForwardVerdict{Reason: ReasonDenyAll, Host: h}
	}
	if listed {
		return ForwardVerdict{Reason: ReasonDenyException, Host: h}
	}
	return ForwardVerdict{Allowed: true, Reason: ReasonAllowAll, Host: h}
}
