package mhe

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
)

// PublicKey is a job's collective public key: (Σ_i (crp·s_i + e_i), crp),
// the encryption key for Σ_i s_i.
type PublicKey struct {
	params *Parameters
	pk     *rlwe.PublicKey
	b      []byte
	digest [32]byte
}

// AggregatePublicKey sums the members' collective-key shares (lattigo
// PublicKeyGenProtocol.AggregateShares) and returns the key and its bytes.
// Any party can run it; the sum does not depend on the order, so everyone
// who aggregates the same shares gets the same bytes and digest. shares must
// hold exactly one share per member: a missing share makes a key nobody can
// decrypt, so the caller checks it has all of them. Byte-identical shares are
// rejected as a replay.
func AggregatePublicKey(params *Parameters, seed []byte, shares [][]byte) (*PublicKey, []byte, error) {
	if params == nil {
		return nil, nil, errors.New("mhe aggregate public key: nil parameters")
	}
	if len(shares) < 2 || len(shares) > MaxParties {
		return nil, nil, fmt.Errorf("mhe aggregate public key: %d shares, want 2..%d", len(shares), MaxParties)
	}
	crp, err := sampleCRP(params, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("mhe aggregate public key: %w", err)
	}
	ckg := mhe.NewPublicKeyGenProtocol(params.he)
	agg := ckg.AllocateShare()
	seen := make(map[[32]byte]int, len(shares))
	for i, b := range shares {
		h := sha256.Sum256(b)
		if j, dup := seen[h]; dup {
			return nil, nil, fmt.Errorf("mhe aggregate public key: share %d repeats share %d", i, j)
		}
		seen[h] = i
		sh, err := params.decodePublicKeyShare(b)
		if err != nil {
			return nil, nil, fmt.Errorf("mhe aggregate public key: share %d: %w", i, err)
		}
		ckg.AggregateShares(agg, sh, &agg)
	}
	pk := rlwe.NewPublicKey(params.he)
	ckg.GenPublicKey(agg, crp, pk)
	k, err := newPublicKey(params, pk)
	if err != nil {
		return nil, nil, fmt.Errorf("mhe aggregate public key: %w", err)
	}
	return k, bytes.Clone(k.b), nil
}

// ParsePublicKey validates a collective public key against the job: the
// layout, every coefficient, and the common reference polynomial of seed.
func ParsePublicKey(params *Parameters, seed []byte, b []byte) (*PublicKey, error) {
	if params == nil {
		return nil, errors.New("mhe parse public key: nil parameters")
	}
	crp, err := sampleCRP(params, seed)
	if err != nil {
		return nil, fmt.Errorf("mhe parse public key: %w", err)
	}
	k, err := parsePublicKey(params, crp, b)
	if err != nil {
		return nil, fmt.Errorf("mhe parse public key: %w", err)
	}
	return k, nil
}

func parsePublicKey(params *Parameters, crp mhe.PublicKeyGenCRP, b []byte) (*PublicKey, error) {
	pk, err := params.decodePublicKey(b)
	if err != nil {
		return nil, err
	}
	if !pk.Value[1].Equal(&crp.Value) {
		return nil, malformed("public key was not made on the job's common reference polynomial")
	}
	return newPublicKey(params, pk)
}

func newPublicKey(params *Parameters, pk *rlwe.PublicKey) (*PublicKey, error) {
	b, err := pk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &PublicKey{params: params, pk: pk, b: b, digest: sha256.Sum256(b)}, nil
}

// Digest is SHA-256 of the key's bytes; members compare it before the first
// round.
func (k *PublicKey) Digest() [32]byte { return k.digest }

// MarshalBinary returns the key's lattigo bytes.
func (k *PublicKey) MarshalBinary() ([]byte, error) { return bytes.Clone(k.b), nil }

// Params returns the parameters the key belongs to.
func (k *PublicKey) Params() *Parameters { return k.params }
