package upstream_test

import (
	"testing"

	"github.com/authportal/authportal/providers/upstream"
	"github.com/authportal/authportal/providers/upstream/githubtest"
	"github.com/authportal/authportal/providers/upstream/googletest"
)

// The cost of one whole sign-in against the local fakes (authorization
// redirect, code exchange, then goth's profile reads for GitHub, the ID
// token's signature check for Google): what the portal adds to the
// provider's own time. go test -run '^$' -bench . ./providers/upstream/
func BenchmarkSignIn(b *testing.B) {
	gh := githubtest.NewServer(b)
	gh.AddAccount(githubtest.Account{ID: 1, Login: "octocat", Emails: []githubtest.Email{{Email: "o@example.test", Primary: true, Verified: true}}})
	gh.SignIn("octocat")
	gg := googletest.NewServer(b)
	gg.AddAccount(googletest.Account{Sub: "7", Email: "g@example.test", EmailVerified: true})
	gg.SignIn("7")
	gUp, err := upstream.NewGoogle(upstream.GoogleConfig{ClientID: gg.ClientID, ClientSecret: gg.ClientSecret, RedirectURL: callback,
		AuthURL: gg.URL + googletest.PathAuthorize, TokenURL: gg.URL + googletest.PathToken, JWKSURL: gg.URL + googletest.PathCerts})
	if err != nil {
		b.Fatal(err)
	}
	ghUp, err := upstream.NewGitHub(upstream.GitHubConfig{ClientID: gh.ClientID, ClientSecret: gh.ClientSecret, RedirectURL: callback,
		AuthURL: gh.URL + githubtest.PathAuthorize, TokenURL: gh.URL + githubtest.PathToken, APIURL: gh.URL})
	if err != nil {
		b.Fatal(err)
	}
	for _, up := range []upstream.Upstream{ghUp, gUp} {
		b.Run(up.Name(), func(b *testing.B) {
			for b.Loop() {
				f := newFlow()
				authURL, err := up.AuthURL(b.Context(), f.state, f.nonce, f.verifier)
				if err != nil {
					b.Fatal(err)
				}
				code := browse(b, authURL, callback, nil).Get("code")
				if _, err := up.Finish(b.Context(), code, f.verifier, f.nonce); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
