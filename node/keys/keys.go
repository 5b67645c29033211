// Package keys holds a node's key hierarchy: one random master secret, wrapped
// at rest by a key derived from the operator's passphrase (Argon2id, RFC 9106),
// and purpose-bound sub-keys derived from it with HKDF-SHA256 (RFC 5869), one
// label per use.
//
// # Hierarchy
//
//	passphrase ──Argon2id(salt, params)──▶ KEK ──XChaCha20-Poly1305──▶ master (32 B, random)
//	master ──HKDF(label)──▶ store key      (badger AES-256 encryption key)
//	                    ──▶ pseudonym key  (HMAC-SHA256 of customer ids)
//	                    ──▶ identity seed  (Ed25519: libp2p peer identity and audit signatures)
//
// Changing the passphrase rewraps the master and changes nothing else.
//
// This package must never write a master secret or sub-key anywhere in the
// clear, never log one (Master and SubKey redact themselves in slog), and never
// derive two uses from the same label.
package keys

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// MasterSize is the size in bytes of a master secret.
const MasterSize = 32

// Labels bind each derived key to exactly one use. Never reuse a label for
// another purpose and never change one: stores, pseudonyms and peer identities
// derived under it would silently change.
const (
	LabelStore     = "fednode/v1/store/aes-256"
	LabelPseudonym = "fednode/v1/pseudonym/hmac-sha256"
	LabelIdentity  = "fednode/v1/identity/ed25519-seed"
)

// hkdfSalt is the fixed, public HKDF salt of every derivation (RFC 5869 §3.1:
// a salt adds strength but need not be secret; the master is already uniform).
var hkdfSalt = []byte("fednode key hierarchy v1")

// Master is a node's master secret. The zero value is not usable; create one
// with NewMaster or obtain one from Envelope.Open.
type Master struct {
	b [MasterSize]byte
}

// NewMaster draws a fresh master secret from r (crypto/rand.Reader in production).
func NewMaster(r io.Reader) (*Master, error) {
	m := new(Master)
	if _, err := io.ReadFull(r, m.b[:]); err != nil {
		return nil, fmt.Errorf("new master secret: %w", err)
	}
	return m, nil
}

// Derive returns n bytes of key material bound to label (HKDF-SHA256 with the
// master as input keying material and the label as info).
func (m *Master) Derive(label string, n int) (SubKey, error) {
	if label == "" {
		return SubKey{}, errors.New("derive: empty label")
	}
	k, err := hkdf.Key(sha256.New, m.b[:], hkdfSalt, label, n)
	if err != nil {
		return SubKey{}, fmt.Errorf("derive %s: %w", label, err)
	}
	return SubKey{b: k}, nil
}

// Identity returns the node's Ed25519 identity key, derived from the master.
// It is the node's libp2p peer identity and signs its audit log.
func (m *Master) Identity() (ed25519.PrivateKey, error) {
	seed, err := m.Derive(LabelIdentity, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed.b), nil
}

// Equal reports whether two masters are the same secret, in constant time.
func (m *Master) Equal(o *Master) bool {
	return subtle.ConstantTimeCompare(m.b[:], o.b[:]) == 1
}

// LogValue redacts the secret.
func (m *Master) LogValue() slog.Value { return slog.StringValue("[redacted master]") }

// String redacts the secret.
func (m *Master) String() string { return "[redacted master]" }

// SubKey is key material derived for one use.
type SubKey struct {
	b []byte
}

// Bytes returns the key material. Callers hand it to the one primitive it was
// derived for and must not log, store or copy it elsewhere.
func (k SubKey) Bytes() []byte { return k.b }

// LogValue redacts the key.
func (k SubKey) LogValue() slog.Value { return slog.StringValue("[redacted key]") }

// String redacts the key.
func (k SubKey) String() string { return "[redacted key]" }
