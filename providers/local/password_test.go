package local_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/local"
)

// cheap keeps the tests fast; the parameters are read back from each hash.
var cheap = local.Params{Memory: 64, Time: 1, Threads: 1}

func TestHashAndVerify(t *testing.T) {
	h, err := local.NewHasher(cheap, 2)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash(t.Context(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string", hash)
	}
	again, err := h.Hash(t.Context(), "correct horse battery")
	if err != nil || again == hash {
		t.Errorf("two hashes of one password are equal (no salt?): %v", err)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"right", "correct horse battery", true},
		{"wrong", "correct horse batterz", false},
		{"prefix", "correct horse", false},
		{"empty", "", false},
		{"too long", strings.Repeat("x", local.MaxPasswordLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(t.Context(), hash, tt.password)
			if err != nil || got != tt.want {
				t.Errorf("Verify = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if err := h.VerifyNobody(t.Context(), "anything"); err != nil {
		t.Errorf("VerifyNobody: %v", err)
	}
}

func TestVerifyRefusesMalformedAndGreedyHashes(t *testing.T) {
	h, err := local.NewHasher(cheap, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, hash := range []string{
		"",
		"$2a$10$bcryptnotargon",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if _, err := h.Verify(t.Context(), hash, "x"); !errors.Is(err, local.ErrMalformedHash) {
			t.Errorf("Verify(%q) error = %v, want ErrMalformedHash", hash, err)
		}
	}
}

func TestHashingWaitsForASlot(t *testing.T) {
	h, err := local.NewHasher(local.Params{Memory: 8 * 1024, Time: 3, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// One hash holds the only slot; a caller whose deadline has passed gets ErrBusy.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			if _, err := h.Hash(context.Background(), "p"); err != nil {
				t.Error(err)
			}
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	busy := 0
	for range 50 {
		if _, err := h.Hash(ctx, "p"); errors.Is(err, local.ErrBusy) {
			busy++
		}
	}
	<-done
	if busy == 0 {
		t.Error("a cancelled caller never got ErrBusy while the only slot was taken")
	}
}
