package accountant

import "math"

// SigmaForRho returns the noise scale σ = Δ₂/√(2ρ) at which the Gaussian
// mechanism with ℓ₂ sensitivity Δ₂ satisfies ρ-zCDP (Bun and Steinke 2016,
// arXiv:1605.02065, Proposition 1.6: N(0, σ²) noise gives Δ₂²/(2σ²)-zCDP).
// The result is rounded up, so the ρ achieved is never above the target.
//
// The same σ calibrates the discrete Gaussian N_Z(0, σ²) on integer-valued
// queries: CKS20 (arXiv:2004.00010, Theorem 4) shows it satisfies the same
// Δ₂²/(2σ²)-zCDP as the continuous Gaussian. There σ is the distribution's
// parameter; its variance is at most σ² and practically equal to it for
// σ ≥ 1.
//
// Δ₂ = 0 gives 0 and ρ = +∞ gives 0. ρ must be positive: ρ = 0 would need
// infinite noise. Invalid input is an error wrapping [ErrInvalid].
func SigmaForRho(l2Sensitivity, rho float64) (float64, error) {
	if err := checkFinite("l2 sensitivity", l2Sensitivity); err != nil {
		return 0, err
	}
	if !(rho > 0) {
		return 0, invalidf("rho = %v, want a positive number", rho)
	}
	if l2Sensitivity == 0 || math.IsInf(rho, 1) {
		return 0, nil
	}
	// σ = Δ₂ / √(2ρ): the denominator is rounded down, the quotient up.
	return divUp(l2Sensitivity, sqrtDown(mulDown(2, rho))), nil
}

// RhoForSigma returns ρ = Δ₂²/(2σ²), the zCDP of the Gaussian (or discrete
// Gaussian, CKS20 Theorem 4) mechanism with noise scale σ and ℓ₂ sensitivity
// Δ₂. The result is rounded up. σ = 0 with Δ₂ > 0 gives +∞; Δ₂ = 0 gives 0.
// Invalid input is an error wrapping [ErrInvalid].
func RhoForSigma(l2Sensitivity, sigma float64) (float64, error) {
	if err := checkFinite("l2 sensitivity", l2Sensitivity); err != nil {
		return 0, err
	}
	if err := checkNonNeg("sigma", sigma); err != nil {
		return 0, err
	}
	switch {
	case l2Sensitivity == 0 || math.IsInf(sigma, 1):
		return 0, nil
	case sigma == 0:
		return math.Inf(1), nil
	}
	return divUp(mulUp(l2Sensitivity, l2Sensitivity), mulDown(2, mulDown(sigma, sigma))), nil
}

// GaussianDelta returns the exact δ for which the Gaussian mechanism with
// noise N(0, σ²) and ℓ₂ sensitivity Δ is (ε, δ)-differentially private:
//
//	δ(ε) = Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ),
//
// B. Balle and Y.-X. Wang, "Improving the Gaussian Mechanism for Differential
// Privacy: Analytical Calibration and Optimal Denoising", ICML 2018,
// arXiv:1805.06530, Theorem 8. This is the privacy profile itself, not a
// bound, and is evaluated to a relative accuracy of about 10⁻¹² for results
// above 10⁻³⁰⁰: Φ is computed from [math.Erf] and [math.Erfc], which keep full
// relative accuracy in the tails, and the difference is arranged to avoid
// cancellation where both terms are close to ½.
//
// Δ = 0, σ = +∞ or ε = +∞ give 0; σ = 0 with Δ > 0 and finite ε gives 1.
// Invalid input is an error wrapping [ErrInvalid].
func GaussianDelta(l2Sensitivity, sigma, eps float64) (float64, error) {
	if err := checkFinite("l2 sensitivity", l2Sensitivity); err != nil {
		return 0, err
	}
	if err := checkNonNeg("sigma", sigma); err != nil {
		return 0, err
	}
	if err := checkNonNeg("epsilon", eps); err != nil {
		return 0, err
	}
	switch {
	case l2Sensitivity == 0 || math.IsInf(sigma, 1) || math.IsInf(eps, 1):
		return 0, nil
	case sigma == 0:
		return 1, nil
	}
	return analyticDelta(l2Sensitivity/sigma, eps*sigma/l2Sensitivity, eps), nil
}

// analyticDelta evaluates Φ(r/2 − v) − e^ε Φ(−r/2 − v) for r = Δ/σ and
// v = εσ/Δ.
func analyticDelta(r, v, eps float64) float64 {
	if math.IsInf(r, 1) {
		return 1
	}
	if eps == 0 {
		// Φ(r/2) − Φ(−r/2) = erf(r/(2√2)), with no cancellation.
		return math.Erf(r / (2 * math.Sqrt2))
	}
	a, b := r/2-v, -r/2-v
	var d float64
	if a >= 0 {
		// Both Φ(a) and e^ε Φ(b) may be near ½. Write the difference as
		// P(b < Z < a) − (e^ε − 1) Φ(b); the first term is a sum of two
		// non-negative erf values since b < 0 ≤ a.
		d = 0.5*(math.Erf(a/math.Sqrt2)-math.Erf(b/math.Sqrt2)) - math.Expm1(eps)*normCDF(b)
	} else {
		d = normCDF(a) - expTimesCDF(eps, b)
	}
	return min(max(d, 0), 1)
}

