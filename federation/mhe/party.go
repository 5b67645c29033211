package mhe

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/utils/sampling"
)

// ShamirPoint is a party's public evaluation point in the t-out-of-N sharing
// (lattigo mhe.ShamirPublicPoint). Points are distinct and in
// [1, MaxShamirPoint]; a job maps its members to points, e.g. 1..N in the
// order of the signed participant list.
type ShamirPoint uint64

// MaxShamirPoint keeps every point, and every difference of two points,
// non-zero modulo each prime of Q, so every Lagrange coefficient exists.
const MaxShamirPoint ShamirPoint = 1<<32 - 1

// Party is one node's secrets and protocol state for one job's key epoch.
// It lives in memory only and is not safe for concurrent use. Its fmt and
// log/slog forms show only the public point and progress.
type Party struct {
	params    *Parameters
	self      ShamirPoint
	all       []ShamirPoint // sorted
	threshold int

	sk      *rlwe.SecretKey
	crp     mhe.PublicKeyGenCRP
	pkShare mhe.PublicKeyGenShare

	thr      mhe.Thresholdizer
	poly     mhe.ShamirPolynomial
	tsk      mhe.ShamirSecretShare // Σ of the Shamir shares received
	received map[ShamirPoint]bool  // who has contributed to tsk
	combiner mhe.Combiner          // Lagrange coefficients over all
	pk       *PublicKey            // set by SetPublicKey
}

// NewParty generates this party's secret key share, its collective-key share
// on the common reference polynomial sampled from seed (sampling.NewKeyedPRNG),
// and the Shamir polynomial of degree threshold−1 whose evaluations
// ShamirShareFor hands out. lattigo's key generator and thresholdizer draw
// their own randomness from crypto/rand, and so does the smudging noise of
// decryption shares. No random source can be injected on purpose: smudging
// noise that repeats across two shares reveals (c1 − c1')·s', the party's
// key share.
//
// all lists every party of the job, self included. threshold must satisfy
// 2·threshold > len(all) and threshold ≥ 2: any minority may collude (DESIGN
// §5), so no minority may reach the threshold and decrypt alone.
func NewParty(params *Parameters, seed []byte, self ShamirPoint, all []ShamirPoint, threshold int) (*Party, error) {
	if params == nil {
		return nil, errors.New("mhe new party: nil parameters")
	}
	sorted, err := checkMembers(all, threshold)
	if err != nil {
		return nil, fmt.Errorf("mhe new party: %w", err)
	}
	if _, ok := slices.BinarySearch(sorted, self); !ok {
		return nil, fmt.Errorf("mhe new party: point %d is not a member", self)
	}
	crp, err := sampleCRP(params, seed)
	if err != nil {
		return nil, fmt.Errorf("mhe new party: %w", err)
	}
	he := params.he
	p := &Party{
		params:    params,
		self:      self,
		all:       sorted,
		threshold: threshold,
		sk:        rlwe.NewKeyGenerator(he).GenSecretKeyNew(),
		crp:       crp,
		received:  make(map[ShamirPoint]bool, len(sorted)),
	}

	ckg := mhe.NewPublicKeyGenProtocol(he)
	p.pkShare = ckg.AllocateShare()
	ckg.GenShare(p.sk, p.crp, &p.pkShare)

	p.thr = mhe.NewThresholdizer(he)
	if p.poly, err = p.thr.GenShamirPolynomial(threshold, p.sk); err != nil {
		return nil, fmt.Errorf("mhe new party: %w", err)
	}
	p.tsk = p.thr.AllocateThresholdSecretShare()
	own := p.thr.AllocateThresholdSecretShare()
	p.thr.GenShamirSecretShare(mhe.ShamirPublicPoint(self), p.poly, &own)
	if err := p.thr.AggregateShares(p.tsk, own, &p.tsk); err != nil {
		return nil, fmt.Errorf("mhe new party: %w", err)
	}
	p.received[self] = true

	points := make([]mhe.ShamirPublicPoint, len(sorted))
	for i, pt := range sorted {
		points[i] = mhe.ShamirPublicPoint(pt)
	}
	p.combiner = mhe.NewCombiner(he.Parameters.Parameters, mhe.ShamirPublicPoint(self), points, threshold)
	return p, nil
}

// cryptoRand reads crypto/rand without naming a package variable.
type cryptoRand struct{}

func (cryptoRand) Read(b []byte) (int, error) { return rand.Read(b) }

// checkMembers validates a member list and threshold and returns the sorted
// members.
func checkMembers(all []ShamirPoint, threshold int) ([]ShamirPoint, error) {
	if len(all) < 2 || len(all) > MaxParties {
		return nil, fmt.Errorf("%d parties, want 2..%d", len(all), MaxParties)
	}
	if threshold < 2 || threshold > len(all) || 2*threshold <= len(all) {
		return nil, fmt.Errorf("threshold %d of %d parties: want a majority, at least 2", threshold, len(all))
	}
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	for i, pt := range sorted {
		if pt == 0 || pt > MaxShamirPoint {
			return nil, fmt.Errorf("point %d out of [1, %d]", pt, MaxShamirPoint)
		}
		if i > 0 && sorted[i-1] == pt {
			return nil, fmt.Errorf("point %d listed twice", pt)
		}
	}
	return sorted, nil
}

