package projections

import (
	"fmt"
	"testing"

	"github.com/authportal/authportal/domain"
)

// modelWith returns a model holding hosts and one authorized user U1.
func modelWith(hosts ...domain.ProtectedHost) *Access {
	a := NewAccess()
	a.users["U1"] = AccessUser{ID: "U1", Username: "friend", MediaAccess: true}
	for _, h := range hosts {
		a.fwd.putHost(h)
	}
	return a
}

func TestProtectedHostMatching(t *testing.T) {
	a := modelWith(
		domain.ProtectedHost{ID: "exact", Host: "app.example.com", ForwardAuth: true},
		domain.ProtectedHost{ID: "wild", Host: "*.example.com", ForwardAuth: true},
		domain.ProtectedHost{ID: "deep", Host: "*.lab.example.com", ForwardAuth: true},
		domain.ProtectedHost{ID: "idn", Host: "xn--bcher-kva.example", ForwardAuth: true},
	)
	tests := []struct{ host, want string }{
		{"app.example.com", "exact"},
		{"APP.example.com:443", "exact"},
		{"app.example.com.", "exact"},
		{"other.example.com", "wild"},
		{"a.b.example.com", "wild"},
		{"x.lab.example.com", "deep"},
		{"y.x.lab.example.com", "deep"},
		{"lab.example.com", "wild"},
		{"bücher.example", "idn"},
		{"example.com", ""},
		{"notexample.com", ""},
		{"app.example.com.evil.test", ""},
		{"", ""},
	}
	for _, tt := range tests {
		h, ok := a.ProtectedHost(tt.host)
		if ok != (tt.want != "") || h.ID != tt.want {
			t.Errorf("ProtectedHost(%q) = %q, %v; want %q", tt.host, h.ID, ok, tt.want)
		}
	}
}

func TestDecideForwardFromModel(t *testing.T) {
	a := modelWith(domain.ProtectedHost{ID: "H1", Host: "app.example.com", ForwardAuth: true})

	if v := a.DecideForward("U1", "App.Example.com:8443"); !v.Allowed || v.Reason != domain.ReasonAllowAll || v.Host == nil || v.Host.ID != "H1" {
		t.Errorf("authorized user, registered host: got %+v, want allowed by allow_all on H1", v)
	}
	if v := a.DecideForward("U1", "elsewhere.example.net"); v.Allowed || v.Reason != domain.ReasonUnknownHost {
		t.Errorf("unregistered host, default deny: got %+v, want unknown_host", v)
	}
	a.SetForwardDefault(true)
	if v := a.DecideForward("U1", "elsewhere.example.net"); !v.Allowed || v.Reason != domain.ReasonDefaultAllow {
		t.Errorf("unregistered host, default authenticated: got %+v, want default_allow", v)
	}
	if v := a.DecideForward("nobody", "app.example.com"); v.Allowed || v.Reason != domain.ReasonUnknownUser {
		t.Errorf("unknown user: got %+v, want unknown_user", v)
	}
	a.fwd.permissions["U1"] = domain.Permissions{Mode: domain.DenyAll}
	if v := a.DecideForward("U1", "app.example.com"); v.Allowed || v.Reason != domain.ReasonDenyAll {
		t.Errorf("deny_all: got %+v, want deny_all", v)
	}

	// Renaming a host moves it: the old name matches nothing.
	a.fwd.putHost(domain.ProtectedHost{ID: "H1", Host: "new.example.com", ForwardAuth: true})
	if _, ok := a.ProtectedHost("app.example.com"); ok {
		t.Error("old name still matches after the host was renamed")
	}
	a.fwd.removeHost("H1")
	if _, ok := a.ProtectedHost("new.example.com"); ok {
		t.Error("removed host still matches")
	}
}

func TestDecideForwardDoesNotAllocate(t *testing.T) {
	a := largeModel(500, 10000)
	for _, host := range []string{"h250.example.com", "x.y.w17.example.org", "unknown.example.net:443"} {
		if n := testing.AllocsPerRun(200, func() { a.DecideForward("U5000", host) }); n != 0 {
			t.Errorf("DecideForward(%q) allocates %v times per call, want 0", host, n)
		}
	}
}

// largeModel holds hosts exact names and wildcards and users users, each
// with a permission list.
func largeModel(hosts, users int) *Access {
	a := NewAccess()
	for i := range hosts {
		a.fwd.putHost(domain.ProtectedHost{ID: fmt.Sprintf("H%d", i), Host: fmt.Sprintf("h%d.example.com", i), ForwardAuth: true})
		a.fwd.putHost(domain.ProtectedHost{ID: fmt.Sprintf("W%d", i), Host: fmt.Sprintf("*.w%d.example.org", i), ForwardAuth: true})
	}
	for i := range users {
		id := fmt.Sprintf("U%d", i)
		a.users[id] = AccessUser{ID: id, MediaAccess: true}
		a.fwd.permissions[id] = domain.Permissions{Mode: domain.DenyAll, Hosts: map[string]bool{fmt.Sprintf("H%d", i%hosts): true}}
	}
	return a
}

// BenchmarkDecideForward: go test ./projections/ -run '^$' -bench DecideForward -benchmem
func BenchmarkDecideForward(b *testing.B) {
	a := largeModel(500, 10000)
	for _, host := range []string{"h250.example.com", "x.y.w17.example.org", "unknown.example.net:443"} {
		b.Run(host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.DecideForward("U5000", host)
			}
		})
	}
}
