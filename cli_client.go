package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

// repeated is a flag that may be given more than once (--redirect-uri).
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func clientAddCommand(fs *flag.FlagSet) action {
	name := fs.String("name", "", "what users see on the consent page; required")
	var redirects, postLogout repeated
	fs.Var(&redirects, "redirect-uri", "an exact address the app is sent back to (https, or http on localhost); repeat for more; required")
	fs.Var(&postLogout, "post-logout-redirect-uri", "an address the app may be sent back to after sign-out; repeat for more")
	public := fs.Bool("public", false, "the app cannot keep a secret (browser or mobile app): no secret, PKCE only")
	firstParty := fs.Bool("first-party", false, "trusted: users are not asked to consent")
	scopes := fs.String("scopes", "", "scopes it may ask for, space- or comma-separated (default: all)")
	return func(in *invocation, _ []string) error {
		if *name == "" || len(redirects) == 0 {
			return exitError{2, errors.New("client add: --name and --redirect-uri are required")}
		}
		spec := domain.ClientSpec{Name: *name, RedirectURIs: redirects, PostLogoutRedirectURIs: postLogout, FirstParty: *firstParty,
			Scopes: strings.FieldsFunc(*scopes, func(r rune) bool { return r == ' ' || r == ',' })}
		return in.withApp(false, func(a *app) error {
			res, err := commands.NewClientsHandler(a.store, newID).Register(in.ctx, commands.RegisterClient{Spec: spec, Public: *public, Meta: cliMeta()})
			if err != nil {
				return fmt.Errorf("client add: %w", err)
			}
			return json.NewEncoder(in.stdout).Encode(struct {
				ClientID     string `json:"client_id"`
				ClientSecret string `json:"client_secret,omitempty"`
			}{res.ClientID, res.Secret})
		})
	}
}

func clientListCommand(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print the clients as JSON")
	return func(in *invocation, _ []string) error {
		return in.withReadOnly(func(r *readOnly) error {
			list, err := r.reader.OAuthClients(in.ctx)
			if err != nil {
				return fmt.Errorf("client list: %w", err)
			}
			if *asJSON {
				return json.NewEncoder(in.stdout).Encode(list)
			}
			for _, c := range list {
				kind := "confidential"
				if c.Public {
					kind = "public"
				}
				if c.FirstParty {
					kind += ", first-party"
				}
				fmt.Fprintf(in.stdout, "%s  %s  (%s)  %s\n", c.ID, c.Name, kind, strings.Join(c.RedirectURIs, " "))
			}
			return nil
		})
	}
}

func clientRemoveCommand(fs *flag.FlagSet) action {
	id := fs.String("client-id", "", "the client to remove; required")
	return func(in *invocation, _ []string) error {
		if *id == "" {
			return exitError{2, errors.New("client remove: --client-id is required")}
		}
		return in.withApp(false, func(a *app) error {
			if _, err := commands.NewClientsHandler(a.store, newID).Delete(in.ctx, commands.ClientID{ClientID: *id, Meta: cliMeta()}); err != nil {
				return fmt.Errorf("client remove: %w", err)
			}
			return nil
		})
	}
}

func oidcRotateKeyCommand(fs *flag.FlagSet) action {
	delay := fs.Duration("publish-delay", 10*time.Minute, "how long the new key is published before it signs (relying parties refresh their key cache meanwhile)")
	return func(in *invocation, _ []string) error {
		if *delay < 2*commands.KeyRefresh {
			return exitError{2, fmt.Errorf("oidc rotate-key: --publish-delay must be at least %s", 2*commands.KeyRefresh)}
		}
		return in.withApp(false, func(a *app) error {
			k, err := a.keys.Rotate(in.ctx, cliMeta(), *delay)
			if err != nil {
				return fmt.Errorf("oidc rotate-key: %w", err)
			}
			return json.NewEncoder(in.stdout).Encode(struct {
				KeyID       string    `json:"kid"`
				ActivatesAt time.Time `json:"activates_at"`
			}{k.KeyID, k.ActivatesAt})
		})
	}
}
