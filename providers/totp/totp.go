package totp

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Period is the length of one time step.
const Period = 30 * time.Second

// opts are the parameters every authenticator app assumes.
var opts = totp.ValidateOpts{Period: uint(Period / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Skew is how many steps either side of now a code may come from, to allow
// for clock drift and typing time.
const Skew = 1

// Key is a new TOTP secret for one account.
type Key struct {
	Secret string // base32, what the user can type into an authenticator
	key    *otp.Key
}

// Generate makes a new 160-bit secret for account at issuer.
func Generate(issuer, account string) (Key, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: uint(Period / time.Second)})
	if err != nil {
		return Key{}, fmt.Errorf("totp: generate: %w", err)
	}
	return Key{Secret: k.Secret(), key: k}, nil
}

// QRCode draws the otpauth:// URI of k as a PNG of size x size pixels.
func (k Key) QRCode(size int) ([]byte, error) {
	img, err := k.key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("totp: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp: qr code: %w", err)
	}
	return buf.Bytes(), nil
}

// Step returns the time step that t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Match returns the time step, within Skew of now, whose code equals code.
// Each candidate is compared in constant time.
func Match(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	matched := int64(-1)
	for s := Step(now) - Skew; s <= Step(now)+Skew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*int64(Period/time.Second), 0), opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = s
		}
	}
	return matched, matched >= 0
}

// Code returns the code for time t; for tests and tools, never for checking.
func Code(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, opts)
}
