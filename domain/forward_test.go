package domain_test

import (
	"testing"

	"github.com/authportal/authportal/domain"
)

func TestDecideForward(t *testing.T) {
	app := &domain.ProtectedHost{ID: "H1", Host: "app.example.com", ForwardAuth: true}
	off := &domain.ProtectedHost{ID: "H2", Host: "return.example.com", ForwardAuth: false}
	member := domain.Standing{MediaAccess: true}
	admin := domain.Standing{Admin: true}
	invited := domain.Standing{AccessGranted: true}
	nobody := domain.Standing{}
	disabled := domain.Standing{Admin: true, MediaAccess: true, Disabled: true}
	allowAll := domain.Permissions{Mode: domain.AllowAll}
	zero := domain.Permissions{}
	denyApp := domain.Permissions{Mode: domain.AllowAll, Hosts: map[string]bool{"H1": true}}
	denyAll := domain.Permissions{Mode: domain.DenyAll}
	onlyApp := domain.Permissions{Mode: domain.DenyAll, Hosts: map[string]bool{"H1": true}}
	onlyOther := domain.Permissions{Mode: domain.DenyAll, Hosts: map[string]bool{"H9": true}}

	tests := []struct {
		name         string
		st           domain.Standing
		p            domain.Permissions
		h            *domain.ProtectedHost
		defaultAllow bool
		allowed      bool
		reason       domain.ForwardReason
	}{
		{"allow_all, host not listed", member, allowAll, app, false, true, domain.ReasonAllowAll},
		{"no mode set reads as allow_all", member, zero, app, false, true, domain.ReasonAllowAll},
		{"admin needs no media access", admin, zero, app, false, true, domain.ReasonAllowAll},
		{"invited account", invited, zero, app, false, true, domain.ReasonAllowAll},
		{"allow_all, host listed as exception", member, denyApp, app, false, false, domain.ReasonDenyException},
		{"deny_all, host listed", member, onlyApp, app, false, true, domain.ReasonAllowException},
		{"deny_all, host not listed", member, denyAll, app, false, false, domain.ReasonDenyAll},
		{"deny_all, another host listed", member, onlyOther, app, false, false, domain.ReasonDenyAll},

		{"no media access, no grant", nobody, allowAll, app, false, false, domain.ReasonNotAuthorized},
		{"no media access even when the host is listed", nobody, onlyApp, app, true, false, domain.ReasonNotAuthorized},
		{"disabled beats everything", disabled, onlyApp, app, true, false, domain.ReasonDisabled},
		{"disabled on an unknown host", disabled, zero, nil, true, false, domain.ReasonDisabled},

		{"unknown host, default deny", member, allowAll, nil, false, false, domain.ReasonUnknownHost},
		{"unknown host, default authenticated", member, denyAll, nil, true, true, domain.ReasonDefaultAllow},
		{"unknown host, default authenticated, not authorized", nobody, zero, nil, true, false, domain.ReasonNotAuthorized},

		{"host with forward auth off is not passed", member, allowAll, off, true, false, domain.ReasonNotForwardAuth},
		{"forward auth off even when listed in deny_all", member, domain.Permissions{Mode: domain.DenyAll, Hosts: map[string]bool{"H2": true}}, off, false, false, domain.ReasonNotForwardAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := domain.DecideForward(tt.st, tt.p, tt.h, tt.defaultAllow)
			if v.Allowed != tt.allowed || v.Reason != tt.reason {
				t.Fatalf("DecideForward = allowed %v, reason %q; want %v, %q", v.Allowed, v.Reason, tt.allowed, tt.reason)
			}
			if v.Host != tt.h {
				t.Errorf("verdict host = %v, want the matched entry %v", v.Host, tt.h)
			}
		})
	}
}
