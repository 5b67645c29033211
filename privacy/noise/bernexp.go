package noise

import (
	"fmt"
	"math/big"
)

// bernoulliExp1 returns true with probability exactly exp(−1): CKS20
// Algorithm 1 with γ = 1. The first trial, Bernoulli(γ/1), always succeeds
// and is skipped.
func (s *Sampler) bernoulliExp1() bool {
	k := uint64(2)
	for s.bernoulli64(1, k) {
		k++
	}
	return k&1 == 1
}

// bernoulliExp128 returns true with probability exactly exp(−n/d), for
// d ≥ 1: CKS20 Algorithm 1.
//
// For γ = n/d ≥ 1 it draws Bernoulli(exp(−1)) once per unit of γ, stopping
// at the first failure, and then Bernoulli(exp(−(γ − ⌊γ⌋))). For γ ∈ [0, 1)
// it draws A_K ← Bernoulli(γ/K) for K = 1, 2, … until the first failure and
// returns whether that K is odd; P[K > k] = γᵏ/k!, so P[K odd] = exp(−γ).
func (s *Sampler) bernoulliExp128(n, d u128) bool {
	for !n.less(d) {
		if !s.bernoulliExp1() {
			return false
		}
		n = n.sub(d)
	}
	k := uint64(1)
	for {
		var a bool
		if dk, ok := d.mul64(k); ok {
			a = s.bernoulli128(n, dk)
		} else {
			// d·k overflows 128 bits: same trial, same bits, in math/big.
			dkBig := d.setBig(&s.scr.dk)
			dkBig.Mul(dkBig, s.scr.k.SetUint64(k))
			a = s.bernoulliBig(n.setBig(&s.scr.n), dkBig)
		}
		if !a {
			return k&1 == 1
		}
		k++
	}
}

// bernoulliExpBig is bernoulliExp128 for arbitrary non-negative n and
// positive d. It consumes the same bits and returns the same results. n may
// be s.scr.n, s.scr.x or s.scr.u; d must not be a scratch value.
func (s *Sampler) bernoulliExpBig(n, d *big.Int) bool {
	x := s.scr.n.Set(n)
	for x.Cmp(d) >= 0 {
		if !s.bernoulliExp1() {
			return false
		}
		x.Sub(x, d)
	}
	dk := &s.scr.dk
	for k := uint64(1); ; k++ {
		dk.Mul(d, s.scr.k.SetUint64(k))
		if !s.bernoulliBig(x, dk) {
			return k&1 == 1
		}
	}
}

// BernoulliExp returns true with probability exactly exp(−γ), for a rational
// γ ≥ 0 (CKS20 Algorithm 1, including its decomposition for γ > 1). γ = 0
// always returns true. It returns an error wrapping ErrInvalidParameter if γ
// is nil or negative, and the reader's error, wrapped, if reading randomness
// fails.
func (s *Sampler) BernoulliExp(gamma *big.Rat) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	if gamma == nil {
		return false, fmt.Errorf("%w: BernoulliExp γ is nil", ErrInvalidParameter)
	}
	if gamma.Sign() < 0 {
		return false, fmt.Errorf("%w: BernoulliExp γ = %s, want γ ≥ 0", ErrInvalidParameter, ratString(gamma))
	}
	var b bool
	n, nok := u128FromBig(gamma.Num())
	d, dok := u128FromBig(gamma.Denom())
	if nok && dok {
		b = s.bernoulliExp128(n, d)
	} else {
		b = s.bernoulliExpBig(gamma.Num(), gamma.Denom())
	}
	return b, s.error()
}