// normCDF returns Φ(x), the standard normal distribution function, with full
// relative accuracy in the lower tail (erfc does not cancel there).
func normCDF(x float64) float64 {
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// logNormCDF returns ln Φ(x). For x < −30, where Φ(x) < 5·10⁻¹⁹⁸ approaches
// underflow, it uses ln Φ(x) = −x²/2 − ln √(2π) + ln R(−x) with the Mills
// ratio R(t) = Φ(−t)/φ(t) computed by its continued fraction
// R(t) = 1/(t + 1/(t + 2/(t + 3/(t + …)))), which converges quickly there.
func logNormCDF(x float64) float64 {
	if x >= -30 {
		return math.Log(normCDF(x))
	}
	t := -x
	frac := t
	for k := 40; k >= 1; k-- {
		frac = t + float64(k)/frac
	}
	return -0.5*t*t - 0.5*math.Log(2*math.Pi) - math.Log(frac)
}

// expTimesCDF returns e^ε Φ(b), in log space when the direct product would
// overflow or lose precision to underflow.
func expTimesCDF(eps, b float64) float64 {
	if eps <= 700 {
		if p := normCDF(b); p > 1e-290 {
			return math.Exp(eps) * p
		}
	}
	return math.Exp(eps + logNormCDF(b))
}

// minAnalyticDelta is the smallest δ that AnalyticGaussianSigma accepts.
// Below it Φ approaches the float64 underflow threshold and the profile can
// no longer be evaluated to the accuracy the calibration relies on.
const minAnalyticDelta = 1e-300

// analyticSlack is the relative margin by which AnalyticGaussianSigma aims
// below the requested δ, covering the evaluation error of GaussianDelta. It
// moves σ by less than 10⁻¹⁰ relative in the usual regimes.
const analyticSlack = 1e-10

// AnalyticGaussianSigma returns the smallest noise scale σ (up to the
// bisection's one-ulp resolution and a relative safety margin of 10⁻¹⁰ on δ)
// for which the Gaussian mechanism with ℓ₂ sensitivity Δ is (ε, δ)-DP,
// following the analytic Gaussian mechanism of Balle and Wang (ICML 2018,
// arXiv:1805.06530, Theorem 8 and Algorithm 1). Instead of Algorithm 1's
// reparametrisation it bisects directly on σ/Δ, using that δ(σ) from
// [GaussianDelta] is decreasing in σ, and returns the upper end of the
// bracket: σ is never below the exact calibration and
// GaussianDelta(Δ, σ, ε) ≤ δ.
//
// Unlike the classic σ = Δ√(2 ln(1.25/δ))/ε (Dwork and Roth 2014, Theorem
// A.1), it is valid for every ε ≥ 0, including ε ≥ 1, and is never larger
// than the classic value where that one applies.
//
// Δ = 0 or δ ≥ 1 gives 0. δ must be at least 10⁻³⁰⁰; δ = 0 is impossible
// for Gaussian noise. Invalid input is an error wrapping [ErrInvalid].
func AnalyticGaussianSigma(l2Sensitivity, eps, delta float64) (float64, error) {
	if err := checkFinite("l2 sensitivity", l2Sensitivity); err != nil {
		return 0, err
	}
	if err := checkFinite("epsilon", eps); err != nil {
		return 0, err
	}
	if err := checkProb("delta", delta); err != nil {
		return 0, err
	}
	if l2Sensitivity == 0 || delta == 1 {
		return 0, nil
	}
	if delta < minAnalyticDelta {
		return 0, invalidf("delta = %v, the Gaussian mechanism is calibrated only for delta ≥ %v", delta, minAnalyticDelta)
	}
	target := delta * (1 - analyticSlack)
	// ok(s) reports whether σ = s·Δ meets the target; it is monotone in s.
	ok := func(s float64) bool {
		return analyticDelta(1/s, eps*s, eps) <= target
	}
	lo, hi := 0.5, 1.0
	if ok(hi) {
		for lo > 0 && ok(lo) {
			hi, lo = lo, lo/2
		}
	} else {
		lo = hi
		for !ok(hi) {
			if math.IsInf(hi, 1) {
				return 0, invalidf("no finite sigma achieves (epsilon = %v, delta = %v)", eps, delta)
			}
			lo, hi = hi, hi*2
		}
	}
	s := bisectUp(lo, hi, ok)
	return mulUp(s, l2Sensitivity), nil
}
