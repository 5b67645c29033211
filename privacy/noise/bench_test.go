package noise_test

import (
	"crypto/rand"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/fednode/fednode/privacy/noise"
)

// benchSample measures single draws from d with crypto/rand.Reader.
func benchSample(b *testing.B, d noise.Distribution) {
	s := noise.NewSampler(rand.Reader)
	n := 0
	start := time.Now()
	for b.Loop() {
		if _, err := s.Sample(d); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "samples/s")
}

func BenchmarkDiscreteGaussian(b *testing.B) {
	for _, sigma := range []float64{0.5, 1, 3.7, 1e3, 1e6} {
		b.Run("sigma="+strconv.FormatFloat(sigma, 'f', -1, 64), func(b *testing.B) {
			g, err := noise.NewGaussianSigma(sigma)
			if err != nil {
				b.Fatal(err)
			}
			benchSample(b, g)
		})
	}
}

func BenchmarkDiscreteLaplace(b *testing.B) {
	for _, t := range []float64{1, 2.5, 1e3, 1e6} {
		b.Run("t="+strconv.FormatFloat(t, 'f', -1, 64), func(b *testing.B) {
			l, err := noise.NewLaplaceFloat(t)
			if err != nil {
				b.Fatal(err)
			}
			benchSample(b, l)
		})
	}
}

// BenchmarkAdd measures noising a vector of 1e5 values at σ = 1000, on one
// goroutine and on all of GOMAXPROCS.
func BenchmarkAdd(b *testing.B) {
	const n = 100_000
	g, err := noise.NewGaussianSigma(1e3)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]int64, n)
	cryptoReader := func() io.Reader { return rand.Reader }
	for _, tc := range []struct {
		name string
		add  func() error
	}{
		{"serial", func() error { return noise.NewSampler(rand.Reader).Add(dst, g) }},
		{"parallel", func() error { return noise.AddParallel(dst, g, 0, cryptoReader) }},
	} {
		b.Run("mode="+tc.name+"/n=100000", func(b *testing.B) {
			rounds := 0
			start := time.Now()
			for b.Loop() {
				clear(dst)
				if err := tc.add(); err != nil {
					b.Fatal(err)
				}
				rounds++
			}
			b.ReportMetric(float64(rounds*n)/time.Since(start).Seconds(), "samples/s")
		})
	}
}
