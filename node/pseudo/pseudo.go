// Package pseudo turns direct customer identifiers into pseudonyms:
// HMAC-SHA256 under a key that never leaves the node. The same identifier
// always maps to the same pseudonym on one node, so a customer's rows stay
// linkable across that node's datasets, and to unrelated pseudonyms on every
// other node.
//
// This package must never log, store or return an identifier or the key.
package pseudo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"log/slog"
)

// Size is the length in bytes of a pseudonym.
const Size = sha256.Size

// ID is a pseudonymous customer identifier.
type ID [Size]byte

// LogValue keeps pseudonyms out of logs: they are per-customer values.
func (id ID) LogValue() slog.Value { return slog.StringValue("[pseudonym]") }

// Short returns a short hex prefix, for tests and debugging output that stays
// on the node.
func (id ID) Short() string { return hex.EncodeToString(id[:4]) }

// Pseudonymizer computes pseudonyms. It is not safe for concurrent use; give
// each goroutine its own with Clone.
type Pseudonymizer struct {
	key []byte
	mac hash.Hash
	sum []byte
}

// MinKeySize is the smallest key New accepts.
const MinKeySize = 32

// New returns a Pseudonymizer keyed with key (at least 32 bytes).
func New(key []byte) (*Pseudonymizer, error) {
	if len(key) < MinKeySize {
		return nil, errors.New("pseudonym key shorter than 32 bytes")
	}
	k := append([]byte(nil), key...)
	return &Pseudonymizer{key: k, mac: hmac.New(sha256.New, k), sum: make([]byte, 0, Size)}, nil
}

// Clone returns an independent Pseudonymizer with the same key.
func (p *Pseudonymizer) Clone() *Pseudonymizer {
	c, _ := New(p.key) // key length already checked
	return c
}

// Pseudonym returns HMAC-SHA256(key, id). The identifier is taken byte for
// byte: no trimming or case folding.
func (p *Pseudonymizer) Pseudonym(id []byte) ID {
	p.mac.Reset()
	p.mac.Write(id)
	var out ID
	copy(out[:], p.mac.Sum(p.sum[:0]))
	return out
}
