package mechanism

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/noise"
)

func sampler(seed uint64) *noise.Sampler {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return noise.NewSampler(rand.NewChaCha8(s))
}

func TestLaplaceCalibration(t *testing.T) {
	for _, tc := range []struct{ l1, eps, scale float64 }{
		{1, 1, 1}, {1, 0.5, 2}, {10, 1, 10}, {3, 0.7, 3 / 0.7},
	} {
		n, err := Laplace(tc.l1, tc.eps)
		if err != nil {
			t.Fatal(err)
		}
		if n.Scale < tc.scale || n.Scale > tc.scale+1.0/grid {
			t.Errorf("l1=%g eps=%g: scale %g, want %g rounded up to the grid", tc.l1, tc.eps, n.Scale, tc.scale)
		}
		if n.Cost.Epsilon > tc.eps || n.Cost.Epsilon < tc.eps*(1-1e-3) || n.Cost.Delta != 0 || n.Cost.Rho != 0 {
			t.Errorf("l1=%g eps=%g: cost %v", tc.l1, tc.eps, n.Cost)
		}
	}
}

// TestGaussianCostWithinRequest: the zCDP cost of a Gaussian release,
// converted at the request's δ, never exceeds the request's ε.
func TestGaussianCostWithinRequest(t *testing.T) {
	for _, req := range []Request{{1, 1e-5}, {0.1, 1e-6}, {4, 1e-9}, {0.5, 1e-3}} {
		p, err := Prepare(Query{Stat: StatCount, Request: req})
		if err != nil {
			t.Fatal(err)
		}
		eps, err := accountant.EpsilonForRho(p.Cost.Rho, req.Delta)
		if err != nil {
			t.Fatal(err)
		}
		if eps > req.Epsilon || eps < req.Epsilon*0.99 {
			t.Errorf("req=%v: cost ρ=%g converts to ε=%g", req, p.Cost.Rho, eps)
		}
		if want, _ := accountant.SigmaForRho(1, p.Cost.Rho); p.Count.Scale < want*(1-1e-12) {
			t.Errorf("req=%v: σ %g below calibration %g", req, p.Count.Scale, want)
		}
	}
}

func TestMeanSplitsBudget(t *testing.T) {
	for _, req := range []Request{{1, 0}, {1, 1e-6}} {
		p, err := Prepare(Query{Stat: StatMean, Lo: 0, Hi: 100, Bits: 4, Request: req})
		if err != nil {
			t.Fatal(err)
		}
		maxRho, _ := accountant.MaxRho(accountant.Total{}, accountant.Budget{Epsilon: req.Epsilon, Delta: req.Delta})
		if req.Delta == 0 {
			if p.Cost.Epsilon > req.Epsilon || p.Count.Cost.Epsilon > req.Epsilon/2 {
				t.Errorf("pure mean cost %v, parts %v %v", p.Cost, p.Count.Cost, p.Sum.Cost)
			}
		} else if p.Cost.Rho > maxRho || p.Cost.Rho < maxRho*0.99 {
			t.Errorf("gaussian mean cost ρ=%g, budget ρ=%g", p.Cost.Rho, maxRho)
		}
		if p.Sum.L1 != 100*16 {
			t.Errorf("sum sensitivity %g, want 1600 (100 at 4 bits)", p.Sum.L1)
		}
	}
}

func TestEncodeClamps(t *testing.T) {
	p, err := Prepare(Query{Stat: StatSum, Lo: -2, Hi: 10, Bits: 8, Request: Request{Epsilon: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		x    float64
		want int64
	}{{0, 0}, {1.5, 384}, {100, 2560}, {-50, -512}, {math.NaN(), 0}, {math.Inf(1), 2560}} {
		if got := p.Encode(tc.x); got != tc.want {
			t.Errorf("Encode(%v) = %d, want %d", tc.x, got, tc.want)
		}
	}
}

func TestPrepareRejects(t *testing.T) {
	for name, q := range map[string]Query{
		"eps=0":        {Stat: StatCount, Request: Request{Epsilon: 0}},
		"eps=inf":      {Stat: StatCount, Request: Request{Epsilon: math.Inf(1)}},
		"delta=1":      {Stat: StatCount, Request: Request{Epsilon: 1, Delta: 1}},
		"stat=median":  {Stat: "median", Request: Request{Epsilon: 1}},
		"bounds=empty": {Stat: StatSum, Lo: 0, Hi: 0, Request: Request{Epsilon: 1}},
		"bounds=lo>hi": {Stat: StatSum, Lo: 5, Hi: 1, Request: Request{Epsilon: 1}},
		"bits=40":      {Stat: StatSum, Lo: 0, Hi: 1, Bits: 40, Request: Request{Epsilon: 1}},
		"bins=0":       {Stat: StatHistogram, Request: Request{Epsilon: 1}},
	} {
		if _, err := Prepare(q); !errors.Is(err, ErrInvalid) && !errors.Is(err, accountant.ErrInvalid) {
			t.Errorf("%s: got %v, want an invalid-request error", name, err)
		}
	}
}

// TestNoiseMatchesPlan releases the same aggregate many times and checks
// the spread of the results against the plan's stated standard deviation.
func TestNoiseMatchesPlan(t *testing.T) {
	for _, q := range []Query{
		{Stat: StatCount, Request: Request{Epsilon: 0.5, Delta: 1e-6}},
		{Stat: StatCount, Request: Request{Epsilon: 0.5}},
		{Stat: StatSum, Lo: 0, Hi: 50, Bits: 6, Request: Request{Epsilon: 1, Delta: 1e-6}},
		{Stat: StatHistogram, Bins: 4, Request: Request{Epsilon: 1}},
	} {
		p, err := Prepare(q)
		if err != nil {
			t.Fatal(err)
		}
		s := sampler(1)
		const n = 20000
		var sum, sq float64
		for range n {
			r, err := p.Release(s, Exact{Count: 1000, Sum: p.Encode(25) * 1000, Hist: []int64{5, 6, 7, 8}})
			if err != nil {
				t.Fatal(err)
			}
			v := r.Value
			center := map[Stat]float64{StatCount: 1000, StatSum: 25000, StatHistogram: 5}[q.Stat]
			if q.Stat == StatHistogram {
				v = r.Counts[0]
			}
			sum += v - center
			sq += (v - center) * (v - center)
			if r.Stddev <= 0 {
				t.Fatal("no stddev reported")
			}
		}
		mean, sd := sum/n, math.Sqrt(sq/n)
		r, _ := p.Release(s, Exact{Hist: make([]int64, 4)})
		if math.Abs(sd/r.Stddev-1) > 0.04 || math.Abs(mean) > 5*r.Stddev/math.Sqrt(n) {
			t.Errorf("stat=%s: noise mean %g sd %g, plan sd %g", q.Stat, mean, sd, r.Stddev)
		}
	}
}

func TestHistogramLength(t *testing.T) {
	p, _ := Prepare(Query{Stat: StatHistogram, Bins: 3, Request: Request{Epsilon: 1}})
	if _, err := p.Release(sampler(2), Exact{Hist: []int64{1, 2}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short histogram: %v", err)
	}
}

func TestDigestStable(t *testing.T) {
	r := &Result{Stat: StatCount, Value: 12, Stddev: 1.5, Cost: accountant.Pure(1)}
	if r.Digest() != r.Digest() || len(r.Digest()) != 64 {
		t.Fatal("digest not a stable hex SHA-256")
	}
	r2 := *r
	r2.Value = 13
	if r2.Digest() == r.Digest() {
		t.Fatal("different values, same digest")
	}
}
