package mhe

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// ErrNotInQuorum is returned by Party.DecryptShare when the party is not
// among the threshold parties that decrypt for the given active set.
var ErrNotInQuorum = errors.New("not in the decryption quorum")

// Quorum returns the parties that decrypt when active are online: the first
// threshold points of active in ascending order. The shares of exactly these
// parties combine (their Lagrange coefficients are computed over this set),
// so the aggregator, every decrypting party and Combine must use the same
// active set; Quorum makes the choice a pure function of it.
func Quorum(active []ShamirPoint, threshold int) ([]ShamirPoint, error) {
	if threshold < 1 {
		return nil, fmt.Errorf("threshold %d", threshold)
	}
	sorted := slices.Clone(active)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return nil, fmt.Errorf("point %d is active twice", sorted[i])
		}
	}
	if len(sorted) < threshold {
		return nil, fmt.Errorf("%d active parties, threshold is %d", len(sorted), threshold)
	}
	return sorted[:threshold], nil
}

// keySwitchNoise is what lattigo's KeySwitchProtocol adds itself. It replaces
// any bound with 6σ and σ with sqrt(σ_fresh² + σ²); with σ = 0 it samples only
// its fresh noise (σ = 3.2, whose small-σ sampling is sound). The flooding is
// the smudger's.
func keySwitchNoise() ring.DiscreteGaussian { return ring.DiscreteGaussian{Sigma: 0, Bound: 0} }

