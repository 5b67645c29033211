package noise

import (
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"testing"
)

func mustGaussian(t *testing.T, sigma float64) *Gaussian {
	t.Helper()
	g, err := NewGaussianSigma(sigma)
	if err != nil {
		t.Fatalf("NewGaussianSigma(%g): %v", sigma, err)
	}
	return g
}

func mustLaplace(t *testing.T, scale float64) *Laplace {
	t.Helper()
	l, err := NewLaplaceFloat(scale)
	if err != nil {
		t.Fatalf("NewLaplaceFloat(%g): %v", scale, err)
	}
	return l
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func TestGaussianMoments(t *testing.T) {
	tests := []struct {
		sigma float64
		n     int
	}{
		{0.5, 200_000},
		{1, 200_000},
		{3, 200_000},
		{3.7, 100_000}, // σ² needs > 64 bits: math/big acceptance path
		{1e3, 100_000},
		{1e6, 50_000},
	}
	for i, tc := range tests {
		t.Run("sigma="+fmtFloat(tc.sigma), func(t *testing.T) {
			g := mustGaussian(t, tc.sigma)
			sigma2 := tc.sigma * tc.sigma
			variance, mu4 := gaussianMoments(sigma2)
			xs := draw(t, testSampler(uint64(100+i)), g, scaled(tc.n))
			checkMoments(t, xs, variance, mu4)
			if tc.sigma < 1 {
				// The discrete variance is well below σ²; the samples must
				// show it.
				var sum2 float64
				for _, x := range xs {
					sum2 += float64(x * x)
				}
				se := math.Sqrt((mu4 - variance*variance) / float64(len(xs)))
				if got := sum2 / float64(len(xs)); got > sigma2-5*se {
					t.Errorf("sample variance %.6g not below σ² = %g", got, sigma2)
				}
			}
		})
	}
}

func TestLaplaceMoments(t *testing.T) {
	tests := []struct {
		scale float64
		n     int
	}{
		{0.5, 200_000},
		{1, 200_000},
		{2.5, 200_000},
		{0.1, 200_000}, // numerator and denominator of the scale exceed 2⁵⁰
		{1e3, 100_000},
		{1e6, 50_000},
	}
	for i, tc := range tests {
		t.Run("t="+fmtFloat(tc.scale), func(t *testing.T) {
			l := mustLaplace(t, tc.scale)
			variance, mu4 := laplaceMoments(tc.scale)
			checkMoments(t, draw(t, testSampler(uint64(200+i)), l, scaled(tc.n)), variance, mu4)
		})
	}
}

func TestGoodnessOfFit(t *testing.T) {
	tests := []struct {
		name string
		d    Distribution
		pmf  pmf
	}{
		{"gaussian/sigma=0.5", mustGaussian(t, 0.5), gaussianPMF(0.25)},
		{"gaussian/sigma=1", mustGaussian(t, 1), gaussianPMF(1)},
		{"gaussian/sigma=3", mustGaussian(t, 3), gaussianPMF(9)},
		{"gaussian/sigma=3.7", mustGaussian(t, 3.7), gaussianPMF(3.7 * 3.7)},
		{"laplace/t=1", mustLaplace(t, 1), laplacePMF(1)},
		{"laplace/t=2.5", mustLaplace(t, 2.5), laplacePMF(2.5)},
		{"laplace/t=0.3", mustLaplace(t, 0.3), laplacePMF(0.3)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xs := draw(t, testSampler(uint64(300+i)), tc.d, scaled(200_000))
			stat, df := chiSquarePMF(xs, tc.pmf)
			if p := chiSquareSurvival(stat, df); p < minPValue {
				t.Errorf("χ² = %.2f with %d degrees of freedom: p = %.3g < %g", stat, df, p, minPValue)
			}
		})
	}
}

// TestGoodnessOfFitLargeSigma bins samples into 50 equiprobable bins of the
// normal approximation. For σ ≥ 1000, P[X ≤ k] = Φ((k + ½)/σ) up to a relative
// error of order 1/σ² (Euler–Maclaurin for the midpoint rule; the periodic
// corrections are of order exp(−2π²σ²)), far below the sampling error of
// 1000 samples per bin.
func TestGoodnessOfFitLargeSigma(t *testing.T) {
	const bins = 50
	for i, sigma := range []float64{1e3, 1e6} {
		t.Run("sigma="+fmtFloat(sigma), func(t *testing.T) {
			upper := make([]int64, bins)
			probs := make([]float64, bins)
			prev := 0.0
			for j := range bins {
				cdf := 1.0
				upper[j] = math.MaxInt64
				if j < bins-1 {
					upper[j] = int64(math.Round(sigma * normalQuantile(float64(j+1)/bins)))
					cdf = normalCDF((float64(upper[j]) + 0.5) / sigma)
				}
				probs[j] = cdf - prev
				prev = cdf
			}
			xs := draw(t, testSampler(uint64(400+i)), mustGaussian(t, sigma), scaled(50_000))
			stat, df := chiSquareBins(xs, upper, probs)
			if p := chiSquareSurvival(stat, df); p < minPValue {
				t.Errorf("χ² = %.2f with %d degrees of freedom: p = %.3g < %g", stat, df, p, minPValue)
			}
		})
	}
}

// checkFrequency checks that k successes in n trials are within 5 standard
// errors of the success probability p.
func checkFrequency(t *testing.T, k, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	if sd := math.Sqrt(mean * (1 - p)); math.Abs(float64(k)-mean) > 5*sd {
		t.Errorf("%d successes in %d trials, want %.1f ± %.1f (5 standard errors)", k, n, mean, 5*sd)
	}
}

