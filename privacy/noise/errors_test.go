package noise

import (
	"errors"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
)

func TestInvalidParameters(t *testing.T) {
	huge := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 97))
	tests := []struct {
		name string
		call func() error
	}{
		{"gaussian/sigma2=nil", func() error { _, err := NewGaussian(nil); return err }},
		{"gaussian/sigma2=0", func() error { _, err := NewGaussian(new(big.Rat)); return err }},
		{"gaussian/sigma2=-1", func() error { _, err := NewGaussian(big.NewRat(-1, 1)); return err }},
		{"gaussian/sigma2=2^97", func() error { _, err := NewGaussian(huge); return err }},
		{"gaussian/sigma=0", func() error { _, err := NewGaussianSigma(0); return err }},
		{"gaussian/sigma=-1", func() error { _, err := NewGaussianSigma(-1); return err }},
		{"gaussian/sigma=NaN", func() error { _, err := NewGaussianSigma(math.NaN()); return err }},
		{"gaussian/sigma=+Inf", func() error { _, err := NewGaussianSigma(math.Inf(1)); return err }},
		{"gaussian/sigma=-Inf", func() error { _, err := NewGaussianSigma(math.Inf(-1)); return err }},
		{"gaussian/sigma=2^49", func() error { _, err := NewGaussianSigma(1 << 49); return err }},
		{"laplace/t=nil", func() error { _, err := NewLaplace(nil); return err }},
		{"laplace/t=0", func() error { _, err := NewLaplace(new(big.Rat)); return err }},
		{"laplace/t=-1/2", func() error { _, err := NewLaplace(big.NewRat(-1, 2)); return err }},
		{"laplace/t=2^97", func() error { _, err := NewLaplace(huge); return err }},
		{"laplace/t=NaN", func() error { _, err := NewLaplaceFloat(math.NaN()); return err }},
		{"laplace/t=+Inf", func() error { _, err := NewLaplaceFloat(math.Inf(1)); return err }},
		{"laplace/t=-0", func() error { _, err := NewLaplaceFloat(math.Copysign(0, -1)); return err }},
		{"rat/x=NaN", func() error { _, err := RatFromFloat(math.NaN()); return err }},
		{"bernoulli/p=nil", func() error { _, err := testSampler(1).Bernoulli(nil); return err }},
		{"bernoulli/p=-1/2", func() error { _, err := testSampler(1).Bernoulli(big.NewRat(-1, 2)); return err }},
		{"bernoulli/p=3/2", func() error { _, err := testSampler(1).Bernoulli(big.NewRat(3, 2)); return err }},
		{"bernoulliexp/gamma=nil", func() error { _, err := testSampler(1).BernoulliExp(nil); return err }},
		{"bernoulliexp/gamma=-1", func() error { _, err := testSampler(1).BernoulliExp(big.NewRat(-1, 1)); return err }},
		{"sampler=discrete-laplace/t=0", func() error { _, err := testSampler(1).DiscreteLaplace(new(big.Rat)); return err }},
		{"sampler=discrete-gaussian/sigma2=-1", func() error { _, err := testSampler(1).DiscreteGaussian(big.NewRat(-1, 1)); return err }},
		{"distribution=nil", func() error { _, err := testSampler(1).Sample(nil); return err }},
		{"distribution=zero-gaussian", func() error { _, err := testSampler(1).Sample(&Gaussian{}); return err }},
		{"distribution=nil-gaussian", func() error { _, err := testSampler(1).Sample((*Gaussian)(nil)); return err }},
		{"distribution=zero-laplace", func() error { return testSampler(1).Fill(make([]int64, 3), &Laplace{}) }},
		{"distribution=nil-fill", func() error { return testSampler(1).Fill(make([]int64, 3), nil) }},
		{"distribution=nil-add", func() error { return testSampler(1).Add(make([]int64, 3), nil) }},
		{"sampler=nil", func() error { _, err := (*Sampler)(nil).Sample(mustLaplace(t, 1)); return err }},
		{"sampler=zero", func() error { _, err := new(Sampler).Sample(mustLaplace(t, 1)); return err }},
		{"sampler=nil-reader", func() error { _, err := NewSampler(nil).Bernoulli(big.NewRat(1, 2)); return err }},
		{"parallel/factory=nil", func() error { return FillParallel(make([]int64, 10), mustLaplace(t, 1), 2, nil) }},
		{"parallel/reader=nil", func() error {
			return AddParallel(make([]int64, 10), mustLaplace(t, 1), 2, func() io.Reader { return nil })
		}},
		{"parallel/distribution=nil", func() error {
			return AddParallel(make([]int64, 10), nil, 2, func() io.Reader { return testSampler(1).r })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, ErrInvalidParameter) {
				t.Fatalf("error = %v, want ErrInvalidParameter", err)
			}
		})
	}
}

