package plex

import (
	"context"
	"fmt"
	"net/http"

	"github.com/authportal/authportal/providers"
)

const opAccount = "account"

// Account is the plex.tv account a token belongs to.
type Account struct {
	ID       int64 // plex.tv's numeric account id, the stable subject
	UUID     string
	Username string
	Email    string
	Title    string // the name plex.tv shows
	Thumb    string // avatar URL
}

// Account returns the account token belongs to. A refused token gives an
// error matching providers.ErrInvalidCredentials.
func (c *Client) Account(ctx context.Context, token string) (Account, error) {
	if token == "" {
		return Account{}, fmt.Errorf("plex: %s: empty token: %w", opAccount, providers.ErrInvalidCredentials)
	}
	// id is decoded as int64: encoding/json parses the literal exactly, so
	// ids past 2^53 survive, and a string or missing id is an error rather
	// than a silent zero every account would share.
	var b struct {
		ID       *int64 `json:"id"`
		UUID     string `json:"uuid"`
		Username string `json:"username"`
		Email    string `json:"email"`
		Title    string `json:"title"`
		Thumb    string `json:"thumb"`
	}
	if err := c.do(ctx, opAccount, http.MethodGet, "/api/v2/user", nil, token, maxSmallBody, &b); err != nil {
		return Account{}, err
	}
	if b.ID == nil || *b.ID <= 0 {
		return Account{}, fmt.Errorf("plex: %s: answer without a positive id: %w", opAccount, providers.ErrUnavailable)
	}
	return Account{ID: *b.ID, UUID: b.UUID, Username: b.Username, Email: b.Email, Title: b.Title, Thumb: b.Thumb}, nil
}
