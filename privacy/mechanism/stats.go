package mechanism

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/noise"
)

// Stat is a statistic a release computes.
type Stat string

// The statistics.
const (
	StatCount     Stat = "count"     // number of customers
	StatSum       Stat = "sum"       // sum of per-customer values clamped to [Lo, Hi]
	StatMean      Stat = "mean"      // sum / count, each released with half the budget
	StatHistogram Stat = "histogram" // customers per bin
)

// MaxBits bounds the fixed-point precision.
const MaxBits = 30

// Query describes one release.
type Query struct {
	Stat    Stat
	Lo, Hi  float64 // bounds of one customer's contribution (sum, mean)
	Bits    int     // fixed-point precision: values are encoded as round(x·2^Bits)
	Bins    int     // number of histogram bins
	Request Request
}

// Prepared is a query with its noise calibrated and its cost known. Charge
// Cost, then call Release.
type Prepared struct {
	Query Query
	Count *Noise // count, mean
	Sum   *Noise // sum, mean
	Hist  *Noise // histogram
	Cost  accountant.Cost
	lo    int64
	hi    int64
}

// Prepare validates q and calibrates its noise.
func Prepare(q Query) (*Prepared, error) {
	p := &Prepared{Query: q}
	switch q.Stat {
	case StatCount:
		n, err := budgetShares(q.Request, []float64{1})
		if err != nil {
			return nil, err
		}
		p.Count = n[0]
	case StatSum, StatMean:
		if err := p.bounds(); err != nil {
			return nil, err
		}
		sens := float64(max(abs(p.lo), abs(p.hi)))
		if sens == 0 {
			return nil, fmt.Errorf("%w: bounds [%g, %g] leave nothing to sum", ErrInvalid, q.Lo, q.Hi)
		}
		if q.Stat == StatSum {
			n, err := budgetShares(q.Request, []float64{sens})
			if err != nil {
				return nil, err
			}
			p.Sum = n[0]
		} else {
			n, err := budgetShares(q.Request, []float64{1, sens})
			if err != nil {
				return nil, err
			}
			p.Count, p.Sum = n[0], n[1]
		}
	case StatHistogram:
		if q.Bins < 1 || q.Bins > 1<<20 {
			return nil, fmt.Errorf("%w: %d histogram bins", ErrInvalid, q.Bins)
		}
		// One customer changes one bin by one: L1 = L2 = 1.
		n, err := budgetShares(q.Request, []float64{1})
		if err != nil {
			return nil, err
		}
		p.Hist = n[0]
	default:
		return nil, fmt.Errorf("%w: unknown statistic %q", ErrInvalid, q.Stat)
	}
	var costs []accountant.Cost
	for _, n := range []*Noise{p.Count, p.Sum, p.Hist} {
		if n != nil {
			costs = append(costs, n.Cost)
		}
	}
	p.Cost = sumCosts(costs)
	return p, nil
}

// sumCosts composes same-kind costs, rounding up.
func sumCosts(cs []accountant.Cost) accountant.Cost {
	var c accountant.Cost
	for _, x := range cs {
		c.Rho = upAdd(c.Rho, x.Rho)
		c.Epsilon = upAdd(c.Epsilon, x.Epsilon)
		c.Delta = upAdd(c.Delta, x.Delta)
	}
	return c
}

