package mechanism

import (
	"math"
	"testing"
)

// Empirical DP audit (event test with Clopper–Pearson bounds; see e.g.
// Jagielski, Ullman, Oprea 2020 and the vector I1 of Google's DP testing
// tools). On neighbouring counts 0 and 1 (one customer more), the tightest
// event for the discrete Laplace mechanism is the tail S = {y ≥ 1}:
// P[M(1) ∈ S] / P[M(0) ∈ S] = e^{1/t} exactly. The test estimates both
// probabilities, takes a lower confidence bound on the ratio and checks it
// stays below the claimed ε. With a fixed seed it never flakes; the
// confidence level (1e-6 per bound) is chosen so that a fresh seed would
// fail with probability below 2e-6.
//
// The control run uses noise 10% too small while claiming the same ε, and
// must be caught.

const auditN = 1_000_000

func estimateLoss(t *testing.T, n *Noise, seed uint64) float64 {
	t.Helper()
	s := sampler(seed)
	v := make([]int64, auditN)
	if err := n.Apply(s, v); err != nil { // neighbour D: count 0
		t.Fatal(err)
	}
	var k0 int
	for _, x := range v {
		if x >= 1 {
			k0++
		}
	}
	clear(v)
	if err := n.Apply(s, v); err != nil { // neighbour D': count 1
		t.Fatal(err)
	}
	var k1 int
	for _, x := range v {
		if 1+x >= 1 {
			k1++
		}
	}
	const alpha = 1e-6
	p1lo := clopperPearsonLower(k1, auditN, alpha)
	p0hi := clopperPearsonUpper(k0, auditN, alpha)
	return math.Log(p1lo / p0hi)
}

func TestEmpiricalPrivacyLossLaplace(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 4 million samples")
	}
	const eps = 1.0
	p, err := Prepare(Query{Stat: StatCount, Request: Request{Epsilon: eps}})
	if err != nil {
		t.Fatal(err)
	}
	if lb := estimateLoss(t, p.Count, 7); lb > eps {
		t.Fatalf("measured privacy loss ≥ %.4f exceeds the claimed ε = %g", lb, eps)
	} else if lb < 0.95*eps {
		t.Fatalf("measured loss bound %.4f is far below ε = %g: the test is too weak to catch a 10%% error", lb, eps)
	}
	weak, err := Laplace(1, eps/0.9) // 10% too little noise for the claimed ε
	if err != nil {
		t.Fatal(err)
	}
	if lb := estimateLoss(t, weak, 8); lb <= eps {
		t.Fatalf("noise 10%% too small not detected: loss bound %.4f ≤ ε = %g", lb, eps)
	}
}

// clopperPearsonLower returns the exact one-sided lower confidence bound at
// level 1−alpha for a binomial proportion with k successes in n trials: the
// p with P[Bin(n, p) ≥ k] = alpha.
func clopperPearsonLower(k, n int, alpha float64) float64 {
	if k == 0 {
		return 0
	}
	// P[Bin(n,p) ≥ k] = I_p(k, n−k+1), increasing in p.
	return bisect(func(p float64) bool { return regIncBeta(float64(k), float64(n-k+1), p) < alpha })
}

// clopperPearsonUpper returns the p with P[Bin(n, p) ≤ k] = alpha.
func clopperPearsonUpper(k, n int, alpha float64) float64 {
	if k == n {
		return 1
	}
	// P[Bin(n,p) ≤ k] = 1 − I_p(k+1, n−k), decreasing in p.
	return bisect(func(p float64) bool { return 1-regIncBeta(float64(k+1), float64(n-k), p) > alpha })
}

// bisect finds the boundary in [0, 1] where below(p) turns false.
func bisect(below func(float64) bool) float64 {
	lo, hi := 0.0, 1.0
	for range 200 {
		mid := (lo + hi) / 2
		if below(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by the
// continued fraction of Numerical Recipes §6.4 (modified Lentz).
func regIncBeta(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m < 100000; m++ {
		fm := float64(m)
		num := fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm))
		d, c = 1+num*d, 1+num/c
		if math.Abs(d) < tiny {
			d = tiny
		}
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		num = -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))
		d, c = 1+num*d, 1+num/c
		if math.Abs(d) < tiny {
			d = tiny
		}
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return h
}

// TestClopperPearsonKnownAnswer checks the bounds against values computed
// with scipy.stats.beta.ppf: for k = 50 of n = 100 at alpha = 0.025, the
// two-sided 95% interval is [0.3983, 0.6017].
func TestClopperPearsonKnownAnswer(t *testing.T) {
	lo := clopperPearsonLower(50, 100, 0.025)
	hi := clopperPearsonUpper(50, 100, 0.025)
	if math.Abs(lo-0.39832) > 1e-4 || math.Abs(hi-0.60168) > 1e-4 {
		t.Fatalf("CP(50/100) = [%.5f, %.5f], want [0.39832, 0.60168]", lo, hi)
	}
}
