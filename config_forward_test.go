package main

import (
	"strings"
	"testing"
)

func TestForwardAuthDefault(t *testing.T) {
	for _, tt := range []struct {
		value string
		allow bool
	}{{"", false}, {"deny", false}, {"Authenticated", true}} {
		c, err := LoadConfig(envOf(map[string]string{"FORWARD_AUTH_DEFAULT": tt.value}))
		if err != nil || c.ForwardAuthDefaultAllow != tt.allow {
			t.Errorf("FORWARD_AUTH_DEFAULT=%q: allow=%v, %v; want %v", tt.value, c.ForwardAuthDefaultAllow, err, tt.allow)
		}
	}
	_, err := LoadConfig(envOf(map[string]string{"FORWARD_AUTH_DEFAULT": "allow"}))
	if err == nil || !strings.HasPrefix(err.Error(), "FORWARD_AUTH_DEFAULT: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("FORWARD_AUTH_DEFAULT=allow: %v, want one line naming the variable", err)
	}
}