func upAdd(a, b float64) float64 {
	s := a + b
	if s-a != b || s-b != a {
		return math.Nextafter(s, math.Inf(1))
	}
	return s
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func (p *Prepared) bounds() error {
	q := p.Query
	if q.Bits < 0 || q.Bits > MaxBits {
		return fmt.Errorf("%w: fixed-point bits %d outside [0, %d]", ErrInvalid, q.Bits, MaxBits)
	}
	if math.IsNaN(q.Lo) || math.IsNaN(q.Hi) || q.Lo > q.Hi {
		return fmt.Errorf("%w: bounds [%g, %g]", ErrInvalid, q.Lo, q.Hi)
	}
	scale := math.Ldexp(1, q.Bits)
	if math.Max(math.Abs(q.Lo), math.Abs(q.Hi))*scale > 1<<40 {
		return fmt.Errorf("%w: bounds [%g, %g] too large for %d fixed-point bits", ErrInvalid, q.Lo, q.Hi, q.Bits)
	}
	p.lo, p.hi = int64(math.Round(q.Lo*scale)), int64(math.Round(q.Hi*scale))
	return nil
}

// Encode clamps one customer's contribution to [Lo, Hi] and encodes it in
// fixed point. The result lies in [round(Lo·2^Bits), round(Hi·2^Bits)], which
// is what the sum's sensitivity is calibrated to.
func (p *Prepared) Encode(x float64) int64 {
	if math.IsNaN(x) {
		x = 0
	}
	v := int64(math.Round(math.Max(p.Query.Lo, math.Min(p.Query.Hi, x)) * math.Ldexp(1, p.Query.Bits)))
	return max(p.lo, min(p.hi, v))
}

// Exact is the exact aggregate a release noises: customers counted, the sum
// of Encode'd contributions, or histogram counts.
type Exact struct {
	Count int64
	Sum   int64
	Hist  []int64
}

// Result is a released value.
type Result struct {
	Stat   Stat            `json:"stat"`
	Value  float64         `json:"value,omitempty"`  // count, sum or mean
	Counts []float64       `json:"counts,omitempty"` // histogram
	Stddev float64         `json:"stddev"`           // of the noise on Value, or on each count
	Cost   accountant.Cost `json:"cost"`
}

// Digest returns the hex SHA-256 of the result's JSON encoding, for the audit log.
func (r *Result) Digest() string {
	b, _ := json.Marshal(r) // a Result always encodes
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Release noises the exact aggregate and decodes it. It draws all noise from s.
func (p *Prepared) Release(s *noise.Sampler, x Exact) (*Result, error) {
	q := p.Query
	r := &Result{Stat: q.Stat, Cost: p.Cost}
	scale := math.Ldexp(1, q.Bits)
	switch q.Stat {
	case StatCount:
		v := []int64{x.Count}
		if err := p.Count.Apply(s, v); err != nil {
			return nil, err
		}
		r.Value, r.Stddev = float64(v[0]), p.Count.Stddev()
	case StatSum:
		v := []int64{x.Sum}
		if err := p.Sum.Apply(s, v); err != nil {
			return nil, err
		}
		r.Value, r.Stddev = float64(v[0])/scale, p.Sum.Stddev()/scale
	case StatMean:
		v := []int64{x.Count, x.Sum}
		if err := p.Count.Apply(s, v[:1]); err != nil {
			return nil, err
		}
		if err := p.Sum.Apply(s, v[1:]); err != nil {
			return nil, err
		}
		n := max(float64(v[0]), 1)
		r.Value = float64(v[1]) / scale / n
		r.Value = math.Max(q.Lo, math.Min(q.Hi, r.Value)) // post-processing
		r.Stddev = p.Sum.Stddev() / scale / n
	case StatHistogram:
		if len(x.Hist) != q.Bins {
			return nil, fmt.Errorf("%w: %d histogram counts for %d bins", ErrInvalid, len(x.Hist), q.Bins)
		}
		v := append([]int64(nil), x.Hist...)
		if err := p.Hist.Apply(s, v); err != nil {
			return nil, err
		}
		r.Counts = make([]float64, len(v))
		for i, c := range v {
			r.Counts[i] = float64(c)
		}
		r.Stddev = p.Hist.Stddev()
	}
	return r, nil
}

// Params describes the release's mechanism for the audit log.
func (p *Prepared) Params() (mechanism string, params map[string]string) {
	params = map[string]string{"stat": string(p.Query.Stat)}
	for name, n := range map[string]*Noise{"count": p.Count, "sum": p.Sum, "histogram": p.Hist} {
		if n == nil {
			continue
		}
		mechanism = n.Mechanism
		for k, v := range n.Params() {
			params[name+"."+k] = v
		}
	}
	if p.Sum != nil {
		params["bounds"] = fmt.Sprintf("[%g, %g]", p.Query.Lo, p.Query.Hi)
		params["fixed_point_bits"] = strconv.Itoa(p.Query.Bits)
	}
	if p.Hist != nil {
		params["bins"] = strconv.Itoa(p.Query.Bins)
	}
	return mechanism, params
}
