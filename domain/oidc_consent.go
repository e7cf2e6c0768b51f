package domain

import "slices"

// Event types of a user's consent to one client ("consent-<user>-<client>").
const (
	TypeConsentGranted = "consent.granted"
	TypeConsentRevoked = "consent.revoked"
)

// ConsentGranted remembers that a user let a client have these scopes.
type ConsentGranted struct {
	UserID   string   `json:"userId"`
	ClientID string   `json:"clientId"`
	Scopes   []string `json:"scopes"`
}

// ConsentRevoked forgets a user's consent to a client.
type ConsentRevoked struct {
	UserID   string `json:"userId"`
	ClientID string `json:"clientId"`
}

func (ConsentGranted) EventType() string  { return TypeConsentGranted }
func (ConsentRevoked) EventType() string  { return TypeConsentRevoked }
func (ConsentGranted) SchemaVersion() int { return 1 }
func (ConsentRevoked) SchemaVersion() int { return 1 }

// ConsentStream is the stream of one user's consent to one client.
func ConsentStream(userID, clientID string) string { return "consent-" + userID + "-" + clientID }

// Consent is what a user has let a client have, folded from its stream.
type Consent struct {
	Scopes []string
}

// FoldConsent builds a consent from its stream.
func FoldConsent(events []Event) Consent {
	var c Consent
	for _, e := range events {
		switch e := e.(type) {
		case ConsentGranted:
			c.Scopes = e.Scopes
		case ConsentRevoked:
			c.Scopes = nil
		}
	}
	return c
}

// Covers reports whether the consent includes every scope asked for.
func (c Consent) Covers(scopes []string) bool {
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return len(c.Scopes) > 0
}

// Grant remembers scopes (with those granted before) unless they are covered already.
func (c Consent) Grant(userID, clientID string, scopes []string) []Event {
	if c.Covers(scopes) {
		return nil
	}
	all := slices.Clone(c.Scopes)
	for _, s := range scopes {
		if !slices.Contains(all, s) {
			all = append(all, s)
		}
	}
	return []Event{ConsentGranted{UserID: userID, ClientID: clientID, Scopes: all}}
}
