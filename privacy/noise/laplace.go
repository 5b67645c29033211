package noise

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// Laplace is the discrete Laplace distribution DLap(t) with rational scale
// t > 0: P[X = x] = exp(−|x|/t) / Σ_y exp(−|y|/t) for every integer x. Its
// variance is 2q/(1−q)² with q = exp(−1/t). A Laplace is immutable and may be
// shared between goroutines.
type Laplace struct {
	scale *big.Rat
	// In CKS20 notation the scale is t/s, with t = num and s = den in lowest
	// terms.
	num, den     *big.Int
	num64, den64 uint64
	fast         bool // num and den fit in 64 bits
}

// NewLaplace returns the discrete Laplace distribution with scale t. It
// returns an error wrapping ErrInvalidParameter unless 0 < t ≤ MaxScale.
func NewLaplace(t *big.Rat) (*Laplace, error) {
	if err := checkPositive("Laplace scale", t, new(big.Rat).SetInt64(MaxScale)); err != nil {
		return nil, err
	}
	return newLaplace(t), nil
}

// NewLaplaceFloat returns the discrete Laplace distribution whose scale is
// exactly the binary value of t. It returns an error wrapping
// ErrInvalidParameter if t is NaN, infinite, not positive or above MaxScale.
func NewLaplaceFloat(t float64) (*Laplace, error) {
	r, err := RatFromFloat(t)
	if err != nil {
		return nil, fmt.Errorf("Laplace scale: %w", err)
	}
	return NewLaplace(r)
}

// newLaplace returns DLap(t) for t > 0 without checking t against MaxScale.
func newLaplace(t *big.Rat) *Laplace {
	l := &Laplace{
		scale: new(big.Rat).Set(t),
		num:   new(big.Int).Set(t.Num()),
		den:   new(big.Int).Set(t.Denom()),
	}
	if l.num.IsUint64() && l.den.IsUint64() {
		l.fast = true
		l.num64, l.den64 = l.num.Uint64(), l.den.Uint64()
	}
	return l
}

// Scale returns a copy of the scale t, or nil if l is uninitialised.
func (l *Laplace) Scale() *big.Rat {
	if l == nil || l.scale == nil {
		return nil
	}
	return new(big.Rat).Set(l.scale)
}

// String returns a description such as "DLap(5/2)".
func (l *Laplace) String() string {
	if l == nil || l.scale == nil {
		return "DLap(invalid)"
	}
	return "DLap(" + ratString(l.scale) + ")"
}

// draw implements Distribution.
func (l *Laplace) draw(s *Sampler) (uint64, bool, error) {
	if l == nil || l.scale == nil {
		return 0, false, fmt.Errorf("%w: uninitialised Laplace; use NewLaplace", ErrInvalidParameter)
	}
	if l.fast {
		return l.draw64(s)
	}
	return l.drawBig(s)
}

// DiscreteLaplace returns one sample from DLap(t), P[X = x] ∝ exp(−|x|/t),
// for a rational scale 0 < t ≤ MaxScale (CKS20 Algorithm 2). To draw many
// samples, create the distribution once with NewLaplace and use Sample, Fill
// or Add.
func (s *Sampler) DiscreteLaplace(t *big.Rat) (int64, error) {
	l, err := NewLaplace(t)
	if err != nil {
		return 0, err
	}
	return s.Sample(l)
}

// geometricExp1 returns the number of successes before the first failure of
// independent Bernoulli(exp(−1)) trials, P[V = v] = (1 − e⁻¹)·e⁻ᵛ (the inner
// loop of CKS20 Algorithm 2).
func (s *Sampler) geometricExp1() uint64 {
	var v uint64
	for s.bernoulliExp1() {
		v++
	}
	return v
}

// draw64 is CKS20 Algorithm 2 with scale t/s, t = l.num64 and s = l.den64:
//
//	repeat:
//	    U ← uniform in {0, …, t−1}
//	    D ← Bernoulli(exp(−U/t)); if D = 0, restart
//	    V ← number of successes of Bernoulli(exp(−1)) before the first failure
//	    X ← U + t·V;  Y ← ⌊X/s⌋
//	    B ← Bernoulli(1/2); if B = 1 and Y = 0, restart
//	    return (1 − 2B)·Y
//
// It returns |Z| and whether Z < 0.
func (l *Laplace) draw64(s *Sampler) (uint64, bool, error) {
	t, d := l.num64, l.den64
	for s.err == nil {
		u := s.uniform64(t)
		if !s.bernoulliExp128(u128{lo: u}, u128{lo: t}) {
			continue
		}
		v := s.geometricExp1()
		x := mul64(t, v)
		var c uint64
		x.lo, c = bits.Add64(x.lo, u, 0)
		x.hi += c // t·v + u < 2¹²⁸ because t, v, u < 2⁶⁴
		var y uint64
		inRange := x.hi < d
		if inRange {
			if d == 1 {
				y = x.lo
			} else {
				y, _ = bits.Div64(x.hi, x.lo, d)
			}
		}
		neg := s.bit()
		if neg && inRange && y == 0 {
			continue
		}
		if !inRange || y > math.MaxInt64 {
			return 0, false, fmt.Errorf("%w: %v sample", ErrOutOfRange, l)
		}
		return y, neg, s.err
	}
	return 0, false, s.err
}

// drawBig is draw64 in math/big arithmetic, for scales whose numerator or
// denominator exceeds 64 bits. It consumes bits exactly as draw64 does.
func (l *Laplace) drawBig(s *Sampler) (uint64, bool, error) {
	u, x := &s.scr.u, &s.scr.x
	for s.err == nil {
		s.uniformBig(u, l.num)
		if !s.bernoulliExpBig(u, l.num) {
			continue
		}
		v := s.geometricExp1()
		x.SetUint64(v)
		x.Mul(x, l.num)
		x.Add(x, u)
		x.Quo(x, l.den) // x ≥ 0, so truncation is the floor
		neg := s.bit()
		if neg && x.Sign() == 0 {
			continue
		}
		if !x.IsUint64() || x.Uint64() > math.MaxInt64 {
			return 0, false, fmt.Errorf("%w: %v sample", ErrOutOfRange, l)
		}
		return x.Uint64(), neg, s.err
	}
	return 0, false, s.err
}
