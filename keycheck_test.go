package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/authportal/authportal/eventstore/pgtest"
)

func testKeys(session, data byte) map[string][]byte {
	return map[string][]byte{
		"SESSION_SECRET": bytes.Repeat([]byte{session}, 48),
		"DATA_KEY":       bytes.Repeat([]byte{data}, 32),
	}
}

func TestCheckKeysRefusesOtherKeysNamingTheVariable(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := t.Context()
	if err := checkKeys(ctx, pool, testKeys('a', 'b')); err != nil {
		t.Fatalf("first start: %v", err)
	}
	if err := checkKeys(ctx, pool, testKeys('a', 'b')); err != nil {
		t.Fatalf("same keys again: %v", err)
	}
	for _, tc := range []struct {
		name      string
		keys      map[string][]byte
		mentioned []string
		absent    []string
	}{
		{"other session secret", testKeys('x', 'b'), []string{"SESSION_SECRET"}, []string{"DATA_KEY"}},
		{"other data key", testKeys('a', 'x'), []string{"DATA_KEY"}, []string{"SESSION_SECRET:"}},
		{"both", testKeys('x', 'y'), []string{"SESSION_SECRET:", "DATA_KEY:"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkKeys(ctx, pool, tc.keys)
			if !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("got %v, want ErrKeyMismatch", err)
			}
			for _, m := range tc.mentioned {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %s", err, m)
				}
			}
			for _, m := range tc.absent {
				if strings.Contains(err.Error(), m) {
					t.Errorf("error %q names %s, which matched", err, m)
				}
			}
		})
	}

	// What is stored is the keyed fingerprint, never the key.
	rows, err := pool.Query(ctx, `SELECT name, fingerprint FROM key_fingerprints ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name string
		var fp []byte
		if err := rows.Scan(&name, &fp); err != nil {
			t.Fatal(err)
		}
		key := testKeys('a', 'b')[name]
		m := hmac.New(sha256.New, key)
		m.Write([]byte("authportal key fingerprint v1: " + name))
		if !bytes.Equal(fp, m.Sum(nil)) {
			t.Errorf("%s: stored %x, want HMAC-SHA256(key, label)", name, fp)
		}
		if bytes.Contains(fp, key[:16]) {
			t.Errorf("%s: the stored fingerprint holds the key", name)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d fingerprints stored, want 2", n)
	}
}

// Nodes starting at once on a fresh database, each with its own keys: one
// set is recorded and every other node refuses.
func TestCheckKeysConcurrentFirstStartsAgree(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	const nodes = 8
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			errs[i] = checkKeys(t.Context(), pool, testKeys(byte('a'+i), byte('A'+i)))
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, ErrKeyMismatch):
			t.Errorf("node %d: %v", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d nodes accepted their keys, want exactly 1: %v", winners, errs)
	}
}
