package synth

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
)

// streamKind separates the random streams of one organisation so that each
// file can be generated on its own and still agree with the others.
type streamKind uint64

const (
	kindProfile streamKind = iota + 1
	kindCustomers
	kindTransactions
	kindCampaign
)

// stream is a deterministic source of random variates. It reads only the raw
// 64-bit outputs of a PCG generator, whose algorithm is fixed, and derives
// every variate itself with platform-independent arithmetic (see fpmath.go),
// so that a seed yields the same values on every platform and Go release.
type stream struct {
	src *rand.PCG
}

// newStream returns the stream for one kind of output of the organisation at
// index in a consortium generated from seed.
func newStream(seed uint64, index int, kind streamKind) *stream {
	k := splitmix64(uint64(index)<<8 | uint64(kind))
	return &stream{src: rand.NewPCG(splitmix64(seed), splitmix64(seed^k))}
}

// splitmix64 scrambles x so that nearby seeds give unrelated PCG states.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// float64 returns a uniform value in [0, 1).
func (s *stream) float64() float64 {
	return float64(s.src.Uint64()>>11) / (1 << 53)
}

// openFloat64 returns a uniform value in (0, 1), safe to take the log of.
func (s *stream) openFloat64() float64 {
	return (float64(s.src.Uint64()>>11) + 0.5) / (1 << 53)
}

// uniform returns a uniform value in [lo, hi).
func (s *stream) uniform(lo, hi float64) float64 {
	return lo + float64((hi-lo)*s.float64())
}

// intN returns a uniform integer in [0, n) without modulo bias (Lemire's
// multiply-shift method). n must be positive.
func (s *stream) intN(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(s.src.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(s.src.Uint64(), un)
		}
	}
	return int(hi)
}

// bernoulli returns true with probability p.
func (s *stream) bernoulli(p float64) bool {
	return s.float64() < p
}

// normal returns a standard normal variate (Marsaglia's polar method).
func (s *stream) normal() float64 {
	for {
		u := float64(2*s.float64()) - 1
		v := float64(2*s.float64()) - 1
		q := float64(u*u) + float64(v*v)
		if q > 0 && q < 1 {
			return u * math.Sqrt(-2*logP(q)/q)
		}
	}
}

// exponential returns an exponential variate with the given rate.
func (s *stream) exponential(rate float64) float64 {
	return -logP(s.openFloat64()) / rate
}

// logNormal returns a log-normal variate with the given median and log-scale
// standard deviation sigma.
func (s *stream) logNormal(median, sigma float64) float64 {
	return float64(median * expP(float64(sigma*s.normal())))
}

// gamma returns a Gamma(shape, rate) variate, mean shape/rate, by the method
// of Marsaglia and Tsang; shapes below 1 use the boost
// Gamma(k) = Gamma(k+1) * U^(1/k).
func (s *stream) gamma(shape, rate float64) float64 {
	if shape < 1 {
		boost := expP(logP(s.openFloat64()) / shape)
		return float64(s.gamma(shape+1, rate) * boost)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(float64(9*d))
	for {
		x := s.normal()
		v := 1 + float64(c*x)
		if v <= 0 {
			continue
		}
		v = float64(float64(v*v) * v)
		u := s.openFloat64()
		x2 := float64(x * x)
		if u < 1-float64(0.0331*float64(x2*x2)) {
			return float64(d*v) / rate
		}
		if logP(u) < float64(0.5*x2)+float64(d*(1-v+logP(v))) {
			return float64(d*v) / rate
		}
	}
}

// beta returns a Beta(a, b) variate.
func (s *stream) beta(a, b float64) float64 {
	x := s.gamma(a, 1)
	y := s.gamma(b, 1)
	return x / (x + y)
}

// maxPoissonMean bounds the mean poisson accepts; Knuth's method needs
// exp(-mean) to stay a normal float64 and runs in time proportional to it.
const maxPoissonMean = 500

// poisson returns a Poisson variate with the given mean (Knuth's method).
// Means above maxPoissonMean are treated as maxPoissonMean.
func (s *stream) poisson(mean float64) int {
	limit := expP(-min(mean, maxPoissonMean))
	k := 0
	for prod := s.openFloat64(); prod > limit; prod = float64(prod * s.openFloat64()) {
		k++
	}
	return k
}

// binomial returns the number of successes in n trials of probability p.
func (s *stream) binomial(n int, p float64) int {
	k := 0
	for range n {
		if s.bernoulli(p) {
			k++
		}
	}
	return k
}

// table is a categorical distribution over indices 0..n-1.
type table struct {
	cum  []float64 // cumulative weights
	last int       // highest index with a positive weight
}

// newTable returns the categorical distribution with the given relative
// weights. At least one weight must be positive and none negative.
func newTable(weights []float64) table {
	t := table{cum: make([]float64, len(weights))}
	sum := 0.0
	for i, w := range weights {
		sum += w
		t.cum[i] = sum
		if w > 0 {
			t.last = i
		}
	}
	return t
}

// pick draws an index from t.
func (s *stream) pick(t table) int {
	u := float64(s.float64() * t.cum[len(t.cum)-1])
	i := sort.Search(len(t.cum), func(i int) bool { return u < t.cum[i] })
	return min(i, t.last)
}
