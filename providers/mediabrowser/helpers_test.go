package mediabrowser_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

var testSecret = []byte("a session secret of at least thirty-two bytes")

type flavorCase struct {
	flavor mediabrowser.Flavor
	start  func(testing.TB) *mbtest.Server
}

var flavors = []flavorCase{
	{mediabrowser.Jellyfin, mbtest.NewJellyfin},
	{mediabrowser.Emby, mbtest.NewEmby},
}

func config(flavor mediabrowser.Flavor, serverURL string) mediabrowser.Config {
	return mediabrowser.Config{
		Flavor:     flavor,
		ServerURL:  serverURL,
		AppName:    "AuthPortal",
		AppVersion: "1.0.0",
		DeviceName: "AuthPortal",
		DeviceID:   mediabrowser.DeviceIDFrom(testSecret, flavor, serverURL),
		Timeout:    5 * time.Second,
	}
}

func newClient(t *testing.T, cfg mediabrowser.Config) *mediabrowser.Client {
	t.Helper()
	c, err := mediabrowser.NewClient(cfg, &http.Client{})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}
