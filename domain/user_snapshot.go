package domain

import (
	"encoding/json"
	"fmt"
)

// UserSnapshotSchema names the shape and meaning of a user snapshot. Bump it
// whenever User or its Apply changes what a folded stream means: snapshots
// of another schema are ignored and taken again, never trusted.
const UserSnapshotSchema = 6

// SnapshotUser encodes u for a snapshot.
func SnapshotUser(u User) ([]byte, error) {
	b, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("domain: snapshot user %s: %w", u.ID, err)
	}
	return b, nil
}

// UserFromSnapshot decodes what SnapshotUser encoded.
func UserFromSnapshot(data []byte) (User, error) {
	var u User
	if err := strictUnmarshal(data, &u); err != nil {
		return User{}, fmt.Errorf("domain: user snapshot: %w", err)
	}
	return u, nil
}
