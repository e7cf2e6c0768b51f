package domain

// Event types and schema versions of the protected-host aggregate
// ("host-<id>") and the host-name claim stream ("hostname-<name>"). The
// strings are permanent.
const (
	TypeHostAdded          = "host.added"
	TypeHostUpdated        = "host.updated"
	TypeHostRemoved        = "host.removed"
	TypeHostNameClaimed    = "hostname.claimed"
	TypeHostNameReleased   = "hostname.released"
	TypeUserPermissionsSet = "user.permissions_set"
	TypeUserDisabled       = "user.disabled"
	TypeUserEnabled        = "user.enabled"
)

// HostAdded puts a host (or a wildcard) behind forward auth.
type HostAdded struct {
	HostID      string `json:"hostId"`
	Host        string `json:"host"` // stored form (NormalizeHost)
	Name        string `json:"name"`
	ForwardAuth bool   `json:"forwardAuth"`
}

// HostUpdated replaces a host's name, display name and forward-auth flag;
// every field is the new value, so readers stay idempotent.
type HostUpdated struct {
	HostID      string `json:"hostId"`
	Host        string `json:"host"`
	Name        string `json:"name"`
	ForwardAuth bool   `json:"forwardAuth"`
}

// HostRemoved takes a host away. Users' permissions that name it keep the
// id, which then matches nothing.
type HostRemoved struct {
	HostID string `json:"hostId"`
	Host   string `json:"host"`
}

// HostNameClaimed reserves a host name for one host. Appended to the name's
// stream with its version expected, it is what makes host names unique.
type HostNameClaimed struct {
	Host   string `json:"host"`
	HostID string `json:"hostId"`
}

// HostNameReleased frees a host name (the host was renamed or removed).
type HostNameReleased struct {
	Host   string `json:"host"`
	HostID string `json:"hostId"`
}

// UserPermissionsSet replaces a user's permission mode and host exceptions.
type UserPermissionsSet struct {
	UserID string         `json:"userId"`
	Mode   PermissionMode `json:"mode"`
	Hosts  []string       `json:"hosts"` // host ids, sorted: the exceptions to Mode
}

// UserDisabled shuts a user out: no sign-in, no session, no forward-auth
// pass. It comes with a SessionsRevoked.
type UserDisabled struct {
	UserID string `json:"userId"`
	Reason string `json:"reason"` // "cli", "console"
}

// UserEnabled lets a disabled user in again.
type UserEnabled struct {
	UserID string `json:"userId"`
	Reason string `json:"reason"`
}

func (HostAdded) EventType() string          { return TypeHostAdded }
func (HostUpdated) EventType() string        { return TypeHostUpdated }
func (HostRemoved) EventType() string        { return TypeHostRemoved }
func (HostNameClaimed) EventType() string    { return TypeHostNameClaimed }
func (HostNameReleased) EventType() string   { return TypeHostNameReleased }
func (UserPermissionsSet) EventType() string { return TypeUserPermissionsSet }
func (UserDisabled) EventType() string       { return TypeUserDisabled }
func (UserEnabled) EventType() string        { return TypeUserEnabled }

func (HostAdded) SchemaVersion() int          { return 1 }
func (HostUpdated) SchemaVersion() int        { return 1 }
func (HostRemoved) SchemaVersion() int        { return 1 }
func (HostNameClaimed) SchemaVersion() int    { return 1 }
func (HostNameReleased) SchemaVersion() int   { return 1 }
func (UserPermissionsSet) SchemaVersion() int { return 1 }
func (UserDisabled) SchemaVersion() int       { return 1 }
func (UserEnabled) SchemaVersion() int        { return 1 }
