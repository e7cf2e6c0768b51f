package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"os"
	"strings"
)

// OIDCProviderConfig is the OpenID Connect provider's start-up
// configuration: the issuer and, optionally, a signing key the operator
// keeps (else one is generated, sealed with DATA_KEY and kept as an event).
type OIDCProviderConfig struct {
	Issuer     string          // OIDC_ISSUER; default APP_BASE_URL
	SigningKey *rsa.PrivateKey // OIDC_SIGNING_KEY_PATH or OIDC_SIGNING_KEY (PEM); nil: keys from the log
}

// loadOIDCConfig reads OIDC_ISSUER, OIDC_SIGNING_KEY_PATH and OIDC_SIGNING_KEY.
func loadOIDCConfig(e env, c *Config) {
	if c.BaseURL != nil {
		c.OIDC.Issuer = c.BaseURL.String()
	}
	if v := e.str("OIDC_ISSUER", ""); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			e.bad("OIDC_ISSUER", "must be an absolute http(s) URL without query or fragment, like https://auth.example.com")
		} else {
			c.OIDC.Issuer = strings.TrimSuffix(v, "/")
		}
	}
	path, inline := e.str("OIDC_SIGNING_KEY_PATH", ""), e.str("OIDC_SIGNING_KEY", "")
	name, data := "", []byte(nil)
	switch {
	case path != "" && inline != "":
		e.bad("OIDC_SIGNING_KEY", "set OIDC_SIGNING_KEY_PATH or OIDC_SIGNING_KEY, not both")
		return
	case path != "":
		raw, err := os.ReadFile(path)
		if err != nil {
			e.bad("OIDC_SIGNING_KEY_PATH", "cannot read the key file: %v", err)
			return
		}
		name, data = "OIDC_SIGNING_KEY_PATH", raw
	case inline != "":
		name, data = "OIDC_SIGNING_KEY", []byte(strings.ReplaceAll(inline, `\n`, "\n"))
	default:
		return
	}
	key, err := parseRSAKey(data)
	if err != nil {
		e.bad(name, "must be an RSA private key of at least 2048 bits in PEM (PKCS#1 or PKCS#8)")
		return
	}
	c.OIDC.SigningKey = key
}

func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errNotRSA
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return checkRSA(k)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rsaKey, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errNotRSA
	}
	return checkRSA(rsaKey)
}

func checkRSA(k *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	if k.N.BitLen() < 2048 {
		return nil, errNotRSA
	}
	return k, nil
}

var errNotRSA = errors.New("not an RSA private key of at least 2048 bits")
