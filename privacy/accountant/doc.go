// Package accountant does the privacy-loss arithmetic of a fednode node: it
// composes the costs of releases, converts the composed total to (ε, δ)-DP for
// reports and for the budget filter, decides whether a new release fits under
// the (ε, δ) cap that a compliance officer set for a dataset, and calibrates
// noise to a target cost.
//
// The package is pure arithmetic on float64 values. It performs no I/O and
// keeps no state; the durable ledger that records what was spent lives
// elsewhere and persists the JSON forms of [Cost] and [Total] defined here.
//
// # What this package must never do
//
// It must never report an ε or δ below the true value, nor a noise scale
// below the one required. Sums are rounded outward, each addition stepping
// up with [math.Nextafter] when it was inexact (like OpenDP's inf_add), and
// every conversion and calibration either evaluates a valid bound with
// outward rounding or bisects and returns the safe end of its bracket.
//
// It must never use randomness: every function is deterministic, so a
// ledger can replay a sequence of charges and obtain the same totals bit for
// bit.
//
// It must never panic on bad input. NaN, negative values, δ outside [0, 1]
// and other out-of-domain parameters are reported as errors wrapping
// [ErrInvalid].
//
// # Privacy measures
//
// A release has a [Cost]: a zero-concentrated DP part ρ (Gaussian and discrete
// Gaussian noise; M. Bun and T. Steinke, "Concentrated Differential Privacy:
// Simplifications, Extensions, and Lower Bounds", TCC 2016, arXiv:1605.02065)
// and a pure or approximate DP part (ε, δ) (Laplace and discrete Laplace
// noise, or mechanisms analysed in (ε, δ)). A [Total] composes costs: ρ adds,
// approximate (ε, δ) add, and pure ε may be counted additively or as ε²/2
// zCDP, whichever gives the smaller total.
//
// [Total.Convert] turns a total into (ε, δ)-DP with the tight zCDP conversion
// of C. Canonne, G. Kamath and T. Steinke, "The Discrete Gaussian for
// Differential Privacy", NeurIPS 2020, arXiv:2004.00010 (CKS20), exposed as
// [DeltaForRho] and [EpsilonForRho].
//
// # Budget filter
//
// [Fits] and [Charge] check a cost against a [Budget] with the rounding
// forgiveness of Google's privacy-on-beam; [Remaining] and [MaxRho] tell the
// caller what is left.
//
// # Calibration
//
// [SigmaForRho] and [RhoForSigma] relate Gaussian noise to ρ;
// [AnalyticGaussianSigma] and [GaussianDelta] implement the analytic Gaussian
// mechanism of B. Balle and Y.-X. Wang (ICML 2018, arXiv:1805.06530);
// [DiscreteLaplaceScale] calibrates discrete Laplace noise; [LocalSigma],
// [DistributedTau] and [DistributedDiscreteGaussian] account for discrete
// Gaussian noise added in shares by several nodes (P. Kairouz, Z. Liu and
// T. Steinke, ICML 2021, arXiv:2102.06387).
package accountant
