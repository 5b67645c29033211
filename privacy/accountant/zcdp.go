package accountant

import "math"

// This file converts zero-concentrated differential privacy (zCDP) to
// approximate differential privacy with the tight bound of
//
//	C. Canonne, G. Kamath, T. Steinke, "The Discrete Gaussian for
//	Differential Privacy", NeurIPS 2020, arXiv:2004.00010 (CKS20),
//	Proposition 12 / Corollary 13:
//
//	ρ-zCDP ⇒ (ε, δ)-DP for every α ∈ (1, ∞) with
//	δ = exp((α−1)(αρ−ε)) / (α−1) · (1 − 1/α)^α.
//
// This is the conversion of OpenDP's make_zCDP_to_approxDP (cdp_delta) and of
// the RDP accountant in Google's dp_accounting. Every α gives a valid bound;
// the functions here search for the best α and then evaluate the bound with
// outward rounding, so the δ returned is never below the bound at that α.
//
// Writing β = α − 1 > 0, the logarithm of the bound is
//
//	L(β) = β((1+β)ρ − ε) − β·ln(1 + 1/β) − ln(1 + β),
//
// which is evaluated without cancellation for every β > 0, tiny or huge. Its
// derivative is
//
//	L′(β) = (1+2β)ρ − ε − ln(1 + 1/β),
//
// and L″(β) = 2ρ + 1/(β(1+β)) > 0, so L is strictly convex and the best β is
// the unique root of L′, found by Newton's method.

// Search range for β = α−1. An optimum below minBeta needs ρ − ε > 690,
// where δ is close to 1 anyway (and any β still gives a valid bound); above
// maxBeta the bound underflows.
const (
	minBeta = 1e-300
	maxBeta = 1e300
)

// DeltaForRho returns the smallest δ for which a ρ-zCDP mechanism is shown
// (ε, δ)-differentially private by the CKS20 conversion (Proposition 12 /
// Corollary 13 of arXiv:2004.00010). The result is rounded up: it is never
// below the bound at the α selected, and any α yields a valid bound.
//
// Edge cases: ρ = 0 or ε = +∞ gives 0; ρ = +∞ (with finite ε) gives 1; the
// result never exceeds 1. A NaN or negative argument is an error wrapping
// [ErrInvalid].
func DeltaForRho(rho, eps float64) (float64, error) {
	if err := checkNonNeg("rho", rho); err != nil {
		return 0, err
	}
	if err := checkNonNeg("epsilon", eps); err != nil {
		return 0, err
	}
	return cdpDelta(rho, eps), nil
}

// EpsilonForRho returns the smallest ε (up to one ulp) for which a ρ-zCDP
// mechanism is shown (ε, δ)-differentially private by the CKS20 conversion.
//
// It bisects on ε using [DeltaForRho] and returns the upper end of the final
// bracket, so the result is never below the true value and always satisfies
// DeltaForRho(rho, ε) ≤ delta. CKS20 improves on the classic bound
// ρ + 2√(ρ ln(1/δ)) of Bun and Steinke (TCC 2016, arXiv:1605.02065,
// Proposition 1.3); the result is below it, except that for ρ beyond about
// 10¹² outward rounding can put it a few ulps above.
//
// Edge cases: ρ = 0 or δ = 1 gives 0; δ = 0 (with ρ > 0) or ρ = +∞ (with
// δ < 1) gives +∞. A NaN or negative argument, or δ > 1, is an error wrapping
// [ErrInvalid].
func EpsilonForRho(rho, delta float64) (float64, error) {
	if err := checkNonNeg("rho", rho); err != nil {
		return 0, err
	}
	if err := checkProb("delta", delta); err != nil {
		return 0, err
	}
	return cdpEpsilon(rho, delta), nil
}

// cdpDelta implements DeltaForRho for validated arguments.
func cdpDelta(rho, eps float64) float64 {
	switch {
	case rho == 0 || math.IsInf(eps, 1):
		return 0
	case math.IsInf(rho, 1):
		return 1
	}
	return cdpDeltaAt(rho, eps, bestBeta(rho, eps))
}

