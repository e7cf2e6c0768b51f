package domain

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HostStream is the stream of one protected host.
func HostStream(hostID string) string { return "host-" + hostID }

// HostNameStream is the claim stream of one host name (stored form).
func HostNameStream(host string) string { return "hostname-" + host }

// Host is the protected-host aggregate, folded from its stream.
type Host struct {
	ID          string
	Host        string
	Name        string
	ForwardAuth bool
	Removed     bool
}

// Exists reports whether the host was added and not removed.
func (h Host) Exists() bool { return h.ID != "" && !h.Removed }

// Protected is the host as the forward-auth rule sees it.
func (h Host) Protected() ProtectedHost {
	return ProtectedHost{ID: h.ID, Host: h.Host, Name: h.Name, ForwardAuth: h.ForwardAuth}
}

// Apply folds one event into the host.
func (h *Host) Apply(e Event) {
	switch e := e.(type) {
	case HostAdded:
		*h = Host{ID: e.HostID, Host: e.Host, Name: e.Name, ForwardAuth: e.ForwardAuth}
	case HostUpdated:
		h.Host, h.Name, h.ForwardAuth = e.Host, e.Name, e.ForwardAuth
	case HostRemoved:
		h.Removed = true
	}
}

// FoldHost builds a host from its stream.
func FoldHost(events []Event) Host {
	var h Host
	for _, e := range events {
		h.Apply(e)
	}
	return h
}

// ClaimedHostID returns the host a host-name claim stream names, "" when
// the name is free.
func ClaimedHostID(claims []Event) string {
	owner := ""
	for _, e := range claims {
		switch e := e.(type) {
		case HostNameClaimed:
			owner = e.HostID
		case HostNameReleased:
			owner = ""
		}
	}
	return owner
}

// HostSpec is what an admin says of a host.
type HostSpec struct {
	Host        string // as typed; normalised here
	Name        string // shown to people; empty: the host name
	ForwardAuth bool
}

// maxHostDisplayName bounds the display name in runes.
const maxHostDisplayName = 100

// normalize checks spec and returns it in stored form.
func (spec HostSpec) normalize() (HostSpec, error) {
	host, err := NormalizeHost(spec.Host)
	if err != nil {
		return HostSpec{}, &InvalidInputError{Field: "host", Reason: strings.TrimPrefix(err.Error(), ErrHostName.Error()+": ")}
	}
	name := strings.TrimSpace(spec.Name)
	if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) || utf8.RuneCountInString(name) > maxHostDisplayName {
		return HostSpec{}, &InvalidInputError{Field: "name", Reason: "at most 100 printable characters"}
	}
	if name == "" {
		name = host
	}
	return HostSpec{Host: host, Name: name, ForwardAuth: spec.ForwardAuth}, nil
}

// AddHost decides a new protected host. Uniqueness is not decided here: the
// caller appends the claim to the name's stream, expecting it free.
func AddHost(id string, spec HostSpec) (HostAdded, error) {
	if id == "" {
		return HostAdded{}, &InvalidInputError{Field: "id", Reason: "an id is required"}
	}
	s, err := spec.normalize()
	if err != nil {
		return HostAdded{}, err
	}
	return HostAdded{HostID: id, Host: s.Host, Name: s.Name, ForwardAuth: s.ForwardAuth}, nil
}

// Update decides a change of the host; the same values again are no event.
// A new name (renamed) must be claimed, and the old one released, by the
// caller.
func (h Host) Update(spec HostSpec) (change *HostUpdated, renamed bool, err error) {
	if !h.Exists() {
		return nil, false, ErrHostNotFound
	}
	s, err := spec.normalize()
	if err != nil {
		return nil, false, err
	}
	if s.Host == h.Host && s.Name == h.Name && s.ForwardAuth == h.ForwardAuth {
		return nil, false, nil
	}
	return &HostUpdated{HostID: h.ID, Host: s.Host, Name: s.Name, ForwardAuth: s.ForwardAuth}, s.Host != h.Host, nil
}

// Remove decides taking the host away; its name is released by the caller.
func (h Host) Remove() (HostRemoved, error) {
	if !h.Exists() {
		return HostRemoved{}, ErrHostNotFound
	}
	return HostRemoved{HostID: h.ID, Host: h.Host}, nil
}

// SetPermissions replaces the user's permission mode and host exceptions
// (host ids the caller checked exist). The same again is no event.
func (u User) SetPermissions(mode PermissionMode, hostIDs []string) ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	if !mode.Valid() {
		return nil, &InvalidInputError{Field: "mode", Reason: `"allow_all" or "deny_all"`}
	}
	hosts := slices.Clone(hostIDs)
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)
	if slices.Contains(hosts, "") {
		return nil, &InvalidInputError{Field: "hosts", Reason: "a host id is empty"}
	}
	if u.Permissions.Mode == mode && slices.Equal(u.Permissions.HostList(), hosts) {
		return nil, nil
	}
	if hosts == nil {
		hosts = []string{}
	}
	return []Event{UserPermissionsSet{UserID: u.ID, Mode: mode, Hosts: hosts}}, nil
}

// SetDisabled disables or enables the user. Disabling ends their sessions,
// as every change of who may enter does; the same again is no event.
func (u User) SetDisabled(disabled bool, reason string) ([]Event, error) {
	if !u.Exists() {
		return nil, ErrUserNotFound
	}
	switch {
	case disabled == u.Disabled:
		return nil, nil
	case disabled:
		return []Event{UserDisabled{UserID: u.ID, Reason: reason}, SessionsRevoked{UserID: u.ID, Epoch: u.Epoch + 1, Reason: "disabled"}}, nil
	default:
		return []Event{UserEnabled{UserID: u.ID, Reason: reason}}, nil
	}
}

// HostList returns the exceptions' host ids, sorted.
func (p Permissions) HostList() []string {
	var out []string
	for id, on := range p.Hosts {
		if on {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// PermissionsFrom builds Permissions from a mode and a list of host ids.
func PermissionsFrom(mode PermissionMode, hostIDs []string) Permissions {
	p := Permissions{Mode: mode}
	if len(hostIDs) > 0 {
		p.Hosts = make(map[string]bool, len(hostIDs))
		for _, id := range hostIDs {
			p.Hosts[id] = true
		}
	}
	return p
}
