// Package noise draws the integer noise that a fednode node adds to an
// aggregate before releasing it: exact samples from the discrete Laplace and
// discrete Gaussian distributions, using the algorithms of C. Canonne,
// G. Kamath and T. Steinke, "The Discrete Gaussian for Differential Privacy",
// NeurIPS 2020, arXiv:2004.00010 (CKS20 below).
//
// # Distributions
//
// For a rational scale t > 0, the discrete Laplace distribution DLap(t) on the
// integers has P[X = x] = exp(−|x|/t) / Σ_y exp(−|y|/t). For a rational
// variance parameter σ² > 0, the discrete Gaussian distribution N_Z(0, σ²) has
// P[X = x] = exp(−x²/(2σ²)) / Σ_y exp(−y²/(2σ²)). Its variance is at most σ²,
// and equal to σ² up to a relative error below 3·10⁻⁷ once σ ≥ 1; for smaller σ it
// is noticeably smaller (about 0.213 for σ = 0.5).
//
// The samplers are exact: given uniformly random input bits, every returned
// value has exactly the stated distribution, with no rounding or truncation.
// Parameters are rationals ([math/big.Rat]) and all arithmetic on the sampling
// path is integer arithmetic. Bernoulli trials with rational probability n/d
// compare the binary expansion of n/d with lazily drawn random bits (two bits
// per trial on average); uniform integers are drawn by rejection sampling.
// Parameters given as float64 (NewLaplaceFloat, NewGaussianSigma,
// RatFromFloat) are converted exactly: the float's binary value is used, so
// 0.1 means 3602879701896397/2⁵⁵, not 1/10.
//
// # What this package must never do
//
// It must never take randomness from math/rand or math/rand/v2: their output
// is predictable, and predictable noise provides no privacy. Production code
// passes [crypto/rand.Reader]; deterministic readers belong in tests only.
//
// It must never use floating point on the sampling path. Mironov ("On
// Significance of the Least Significant Bits for Differential Privacy", CCS
// 2012) showed that the textbook floating-point Laplace mechanism, λ·ln(U),
// leaves gaps and biases in the low-order bits of its output that reveal the
// input. Float64 appears only when converting parameters, exactly.
//
// It must never reduce random words modulo a bound: that biases the result.
//
// # Randomness and concurrency
//
// A [Sampler] reads from a caller-supplied [io.Reader] in 4 KiB blocks and
// consumes the bits one at a time as needed. A Sampler is not safe for
// concurrent use; use one per goroutine. [FillParallel] and [AddParallel] do
// this for vectors, creating one Sampler per worker from a reader factory.
// Distributions ([Laplace], [Gaussian]) are immutable and may be shared.
// The buffer holds unused random bytes until they are consumed.
//
// If the reader fails, the Sampler records the error and every later call
// returns it; a failed Sampler must be discarded. When Add or AddParallel
// returns an error, the destination has been partially modified and must not
// be released.
//
// # Speed
//
// When the numerators and denominators involved fit in 64 or 128 bits (for
// example σ² = 10⁶ or σ² = 10¹², or any σ² with a small denominator) the
// samplers use fixed-width arithmetic from math/bits; otherwise, and whenever
// an intermediate value would overflow, they use math/big. Both paths consume
// the same random bits and return the same values, so the choice affects speed
// only. A float64 σ with a long binary fraction, such as 3.7, makes σ² need
// more than 100 bits and uses the slower math/big path for the Gaussian
// acceptance test; specifying σ² directly as a rational with a small
// denominator avoids this.
//
// # Timing
//
// The number of random bits consumed and the running time depend on the value
// sampled, as for any rejection sampler.
// Samples are meant to be added to aggregates inside a protocol round, not
// produced where an adversary can time individual draws.
package noise
