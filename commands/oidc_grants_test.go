package commands_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
)

type grantsFixture struct {
	grants   commands.GrantsHandler
	clientID string
	now      time.Time
	seq      int
}

func newGrantsFixture(tb testing.TB) *grantsFixture {
	tb.Helper()
	store := eventstore.New(pgtest.New(tb), domain.Events(), slog.New(slog.DiscardHandler))
	f := &grantsFixture{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	clients := commands.NewClientsHandler(store, func() string { f.seq++; return fmt.Sprintf("CLIENT%020d", f.seq) })
	c, err := clients.Register(tb.Context(), commands.RegisterClient{Spec: domain.ClientSpec{Name: "App", RedirectURIs: []string{"https://app.example/cb"}}})
	if err != nil {
		tb.Fatal(err)
	}
	f.clientID = c.ClientID
	f.grants = commands.NewGrantsHandler(store, func() time.Time { return f.now })
	return f
}

var verifier = strings.Repeat("v", 43)

func (f *grantsFixture) code(tb testing.TB, scopes ...string) string {
	tb.Helper()
	f.seq++
	res, err := f.grants.IssueCode(tb.Context(), commands.IssueCode{GrantID: fmt.Sprintf("GRANT%021d", f.seq), ClientID: f.clientID,
		RedirectURI: "https://app.example/cb", Scopes: scopes, CodeChallenge: commands.S256(verifier), UserID: "u1", SessionID: "s1"})
	if err != nil {
		tb.Fatal(err)
	}
	return res.Code
}

func (f *grantsFixture) redeem(tb testing.TB, code string) (commands.Tokens, error) {
	return f.grants.Redeem(tb.Context(), commands.RedeemCode{Code: code, ClientID: f.clientID, RedirectURI: "https://app.example/cb", Verifier: verifier})
}

// Concurrent redemptions of one code, on one log: exactly one gets tokens,
// and the grant ends revoked (the replay revokes what the winner got).
func TestRedeemCodeOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	code := f.code(t, "openid")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = f.redeem(t, code) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, domain.ErrCodeReplayed), errors.Is(err, domain.ErrGrantInvalid):
		default:
			t.Errorf("redemption: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("redemptions that won: %d, want 1 (%v)", won, errs)
	}
	id, _, _ := strings.Cut(code, ".")
	g, err := f.grants.Grant(t.Context(), id)
	if err != nil || !g.Revoked {
		t.Errorf("grant after a replay: %+v %v, want revoked", g, err)
	}
}

// BenchmarkGrant measures the write side of one sign-in through the
// provider: issue a code, redeem it, refresh once.
func BenchmarkGrant(b *testing.B) {
	f := newGrantsFixture(b)
	b.ResetTimer()
	for b.Loop() {
		toks, err := f.redeem(b, f.code(b, "openid", "offline_access"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.grants.Refresh(b.Context(), commands.RefreshTokens{Refresh: toks.Refresh, ClientID: f.clientID}); err != nil {
			b.Fatal(err)
		}
	}
}
