package accountant

import (
	"errors"
	"math"
	"testing"
)

// The conversions search numerically for the best Rényi order α, so two
// nearby inputs can land on slightly different α; monotonicity is therefore
// checked up to monotoneSlack relative (plus an absolute 1e-300 for values
// at the edge of underflow). A real monotonicity bug is far larger.
const monotoneSlack = 1e-12

func atMost(a, b float64) bool { return a <= b*(1+monotoneSlack)+1e-300 }

// Seeds are in testdata/fuzz/FuzzEpsilonForRho.
func FuzzEpsilonForRho(f *testing.F) {
	f.Fuzz(func(t *testing.T, rho, delta float64) {
		eps, err := EpsilonForRho(rho, delta)
		valid := rho >= 0 && delta >= 0 && delta <= 1
		if err != nil {
			if valid || !errors.Is(err, ErrInvalid) {
				t.Fatalf("EpsilonForRho(%g, %g) error %v", rho, delta, err)
			}
			return
		}
		if !valid {
			t.Fatalf("EpsilonForRho(%g, %g) = %g, want an error", rho, delta, eps)
		}
		if math.IsNaN(eps) || eps < 0 {
			t.Fatalf("EpsilonForRho(%g, %g) = %g, want ≥ 0", rho, delta, eps)
		}
		if math.IsInf(eps, 1) {
			if !(rho > 0 && (delta == 0 || math.IsInf(rho, 1))) {
				t.Fatalf("EpsilonForRho(%g, %g) = +Inf, want finite", rho, delta)
			}
			return
		}
		if d, _ := DeltaForRho(rho, eps); d > delta {
			t.Fatalf("DeltaForRho(%g, EpsilonForRho = %g) = %g > δ = %g", rho, eps, d, delta)
		}
		if delta > 0 && delta < 1 && rho <= 1e12 {
			if bs := bunSteinkeEpsilon(rho, delta); !atMost(eps, bs) {
				t.Fatalf("EpsilonForRho(%g, %g) = %.17g exceeds Bun–Steinke %.17g", rho, delta, eps, bs)
			}
		}
		if half, _ := EpsilonForRho(rho/2, delta); !atMost(half, eps) {
			t.Fatalf("EpsilonForRho(ρ/2 = %g, %g) = %.17g > EpsilonForRho(ρ) = %.17g", rho/2, delta, half, eps)
		}
		if twice, _ := EpsilonForRho(rho, math.Min(1, 2*delta)); !atMost(twice, eps) {
			t.Fatalf("EpsilonForRho(%g, 2δ) = %.17g > EpsilonForRho(δ = %g) = %.17g", rho, twice, delta, eps)
		}
	})
}

// Seeds are in testdata/fuzz/FuzzDeltaForRho.
func FuzzDeltaForRho(f *testing.F) {
	f.Fuzz(func(t *testing.T, rho, eps float64) {
		delta, err := DeltaForRho(rho, eps)
		valid := rho >= 0 && eps >= 0
		if err != nil {
			if valid || !errors.Is(err, ErrInvalid) {
				t.Fatalf("DeltaForRho(%g, %g) error %v", rho, eps, err)
			}
			return
		}
		if !valid {
			t.Fatalf("DeltaForRho(%g, %g) = %g, want an error", rho, eps, delta)
		}
		if !(delta >= 0 && delta <= 1) {
			t.Fatalf("DeltaForRho(%g, %g) = %g, want in [0, 1]", rho, eps, delta)
		}
		if more, _ := DeltaForRho(rho, 2*eps); !atMost(more, delta) {
			t.Fatalf("DeltaForRho(%g, 2ε) = %.17g > DeltaForRho(ε = %g) = %.17g", rho, more, eps, delta)
		}
		if less, _ := DeltaForRho(rho/2, eps); !atMost(less, delta) {
			t.Fatalf("DeltaForRho(ρ/2, %g) = %.17g > DeltaForRho(ρ = %g) = %.17g", eps, less, rho, delta)
		}
	})
}

// Seeds are in testdata/fuzz/FuzzAnalyticGaussianSigma.
func FuzzAnalyticGaussianSigma(f *testing.F) {
	f.Fuzz(func(t *testing.T, eps, delta float64) {
		sigma, err := AnalyticGaussianSigma(1, eps, delta)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("AnalyticGaussianSigma(1, %g, %g) error %v", eps, delta, err)
			}
			if eps >= 0 && !math.IsInf(eps, 1) && delta >= minAnalyticDelta && delta <= 1 {
				t.Fatalf("AnalyticGaussianSigma(1, %g, %g) rejected valid input: %v", eps, delta, err)
			}
			return
		}
		if math.IsNaN(sigma) || sigma < 0 || math.IsInf(sigma, 0) {
			t.Fatalf("AnalyticGaussianSigma(1, %g, %g) = %g, want finite ≥ 0", eps, delta, sigma)
		}
		if d, err := GaussianDelta(1, sigma, eps); err != nil || d > delta {
			t.Fatalf("GaussianDelta(1, σ = %.17g, %g) = %g, %v; want ≤ δ = %g", sigma, eps, d, err, delta)
		}
		if looser, _ := AnalyticGaussianSigma(1, eps, math.Min(1, 2*delta)); !atMost(looser, sigma) {
			t.Fatalf("σ(2δ) = %.17g > σ(δ = %g) = %.17g", looser, delta, sigma)
		}
	})
}
