package accountant

import "testing"

var sink float64

func BenchmarkEpsilonForRho(b *testing.B) {
	for b.Loop() {
		eps, err := EpsilonForRho(1.0/32, 1e-6)
		if err != nil {
			b.Fatal(err)
		}
		sink = eps
	}
}

func BenchmarkDeltaForRho(b *testing.B) {
	for b.Loop() {
		delta, err := DeltaForRho(1.0/32, 1)
		if err != nil {
			b.Fatal(err)
		}
		sink = delta
	}
}

func BenchmarkAnalyticGaussianSigma(b *testing.B) {
	for b.Loop() {
		sigma, err := AnalyticGaussianSigma(1, 0.5, 1e-6)
		if err != nil {
			b.Fatal(err)
		}
		sink = sigma
	}
}

// BenchmarkCharge measures one filter decision against a total that mixes
// zCDP, folded pure and approximate charges.
func BenchmarkCharge(b *testing.B) {
	budget := Budget{Epsilon: 10, Delta: 1e-6}
	var spent Total
	for _, c := range []Cost{ZCDP(0.01), Pure(0.01), Pure(0.01), Approx(0.1, 1e-8), ZCDP(0.02)} {
		var err error
		if spent, _, err = Charge(spent, c, budget); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		_, rem, err := Charge(spent, Pure(0.05), budget)
		if err != nil {
			b.Fatal(err)
		}
		sink = rem.Epsilon
	}
}
