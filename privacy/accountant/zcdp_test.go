package accountant

import (
	"fmt"
	"math"
	"testing"
)

// Exact values quoted as "exact" below were computed with 80-digit
// arithmetic (mpmath), minimising the CKS20 bound over α by bisection. The
// results here must never be below them.

func TestDeltaForRhoKnownAnswers(t *testing.T) {
	tests := []struct {
		rho, eps   float64
		want, tol  float64 // published value and tolerance
		exactValue float64
		source     string
	}{
		// OpenDP rust/src/combinators/measure_cast/zCDP_to_approxDP/cdp_delta/test.rs,
		// test_cdp_delta_rounding_regression.
		{0.05, 0.25, 0.0817727531036956, 1e-14, 0.081772753103695520874, "OpenDP cdp_delta regression"},
		// OpenDP cdp_delta test_edge_cases.
		{0.5, 0, 0.5588356393474351, 1e-14, 0.55883563934743463359, "OpenDP cdp_delta edge cases"},
		// OpenDP zCDP_to_approxDP/test.rs test_zCDP_to_approxDP_nontrivial:
		// Gaussian scale 4, sensitivity 1, so ρ = (1/4)²/2 = 1/32.
		{1.0 / 32, 0, 0.1508457845622862, 1e-14, 0.15084578456228609021, "OpenDP zCDP_to_approxDP, δ at ε = 0"},
		// OpenDP cdp_delta regression where the optimal α exceeds 2⁵³. At
		// ln δ ≈ −538 one ulp of the exponent is 1.1e-13 relative in δ.
		{5e-30, 1e-13, 2.619676329730346e-234, 1e-12, 2.6196763297297097418e-234, "OpenDP cdp_delta, α > 2⁵³"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rho=%g/eps=%g", tt.rho, tt.eps), func(t *testing.T) {
			got, err := DeltaForRho(tt.rho, tt.eps)
			if err != nil {
				t.Fatal(err)
			}
			checkRel(t, "DeltaForRho ("+tt.source+")", got, tt.want, tt.tol)
			if got < tt.exactValue {
				t.Errorf("DeltaForRho = %.17g is below the exact bound %.17g", got, tt.exactValue)
			}
		})
	}
	// OpenDP test_zCDP_to_approxDP_nontrivial: profile.delta(0.6880024554878085) = 1e-3.
	got, err := DeltaForRho(1.0/32, 0.6880024554878085)
	if err != nil {
		t.Fatal(err)
	}
	checkRel(t, "DeltaForRho(1/32, 0.6880024554878085)", got, 1e-3, 1e-13)
}

