package accountant

import (
	"fmt"
	"math"
	"testing"
)

func TestAnalyticGaussianSigmaKnownAnswers(t *testing.T) {
	// Balle and Wang 2018 (arXiv:1805.06530), Algorithm 1, with Δ = 1, to ten
	// decimals; exact values solved with 50-digit arithmetic (mpmath) from
	// Theorem 8. σ must be within 1e-10 of the published value (which is
	// rounded to 1.4e-11 relative) and never below the exact one.
	tests := []struct{ eps, delta, want, exactSigma float64 }{
		{1, 1e-5, 3.7306316348, 3.7306316348159418322},
		{0.5, 1e-5, 7.0318266756, 7.0318266755824914427},
		{0.1, 1e-5, 30.7495661320, 30.749566131977450239},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("eps=%g/delta=%g", tt.eps, tt.delta), func(t *testing.T) {
			got, err := AnalyticGaussianSigma(1, tt.eps, tt.delta)
			if err != nil {
				t.Fatal(err)
			}
			checkRel(t, "AnalyticGaussianSigma", got, tt.want, 1e-10)
			if got < tt.exactSigma {
				t.Errorf("AnalyticGaussianSigma = %.17g is below the exact %.17g", got, tt.exactSigma)
			}
			// σ scales linearly with the sensitivity.
			scaled, err := AnalyticGaussianSigma(8, tt.eps, tt.delta)
			if err != nil {
				t.Fatal(err)
			}
			checkRel(t, "AnalyticGaussianSigma(Δ=8)/8", scaled/8, got, 1e-15)
		})
	}
}

func TestGaussianDeltaKnownAnswers(t *testing.T) {
	tests := []struct {
		sens, sigma, eps, want, tol float64
	}{
		// Balle and Wang 2018, Theorem 8; 50-digit value 0.0087517681458095939789.
		{1, 10, 0.1, 0.008751768145810, 1e-13},
		{1, 10, 0.1, 0.0087517681458095939789, 1e-13},
		// ε = 0: δ = Φ(1) − Φ(−1) = erf(1/√2), the one-σ probability.
		{1, 0.5, 0, 0.6826894921370859, 1e-15},
		// ε = 0 in general: erf(Δ/(2√2σ)).
		{3, 2, 0, math.Erf(3 / (4 * math.Sqrt2)), 1e-15},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("sens=%g/sigma=%g/eps=%g/want=%g", tt.sens, tt.sigma, tt.eps, tt.want), func(t *testing.T) {
			got, err := GaussianDelta(tt.sens, tt.sigma, tt.eps)
			if err != nil {
				t.Fatal(err)
			}
			checkRel(t, "GaussianDelta", got, tt.want, tt.tol)
		})
	}
}

// TestAnalyticGaussianProperties checks soundness (δ achieved), tightness
// (slightly less noise misses δ), monotonicity and the comparison with the
// classic Gaussian mechanism.
func TestAnalyticGaussianProperties(t *testing.T) {
	epsilons := []float64{0, 1e-3, 0.01, 0.1, 0.5, 0.99, 1, 2, 5, 20, 100}
	deltas := []float64{1e-300, 1e-100, 1e-30, 1e-10, 1e-5, 1e-2, 0.3, 0.9}
	for _, eps := range epsilons {
		prev := math.Inf(1) // σ decreases as δ grows
		for _, delta := range deltas {
			t.Run(fmt.Sprintf("eps=%g/delta=%g", eps, delta), func(t *testing.T) {
				sigma, err := AnalyticGaussianSigma(1, eps, delta)
				if err != nil {
					t.Fatal(err)
				}
				if !(sigma > 0) || math.IsInf(sigma, 0) {
					t.Fatalf("σ = %g, want finite and positive", sigma)
				}
				if d, _ := GaussianDelta(1, sigma, eps); d > delta {
					t.Errorf("GaussianDelta(AnalyticGaussianSigma) = %g > δ = %g", d, delta)
				}
				if d, _ := GaussianDelta(1, sigma*(1-1e-8), eps); d <= delta {
					t.Errorf("σ = %.17g is not tight: σ(1−1e-8) still gives δ = %g ≤ %g", sigma, d, delta)
				}
				// Classic Gaussian mechanism, valid for ε < 1 (Dwork and Roth
				// 2014, Theorem A.1).
				if eps > 0 && eps < 1 {
					classic := math.Sqrt(2*math.Log(1.25/delta)) / eps
					if sigma > classic {
						t.Errorf("analytic σ = %g exceeds the classic σ = %g", sigma, classic)
					}
				}
				if sigma > prev {
					t.Errorf("σ = %g at δ = %g exceeds %g at a smaller δ", sigma, delta, prev)
				}
				prev = sigma
			})
		}
	}
}

// TestAnalyticDeltaBranches checks that the two arrangements of the
// Balle–Wang formula agree where they meet (a = Δ/(2σ) − εσ/Δ = 0), so the
// switch between them introduces no jump.
func TestAnalyticDeltaBranches(t *testing.T) {
	for _, eps := range []float64{1e-6, 0.01, 0.5, 2} {
		// a = 0 at σ = Δ/√(2ε).
		sigma := 1 / math.Sqrt(2*eps)
		for _, f := range []float64{1 - 1e-9, 1 + 1e-9} {
			s := sigma * f
			r, v := 1/s, eps*s
			a, b := r/2-v, -r/2-v
			direct := normCDF(a) - expTimesCDF(eps, b)
			split := 0.5*(math.Erf(a/math.Sqrt2)-math.Erf(b/math.Sqrt2)) - math.Expm1(eps)*normCDF(b)
			if relErr(direct, split) > 1e-9 {
				t.Errorf("eps=%g σ=%g: branches disagree: %.17g vs %.17g", eps, s, direct, split)
			}
		}
	}
}