// bestBeta returns β close to the minimiser of L(β). Since every β gives a
// valid bound the search needs no rigour, only speed.
//
// L′(β) is increasing and concave in β (L‴(β) = −(1+2β)/(β(1+β))² < 0), so
// Newton's method started left of the root rises monotonically to it without
// overshooting. A valid start: if the root β* were below 1, then
// ln(1+1/β*) = (1+2β*)ρ − ε < 3ρ, so β* > 1/(e^{3ρ} − 1); hence
// β* ≥ min(1, 1/(e^{3ρ} − 1)). The point (ε−ρ)/(2ρ), where L′ would vanish
// without its logarithm, is used instead when it is still left of the root.
func bestBeta(rho, eps float64) float64 {
	deriv := func(b float64) (float64, float64) {
		return (1+2*b)*rho - eps - math.Log1p(1/b), 2*rho + 1/(b*(1+b))
	}
	b := max(min(1, 1/math.Expm1(3*rho)), minBeta)
	if guess := (eps - rho) / (2 * rho); guess > b && guess < maxBeta {
		if v, _ := deriv(guess); v <= 0 {
			b = guess
		}
	}
	for range 200 {
		v, dv := deriv(b)
		if !(v < 0) {
			return b // at the root, up to rounding
		}
		next := b - v/dv
		switch {
		case !(next > b):
			return b
		case next >= maxBeta:
			return maxBeta
		case next-b <= 1e-12*b:
			return next
		}
		b = next
	}
	return b
}

// cdpDeltaAt evaluates the CKS20 bound at α = 1+β, rounding outward so the
// result is not below the exact bound at that α.
func cdpDeltaAt(rho, eps, beta float64) float64 {
	// t1 = β((1+β)ρ − ε), rounded up; β > 0 is exact, α is rounded up.
	alpha := addUp(1, beta)
	t1 := mulUp(beta, subUp(mulUp(alpha, rho), eps))
	// t2 = β·ln(1 + 1/β) and t3 = ln(1 + β), both rounded down since they
	// are subtracted.
	t2 := mulDown(beta, log1pDown(divDown(1, beta)))
	t3 := log1pDown(beta)
	l := subUp(subUp(t1, t2), t3)
	if math.IsNaN(l) || l >= 0 {
		return 1
	}
	return min(expUp(l), 1)
}

// cdpEpsilon implements EpsilonForRho for validated arguments.
func cdpEpsilon(rho, delta float64) float64 {
	switch {
	case rho == 0 || delta == 1:
		return 0
	case delta == 0 || math.IsInf(rho, 1):
		return math.Inf(1)
	}
	if cdpDelta(rho, 0) <= delta {
		return 0
	}
	// The Bun–Steinke bound is a valid starting point for the upper end;
	// widen it only if rounding makes the CKS20 bound disagree.
	hi := bunSteinkeEpsilon(rho, delta)
	for cdpDelta(rho, hi) > delta {
		if math.IsInf(hi, 1) {
			return hi
		}
		hi = mulUp(hi, 2)
	}
	return bisectUp(0, hi, func(eps float64) bool { return cdpDelta(rho, eps) <= delta })
}

// bunSteinkeEpsilon returns ρ + 2√(ρ ln(1/δ)) rounded up, for 0 < δ < 1
// (Bun and Steinke 2016, Proposition 1.3).
func bunSteinkeEpsilon(rho, delta float64) float64 {
	logInv := -logDown(delta) // ≥ ln(1/δ)
	return addUp(rho, mulUp(2, sqrtUp(mulUp(rho, logInv))))
}

// bisectUp returns the smallest float64 x in (lo, hi] with ok(x), assuming ok
// is monotone (false then true) on [lo, hi], ok(hi) holds, and 0 ≤ lo < hi.
// It bisects on the bit patterns of the floats, which are ordered like the
// values for non-negative floats, so it ends after at most 64 steps whatever
// the magnitudes; +∞ is a valid hi.
func bisectUp(lo, hi float64, ok func(float64) bool) float64 {
	l, h := math.Float64bits(lo), math.Float64bits(hi)
	for h-l > 1 {
		m := l + (h-l)/2
		if ok(math.Float64frombits(m)) {
			h = m
		} else {
			l = m
		}
	}
	return math.Float64frombits(h)
}

// bisectDown returns the largest float64 x in [lo, hi) with ok(x), assuming ok
// is monotone (true then false) on [lo, hi], ok(lo) holds, and 0 ≤ lo < hi.
func bisectDown(lo, hi float64, ok func(float64) bool) float64 {
	l, h := math.Float64bits(lo), math.Float64bits(hi)
	for h-l > 1 {
		m := l + (h-l)/2
		if ok(math.Float64frombits(m)) {
			l = m
		} else {
			h = m
		}
	}
	return math.Float64frombits(l)
}