// DecryptShare returns this party's decryption share of every chunk: a key
// switch to the zero key (lattigo KeySwitchProtocol.GenShare) under its
// Lagrange-weighted share of the collective key (Combiner.GenAdditiveShare),
// plus fresh smudging noise in [−2^63, 2^63) per coefficient. Each share is
// one polynomial at the ciphertext's level, ShareSize bytes.
//
// NEVER call it twice for the same ciphertext, not even with another active
// set (lattigo's SECURITY.md from v6.2.0; Okada et al. 2025): record
// Digest(cts) durably first and refuse a digest seen before. The package
// cannot check this; it only refuses two chunks with the same c1 within one
// call.
//
// The party must be ThresholdReady and among Quorum(active, threshold).
func (p *Party) DecryptShare(cts []*Ciphertext, active []ShamirPoint) ([][]byte, error) {
	if !p.ThresholdReady() {
		return nil, fmt.Errorf("mhe decrypt share: %d of %d Shamir shares", len(p.received), len(p.all))
	}
	quorum, err := p.quorum(active)
	if err != nil {
		return nil, fmt.Errorf("mhe decrypt share: %w", err)
	}
	if _, ok := slices.BinarySearch(quorum, p.self); !ok {
		return nil, fmt.Errorf("mhe decrypt share: point %d: %w", p.self, ErrNotInQuorum)
	}
	if len(cts) == 0 {
		return nil, errors.New("mhe decrypt share: no ciphertexts")
	}
	seen := make(map[[32]byte]int, len(cts))
	for i, ct := range cts {
		if err := p.params.checkCiphertext(ct); err != nil {
			return nil, fmt.Errorf("mhe decrypt share: chunk %d: %w", i, err)
		}
		d := c1Digest(ct)
		if j, dup := seen[d]; dup {
			return nil, fmt.Errorf("mhe decrypt share: chunk %d has the c1 of chunk %d", i, j)
		}
		seen[d] = i
	}

	he := p.params.he
	points := make([]mhe.ShamirPublicPoint, len(quorum))
	for i, pt := range quorum {
		points[i] = mhe.ShamirPublicPoint(pt)
	}
	add := rlwe.NewSecretKey(he)
	if err := p.combiner.GenAdditiveShare(points, mhe.ShamirPublicPoint(p.self), p.tsk, add); err != nil {
		return nil, fmt.Errorf("mhe decrypt share: %w", err)
	}
	defer add.Value.Q.Zero()
	zero := rlwe.NewSecretKey(he)
	cks, err := mhe.NewKeySwitchProtocol(he, keySwitchNoise())
	if err != nil {
		return nil, fmt.Errorf("mhe decrypt share: %w", err)
	}

	type worker struct {
		cks mhe.KeySwitchProtocol
		smu *smudger
		err error
		sh  mhe.KeySwitchShare
	}
	newWorker := func() *worker {
		w := &worker{cks: cks.ShallowCopy()}
		w.smu, w.err = newSmudger(p.params, cryptoRand{})
		w.sh = w.cks.AllocateShare(he.MaxLevel())
		return w
	}
	out := make([][]byte, len(cts))
	err = parallel(len(cts), newWorker, func(w *worker, i int) error {
		if w.err != nil {
			return w.err
		}
		w.cks.GenShare(add, zero, cts[i], &w.sh)
		w.smu.addNTT(w.sh.Value)
		b, err := w.sh.MarshalBinary()
		if err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		out[i] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mhe decrypt share: %w", err)
	}
	return out, nil
}

// quorum checks that active are members and returns Quorum(active, t).
func (p *Party) quorum(active []ShamirPoint) ([]ShamirPoint, error) {
	for _, pt := range active {
		if _, ok := slices.BinarySearch(p.all, pt); !ok {
			return nil, fmt.Errorf("active point %d is not a member", pt)
		}
	}
	return Quorum(active, p.threshold)
}

// c1Digest hashes the polynomial a decryption share depends on.
func c1Digest(ct *rlwe.Ciphertext) [32]byte {
	h := sha256.New()
	var buf []byte
	for _, row := range ct.Value[1].Coeffs {
		buf = buf[:0]
		for _, c := range row {
			buf = binary.LittleEndian.AppendUint64(buf, c)
		}
		h.Write(buf)
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// Combine checks the decryption shares of Quorum(active, threshold), sums
// them per chunk (KeySwitchProtocol.AggregateShares), switches cts to the
// zero key and decodes. It returns len(cts)·Slots values, centred in
// [−MaxAbs, MaxAbs]; the caller keeps the first n it encrypted.
//
// shares must hold exactly the quorum's shares: fewer is an error, and so is
// a share from any other party (it was computed for another set and would
// decrypt to garbage that depends on the key). Combine does not know the
// job's members: the caller passes only members in active and only shares
// that arrived from them over authenticated streams. A malformed share is an
// error naming its point. After a failed Combine the round is over: asking
// for new shares of the same ciphertexts is what the never-twice rule
// forbids.
func Combine(params *Parameters, cts []*Ciphertext, active []ShamirPoint, shares map[ShamirPoint][][]byte, threshold int) ([]int64, error) {
	if params == nil {
		return nil, errors.New("mhe combine: nil parameters")
	}
	if threshold < 2 || threshold > MaxParties {
		return nil, fmt.Errorf("mhe combine: threshold %d, want 2..%d", threshold, MaxParties)
	}
	quorum, err := Quorum(active, threshold)
	if err != nil {
		return nil, fmt.Errorf("mhe combine: %w", err)
	}
	for pt := range shares {
		if _, ok := slices.BinarySearch(quorum, pt); !ok {
			return nil, fmt.Errorf("mhe combine: share from point %d, which is not in the quorum %v", pt, quorum)
		}
	}
	if len(shares) != len(quorum) {
		return nil, fmt.Errorf("mhe combine: %d shares, the quorum is %d", len(shares), len(quorum))
	}
	if len(cts) == 0 {
		return nil, errors.New("mhe combine: no ciphertexts")
	}
	for i, ct := range cts {
		if err := params.checkCiphertext(ct); err != nil {
			return nil, fmt.Errorf("mhe combine: chunk %d: %w", i, err)
		}
	}
	// Check every share's bytes before any arithmetic, in quorum order, so a
	// bad share is named before work starts. Each is decoded and checked
	// again as an object where it is used.
	for _, pt := range quorum {
		bs := shares[pt]
		if len(bs) != len(cts) {
			return nil, fmt.Errorf("mhe combine: point %d sent %d chunks, want %d", pt, len(bs), len(cts))
		}
		for i, b := range bs {
			if err := params.checkPolyBytes(b); err != nil {
				return nil, fmt.Errorf("mhe combine: point %d chunk %d: %w", pt, i, err)
			}
		}
	}

	he := params.he
	cks, err := mhe.NewKeySwitchProtocol(he, keySwitchNoise())
	if err != nil {
		return nil, fmt.Errorf("mhe combine: %w", err)
	}
	t := he.PlaintextModulus()
	half := (t - 1) / 2
	slots := he.MaxSlots()
	out := make([]int64, len(cts)*slots)

	type worker struct {
		cks mhe.KeySwitchProtocol
		sh  mhe.KeySwitchShare
		agg mhe.KeySwitchShare
		ct  *rlwe.Ciphertext
		pt  *rlwe.Plaintext
		dec *rlwe.Decryptor
		ecd *heint.Encoder
		buf []uint64
	}
	ecd := heint.NewEncoder(he)
	dec := rlwe.NewDecryptor(he, rlwe.NewSecretKey(he))
	newWorker := func() *worker {
		return &worker{
			cks: cks.ShallowCopy(),
			sh:  cks.AllocateShare(he.MaxLevel()),
			agg: cks.AllocateShare(he.MaxLevel()),
			ct:  heint.NewCiphertext(he, 1, he.MaxLevel()),
			pt:  heint.NewPlaintext(he, he.MaxLevel()),
			dec: dec.ShallowCopy(),
			ecd: ecd.ShallowCopy(),
			buf: make([]uint64, slots),
		}
	}
	err = parallel(len(cts), newWorker, func(w *worker, i int) error {
		for k, pt := range quorum {
			// lattigo decodes into w.sh's existing rows; checkPoly then
			// holds the object to the layout the bytes were checked for.
			if err := w.sh.UnmarshalBinary(shares[pt][i]); err != nil {
				return fmt.Errorf("point %d chunk %d: %w", pt, i, malformed("lattigo: %v", err))
			}
			if err := params.checkPoly(w.sh.Value, "decryption share"); err != nil {
				return fmt.Errorf("point %d chunk %d: %w", pt, i, err)
			}
			if k == 0 {
				w.agg.Value.Copy(w.sh.Value)
			} else if err := w.cks.AggregateShares(w.agg, w.sh, &w.agg); err != nil {
				return fmt.Errorf("chunk %d: %w", i, err)
			}
		}
		w.cks.KeySwitch(cts[i], w.agg, w.ct)
		w.dec.Decrypt(w.ct, w.pt)
		if err := w.ecd.Decode(w.pt, w.buf); err != nil {
			return fmt.Errorf("chunk %d: decode: %w", i, err)
		}
		dst := out[i*slots : (i+1)*slots]
		for j, v := range w.buf {
			if v > half {
				dst[j] = -int64(t - v)
			} else {
				dst[j] = int64(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mhe combine: %w", err)
	}
	return out, nil
}