var errBroken = errors.New("entropy source broken")

// failingReader returns n bytes from r, then err.
type failingReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestReaderErrors(t *testing.T) {
	dists := []struct {
		name string
		d    Distribution
	}{
		{"gaussian/sigma=1000", mustGaussian(t, 1e3)},
		{"gaussian/sigma=3.7", mustGaussian(t, 3.7)},
		{"laplace/t=3", mustLaplace(t, 3)},
		{"laplace/t=0.1", mustLaplace(t, 0.1)},
	}
	for _, after := range []int{0, 100, 3*bufSize + 5} {
		for _, dist := range dists {
			t.Run(dist.name+"/fail-after="+strconv.Itoa(after), func(t *testing.T) {
				s := NewSampler(&failingReader{r: testSampler(1).r, n: after, err: errBroken})
				err := s.Fill(make([]int64, 100_000), dist.d)
				if !errors.Is(err, errBroken) {
					t.Fatalf("Fill error = %v, want %v", err, errBroken)
				}
				// The error is sticky.
				if _, err := s.Sample(dist.d); !errors.Is(err, errBroken) {
					t.Fatalf("Sample after failure: error = %v, want %v", err, errBroken)
				}
				if _, err := s.BernoulliExp(big.NewRat(10, 1)); !errors.Is(err, errBroken) {
					t.Fatalf("BernoulliExp after failure: error = %v, want %v", err, errBroken)
				}
			})
		}
	}
	t.Run("reader=empty", func(t *testing.T) {
		_, err := NewSampler(strings.NewReader("")).Bernoulli(big.NewRat(1, 3))
		if !errors.Is(err, io.EOF) {
			t.Fatalf("error = %v, want io.EOF", err)
		}
	})
	t.Run("reader=short", func(t *testing.T) {
		_, err := NewSampler(strings.NewReader("abc")).BernoulliExp(big.NewRat(1, 3))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("error = %v, want io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("parallel", func(t *testing.T) {
		err := FillParallel(make([]int64, 4*minPerWorker), mustLaplace(t, 1), 2, func() io.Reader {
			return &failingReader{r: testSampler(1).r, n: bufSize + 1, err: errBroken}
		})
		if !errors.Is(err, errBroken) {
			t.Fatalf("error = %v, want %v", err, errBroken)
		}
	})
}

func TestAddOverflow(t *testing.T) {
	dst := []int64{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64}
	for i := range 4 {
		dst[2*i+1] = math.MinInt64
	}
	// Each element overflows with probability ≈ 1/2; with a fixed seed, one
	// of the eight does.
	err := testSampler(7).Add(dst, mustLaplace(t, 10))
	if !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("error = %v, want ErrOutOfRange", err)
	}
}

func TestAccessors(t *testing.T) {
	g := mustGaussian(t, 1.5)
	if got, want := g.Sigma2(), big.NewRat(9, 4); got.Cmp(want) != 0 {
		t.Errorf("Sigma2() = %v, want %v", got, want)
	}
	g.Sigma2().SetInt64(5) // a copy: must not change g
	if got := g.String(); got != "N_Z(0, 9/4)" {
		t.Errorf("String() = %q", got)
	}
	l := mustLaplace(t, 2.5)
	if got, want := l.Scale(), big.NewRat(5, 2); got.Cmp(want) != 0 {
		t.Errorf("Scale() = %v, want %v", got, want)
	}
	if got := l.String(); got != "DLap(5/2)" {
		t.Errorf("String() = %q", got)
	}
	if (*Gaussian)(nil).Sigma2() != nil || new(Laplace).Scale() != nil || new(Gaussian).String() != "N_Z(invalid)" {
		t.Error("accessors of uninitialised distributions return values")
	}
	// The float constructor is exact, not decimal.
	r, err := RatFromFloat(0.1)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := new(big.Rat).SetString("3602879701896397/36028797018963968"); r.Cmp(want) != 0 {
		t.Errorf("RatFromFloat(0.1) = %v, want %v", r, want)
	}
	// The convenience methods draw from the same distributions.
	a, b := testSampler(5), testSampler(5)
	for range 100 {
		x, err1 := a.DiscreteGaussian(big.NewRat(9, 4))
		y, err2 := b.Sample(g)
		if err1 != nil || err2 != nil || x != y {
			t.Fatalf("DiscreteGaussian = %d, %v; Sample = %d, %v", x, err1, y, err2)
		}
		x, err1 = a.DiscreteLaplace(big.NewRat(5, 2))
		y, err2 = b.Sample(l)
		if err1 != nil || err2 != nil || x != y {
			t.Fatalf("DiscreteLaplace = %d, %v; Sample = %d, %v", x, err1, y, err2)
		}
	}
}