// sampleCRP expands the job's seed into the common reference polynomial of
// the collective key; every party gets the same one.
func sampleCRP(params *Parameters, seed []byte) (mhe.PublicKeyGenCRP, error) {
	if len(seed) < MinSeedSize || len(seed) > MaxSeedSize {
		return mhe.PublicKeyGenCRP{}, fmt.Errorf("seed is %d bytes, want %d..%d", len(seed), MinSeedSize, MaxSeedSize)
	}
	crs, err := sampling.NewKeyedPRNG(seed)
	if err != nil {
		return mhe.PublicKeyGenCRP{}, fmt.Errorf("seed: %w", err)
	}
	return mhe.NewPublicKeyGenProtocol(params.he).SampleCRP(crs), nil
}

// Self returns the party's point.
func (p *Party) Self() ShamirPoint { return p.self }

// Threshold returns t.
func (p *Party) Threshold() int { return p.threshold }

// PublicKeyShare returns this party's collective-key share, crp·s_i + e_i,
// for the aggregator. It is public.
func (p *Party) PublicKeyShare() ([]byte, error) {
	b, err := p.pkShare.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("mhe public key share: %w", err)
	}
	return b, nil
}

// ShamirShareFor returns the evaluation of this party's Shamir polynomial at
// the point to. It is secret: send it only to that party, over an
// authenticated and encrypted stream.
func (p *Party) ShamirShareFor(to ShamirPoint) ([]byte, error) {
	if to == p.self {
		return nil, fmt.Errorf("mhe shamir share: point %d is this party", to)
	}
	if _, ok := slices.BinarySearch(p.all, to); !ok {
		return nil, fmt.Errorf("mhe shamir share: point %d is not a member", to)
	}
	sh := p.thr.AllocateThresholdSecretShare()
	p.thr.GenShamirSecretShare(mhe.ShamirPublicPoint(to), p.poly, &sh)
	b, err := sh.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("mhe shamir share: %w", err)
	}
	return b, nil
}

// AddShamirShare adds the share that party from sent to this party. Each
// member contributes exactly once; a malformed or repeated share is an error
// and changes nothing.
func (p *Party) AddShamirShare(from ShamirPoint, b []byte) error {
	if _, ok := slices.BinarySearch(p.all, from); !ok {
		return fmt.Errorf("mhe add shamir share: point %d is not a member", from)
	}
	if p.received[from] {
		return fmt.Errorf("mhe add shamir share: point %d already contributed", from)
	}
	sh, err := p.params.decodeShamirShare(b)
	if err != nil {
		return fmt.Errorf("mhe add shamir share from %d: %w", from, err)
	}
	if err := p.thr.AggregateShares(p.tsk, sh, &p.tsk); err != nil {
		return fmt.Errorf("mhe add shamir share from %d: %w", from, err)
	}
	p.received[from] = true
	return nil
}

// ThresholdReady reports whether every member's Shamir share has been added,
// so the party holds its share of the collective key and can decrypt.
func (p *Party) ThresholdReady() bool { return len(p.received) == len(p.all) }

// SetPublicKey validates the collective public key an aggregator sent and
// keeps it: the layout, every coefficient and that its second polynomial is
// the common reference polynomial of the job's seed. It cannot check the
// first polynomial without the shares; a party that does not trust the
// aggregator runs AggregatePublicKey on the shares itself and compares
// PublicKey.Digest. The key is fixed for the epoch: setting the same key
// again is a no-op, another key is an error.
func (p *Party) SetPublicKey(b []byte) error {
	pk, err := parsePublicKey(p.params, p.crp, b)
	if err != nil {
		return fmt.Errorf("mhe set public key: %w", err)
	}
	if p.pk != nil && p.pk.digest != pk.digest {
		return errors.New("mhe set public key: the party already holds another collective key")
	}
	p.pk = pk
	return nil
}

// PublicKey returns the collective public key, or nil before SetPublicKey.
func (p *Party) PublicKey() *PublicKey { return p.pk }

// String shows the point and progress, never key material. It has a value
// receiver so that printing a Party value is redacted too.
func (p Party) String() string {
	return fmt.Sprintf("mhe.Party{point: %d, threshold: %d of %d, shamir shares: %d}", p.self, p.threshold, len(p.all), len(p.received))
}

// GoString is String, so %#v does not print the keys either.
func (p Party) GoString() string { return p.String() }

// LogValue implements slog.LogValuer with the public fields only.
func (p Party) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Uint64("point", uint64(p.self)),
		slog.Int("threshold", p.threshold),
		slog.Int("parties", len(p.all)),
		slog.Int("shamir_shares", len(p.received)),
	)
}
