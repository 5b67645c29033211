package mhe

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

const (
	// LogN is log2 of the ring degree.
	LogN = 12

	// Slots is the number of values one ciphertext carries.
	Slots = 1 << LogN

	// PlaintextModulus is t, the prime modulus of the plaintext space
	// (33 bits, t ≡ 1 mod 2·Slots, so every slot is usable).
	PlaintextModulus uint64 = 8590090241

	// MaxAbs is the largest magnitude a value, and a sum, may have. Values
	// are encoded centred: x ↦ x mod t. A sum is computed modulo t, so the
	// caller bounds each of N contributions by MaxAbs/N; Combine cannot
	// detect a sum that wrapped.
	MaxAbs = int64((PlaintextModulus - 1) / 2)

	// MaxParties caps the parties of one job. The design point is tens of
	// organisations (beyond that aggregation goes hierarchical). The
	// arithmetic in docs/secagg.md allows far more: correctness holds up to
	// 4095 parties and 2^40 statistical hiding up to 11,823.
	MaxParties = 64

	// SmudgingBits is log2 of the width of the decryption-share smudging
	// noise: each coefficient of a share gets a fresh integer drawn
	// uniformly from [−2^63, 2^63).
	SmudgingBits = 64

	// MinSeedSize and MaxSeedSize bound the common-reference-string seed
	// taken from the signed job spec (the key of a BLAKE2b XOF).
	MinSeedSize = 32
	MaxSeedSize = 64

	// formatVersion names the wire format: lattigo v5.0.7 MarshalBinary
	// of the objects below. It is part of ParamsID.
	formatVersion = "fednode/mhe/v1 lattigo/v5.0.7 bgv"
)

// paramsLiteral is the one parameter set: N = 4096, Q = q0·q1 with a 55-bit
// and a 54-bit prime (logQ = 109, the HE-standard bound for 128-bit security
// at N = 4096 with a ternary secret), no special modulus P (the job only adds
// ciphertexts, so it needs no relinearisation or rotation keys), lattigo's
// default error σ = 3.2 and ternary secret with density 2/3.
func paramsLiteral() heint.ParametersLiteral {
	return heint.ParametersLiteral{
		LogN:             LogN,
		LogQ:             []int{55, 54},
		PlaintextModulus: PlaintextModulus,
	}
}

// ParamsID identifies a parameter set; peers compare it before a job starts.
type ParamsID [32]byte

// String returns the first 8 bytes in hex, enough to tell sets apart in logs.
func (id ParamsID) String() string { return fmt.Sprintf("%x", id[:8]) }

// Parameters is the job's parameter set with what every check needs
// precomputed. It is immutable and safe for concurrent use; build it once per
// process or job with Params.
type Parameters struct {
	he       heint.Parameters
	id       ParamsID
	moduli   []uint64 // q_0, q_1
	ctHeader []byte   // canonical bytes before a ciphertext's polynomials: flag + metadata
	metadata rlwe.MetaData
}

// Params returns the parameter set every fednode job uses. Building it costs
// about 4 ms and 3 MB (lattigo generates the primes and NTT tables), so it is
// built on first use and then shared: Parameters is immutable, as the curve
// crypto/elliptic.P256 returns is. It panics only if lattigo rejects the
// constant literal, a programmer error that TestParams catches.
func Params() *Parameters { return builtinParams() }

var builtinParams = sync.OnceValue(func() *Parameters {
	p, err := newParameters(paramsLiteral())
	if err != nil {
		panic(fmt.Sprintf("mhe: built-in parameter literal rejected: %v", err))
	}
	return p
})

// newParameters builds a parameter set from any literal; tests use it for
// deliberately foreign sets.
func newParameters(lit heint.ParametersLiteral) (*Parameters, error) {
	he, err := heint.NewParametersFromLiteral(lit)
	if err != nil {
		return nil, fmt.Errorf("mhe params: %w", err)
	}
	if he.PCount() != 0 {
		return nil, fmt.Errorf("mhe params: special modulus P is not supported")
	}
	p := &Parameters{he: he, moduli: he.Q()}

	// A fresh encryption copies the plaintext's metadata; Add keeps it.
	pt := heint.NewPlaintext(he, he.MaxLevel())
	p.metadata = *pt.MetaData
	md, err := p.metadata.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("mhe params: metadata: %w", err)
	}
	if len(md) != p.metadata.BinarySize() {
		return nil, fmt.Errorf("mhe params: metadata is %d bytes, lattigo expects %d", len(md), p.metadata.BinarySize())
	}
	p.ctHeader = append([]byte{1}, md...)

	resolved, err := json.Marshal(he.ParametersLiteral())
	if err != nil {
		return nil, fmt.Errorf("mhe params: id: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(formatVersion))
	h.Write([]byte{0})
	h.Write(resolved)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], SmudgingBits)
	binary.BigEndian.PutUint64(b[8:], MaxParties)
	h.Write(b[:])
	copy(p.id[:], h.Sum(nil))
	return p, nil
}

// ID is SHA-256 over the format version, the resolved parameter literal (with
// the actual primes, error and secret distributions, t), SmudgingBits and
// MaxParties. Two nodes agree on parameters exactly when their IDs are equal.
func (p *Parameters) ID() ParamsID { return p.id }

// HE returns the lattigo parameters.
func (p *Parameters) HE() heint.Parameters { return p.he }

// Chunks returns the number of ciphertexts that carry n values.
func (p *Parameters) Chunks(n int) int { return (n + p.he.MaxSlots() - 1) / p.he.MaxSlots() }

// CiphertextSize is the length in bytes of one marshalled ciphertext.
func (p *Parameters) CiphertextSize() int {
	return len(p.ctHeader) + 8 + 2*polySize(p.he.N(), len(p.moduli))
}

// ShareSize is the length in bytes of one marshalled decryption share: one
// polynomial at the ciphertext's level.
func (p *Parameters) ShareSize() int { return polySize(p.he.N(), len(p.moduli)) }

// PublicKeyShareSize is the length in bytes of one collective-key share.
func (p *Parameters) PublicKeyShareSize() int { return polySize(p.he.N(), len(p.moduli)) + 8 }

// polySize is the lattigo layout of a ring.Poly: a row count, then per row a
// length and the coefficients, all little-endian uint64.
func polySize(n, rows int) int { return 8 + rows*(8+8*n) }
