package http

import (
	"errors"
	"strings"
	"testing"
)

func TestProbes(t *testing.T) {
	tests := []struct {
		name   string
		health fakeHealth
		want   map[string]int
	}{
		{"starting", fakeHealth{}, map[string]int{"/healthz": 200, "/startupz": 503, "/readyz": 503}},
		{"not ready", fakeHealth{started: true, ready: errors.New("projection users is 5000 events behind")},
			map[string]int{"/healthz": 200, "/startupz": 200, "/readyz": 503}},
		{"ready", fakeHealth{started: true}, map[string]int{"/healthz": 200, "/startupz": 200, "/readyz": 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, func(_ *Config, d *Deps) { d.Health = tt.health })
			for path, want := range tt.want {
				res := e.get(path)
				if res.status != want {
					t.Errorf("%s: %d, want %d", path, res.status, want)
				}
				// The reason is for the log, not for anyone who can reach the probe.
				if strings.Contains(string(res.body), "projection") {
					t.Errorf("%s tells why: %s", path, res.body)
				}
			}
		})
	}
}
