package accountant

import "math"

// DiscreteLaplaceScale returns the scale t = Δ₁/ε at which the discrete
// Laplace mechanism, with P[X = x] ∝ exp(−|x|/t) on the integers (CKS20,
// arXiv:2004.00010), is ε-DP for an integer-valued query of ℓ₁ sensitivity
// Δ₁: shifting the input by at most Δ₁ in ℓ₁ changes Σ|xᵢ| by at most Δ₁, so
// the probability of any output changes by a factor of at most exp(Δ₁/t).
// The result is rounded up. Charge such a release as [Pure](ε).
//
// Δ₁ = 0 gives 0. ε must be positive. Invalid input is an error wrapping
// [ErrInvalid].
func DiscreteLaplaceScale(l1Sensitivity, eps float64) (float64, error) {
	if err := checkFinite("l1 sensitivity", l1Sensitivity); err != nil {
		return 0, err
	}
	if err := checkPositive("epsilon", eps); err != nil {
		return 0, err
	}
	return divUp(l1Sensitivity, eps), nil
}

// DiscreteLaplaceEpsilon returns ε = Δ₁/t, the pure DP of the discrete
// Laplace mechanism of scale t for ℓ₁ sensitivity Δ₁, rounded up.
// Invalid input is an error wrapping [ErrInvalid].
func DiscreteLaplaceEpsilon(l1Sensitivity, scale float64) (float64, error) {
	if err := checkFinite("l1 sensitivity", l1Sensitivity); err != nil {
		return 0, err
	}
	if err := checkPositive("scale", scale); err != nil {
		return 0, err
	}
	return divUp(l1Sensitivity, scale), nil
}

// LocalSigma returns the discrete Gaussian parameter σ_l = σ/√n_min that each
// node adds so that the sum of any n_min or more honest contributions carries
// noise of total parameter at least σ: n·σ_l² ≥ σ² for n ≥ n_min. The result
// is rounded up. This is the distributed discrete Gaussian mechanism of
// P. Kairouz, Z. Liu and T. Steinke, "The Distributed Discrete Gaussian
// Mechanism for Federated Learning with Secure Aggregation", ICML 2021,
// arXiv:2102.06387 (KLS21).
//
// Caveat: a sum of n independent discrete Gaussians N_Z(0, σ_l²) is not itself
// a discrete Gaussian, so the sum is not exactly the centralised mechanism
// with parameter σ. KLS21 bound the difference with the parameter τ of
// [DistributedTau]; account for a distributed release with
// [DistributedDiscreteGaussian.Rho], not with [RhoForSigma] on σ. Contributions
// beyond n_min only add independent noise, which is post-processing, so the
// guarantee computed for n_min nodes holds for any larger number.
//
// Invalid input (σ negative, NaN or infinite; n_min < 1) is an error wrapping
// [ErrInvalid].
func LocalSigma(sigma float64, nMin int) (float64, error) {
	if err := checkFinite("sigma", sigma); err != nil {
		return 0, err
	}
	if nMin < 1 {
		return 0, invalidf("minimum node count = %d, want at least 1", nMin)
	}
	return divUp(sigma, sqrtDown(float64(nMin))), nil
}

// exactTauTerms bounds the work of DistributedTau: beyond it the remaining
// terms, which decrease in k, are bounded by their first one times their
// count.
const exactTauTerms = 1 << 20

// DistributedTau returns the KLS21 parameter
//
//	τ = 10 · Σ_{k=1}^{n−1} exp(−2π²σ_l² · k/(k+1)),
//
// which bounds how far the sum of n independent discrete Gaussians
// N_Z(0, σ_l²) is from a single discrete Gaussian N_Z(0, nσ_l²) (KLS21,
// arXiv:2102.06387, Theorem 1 and Proposition 14; Google's
// distributed_dp/accounting_utils.py computes the same sum). τ = 0 for n = 1.
// The result is rounded up. For n above 2²⁰ the tail of the sum is bounded by
// its largest term times its length, so τ remains an upper bound.
//
// KLS21 require σ_l ≥ 1/2; smaller values, n < 1 or a NaN are errors wrapping
// [ErrInvalid].
func DistributedTau(localSigma float64, n int) (float64, error) {
	if !(localSigma >= 0.5) || math.IsInf(localSigma, 1) {
		return 0, invalidf("local sigma = %v, KLS21 require a finite sigma ≥ 1/2", localSigma)
	}
	if n < 1 {
		return 0, invalidf("node count = %d, want at least 1", n)
	}
	// float64(π) is below π, so c ≤ 2π²σ_l² and exp(−c·k/(k+1)) is an upper
	// bound on each term.
	var pi float64 = math.Pi
	c := mulDown(mulDown(2*pi, pi), mulDown(localSigma, localSigma))
	sum := 0.0
	last := min(n-1, exactTauTerms)
	for k := 1; k <= last; k++ {
		frac := divDown(float64(k), float64(k+1))
		sum = addUp(sum, expUp(-mulDown(c, frac)))
	}
	if rest := n - 1 - last; rest > 0 {
		k := float64(last + 1)
		sum = addUp(sum, mulUp(float64(rest), expUp(-mulDown(c, divDown(k, k+1)))))
	}
	return mulUp(10, sum), nil
}