func TestBernoulliExp(t *testing.T) {
	bigGamma := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 200))
	bigGamma.Add(bigGamma, big.NewRat(1, 3)) // 1/3 + 2⁻²⁰⁰: math/big path
	tests := []struct {
		name  string
		gamma *big.Rat
		p     float64
	}{
		{"gamma=0", big.NewRat(0, 1), 1},
		{"gamma=0.5", big.NewRat(1, 2), math.Exp(-0.5)},
		{"gamma=1", big.NewRat(1, 1), math.Exp(-1)},
		{"gamma=2.5", big.NewRat(5, 2), math.Exp(-2.5)},
		{"gamma=10", big.NewRat(10, 1), math.Exp(-10)},
		{"gamma=1/3+2^-200", bigGamma, math.Exp(-1.0 / 3)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSampler(uint64(500 + i))
			n, k := scaled(400_000), 0
			for range n {
				b, err := s.BernoulliExp(tc.gamma)
				if err != nil {
					t.Fatal(err)
				}
				if b {
					k++
				}
			}
			if tc.p == 1 && k != n {
				t.Fatalf("Bernoulli(exp(−0)) returned false %d times in %d", n-k, n)
			}
			checkFrequency(t, k, n, tc.p)
		})
	}
}

func TestBernoulli(t *testing.T) {
	half := new(big.Int).Lsh(big.NewInt(1), 100)
	nearHalf := new(big.Rat).SetFrac(new(big.Int).Sub(half, big.NewInt(1)), new(big.Int).Lsh(half, 1))
	tests := []struct {
		name string
		p    *big.Rat
	}{
		{"p=0", big.NewRat(0, 1)},
		{"p=1/3", big.NewRat(1, 3)},
		{"p=1/2", big.NewRat(1, 2)},
		{"p=999/1000", big.NewRat(999, 1000)},
		{"p=1", big.NewRat(1, 1)},
		{"p=(2^100-1)/2^101", nearHalf},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSampler(uint64(600 + i))
			n, k := scaled(200_000), 0
			for range n {
				b, err := s.Bernoulli(tc.p)
				if err != nil {
					t.Fatal(err)
				}
				if b {
					k++
				}
			}
			p, _ := tc.p.Float64()
			if (p == 0 && k != 0) || (p == 1 && k != n) {
				t.Fatalf("Bernoulli(%g): %d successes in %d trials", p, k, n)
			}
			checkFrequency(t, k, n, p)
		})
	}
}

func TestUniform(t *testing.T) {
	for i, n := range []uint64{1, 3, 5, 1000} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			s := testSampler(uint64(700 + i))
			const draws = 50_000
			counts := make([]int, n)
			for range draws {
				counts[s.uniform64(n)]++
			}
			if n == 1 {
				return
			}
			var stat float64
			e := float64(draws) / float64(n)
			for _, c := range counts {
				stat += (float64(c) - e) * (float64(c) - e) / e
			}
			if p := chiSquareSurvival(stat, int(n)-1); p < minPValue {
				t.Errorf("χ² = %.2f with %d degrees of freedom: p = %.3g", stat, n-1, p)
			}
		})
	}
}

func TestSymmetry(t *testing.T) {
	tests := []struct {
		name string
		d    Distribution
	}{
		{"gaussian/sigma=3", mustGaussian(t, 3)},
		{"laplace/t=2.5", mustLaplace(t, 2.5)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xs := draw(t, testSampler(uint64(800+i)), tc.d, scaled(200_000))
			counts := make(map[int64]int)
			var pos, neg int
			for _, x := range xs {
				counts[x]++
				switch {
				case x > 0:
					pos++
				case x < 0:
					neg++
				}
			}
			// Given c(x) + c(−x) = m, c(x) is Binomial(m, 1/2) under symmetry.
			check := func(what string, a, b int) {
				if m := float64(a + b); math.Abs(float64(a-b)) > 5*math.Sqrt(m) {
					t.Errorf("%s: %d vs %d, |difference| > 5·√%v", what, a, b, m)
				}
			}
			check("positive vs negative", pos, neg)
			for x, c := range counts {
				if x > 0 && c+counts[-x] >= 20 {
					check(fmt.Sprintf("P(%d) vs P(%d)", x, -x), c, counts[-x])
				}
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	g := mustGaussian(t, 1e3)
	a := draw(t, testSampler(1), g, 10_000)
	b := draw(t, testSampler(1), g, 10_000)
	c := draw(t, testSampler(2), g, 10_000)
	same := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, sample %d: %d != %d", i, a[i], b[i])
		}
		if a[i] == c[i] {
			same++
		}
	}
	// Two independent N_Z(0, 10⁶) samples agree with probability ≈ 1/(2√π·σ).
	if same > 50 {
		t.Errorf("different seeds agree on %d of %d samples", same, len(a))
	}
}

func TestParallel(t *testing.T) {
	g := mustGaussian(t, 3)
	const n = 3*minPerWorker + 17
	factory := func() func() io.Reader {
		var seed uint64
		return func() io.Reader {
			seed++
			return testSampler(seed).r
		}
	}
	// AddParallel with 3 workers equals three serial Adds on consecutive
	// thirds, each with the next seed.
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i)
	}
	got := append([]int64(nil), want...)
	for w := range 3 {
		if err := testSampler(uint64(w+1)).Add(want[w*n/3:(w+1)*n/3], g); err != nil {
			t.Fatal(err)
		}
	}
	if err := AddParallel(got, g, 3, factory()); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("element %d: AddParallel = %d, serial = %d", i, got[i], want[i])
		}
	}

	fill := make([]int64, n)
	if err := FillParallel(fill, g, 0, factory()); err != nil {
		t.Fatal(err)
	}
	variance, mu4 := gaussianMoments(9)
	checkMoments(t, fill, variance, mu4)
}
