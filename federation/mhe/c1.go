package mhe

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// A decryption share depends only on the aggregate's c1 polynomials. A
// decryptor therefore needs only the c1 half of the aggregate, plus a way to
// check that it is the sum of the contributions it is told about without
// downloading them: a random linear hash. The decryptor draws a fresh seed;
// each contributor returns, signed, H(c1_j) = Σ r_i·c1_j[i] mod q_k for every
// modulus q_k with r expanded from the seed; the decryptor checks
// Σ_j H(c1_j) = H(c1_agg). H is linear, so an honest sum passes; if the
// aggregate differs from the sum in any coefficient, the check passes with
// probability at most 2^−54 per modulus (Schwartz–Zippel over the 54-bit
// coefficients of r), since the seed is chosen after the aggregate is fixed.

// HashSeedSize is the size of a linear-hash challenge seed.
const HashSeedSize = 32

// MarshalC1 returns each chunk's c1 polynomial in the byte format of a
// decryption share.
func MarshalC1(cts []*Ciphertext) ([][]byte, error) {
	out := make([][]byte, len(cts))
	for i, ct := range cts {
		if ct == nil || len(ct.Value) != 2 {
			return nil, fmt.Errorf("mhe marshal c1: chunk %d is not a degree-1 ciphertext", i)
		}
		b, err := ct.Value[1].MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("mhe marshal c1: chunk %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}

// DecodeC1 decodes c1 polynomials, validated like decryption shares, into
// ciphertexts whose c0 is zero: enough for Party.DecryptShare, which reads
// only c1. Errors wrap ErrMalformed.
func DecodeC1(params *Parameters, bs [][]byte, wantChunks int) ([]*Ciphertext, error) {
	if params == nil {
		return nil, errors.New("mhe decode c1: nil parameters")
	}
	if wantChunks < 1 || len(bs) != wantChunks {
		return nil, fmt.Errorf("mhe decode c1: %w", malformed("%d chunks, want %d", len(bs), wantChunks))
	}
	out := make([]*Ciphertext, len(bs))
	for i, b := range bs {
		if err := params.checkPolyBytes(b); err != nil {
			return nil, fmt.Errorf("mhe decode c1: chunk %d: %w", i, err)
		}
		var pol ring.Poly
		if err := pol.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("mhe decode c1: chunk %d: %w", i, malformed("lattigo: %v", err))
		}
		if err := params.checkPoly(pol, "c1"); err != nil {
			return nil, fmt.Errorf("mhe decode c1: chunk %d: %w", i, err)
		}
		ct := rlwe.NewCiphertext(params.he, 1, params.he.MaxLevel())
		md := params.metadata
		ct.MetaData = &md
		ct.Value[1] = pol
		out[i] = ct
	}
	return out, nil
}

// DigestC1 is SHA-256 over a domain tag, the chunk count and every chunk's
// c1 coefficients: it names what a decryption share is a share of. A
// decryptor records it durably before sharing and refuses it forever after.
func DigestC1(cts []*Ciphertext) [32]byte {
	h := sha256.New()
	h.Write([]byte("fednode/mhe/aggregate-c1/v1\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(cts)))
	h.Write(n[:])
	for _, ct := range cts {
		d := c1Digest(ct)
		h.Write(d[:])
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// LinearHash returns, for each modulus q_k, Σ r·c mod q_k over every c1
// coefficient of every chunk, with each r a 54-bit integer drawn from a
// ChaCha8 stream keyed by seed (r < 2^54 < q_k, so the Schwartz–Zippel bound
// is 2^−54 per modulus). It is linear: the hash of a sum of ciphertexts is
// the sum of their hashes modulo each q_k.
func LinearHash(params *Parameters, seed []byte, cts []*Ciphertext) ([]uint64, error) {
	if params == nil || len(seed) != HashSeedSize {
		return nil, errors.New("mhe linear hash: parameters and a 32-byte seed are required")
	}
	var key [32]byte
	copy(key[:], seed)
	rng := rand.NewChaCha8(key)
	acc := make([]uint64, len(params.moduli))
	for i, ct := range cts {
		if ct == nil || len(ct.Value) != 2 {
			return nil, fmt.Errorf("mhe linear hash: chunk %d is not a degree-1 ciphertext", i)
		}
		if err := params.checkPoly(ct.Value[1], "c1"); err != nil {
			return nil, fmt.Errorf("mhe linear hash: chunk %d: %w", i, err)
		}
		for k, row := range ct.Value[1].Coeffs {
			// Each product is below 2^54·2^55; a row of 4096 of them sums
			// below 2^121, so a 128-bit accumulator reduced once per row
			// cannot overflow.
			var hi, lo uint64
			for _, c := range row {
				ph, pl := bits.Mul64(rng.Uint64()>>10, c)
				var carry uint64
				lo, carry = bits.Add64(lo, pl, 0)
				hi += ph + carry
			}
			q := params.moduli[k]
			_, rem := bits.Div64(hi%q, lo, q)
			acc[k] = (acc[k] + rem) % q
		}
	}
	return acc, nil
}

// AddHashes adds linear hashes modulo each modulus.
func AddHashes(params *Parameters, dst, src []uint64) error {
	if len(dst) != len(params.moduli) || len(src) != len(params.moduli) {
		return errors.New("mhe add hashes: wrong number of moduli")
	}
	for k, q := range params.moduli {
		if src[k] >= q {
			return malformed("hash value %d is not below its modulus", k)
		}
		dst[k] = (dst[k] + src[k]) % q
	}
	return nil
}
