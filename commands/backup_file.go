package commands

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/authportal/authportal/domain"
)

// A backup file is
//
//	"APBK" | format (1 byte) | header length (4 bytes, big endian) | header (JSON) | nonce (12) | AES-256-GCM ciphertext
//
// The header (name, time, author, sections, and a check value of the key)
// is readable without the key, so that a listing can say what a file is
// and a file from another installation is told apart from a damaged one;
// it is the ciphertext's additional data, so changing it breaks the file.
// The key is derived from DATA_KEY (HKDF-SHA256), never DATA_KEY itself.

var (
	// ErrBackupDamaged is returned for a file that is cut short, altered, or
	// not an AuthPortal backup at all.
	ErrBackupDamaged = errors.New("commands: backup file is damaged or not an AuthPortal backup")
	// ErrBackupForeignKey is returned for a backup made with another DATA_KEY.
	ErrBackupForeignKey = errors.New("commands: backup was made with another DATA_KEY")
	// ErrBackupNotFound is returned for a backup name with no file.
	ErrBackupNotFound = errors.New("commands: no such backup")
	// ErrBackupSlotTaken is returned when another node already made the
	// scheduled backup of a slot.
	ErrBackupSlotTaken = errors.New("commands: this slot's backup was already made")
)

const (
	backupMagic     = "APBK"
	backupFormat    = 1
	maxBackupHeader = 64 << 10
	// MaxBackupSize bounds what is read of a backup file.
	MaxBackupSize = 16 << 20
)

// BackupHeader is what a backup file says about itself.
type BackupHeader struct {
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"createdAt"`
	Author     string    `json:"author"`     // the actor's id ("system" for the schedule)
	AuthorKind string    `json:"authorKind"` // domain.ActorKind
	Sections   []string  `json:"sections"`
	Slot       string    `json:"slot,omitempty"` // the schedule's slot; empty: made by hand
	KeyCheck   string    `json:"keyCheck"`       // tells "another DATA_KEY" from "damaged"
}

// BackupSection is one section as a backup holds it: as stored, secrets sealed.
type BackupSection struct {
	Version  int64           `json:"version"`
	Document json.RawMessage `json:"document"`
}

// BackupArchive seals and opens backup files with a key derived from DATA_KEY.
type BackupArchive struct {
	aead     cipher.AEAD
	keyCheck string
}

// NewBackupArchive derives the backup key from dataKey (32 bytes).
func NewBackupArchive(dataKey []byte) (*BackupArchive, error) {
	if len(dataKey) != 32 {
		return nil, fmt.Errorf("commands: backup key: DATA_KEY must be 32 bytes, got %d", len(dataKey))
	}
	key, err := hkdf.Key(sha256.New, dataKey, nil, "authportal backup v1", 32)
	if err != nil {
		return nil, fmt.Errorf("commands: backup key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("commands: backup key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("commands: backup key: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("authportal backup key check"))
	return &BackupArchive{aead: aead, keyCheck: hex.EncodeToString(m.Sum(nil)[:16])}, nil
}

// Seal writes a backup file of sections described by h.
func (a *BackupArchive) Seal(h BackupHeader, sections map[string]BackupSection) ([]byte, error) {
	h.KeyCheck = a.keyCheck
	header, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("commands: backup header: %w", err)
	}
	body, err := json.Marshal(sections)
	if err != nil {
		return nil, fmt.Errorf("commands: backup body: %w", err)
	}
	var out bytes.Buffer
	out.WriteString(backupMagic)
	out.WriteByte(backupFormat)
	out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(header))))
	out.Write(header)
	ad := bytes.Clone(out.Bytes())
	nonce := make([]byte, a.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("commands: backup nonce: %w", err)
	}
	out.Write(nonce)
	out.Write(a.aead.Seal(nil, nonce, body, ad))
	return out.Bytes(), nil
}

// ReadBackupHeader reads a file's header without opening it: what it claims,
// not yet proved.
func ReadBackupHeader(file []byte) (BackupHeader, []byte, error) {
	var h BackupHeader
	if len(file) < len(backupMagic)+5 || string(file[:4]) != backupMagic || file[4] != backupFormat {
		return h, nil, ErrBackupDamaged
	}
	n := binary.BigEndian.Uint32(file[5:9])
	if n > maxBackupHeader || uint64(len(file)) < 9+uint64(n) {
		return h, nil, ErrBackupDamaged
	}
	if err := json.Unmarshal(file[9:9+n], &h); err != nil {
		return h, nil, ErrBackupDamaged
	}
	return h, file[:9+n], nil
}

// Open checks and decrypts a backup file: ErrBackupForeignKey when it was
// made with another DATA_KEY, ErrBackupDamaged for anything else wrong.
func (a *BackupArchive) Open(file []byte) (BackupHeader, map[string]BackupSection, error) {
	h, ad, err := ReadBackupHeader(file)
	if err != nil {
		return h, nil, err
	}
	if !hmac.Equal([]byte(h.KeyCheck), []byte(a.keyCheck)) {
		return h, nil, ErrBackupForeignKey
	}
	rest := file[len(ad):]
	if len(rest) < a.aead.NonceSize()+a.aead.Overhead() {
		return h, nil, ErrBackupDamaged
	}
	body, err := a.aead.Open(nil, rest[:a.aead.NonceSize()], rest[a.aead.NonceSize():], ad)
	if err != nil {
		return h, nil, ErrBackupDamaged
	}
	var sections map[string]BackupSection
	if err := json.Unmarshal(body, &sections); err != nil {
		return h, nil, ErrBackupDamaged
	}
	for _, s := range h.Sections {
		if _, ok := sections[s]; !ok || !domain.KnownSection(s) {
			return h, nil, ErrBackupDamaged
		}
	}
	if len(sections) != len(h.Sections) {
		return h, nil, ErrBackupDamaged
	}
	return h, sections, nil
}
