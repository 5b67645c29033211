package noise

import (
	"fmt"
	"math/big"
)

// Gaussian is the discrete Gaussian distribution N_Z(0, σ²) with rational
// σ² > 0: P[X = x] = exp(−x²/(2σ²)) / Σ_y exp(−y²/(2σ²)) for every integer x.
// A Gaussian is immutable and may be shared between goroutines.
type Gaussian struct {
	sigma2 *big.Rat
	a, b   *big.Int // σ² = a/b in lowest terms
	bt     *big.Int // b·t
	den    *big.Int // 2·a·b·t², the denominator of the acceptance exponent
	cand   *Laplace // DLap(t), t = ⌊σ⌋ + 1

	// Fixed-width copies of a, b·t and 2·a·b·t², valid when fast is set.
	fast   bool
	a64    uint64
	bt64   uint64
	den128 u128
}

// NewGaussian returns the discrete Gaussian distribution with variance
// parameter σ² (not σ). It returns an error wrapping ErrInvalidParameter
// unless 0 < σ² ≤ MaxScale².
func NewGaussian(sigma2 *big.Rat) (*Gaussian, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 96) // MaxScale²
	if err := checkPositive("Gaussian σ²", sigma2, new(big.Rat).SetInt(limit)); err != nil {
		return nil, err
	}
	g := &Gaussian{
		sigma2: new(big.Rat).Set(sigma2),
		a:      new(big.Int).Set(sigma2.Num()),
		b:      new(big.Int).Set(sigma2.Denom()),
	}
	// ⌊σ⌋ = ⌊√(a/b)⌋ = ⌊√⌊a/b⌋⌋, since m² ≤ a/b ⟺ m² ≤ ⌊a/b⌋ for integers m.
	t := new(big.Int).Quo(g.a, g.b)
	t.Sqrt(t)
	t.Add(t, big.NewInt(1))
	g.cand = newLaplace(new(big.Rat).SetInt(t))
	g.bt = new(big.Int).Mul(g.b, t)
	g.den = new(big.Int).Mul(g.a, g.bt)
	g.den.Mul(g.den, t)
	g.den.Lsh(g.den, 1)
	if g.a.IsUint64() && g.bt.IsUint64() {
		g.den128, g.fast = u128FromBig(g.den)
		g.a64, g.bt64 = g.a.Uint64(), g.bt.Uint64()
	}
	return g, nil
}

// NewGaussianSigma returns the discrete Gaussian distribution with standard
// deviation parameter σ, taking σ exactly as its binary value and σ² = σ·σ
// exactly. It returns an error wrapping ErrInvalidParameter if σ is NaN,
// infinite, not positive or above MaxScale.
//
// A σ with a long binary fraction (3.7, say) gives a σ² whose numerator and
// denominator exceed 100 bits, which uses the slower math/big path; see the
// package documentation.
func NewGaussianSigma(sigma float64) (*Gaussian, error) {
	r, err := RatFromFloat(sigma)
	if err != nil {
		return nil, fmt.Errorf("Gaussian σ: %w", err)
	}
	if err := checkPositive("Gaussian σ", r, new(big.Rat).SetInt64(MaxScale)); err != nil {
		return nil, err
	}
	return NewGaussian(r.Mul(r, r))
}

// Sigma2 returns a copy of σ², or nil if g is uninitialised.
func (g *Gaussian) Sigma2() *big.Rat {
	if g == nil || g.sigma2 == nil {
		return nil
	}
	return new(big.Rat).Set(g.sigma2)
}

// String returns a description such as "N_Z(0, 9/4)".
func (g *Gaussian) String() string {
	if g == nil || g.sigma2 == nil {
		return "N_Z(invalid)"
	}
	return "N_Z(0, " + ratString(g.sigma2) + ")"
}

// DiscreteGaussian returns one sample from N_Z(0, σ²),
// P[X = x] ∝ exp(−x²/(2σ²)), for a rational 0 < σ² ≤ MaxScale² (CKS20
// Algorithm 3). To draw many samples, create the distribution once with
// NewGaussian and use Sample, Fill or Add.
func (s *Sampler) DiscreteGaussian(sigma2 *big.Rat) (int64, error) {
	g, err := NewGaussian(sigma2)
	if err != nil {
		return 0, err
	}
	return s.Sample(g)
}

// draw implements Distribution with CKS20 Algorithm 3:
//
//	t ← ⌊σ⌋ + 1
//	repeat:
//	    Y ← DLap(t)
//	    C ← Bernoulli(exp(−(|Y| − σ²/t)² / (2σ²))); if C = 1, return Y
//
// With σ² = a/b the exponent is (|Y|·b·t − a)² / (2·a·b·t²).
func (g *Gaussian) draw(s *Sampler) (uint64, bool, error) {
	if g == nil || g.sigma2 == nil {
		return 0, false, fmt.Errorf("%w: uninitialised Gaussian; use NewGaussian", ErrInvalidParameter)
	}
	for {
		y, neg, err := g.cand.draw(s)
		if err != nil {
			return 0, false, err
		}
		if g.accept(s, y) {
			return y, neg, s.err
		}
		if s.err != nil {
			return 0, false, s.err
		}
	}
}

// accept draws C ← Bernoulli(exp(−(y·b·t − a)² / (2·a·b·t²))).
func (g *Gaussian) accept(s *Sampler, y uint64) bool {
	if g.fast {
		if diff := absDiff(mul64(y, g.bt64), u128{lo: g.a64}); diff.hi == 0 {
			return s.bernoulliExp128(mul64(diff.lo, diff.lo), g.den128)
		}
	}
	x, sq := &s.scr.x, &s.scr.n
	x.SetUint64(y)
	x.Mul(x, g.bt)
	x.Sub(x, g.a)
	sq.Mul(x, x) // distinct operands: squaring in place would allocate
	return s.bernoulliExpBig(sq, g.den)
}
