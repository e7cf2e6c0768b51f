package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrKeyMismatch is returned when a key differs from the one the database
// was first used with.
var ErrKeyMismatch = errors.New("differs from the key this database was first used with")

// fingerprintLabel is what a key's fingerprint is computed over, per key
// name. Changing it makes every existing database refuse every node.
func fingerprintLabel(name string) string { return "authportal key fingerprint v1: " + name }

// keyFingerprint is HMAC-SHA256 keyed by the key over a fixed label: it
// tells two keys apart without revealing either, and, unlike a plain hash,
// cannot be looked up in a table of hashes of guessed keys without the key.
func keyFingerprint(name string, key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(fingerprintLabel(name)))
	return m.Sum(nil)
}

// checkKeys makes every node sharing a database use the same
// SESSION_SECRET and DATA_KEY. serve runs it, with DATABASE_URL and with the
// embedded cluster alike (there it catches DATA_DIR/secrets lost or replaced
// while DATA_DIR/postgres was kept); CLI commands, which use no key, do not. The first start records each key's
// fingerprint; every later start (any node) must present keys with the
// same fingerprints, or it returns an error naming the variable. A node
// with another SESSION_SECRET would refuse every other node's cookies, and
// one with another DATA_KEY could not open the TOTP seeds they sealed.
//
// Recording and reading are one statement: ON CONFLICT DO UPDATE waits for
// a concurrent insert of the same name to commit and then returns the row
// that won, so two nodes starting at once on a fresh database agree on
// one set of keys (the second refuses if its keys differ).
//
// Rotation (not built yet): a key is rotated by giving every node the new
// key plus the old one in SESSION_SECRET_PREVIOUS / DATA_KEY_PREVIOUS (a
// list). A node accepts a recorded fingerprint that matches its current key
// or one of its previous keys; when it matches a previous key, the node
// records the new key's fingerprint in the same statement and keeps the old
// one as "previous" (a second row per name). Cookies signed and seeds sealed
// with a previous key stay readable (the verifier and the sealer try the
// previous keys after the current one) while new ones use the new key; once
// every seed is re-sealed (an event per user) and the longest session has
// expired, the previous key and its row are dropped.
func checkKeys(ctx context.Context, pool *pgxpool.Pool, keys map[string][]byte) error {
	// Sorted: two nodes inserting the same rows in another order could deadlock.
	names := slices.Sorted(maps.Keys(keys))
	prints := make([][]byte, 0, len(keys))
	want := map[string][]byte{}
	for _, name := range names {
		if len(keys[name]) == 0 {
			return fmt.Errorf("%s: is empty", name)
		}
		fp := keyFingerprint(name, keys[name])
		prints, want[name] = append(prints, fp), fp
	}
	// The no-op update makes RETURNING yield the stored row when one exists.
	rows, err := pool.Query(ctx, `INSERT INTO key_fingerprints (name, fingerprint)
		SELECT * FROM unnest($1::text[], $2::bytea[])
		ON CONFLICT (name) DO UPDATE SET name = key_fingerprints.name
		RETURNING name, fingerprint`, names, prints)
	if err != nil {
		return fmt.Errorf("check keys against the database: %w", err)
	}
	defer rows.Close()
	var errs []error
	for rows.Next() {
		var name string
		var stored []byte
		if err := rows.Scan(&name, &stored); err != nil {
			return fmt.Errorf("check keys against the database: %w", err)
		}
		if !hmac.Equal(stored, want[name]) {
			errs = append(errs, fmt.Errorf("%s: %w; give every node that shares DATABASE_URL the same %s (a generated one is in DATA_DIR/secrets of the node that started first)", name, ErrKeyMismatch, name))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check keys against the database: %w", err)
	}
	return errors.Join(errs...)
}
