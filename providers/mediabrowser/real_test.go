package mediabrowser_test

import (
	"errors"
	"os"
	"testing"

	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/mediabrowser"
)

// TestRealServer runs the sign-in contract against a real server when
// MB_TEST_FLAVOR (jellyfin|emby), MB_TEST_URL, MB_TEST_USER and
// MB_TEST_PASSWORD are set (MB_TEST_API_KEY optional). It sends one wrong
// password, which counts toward the account's lockout.
func TestRealServer(t *testing.T) {
	flavor, url := os.Getenv("MB_TEST_FLAVOR"), os.Getenv("MB_TEST_URL")
	user, password := os.Getenv("MB_TEST_USER"), os.Getenv("MB_TEST_PASSWORD")
	if url == "" || user == "" {
		t.Skip("MB_TEST_URL and MB_TEST_USER not set: no real server to test against")
	}
	cfg := config(mediabrowser.Flavor(flavor), url)
	cfg.APIKey = os.Getenv("MB_TEST_API_KEY")
	c := newClient(t, cfg)
	id, err := c.Authenticate(t.Context(), user, password)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if id.Subject == "" || id.Token == "" || id.Provider != flavor {
		t.Errorf("identity = %+v", id)
	}
	if _, err := c.Authenticate(t.Context(), user, password+"-wrong"); !errors.Is(err, providers.ErrInvalidCredentials) {
		t.Errorf("wrong password: err = %v, want ErrInvalidCredentials", err)
	}
	if cfg.APIKey != "" {
		if access, reason, err := c.CheckAccess(t.Context(), id.Subject); err != nil || access != id.Access {
			t.Errorf("CheckAccess = %v %q %v, want %v", access, reason, err, id.Access)
		}
	}
}
