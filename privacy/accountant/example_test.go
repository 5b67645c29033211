package accountant_test

import (
	"errors"
	"fmt"

	"github.com/fednode/fednode/privacy/accountant"
)

func ExampleEpsilonForRho() {
	// A Gaussian release with ℓ₂ sensitivity 1 and σ = 4 is 1/32-zCDP.
	rho, _ := accountant.RhoForSigma(1, 4)
	eps, _ := accountant.EpsilonForRho(rho, 1e-3)
	fmt.Printf("ρ = %g → (ε = %.6f, δ = 0.001)\n", rho, eps)
	// Output: ρ = 0.03125 → (ε = 0.688002, δ = 0.001)
}

func ExampleAnalyticGaussianSigma() {
	sigma, _ := accountant.AnalyticGaussianSigma(1, 1, 1e-5)
	delta, _ := accountant.GaussianDelta(1, sigma, 1)
	fmt.Printf("σ = %.8f, δ = %.4g\n", sigma, delta)
	// Output: σ = 3.73063163, δ = 1e-05
}

func ExampleCharge() {
	budget := accountant.Budget{Epsilon: 1, Delta: 1e-6}
	var spent accountant.Total

	// A discrete Laplace count with sensitivity 1 at ε = 0.25.
	scale, _ := accountant.DiscreteLaplaceScale(1, 0.25)
	eps, _ := accountant.DiscreteLaplaceEpsilon(1, scale)
	spent, rem, err := accountant.Charge(spent, accountant.Pure(eps), budget)
	fmt.Println("laplace:", rem, err)

	// The largest Gaussian release that still fits, with sensitivity 1.
	rho, _ := accountant.MaxRho(spent, budget)
	sigma, _ := accountant.SigmaForRho(1, rho)
	spent, rem, err = accountant.Charge(spent, accountant.ZCDP(rho), budget)
	fmt.Printf("gaussian: σ = %.3f, remaining ε = %.1g, %v\n", sigma, rem.Epsilon, err)

	// Nothing more fits.
	_, _, err = accountant.Charge(spent, accountant.Pure(0.01), budget)
	var exceeded *accountant.ExceededError
	fmt.Println("refused:", errors.As(err, &exceeded), errors.Is(err, accountant.ErrExceeded))
	// Output:
	// laplace: (ε=0.75, δ=1e-06) <nil>
	// gaussian: σ = 5.930, remaining ε = 0, <nil>
	// refused: true true
}

func ExampleTotal_Convert() {
	// One hundred small Laplace releases and a Gaussian release: the pure
	// charges cost less as ε²/2 zCDP than added up.
	costs := []accountant.Cost{accountant.ZCDP(0.01)}
	for range 100 {
		costs = append(costs, accountant.Pure(0.01))
	}
	total, _ := accountant.Compose(costs...)
	c, _ := total.Convert(1e-6)
	fmt.Printf("ε = %.4f at δ = %g, pure folded into ρ: %v (ρ = %.4f)\n", c.Epsilon, c.Delta, c.PureFolded, c.Rho)
	// Output: ε = 0.7717 at δ = 1e-06, pure folded into ρ: true (ρ = 0.0150)
}

func ExampleLocalSigma() {
	// Central discrete Gaussian noise σ = 20 for a sum of ℓ₂ sensitivity 1,
	// split across at least 16 honest nodes.
	local, _ := accountant.LocalSigma(20, 16)
	g := accountant.DistributedDiscreteGaussian{L2Sensitivity: 1, Dim: 1, LocalSigma: local, Nodes: 16}
	rho, _ := g.Rho()
	central, _ := accountant.RhoForSigma(1, 20)
	fmt.Printf("σ_l = %g, ρ = %.6g (centralised %.6g)\n", local, rho, central)
	// Output: σ_l = 5, ρ = 0.00125 (centralised 0.00125)
}
