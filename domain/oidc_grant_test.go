package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
)

func issuedGrant(now time.Time, scopes ...string) domain.Grant {
	return domain.FoldGrant([]domain.Event{domain.CodeIssued{GrantID: "G1", ClientID: "app", UserID: "u1", SessionID: "s1",
		CodeDigest: "code-digest", CodeChallenge: "challenge", RedirectURI: "https://app.example/cb", Scopes: scopes,
		ExpiresAt: now.Add(time.Minute)}})
}

func TestGrantRedeem(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ok := domain.Redemption{CodeDigest: "code-digest", ClientID: "app", RedirectURI: "https://app.example/cb", Challenge: "challenge"}
	tokens := domain.IssuedTokens{AccessDigest: "a1", AccessExpiresAt: now.Add(time.Hour), RefreshDigest: "r1", RefreshExpiresAt: now.Add(24 * time.Hour)}
	tests := []struct {
		name    string
		grant   domain.Grant
		r       domain.Redemption
		at      time.Time
		wantErr error
		revokes bool
	}{
		{name: "valid", grant: issuedGrant(now, "openid"), r: ok, at: now},
		{name: "wrong code", grant: issuedGrant(now, "openid"), r: domain.Redemption{CodeDigest: "other", ClientID: "app", RedirectURI: ok.RedirectURI, Challenge: "challenge"}, at: now, wantErr: domain.ErrGrantInvalid},
		{name: "another client", grant: issuedGrant(now, "openid"), r: domain.Redemption{CodeDigest: "code-digest", ClientID: "thief", RedirectURI: ok.RedirectURI, Challenge: "challenge"}, at: now, wantErr: domain.ErrGrantInvalid},
		{name: "redirect_uri differs", grant: issuedGrant(now, "openid"), r: domain.Redemption{CodeDigest: "code-digest", ClientID: "app", RedirectURI: ok.RedirectURI + "/", Challenge: "challenge"}, at: now, wantErr: domain.ErrGrantInvalid},
		{name: "verifier mismatch", grant: issuedGrant(now, "openid"), r: domain.Redemption{CodeDigest: "code-digest", ClientID: "app", RedirectURI: ok.RedirectURI, Challenge: "other"}, at: now, wantErr: domain.ErrGrantInvalid},
		{name: "expired", grant: issuedGrant(now, "openid"), r: ok, at: now.Add(time.Minute), wantErr: domain.ErrGrantInvalid},
		{name: "replayed", grant: func() domain.Grant {
			g := issuedGrant(now, "openid")
			g.Apply(domain.CodeRedeemed{GrantID: "G1", AccessDigest: "a0"})
			return g
		}(), r: ok, at: now, wantErr: domain.ErrCodeReplayed, revokes: true},
		{name: "no grant", grant: domain.Grant{}, r: ok, at: now, wantErr: domain.ErrGrantInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := tt.grant.Redeem(tt.r, tokens, tt.at)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			switch {
			case tt.revokes:
				if len(events) != 1 || events[0].(domain.GrantRevoked).Reason != "code_reused" {
					t.Errorf("events: got %#v, want one GrantRevoked", events)
				}
			case err != nil:
				if len(events) != 0 {
					t.Errorf("events: got %#v, want none", events)
				}
			default:
				e := events[0].(domain.CodeRedeemed)
				if e.AccessDigest != "a1" || e.RefreshDigest != "" {
					t.Errorf("redeemed: got %#v; want the access token and no refresh token without offline_access", e)
				}
			}
		})
	}
}

func TestGrantRefreshRotationAndReuse(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	g := issuedGrant(now, "openid", "offline_access")
	issue := func(n string) domain.IssuedTokens {
		return domain.IssuedTokens{AccessDigest: "a" + n, AccessExpiresAt: now.Add(time.Hour), RefreshDigest: "r" + n, RefreshExpiresAt: now.Add(24 * time.Hour)}
	}
	events, err := g.Redeem(domain.Redemption{CodeDigest: "code-digest", ClientID: "app", RedirectURI: "https://app.example/cb", Challenge: "challenge"}, issue("1"), now)
	if err != nil {
		t.Fatal(err)
	}
	g.Apply(events[0])
	if _, err := g.Refresh("r1", "thief", issue("2"), now); !errors.Is(err, domain.ErrGrantInvalid) {
		t.Errorf("another client refreshing: %v, want ErrGrantInvalid", err)
	}
	events, err = g.Refresh("r1", "app", issue("2"), now)
	if err != nil {
		t.Fatal(err)
	}
	g.Apply(events[0])
	events, err = g.Refresh("r1", "app", issue("3"), now)
	if !errors.Is(err, domain.ErrRefreshReused) || len(events) != 1 {
		t.Fatalf("spent refresh token: %v %#v, want ErrRefreshReused and a revocation", err, events)
	}
	g.Apply(events[0])
	if _, err := g.Refresh("r2", "app", issue("4"), now); !errors.Is(err, domain.ErrGrantInvalid) {
		t.Errorf("the newest refresh token of a revoked family: %v, want ErrGrantInvalid", err)
	}
}

func TestSigningKeysPublishedAndActive(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	keys := domain.SigningKeys{{KeyID: "old", ActivatesAt: t0}, {KeyID: "new", ActivatesAt: t0.Add(10 * time.Minute)}}
	ids := func(ks []domain.SigningKey) (out []string) {
		for _, k := range ks {
			out = append(out, k.KeyID)
		}
		return out
	}
	for _, tt := range []struct {
		at        time.Duration
		active    string
		published []string
	}{
		{0, "old", []string{"old", "new"}},
		{10 * time.Minute, "new", []string{"old", "new"}},
		{69 * time.Minute, "new", []string{"old", "new"}},
		{70 * time.Minute, "new", []string{"new"}},
	} {
		now := t0.Add(tt.at)
		if got := keys[keys.Active(now)].KeyID; got != tt.active {
			t.Errorf("at +%s active: got %s, want %s", tt.at, got, tt.active)
		}
		if got := ids(keys.Published(now, time.Hour)); len(got) != len(tt.published) || got[0] != tt.published[0] {
			t.Errorf("at +%s published: got %v, want %v", tt.at, got, tt.published)
		}
	}
}

func TestValidateRedirectURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"https://app.example/cb": true, "http://localhost:3000/cb": true, "http://127.0.0.1/cb": true, "http://[::1]:8080/cb": true,
		"http://app.example/cb": false, "https://app.example/cb#x": false, "/cb": false, "javascript:alert(1)": false,
		"https://u:p@app.example/cb": false, "app.example/cb": false, "https://app.example/c b": false,
	} {
		if err := domain.ValidateRedirectURI(uri); (err == nil) != ok {
			t.Errorf("%q: got %v, want ok=%t", uri, err, ok)
		}
	}
}
