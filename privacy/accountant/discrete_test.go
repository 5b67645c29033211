package accountant

import (
	"fmt"
	"math"
	"testing"
)

func TestDiscreteLaplace(t *testing.T) {
	tests := []struct{ sens, eps, want float64 }{
		{1, 0.5, 2},
		{2, 1, 2},
		{0, 1, 0},
		{3, 0.25, 12},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("sens=%g/eps=%g", tt.sens, tt.eps), func(t *testing.T) {
			got, err := DiscreteLaplaceScale(tt.sens, tt.eps)
			if err != nil || got != tt.want {
				t.Errorf("DiscreteLaplaceScale = %g, %v; want %g", got, err, tt.want)
			}
		})
	}
	// Rounding: t·ε ≥ Δ₁ exactly, and the ε of that scale is not above ε.
	for _, sens := range []float64{1, 3, 7.5} {
		for _, eps := range []float64{0.1, 0.3, 1.0 / 3, 0.7, 3} {
			t.Run(fmt.Sprintf("sens=%g/eps=%g/rounding", sens, eps), func(t *testing.T) {
				scale, err := DiscreteLaplaceScale(sens, eps)
				if err != nil {
					t.Fatal(err)
				}
				if exactMul(scale, eps).Cmp(exact(sens)) < 0 {
					t.Errorf("scale %.17g · ε < Δ₁", scale)
				}
				back, err := DiscreteLaplaceEpsilon(sens, scale)
				if err != nil || back > eps {
					t.Errorf("DiscreteLaplaceEpsilon(Δ₁, scale) = %.17g, %v; want ≤ %.17g", back, err, eps)
				}
			})
		}
	}
	for _, c := range [][2]float64{{-1, 1}, {1, 0}, {1, -1}, {math.NaN(), 1}, {1, math.Inf(1)}} {
		_, err := DiscreteLaplaceScale(c[0], c[1])
		wantInvalid(t, err)
		_, err = DiscreteLaplaceEpsilon(c[0], c[1])
		wantInvalid(t, err)
	}
}

func TestLocalSigma(t *testing.T) {
	tests := []struct {
		sigma float64
		nMin  int
		want  float64
	}{
		{10, 1, 10},
		{10, 4, 5},
		{12, 9, 4},
		{0, 5, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("sigma=%g/nMin=%d", tt.sigma, tt.nMin), func(t *testing.T) {
			got, err := LocalSigma(tt.sigma, tt.nMin)
			if err != nil || got != tt.want {
				t.Errorf("LocalSigma = %g, %v; want %g", got, err, tt.want)
			}
		})
	}
	// n_min·σ_l² ≥ σ² exactly: the honest sum has at least the central noise.
	for _, sigma := range []float64{0.7, 1, 3.3, 100, 12345.678} {
		for _, n := range []int{2, 3, 7, 10, 1000, 99991} {
			t.Run(fmt.Sprintf("sigma=%g/nMin=%d/rounding", sigma, n), func(t *testing.T) {
				local, err := LocalSigma(sigma, n)
				if err != nil {
					t.Fatal(err)
				}
				if exactMul(float64(n), local, local).Cmp(exactMul(sigma, sigma)) < 0 {
					t.Errorf("n·σ_l² < σ² for σ_l = %.17g", local)
				}
				if local > sigma/math.Sqrt(float64(n))*(1+1e-15) {
					t.Errorf("σ_l = %.17g is more than rounding above σ/√n", local)
				}
			})
		}
	}
	for _, c := range []struct {
		sigma float64
		n     int
	}{{-1, 2}, {math.NaN(), 2}, {math.Inf(1), 2}, {1, 0}, {1, -3}} {
		_, err := LocalSigma(c.sigma, c.n)
		wantInvalid(t, err)
	}
}

func TestDistributedTau(t *testing.T) {
	pi2 := math.Pi * math.Pi
	tests := []struct {
		sigma float64
		n     int
		want  float64
	}{
		// One node: the sum is a single discrete Gaussian, τ = 0.
		{0.5, 1, 0},
		// n = 2 has the single term k = 1, exponent 2π²σ²·½ = π²σ².
		{0.5, 2, 10 * math.Exp(-pi2/4)},
		{1, 2, 10 * math.Exp(-pi2)},
		// n = 3 adds k = 2, exponent 2π²σ²·⅔.
		{1, 3, 10 * (math.Exp(-pi2) + math.Exp(-4*pi2/3))},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("sigma=%g/n=%d", tt.sigma, tt.n), func(t *testing.T) {
			got, err := DistributedTau(tt.sigma, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			checkRel(t, "DistributedTau", got, tt.want, 1e-14)
			if got < tt.want*(1-1e-15) {
				t.Errorf("DistributedTau = %.17g is below %.17g", got, tt.want)
			}
		})
	}
	t.Run("large n stays an upper bound", func(t *testing.T) {
		// Terms decrease in k towards e^{−2π²σ²}, so
		// (n−1)·e^{−2π²σ²} ≤ τ/10 ≤ (n−1)·e^{−π²σ²}.
		const sigma = 0.6
		n := exactTauTerms + 1000
		got, err := DistributedTau(sigma, n)
		if err != nil {
			t.Fatal(err)
		}
		lo := 10 * float64(n-1) * math.Exp(-2*math.Pi*math.Pi*sigma*sigma)
		hi := 10 * float64(n-1) * math.Exp(-math.Pi*math.Pi*sigma*sigma)
		if got < lo || got > hi {
			t.Errorf("DistributedTau = %g, want in [%g, %g]", got, lo, hi)
		}
		exactPart, _ := DistributedTau(sigma, exactTauTerms+1)
		if got < exactPart {
			t.Errorf("τ(n) = %g < τ(%d) = %g: the tail bound lost terms", got, exactTauTerms+1, exactPart)
		}
	})
	for _, c := range []struct {
		sigma float64
		n     int
	}{{0.49, 2}, {math.NaN(), 2}, {math.Inf(1), 2}, {1, 0}} {
		_, err := DistributedTau(c.sigma, c.n)
		wantInvalid(t, err)
	}
}