func TestEpsilonForRhoKnownAnswers(t *testing.T) {
	// OpenDP zCDP_to_approxDP/test.rs test_zCDP_to_approxDP_nontrivial:
	// cdp_epsilon(1/32, 1e-3) = 0.6880024554878086; exact 0.68800245548780839432.
	got, err := EpsilonForRho(1.0/32, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	checkRel(t, "EpsilonForRho(1/32, 1e-3)", got, 0.6880024554878086, 1e-14)
	if got < 0.68800245548780839432 {
		t.Errorf("EpsilonForRho(1/32, 1e-3) = %.17g is below the exact value", got)
	}

	// OpenDP: cdp_epsilon(0.5, cdp_delta(0.5, 0)) = 0 and
	// cdp_epsilon(1/32, 0.1508457845622862) = 0. This package's δ at ε = 0
	// is a few ulps higher (rounded up), so ε may come back as a tiny
	// positive value instead of 0.
	for _, c := range [][2]float64{{0.5, 0.5588356393474351}, {1.0 / 32, 0.1508457845622862}} {
		got, err := EpsilonForRho(c[0], c[1])
		if err != nil {
			t.Fatal(err)
		}
		if got > 1e-12 {
			t.Errorf("EpsilonForRho(%g, %g) = %g, want ≈ 0", c[0], c[1], got)
		}
	}
}

func TestConversionEdgeCases(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	deltaTests := []struct {
		rho, eps, want float64
		invalid        bool
	}{
		{rho: 0, eps: 0, want: 0},
		{rho: 0, eps: 1, want: 0},
		{rho: 0.1, eps: inf, want: 0},
		{rho: inf, eps: 1, want: 1},
		{rho: inf, eps: inf, want: 0},
		{rho: 1e6, eps: 0, want: 1},
		{rho: -1, eps: 1, invalid: true},
		{rho: math.Copysign(0, -1) - 1e-300, eps: 1, invalid: true},
		{rho: 1, eps: -1, invalid: true},
		{rho: nan, eps: 1, invalid: true},
		{rho: 1, eps: nan, invalid: true},
	}
	for _, tt := range deltaTests {
		t.Run(fmt.Sprintf("DeltaForRho/rho=%g/eps=%g", tt.rho, tt.eps), func(t *testing.T) {
			got, err := DeltaForRho(tt.rho, tt.eps)
			if tt.invalid {
				wantInvalid(t, err)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("DeltaForRho(%g, %g) = %g, %v; want %g", tt.rho, tt.eps, got, err, tt.want)
			}
		})
	}

	epsTests := []struct {
		rho, delta, want float64
		invalid          bool
	}{
		{rho: 0, delta: 0, want: 0},
		{rho: 0, delta: 1e-6, want: 0},
		{rho: 1, delta: 1, want: 0},
		{rho: 1, delta: 0, want: inf},
		{rho: inf, delta: 0.5, want: inf},
		{rho: inf, delta: 1, want: 0},
		{rho: -1, delta: 0.1, invalid: true},
		{rho: nan, delta: 0.1, invalid: true},
		{rho: 1, delta: -0.1, invalid: true},
		{rho: 1, delta: 1.5, invalid: true},
		{rho: 1, delta: nan, invalid: true},
	}
	for _, tt := range epsTests {
		t.Run(fmt.Sprintf("EpsilonForRho/rho=%g/delta=%g", tt.rho, tt.delta), func(t *testing.T) {
			got, err := EpsilonForRho(tt.rho, tt.delta)
			if tt.invalid {
				wantInvalid(t, err)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("EpsilonForRho(%g, %g) = %g, %v; want %g", tt.rho, tt.delta, got, err, tt.want)
			}
		})
	}
}

var (
	propertyRhos   = []float64{1e-12, 1e-6, 1e-3, 1.0 / 32, 0.1, 0.5, 1, 4, 30, 1000}
	propertyDeltas = []float64{1e-300, 1e-30, 1e-12, 1e-9, 1e-6, 1e-3, 0.01, 0.1, 0.5}
)

// TestEpsilonForRhoProperties checks, on a grid, that EpsilonForRho is
// sound (its δ is not above the target), tight (one part in 10⁹ less ε
// misses the target), no worse than Bun–Steinke, and monotone.
func TestEpsilonForRhoProperties(t *testing.T) {
	for _, rho := range propertyRhos {
		prev := math.Inf(1) // ε decreases as δ grows
		for _, delta := range propertyDeltas {
			t.Run(fmt.Sprintf("rho=%g/delta=%g", rho, delta), func(t *testing.T) {
				eps, err := EpsilonForRho(rho, delta)
				if err != nil {
					t.Fatal(err)
				}
				if !(eps >= 0) || math.IsInf(eps, 0) {
					t.Fatalf("EpsilonForRho = %g, want finite and ≥ 0", eps)
				}
				d, _ := DeltaForRho(rho, eps)
				if d > delta {
					t.Errorf("DeltaForRho(ρ, EpsilonForRho(ρ, δ)) = %g > δ = %g", d, delta)
				}
				if eps > 1e-300 {
					if below, _ := DeltaForRho(rho, eps*(1-1e-9)); below <= delta {
						t.Errorf("ε = %.17g is not tight: ε(1−1e-9) still gives δ = %g ≤ %g", eps, below, delta)
					}
				}
				// Bun and Steinke 2016, Proposition 1.3.
				if bs := rho + 2*math.Sqrt(rho*math.Log(1/delta)); eps > bs {
					t.Errorf("ε = %.17g exceeds the Bun–Steinke bound %.17g", eps, bs)
				}
				if eps > prev {
					t.Errorf("ε = %.17g at δ = %g exceeds %.17g at a smaller δ", eps, delta, prev)
				}
				prev = eps
			})
		}
	}
	for _, delta := range propertyDeltas {
		prev := 0.0
		for _, rho := range propertyRhos {
			eps, err := EpsilonForRho(rho, delta)
			if err != nil {
				t.Fatal(err)
			}
			if eps < prev {
				t.Errorf("delta=%g: ε = %.17g at ρ = %g is below %.17g at a smaller ρ", delta, eps, rho, prev)
			}
			prev = eps
		}
	}
}

// TestDeltaForRhoMinimisesAlpha checks that the α search finds the minimum:
// no α on a fine grid gives a smaller bound than DeltaForRho.
func TestDeltaForRhoMinimisesAlpha(t *testing.T) {
	for _, rho := range []float64{1e-2, 1.0 / 32, 0.5, 3} {
		for _, eps := range []float64{0, 0.1, 1, 3} {
			t.Run(fmt.Sprintf("rho=%g/eps=%g", rho, eps), func(t *testing.T) {
				got, _ := DeltaForRho(rho, eps)
				if !(got > 1e-290) {
					t.Fatalf("DeltaForRho = %g, want a value clear of underflow for this grid", got)
				}
				logGot := math.Log(got)
				for x := -20.0; x <= 20; x += 0.01 {
					beta := math.Exp(x)
					// ln of the bound at α = 1+β, without outward rounding.
					l := beta*((1+beta)*rho-eps) - beta*math.Log1p(1/beta) - math.Log1p(beta)
					if l < logGot-1e-12*math.Max(1, math.Abs(logGot)) {
						t.Fatalf("α = %g gives ln δ = %.17g < ln DeltaForRho = %.17g", 1+beta, l, logGot)
					}
				}
			})
		}
	}
}

// TestDeltaForRhoAgainstGaussian checks CKS20 against the exact privacy
// profile of the Gaussian mechanism (Balle–Wang): the zCDP conversion holds
// for every ρ-zCDP mechanism, so it must bound the Gaussian's exact δ from
// above.
func TestDeltaForRhoAgainstGaussian(t *testing.T) {
	for _, sigma := range []float64{0.5, 1, 4, 20} {
		rho := 1 / (2 * sigma * sigma)
		for _, eps := range []float64{0, 0.1, 0.5, 1, 3} {
			t.Run(fmt.Sprintf("sigma=%g/eps=%g", sigma, eps), func(t *testing.T) {
				cks, _ := DeltaForRho(rho, eps)
				exactDelta, _ := GaussianDelta(1, sigma, eps)
				if cks < exactDelta {
					t.Errorf("CKS20 δ = %g is below the Gaussian's exact δ = %g", cks, exactDelta)
				}
			})
		}
	}
}
