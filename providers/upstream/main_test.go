package upstream_test

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain silences the example OP's request log (it logs through the
// default slog logger).
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