func TestDistributedDiscreteGaussianRho(t *testing.T) {
	t.Run("one node is the discrete Gaussian", func(t *testing.T) {
		// CKS20 Theorem 4: N_Z(0, σ²) is Δ²/(2σ²)-zCDP.
		g := DistributedDiscreteGaussian{L2Sensitivity: 3, Dim: 5, LocalSigma: 2, Nodes: 1}
		got, err := g.Rho()
		if err != nil {
			t.Fatal(err)
		}
		checkRel(t, "Rho", got, 9.0/8, 1e-15)
	})
	t.Run("closed form n=2 sigma=1", func(t *testing.T) {
		// τ = 10e^{−π²}; l₂ = l₁ = 1/√2; d = 1:
		// ρ = ½ min(½ + 2τ/√2 + τ², (1/√2 + τ)²) and the first is smaller.
		tau := 10 * math.Exp(-math.Pi*math.Pi)
		want := 0.5 * (0.5 + math.Sqrt2*tau + tau*tau)
		g := DistributedDiscreteGaussian{L2Sensitivity: 1, L1Sensitivity: 1, Dim: 1, LocalSigma: 1, Nodes: 2}
		got, err := g.Rho()
		if err != nil {
			t.Fatal(err)
		}
		checkRel(t, "Rho", got, want, 1e-14)
		if got <= 0.25 {
			t.Errorf("Rho = %.17g, want above the centralised 1/4 because τ > 0", got)
		}
	})
	t.Run("converges to the centralised Gaussian", func(t *testing.T) {
		// As σ_l grows τ vanishes and ρ → Δ²/(2nσ_l²) from above.
		const n, sens, dim = 100, 4.0, 1000
		prevRatio := math.Inf(1)
		for _, sigma := range []float64{0.5, 0.75, 1, 1.5, 2, 4} {
			g := DistributedDiscreteGaussian{L2Sensitivity: sens, Dim: dim, LocalSigma: sigma, Nodes: n}
			got, err := g.Rho()
			if err != nil {
				t.Fatal(err)
			}
			ratio := got / (sens * sens / (2 * n * sigma * sigma))
			if ratio < 1 || ratio > prevRatio {
				t.Errorf("σ_l = %g: ρ/ρ_central = %.17g, want ≥ 1 and non-increasing (previous %.17g)", sigma, ratio, prevRatio)
			}
			prevRatio = ratio
		}
		if prevRatio > 1+1e-12 {
			t.Errorf("at σ_l = 4 ρ/ρ_central = %.17g, want within 1e-12 of 1", prevRatio)
		}
	})
	t.Run("RDP", func(t *testing.T) {
		g := DistributedDiscreteGaussian{L2Sensitivity: 1, Dim: 10, LocalSigma: 0.6, Nodes: 50}
		rho, err := g.Rho()
		if err != nil {
			t.Fatal(err)
		}
		tau, _ := DistributedTau(0.6, 50)
		l2sq := 1 / (50 * 0.36)
		for _, alpha := range []float64{1.5, 2, 10, 100, 1e4} {
			got, err := g.RDP(alpha)
			if err != nil {
				t.Fatal(err)
			}
			want := math.Min(alpha*l2sq/2+10*tau, alpha*rho)
			checkRel(t, fmt.Sprintf("RDP(%g)", alpha), got, want, 1e-13)
			if got > alpha*rho {
				t.Errorf("RDP(%g) = %g exceeds α·ρ = %g", alpha, got, alpha*rho)
			}
		}
		// At large α the additive τd term wins over the zCDP line.
		if big, _ := g.RDP(1e4); big >= 1e4*rho {
			t.Errorf("RDP(1e4) = %g, want below α·ρ = %g", big, 1e4*rho)
		}
		for _, alpha := range []float64{1, 0.5, math.NaN(), math.Inf(1)} {
			_, err := g.RDP(alpha)
			wantInvalid(t, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, g := range []DistributedDiscreteGaussian{
			{L2Sensitivity: -1, Dim: 1, LocalSigma: 1, Nodes: 2},
			{L2Sensitivity: 1, L1Sensitivity: math.NaN(), Dim: 1, LocalSigma: 1, Nodes: 2},
			{L2Sensitivity: 1, Dim: 0, LocalSigma: 1, Nodes: 2},
			{L2Sensitivity: 1, Dim: 1, LocalSigma: 0.4, Nodes: 2},
			{L2Sensitivity: 1, Dim: 1, LocalSigma: 1, Nodes: 0},
		} {
			_, err := g.Rho()
			wantInvalid(t, err)
		}
	})
}
