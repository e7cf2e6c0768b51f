package local

import (
	"context"
	"errors"
	"testing"
	"time"
)

// With every ordinary slot taken (a flood), an ordinary hash gives up after
// MaxWait, and one from a known device still gets the reserved slot.
func TestKnownDevicesKeepAHashingSlotUnderAFlood(t *testing.T) {
	h, err := NewHasher(Params{Memory: 64, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash(t.Context(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h.MaxWait = 50 * time.Millisecond
	h.slots <- struct{}{} // the flood holds the only ordinary slot
	defer func() { <-h.slots }()

	if _, err := h.Verify(t.Context(), hash, "correct horse battery"); !errors.Is(err, ErrBusy) {
		t.Errorf("ordinary verify with every slot taken: got %v, want ErrBusy", err)
	}
	ok, err := h.Verify(WithPriority(t.Context()), hash, "correct horse battery")
	if err != nil || !ok {
		t.Errorf("known-device verify with every ordinary slot taken: got %v, %v; want true", ok, err)
	}
	// The stand-in spends a recent Verify's time without a slot at all.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := h.StandIn(ctx); err != nil {
		t.Errorf("stand-in with every slot taken: %v", err)
	}
}
