package noise

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// Helpers for the statistical tests: deterministic samplers, exact
// probability mass functions and goodness-of-fit statistics. Floating point
// is fine here; it never touches the sampling path.

// testSampler returns a Sampler reading a ChaCha8 stream with the given seed.
func testSampler(seed uint64) *Sampler {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return NewSampler(rand.NewChaCha8(key))
}

// draw returns n samples from d.
func draw(t *testing.T, s *Sampler, d Distribution, n int) []int64 {
	t.Helper()
	xs := make([]int64, n)
	if err := s.Fill(xs, d); err != nil {
		t.Fatalf("Fill: %v", err)
	}
	return xs
}

// scaled returns n, or n/4 in -short mode.
func scaled(n int) int {
	if testing.Short() {
		return n / 4
	}
	return n
}

// pmf is a probability mass function on lo, lo+1, …, lo+len(p)−1 whose
// mass outside that range is negligible (below 1e-25).
type pmf struct {
	lo int64
	p  []float64
}

// newPMF evaluates the unnormalised weight w on [−half, half] and normalises
// it, summing from the tails inwards so that small terms are not lost.
func newPMF(half int64, w func(x float64) float64) pmf {
	p := make([]float64, 2*half+1)
	for i := range p {
		p[i] = w(float64(int64(i) - half))
	}
	var z float64
	for i := int64(0); i < half; i++ {
		z += p[i] + p[2*half-i]
	}
	z += p[half]
	for i := range p {
		p[i] /= z
	}
	return pmf{lo: -half, p: p}
}

// gaussianPMF returns the pmf of N_Z(0, σ²), P(x) ∝ exp(−x²/(2σ²)), on
// |x| ≤ 14σ + 2; the mass beyond 14σ is below exp(−98).
func gaussianPMF(sigma2 float64) pmf {
	half := int64(math.Ceil(14*math.Sqrt(sigma2))) + 2
	return newPMF(half, func(x float64) float64 { return math.Exp(-x * x / (2 * sigma2)) })
}

// laplacePMF returns the pmf of DLap(t), P(x) ∝ exp(−|x|/t), on
// |x| ≤ 60t + 2; the mass beyond 60t is below exp(−60).
func laplacePMF(t float64) pmf {
	half := int64(math.Ceil(60*t)) + 2
	return newPMF(half, func(x float64) float64 { return math.Exp(-math.Abs(x) / t) })
}

// moments returns E[X] and the central moments E[(X−μ)²] and E[(X−μ)⁴].
func (d pmf) moments() (mean, variance, mu4 float64) {
	for i, p := range d.p {
		mean += p * float64(d.lo+int64(i))
	}
	for i, p := range d.p {
		x := float64(d.lo+int64(i)) - mean
		variance += p * x * x
		mu4 += p * x * x * x * x
	}
	return mean, variance, mu4
}

// gaussianMoments returns Var[X] and E[X⁴] of N_Z(0, σ²). For σ ≤ 10 it sums
// the pmf. For larger σ it uses the continuous values σ² and 3σ⁴: by Poisson
// summation the discrete moments differ from them by a relative amount of
// order σ²·exp(−2π²σ²), below 1e-800 for σ > 10.
func gaussianMoments(sigma2 float64) (variance, mu4 float64) {
	if sigma2 > 100 {
		return sigma2, 3 * sigma2 * sigma2
	}
	_, variance, mu4 = gaussianPMF(sigma2).moments()
	return variance, mu4
}

// laplaceMoments returns Var[X] and E[X⁴] of DLap(t) in closed form. With
// q = exp(−1/t), P(x) = (1−q)/(1+q)·q^|x|, Σ k²qᵏ = q(1+q)/(1−q)³ and
// Σ k⁴qᵏ = q(1+11q+11q²+q³)/(1−q)⁵.
func laplaceMoments(t float64) (variance, mu4 float64) {
	q := math.Exp(-1 / t)
	oneMinusQ := -math.Expm1(-1 / t)
	variance = 2 * q / (oneMinusQ * oneMinusQ)
	mu4 = 2 * q * (1 + 11*q + 11*q*q + q*q*q) / ((1 + q) * math.Pow(oneMinusQ, 4))
	return variance, mu4
}

// checkMoments checks that the sample mean and the mean of x² of xs are
// within 5 standard errors of 0 and variance. The mean of x² estimates the
// variance of a zero-mean distribution without bias and has variance
// (E[X⁴] − Var²)/n.
func checkMoments(t *testing.T, xs []int64, variance, mu4 float64) {
	t.Helper()
	n := float64(len(xs))
	var sum, sum2 float64
	for _, x := range xs {
		f := float64(x)
		sum += f
		sum2 += f * f
	}
	mean, meanSq := sum/n, sum2/n
	if se := math.Sqrt(variance / n); math.Abs(mean) > 5*se {
		t.Errorf("sample mean = %.6g, want 0 ± %.3g (5 standard errors)", mean, 5*se)
	}
	if se := math.Sqrt((mu4 - variance*variance) / n); math.Abs(meanSq-variance) > 5*se {
		t.Errorf("sample variance = %.8g, want %.8g ± %.3g (5 standard errors)", meanSq, variance, 5*se)
	}
}

