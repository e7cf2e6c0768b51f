package projections_test

import (
	"testing"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
)

// An operator's TOTPReset leaves the user as if never enrolled, in the
// mfa table and in the access model, followed live or loaded from tables.
func TestTOTPResetClearsMFAState(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(t, store)
	id := w.register(false)
	w.enroll(id, true)
	rebuildAll := func() {
		t.Helper()
		for _, p := range projections.All() {
			if _, err := projections.Rebuild(t.Context(), pool, store, p, 0); err != nil {
				t.Fatalf("rebuild %s: %v", p.Name(), err)
			}
		}
	}
	rebuildAll()
	followed := projections.NewAccess()
	if err := followed.Load(t.Context(), pool, w.now); err != nil {
		t.Fatal(err)
	}
	if u, _ := followed.User(id); !u.MFAEnabled || u.RecoveryCodes != len(w.players[id].recovery) {
		t.Fatalf("enrolled user in the model = %+v, want MFA enabled with %d codes", u, len(w.players[id].recovery))
	}
	follow(t, followed, store)

	u, _ := w.user(id)
	w.resetMFA(id)
	waitFor(t, followed, head(t, store))
	rebuildAll()
	loaded := projections.NewAccess()
	if err := loaded.Load(t.Context(), pool, w.now); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*projections.Access{"followed": followed, "loaded": loaded} {
		got, _ := a.User(id)
		if got.MFAEnabled || got.MFAPending || got.RecoveryCodes != 0 || got.Epoch != u.Epoch+1 {
			t.Errorf("%s model after reset = %+v, want no MFA and epoch %d", name, got, u.Epoch+1)
		}
	}
	var state string
	var codes int
	var enabledAt *string
	if err := pool.QueryRow(t.Context(), `SELECT state, recovery_codes_remaining, enabled_at::text FROM mfa_state WHERE user_id = $1`, id).Scan(&state, &codes, &enabledAt); err != nil {
		t.Fatal(err)
	}
	if state != projections.MFAStateNone || codes != 0 || enabledAt != nil {
		t.Errorf("mfa_state after reset = %s, %d codes, enabled at %v; want none, 0, null", state, codes, enabledAt)
	}
}