// DistributedDiscreteGaussian describes a release in which at least Nodes
// honest nodes each add independent N_Z(0, LocalSigma²) noise to every
// coordinate of their integer vector and only the sum is revealed (for
// example through secure aggregation), as in KLS21 (arXiv:2102.06387).
// Sensitivities are in the integer lattice units in which noise is added.
type DistributedDiscreteGaussian struct {
	// L2Sensitivity is the ℓ₂ sensitivity Δ₂ of the summed vector.
	L2Sensitivity float64 `json:"l2_sensitivity"`
	// L1Sensitivity is the ℓ₁ sensitivity Δ₁; 0 means unknown, in which case
	// the bound √Dim·Δ₂ is used.
	L1Sensitivity float64 `json:"l1_sensitivity"`
	// Dim is the number of coordinates d ≥ 1.
	Dim int `json:"dim"`
	// LocalSigma is each node's discrete Gaussian parameter σ_l ≥ 1/2.
	LocalSigma float64 `json:"local_sigma"`
	// Nodes is the number n ≥ 1 of honest contributions guaranteed to be in
	// the sum: the deployment's n_min.
	Nodes int `json:"nodes"`
}

// terms validates g and returns τ and the scaled sensitivities
// Δ₂/(√n σ_l) and Δ₁/(√n σ_l), all rounded up.
func (g DistributedDiscreteGaussian) terms() (tau, l2, l1 float64, err error) {
	if err := checkFinite("l2 sensitivity", g.L2Sensitivity); err != nil {
		return 0, 0, 0, err
	}
	if err := checkFinite("l1 sensitivity", g.L1Sensitivity); err != nil {
		return 0, 0, 0, err
	}
	if g.Dim < 1 {
		return 0, 0, 0, invalidf("dimension = %d, want at least 1", g.Dim)
	}
	tau, err = DistributedTau(g.LocalSigma, g.Nodes)
	if err != nil {
		return 0, 0, 0, err
	}
	scale := mulDown(sqrtDown(float64(g.Nodes)), g.LocalSigma) // √n·σ_l
	l1Sens := g.L1Sensitivity
	if l1Sens == 0 {
		l1Sens = mulUp(sqrtUp(float64(g.Dim)), g.L2Sensitivity)
	}
	return tau, divUp(g.L2Sensitivity, scale), divUp(l1Sens, scale), nil
}

// Rho returns a ρ for which the distributed release is ρ-zCDP (KLS21,
// arXiv:2102.06387, Theorem 1 / Proposition 14, the two terms linear in α):
//
//	ρ = ½ · min( Δ₂²/(nσ_l²) + 2τΔ₁/(√n σ_l) + τ²d,  (Δ₂/(√n σ_l) + τ√d)² ).
//
// For n = 1 (τ = 0) this is the single discrete Gaussian's Δ₂²/(2σ_l²) of
// CKS20; as σ_l grows, τ vanishes exponentially and ρ approaches the
// centralised Δ₂²/(2nσ_l²). The result is rounded up; charge it as [ZCDP].
// Invalid fields are errors wrapping [ErrInvalid].
func (g DistributedDiscreteGaussian) Rho() (float64, error) {
	tau, l2, l1, err := g.terms()
	if err != nil {
		return 0, err
	}
	return distributedRho(tau, l2, l1, float64(g.Dim)), nil
}

func distributedRho(tau, l2, l1, d float64) float64 {
	// l2² + 2·l1·τ + τ²d
	a := addUp(addUp(mulUp(l2, l2), mulUp(2, mulUp(l1, tau))), mulUp(mulUp(tau, tau), d))
	// (l2 + τ√d)²
	s := addUp(l2, mulUp(tau, sqrtUp(d)))
	b := mulUp(s, s)
	return mulUp(0.5, min(a, b))
}

// RDP returns the Rényi DP of order α > 1 of the distributed release (KLS21,
// Proposition 14, as in Google's compute_rdp_dgaussian):
//
//	ε(α) = min( α·Δ₂²/(2nσ_l²) + τd,  α·ρ ),
//
// with ρ from [DistributedDiscreteGaussian.Rho]. The first term is tighter for
// large α when τ is small. The result is rounded up. Invalid fields, or α not
// in (1, ∞), are errors wrapping [ErrInvalid].
func (g DistributedDiscreteGaussian) RDP(alpha float64) (float64, error) {
	if !(alpha > 1) || math.IsInf(alpha, 1) {
		return 0, invalidf("alpha = %v, want a finite order above 1", alpha)
	}
	tau, l2, l1, err := g.terms()
	if err != nil {
		return 0, err
	}
	d := float64(g.Dim)
	first := addUp(mulUp(alpha, mulUp(0.5, mulUp(l2, l2))), mulUp(tau, d))
	return min(first, mulUp(alpha, distributedRho(tau, l2, l1, d))), nil
}