// chiSquarePMF returns Pearson's χ² statistic and its degrees of freedom for
// xs against d. Adjacent values are merged into bins with expected count at
// least 5; the outermost bins extend to ±∞.
func chiSquarePMF(xs []int64, d pmf) (stat float64, df int) {
	n := float64(len(xs))
	var upper []int64 // inclusive upper bounds; the last bin is open
	var probs []float64
	acc := 0.0
	for i, p := range d.p {
		acc += p
		if acc*n >= 5 {
			upper = append(upper, d.lo+int64(i))
			probs = append(probs, acc)
			acc = 0
		}
	}
	probs[len(probs)-1] += acc
	upper[len(upper)-1] = math.MaxInt64
	return chiSquareBins(xs, upper, probs)
}

// chiSquareBins returns Pearson's χ² statistic and degrees of freedom for xs
// in the bins (upper[i−1], upper[i]] with probabilities probs.
func chiSquareBins(xs []int64, upper []int64, probs []float64) (stat float64, df int) {
	counts := make([]int, len(upper))
	for _, x := range xs {
		counts[sort.Search(len(upper), func(i int) bool { return x <= upper[i] })]++
	}
	n := float64(len(xs))
	for i, c := range counts {
		e := n * probs[i]
		stat += (float64(c) - e) * (float64(c) - e) / e
	}
	return stat, len(counts) - 1
}

// normalCDF returns Φ(z).
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// normalQuantile returns Φ⁻¹(p) for 0 < p < 1, by bisection.
func normalQuantile(p float64) float64 {
	lo, hi := -40.0, 40.0
	for range 200 {
		mid := (lo + hi) / 2
		if normalCDF(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// chiSquareSurvival returns P[χ²_df ≥ x], the regularised upper incomplete
// gamma function Q(df/2, x/2) (series and continued fraction, as in
// Numerical Recipes §6.2).
func chiSquareSurvival(x float64, df int) float64 {
	a, x := float64(df)/2, x/2
	if x <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a)
	prefix := math.Exp(-x + a*math.Log(x) - lg)
	const eps, tiny = 1e-15, 1e-300
	if x < a+1 {
		sum, term := 1/a, 1/a
		for ap := a + 1; math.Abs(term) > math.Abs(sum)*eps; ap++ {
			term *= x / ap
			sum += term
		}
		return 1 - sum*prefix
	}
	b := x + 1 - a
	c, d := 1/tiny, 1/b
	h := d
	for i := 1.0; i < 10000; i++ {
		an := -i * (i - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := d * c
		h *= delta
		if math.Abs(delta-1) < eps {
			break
		}
	}
	return prefix * h
}

// Statistical tests fail when the p-value of the goodness-of-fit statistic is
// below minPValue. With fixed seeds the outcome is deterministic.
const minPValue = 1e-6

func TestStatsHelpers(t *testing.T) {
	t.Run("chi2=df2", func(t *testing.T) {
		for _, x := range []float64{0.5, 3, 30} {
			if got, want := chiSquareSurvival(x, 2), math.Exp(-x/2); math.Abs(got-want) > 1e-12*want {
				t.Errorf("chiSquareSurvival(%g, 2) = %g, want %g", x, got, want)
			}
		}
	})
	t.Run("chi2=df1", func(t *testing.T) {
		for _, x := range []float64{0.1, 2, 40} {
			if got, want := chiSquareSurvival(x, 1), math.Erfc(math.Sqrt(x/2)); math.Abs(got-want) > 1e-10*want {
				t.Errorf("chiSquareSurvival(%g, 1) = %g, want %g", x, got, want)
			}
		}
	})
	t.Run("laplace=closed-form", func(t *testing.T) {
		for _, tt := range []float64{0.5, 1, 2.5} {
			_, v, m4 := laplacePMF(tt).moments()
			cv, cm4 := laplaceMoments(tt)
			if math.Abs(v-cv) > 1e-12*cv || math.Abs(m4-cm4) > 1e-12*cm4 {
				t.Errorf("t=%g: summed moments (%g, %g), closed form (%g, %g)", tt, v, m4, cv, cm4)
			}
		}
	})
	t.Run("gaussian=poisson-summation", func(t *testing.T) {
		// For σ ≥ 3 the discrete moments equal the continuous ones to
		// float64 precision; for σ = 0.5 the variance is clearly smaller.
		if _, v, m4 := gaussianPMF(9).moments(); math.Abs(v-9) > 1e-12 || math.Abs(m4-243) > 1e-10 {
			t.Errorf("σ=3: moments (%.15g, %.15g), want (9, 243)", v, m4)
		}
		if v, _ := gaussianMoments(1); math.Abs(v-1) > 3e-7 || v >= 1 {
			t.Errorf("σ=1: variance %.15g, want just below 1", v)
		}
		if v, _ := gaussianMoments(0.25); v > 0.9*0.25 {
			t.Errorf("σ=0.5: variance %.6g, want < 0.9·σ²", v)
		}
	})
}
