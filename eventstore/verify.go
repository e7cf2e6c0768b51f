package eventstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
)

// Verification is what Verify checked.
type Verification struct {
	Checked  int64  // events whose hash was recomputed and matched
	Head     int64  // position of the last event
	HeadHash string // hex; record it elsewhere to detect a log cut short later
}

// Verify walks the whole log, recomputing the hash chain. It returns a
// *ChainError (wrapping ErrChainBroken) naming the first position where a row
// was changed, removed or moved. Removing events from the end leaves a valid
// shorter chain; only a head hash kept elsewhere (Verification.HeadHash)
// catches that, so VerifyAnchor checks one.
func (s *Store) Verify(ctx context.Context) (Verification, error) {
	var v Verification
	prev := genesis
	const batch = 5000
	for {
		rows, err := s.ReadRaw(ctx, v.Head, batch, "")
		if err != nil {
			return v, err
		}
		for _, e := range rows {
			if e.Position != v.Head+1 {
				return v, &ChainError{Position: v.Head + 1, Reason: fmt.Sprintf("missing: next stored position is %d", e.Position)}
			}
			if !bytes.Equal(chainHash(prev, e), e.Hash) {
				return v, &ChainError{Position: e.Position, Reason: "stored hash does not match the row and the hash before it"}
			}
			prev = e.Hash
			v.Head, v.Checked = e.Position, v.Checked+1
		}
		if len(rows) < batch {
			break
		}
	}
	v.HeadHash = hex.EncodeToString(prev)
	return v, nil
}

// VerifyAnchor checks that the event at position still has the hash an
// auditor recorded earlier.
func (s *Store) VerifyAnchor(ctx context.Context, position int64, hashHex string) error {
	var stored []byte
	err := s.pool.QueryRow(ctx, `SELECT hash FROM events WHERE position = $1`, position).Scan(&stored)
	if err != nil {
		return &ChainError{Position: position, Reason: "anchored event is missing"}
	}
	if hex.EncodeToString(stored) != hashHex {
		return &ChainError{Position: position, Reason: "anchored hash differs"}
	}
	return nil
}