func TestLogNormCDF(t *testing.T) {
	// At −30 both methods apply; deep in the tail compare with the
	// asymptotic series ln Φ(x) ≈ −x²/2 − ln(−x√(2π)) + ln(1 − 1/x² + 3/x⁴).
	if d := math.Abs(logNormCDF(-30) - math.Log(normCDF(-30))); d > 1e-12 {
		t.Errorf("logNormCDF(-30) differs from ln Φ(-30) by %g", d)
	}
	cf := func(x float64) float64 {
		t := -x
		frac := t
		for k := 40; k >= 1; k-- {
			frac = t + float64(k)/frac
		}
		return -0.5*t*t - 0.5*math.Log(2*math.Pi) - math.Log(frac)
	}
	if d := math.Abs(cf(-30) - math.Log(normCDF(-30))); d > 1e-12 {
		t.Errorf("continued fraction at -30 differs from ln Φ by %g", d)
	}
	for _, x := range []float64{-40, -100, -1e4} {
		series := -x*x/2 - math.Log(-x*math.Sqrt(2*math.Pi)) + math.Log1p(-1/(x*x)+3/(x*x*x*x))
		if d := math.Abs(logNormCDF(x) - series); d > 1e-9*math.Abs(series) {
			t.Errorf("logNormCDF(%g) = %.17g, series %.17g", x, logNormCDF(x), series)
		}
	}
}

func TestGaussianEdgeCases(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	t.Run("GaussianDelta", func(t *testing.T) {
		for _, c := range []struct{ sens, sigma, eps, want float64 }{
			{0, 1, 1, 0}, {1, inf, 1, 0}, {1, 1, inf, 0}, {1, 0, 1, 1}, {1, 0, 0, 1},
		} {
			if got, err := GaussianDelta(c.sens, c.sigma, c.eps); err != nil || got != c.want {
				t.Errorf("GaussianDelta(%g, %g, %g) = %g, %v; want %g", c.sens, c.sigma, c.eps, got, err, c.want)
			}
		}
		for _, c := range [][3]float64{{-1, 1, 1}, {nan, 1, 1}, {inf, 1, 1}, {1, -1, 1}, {1, nan, 1}, {1, 1, -1}, {1, 1, nan}} {
			_, err := GaussianDelta(c[0], c[1], c[2])
			wantInvalid(t, err)
		}
	})
	t.Run("AnalyticGaussianSigma", func(t *testing.T) {
		for _, c := range [][3]float64{{0, 1, 1e-5}, {1, 1, 1}} {
			if got, err := AnalyticGaussianSigma(c[0], c[1], c[2]); err != nil || got != 0 {
				t.Errorf("AnalyticGaussianSigma(%g, %g, %g) = %g, %v; want 0", c[0], c[1], c[2], got, err)
			}
		}
		for _, c := range [][3]float64{{1, 1, 0}, {1, 1, 1e-320}, {1, -1, 1e-5}, {1, inf, 1e-5}, {1, 1, 2}, {nan, 1, 1e-5}, {1, nan, 1e-5}, {1, 1, nan}} {
			_, err := AnalyticGaussianSigma(c[0], c[1], c[2])
			wantInvalid(t, err)
		}
	})
}

func TestSigmaForRho(t *testing.T) {
	tests := []struct{ sens, rho, want float64 }{
		{1, 0.5, 1},         // Δ/√(2·½) = 1
		{2, 0.125, 4},       // 2/√(¼) = 4
		{1, 1.0 / 32, 4},    // OpenDP's scale-4 Gaussian is 1/32-zCDP
		{0, 0.5, 0},         // no sensitivity, no noise
		{1, math.Inf(1), 0}, // no privacy required
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("sens=%g/rho=%g", tt.sens, tt.rho), func(t *testing.T) {
			got, err := SigmaForRho(tt.sens, tt.rho)
			if err != nil || got != tt.want {
				t.Errorf("SigmaForRho = %g, %v; want %g", got, err, tt.want)
			}
		})
	}
	// Rounding: σ²·2ρ ≥ Δ² exactly, and ρ(σ) never exceeds the target.
	for _, sens := range []float64{0.1, 1, 3, 1e6} {
		for _, rho := range []float64{1e-9, 0.001, 0.1, 0.3, 1, 7} {
			t.Run(fmt.Sprintf("sens=%g/rho=%g/rounding", sens, rho), func(t *testing.T) {
				sigma, err := SigmaForRho(sens, rho)
				if err != nil {
					t.Fatal(err)
				}
				if exactMul(sigma, sigma, 2, rho).Cmp(exactMul(sens, sens)) < 0 {
					t.Errorf("σ = %.17g is below Δ/√(2ρ)", sigma)
				}
				back, _ := RhoForSigma(sens, sigma)
				if back > rho*(1+1e-15) {
					t.Errorf("RhoForSigma(SigmaForRho(ρ)) = %.17g > ρ = %.17g", back, rho)
				}
				if exactMul(back, 2, sigma, sigma).Cmp(exactMul(sens, sens)) < 0 {
					t.Errorf("RhoForSigma = %.17g is below Δ²/(2σ²)", back)
				}
			})
		}
	}
	for _, c := range [][2]float64{{-1, 1}, {math.NaN(), 1}, {1, 0}, {1, -1}, {1, math.NaN()}} {
		_, err := SigmaForRho(c[0], c[1])
		wantInvalid(t, err)
	}
	if got, err := RhoForSigma(1, 0); err != nil || !math.IsInf(got, 1) {
		t.Errorf("RhoForSigma(1, 0) = %g, %v; want +Inf", got, err)
	}
}
