// Package stats is the local and global step of the "stats" job: counts,
// sums, means and histograms of chosen columns over all the customers of a
// consortium.
//
// Local step: each node turns its customers into one integer vector (counts
// and fixed-point sums, each customer's contribution bounded). The vectors
// are summed across nodes (with noise, under encryption — not here). Global
// step: the noised sum is decoded into results.
//
// This package is pure: it never reads storage, never touches the network
// and never adds noise; it sees only the values its caller hands it.
package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// ErrInvalid marks invalid parameters.
var ErrInvalid = errors.New("invalid stats parameters")

// The statistics.
const (
	Count     = "count"     // customers
	Sum       = "sum"       // Σ per-customer totals clamped to [lo, hi]
	Mean      = "mean"      // Sum / Count (two blocks)
	Histogram = "histogram" // customers per bin (one row per customer)
)

// MaxStats bounds the statistics of one job.
const MaxStats = 64

// Request is one statistic asked for.
type Request struct {
	Stat   string    `json:"stat"`
	Column string    `json:"column,omitempty"`
	Lo     *float64  `json:"lo,omitempty"`     // per-customer bounds (default: the column's)
	Hi     *float64  `json:"hi,omitempty"`     //
	Edges  []float64 `json:"edges,omitempty"`  // numeric histogram: bins (−∞,e1), [e1,e2), …, [ek,∞)
	Values []string  `json:"values,omitempty"` // categorical histogram: the bins, in order (default: the column's categories)
}

// Params are the stats job's parameters (the spec's [params]).
type Params struct {
	Stats []Request `json:"stats"`
	Bits  int       `json:"bits,omitempty"` // fixed-point bits of sums (default 0: integers)
}

// ParseParams decodes and checks the job's parameters.
func ParseParams(raw []byte) (*Params, error) {
	var p Params
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(p.Stats) == 0 || len(p.Stats) > MaxStats {
		return nil, fmt.Errorf("%w: %d statistics (1 to %d)", ErrInvalid, len(p.Stats), MaxStats)
	}
	if p.Bits < 0 || p.Bits > 20 {
		return nil, fmt.Errorf("%w: bits %d outside [0, 20]", ErrInvalid, p.Bits)
	}
	return &p, nil
}

// Column describes a dataset column to the planner.
type Column struct {
	Numeric    bool     // numeric (or 0/1 label) values
	Categories []string // a categorical column's values, in index order
	Min, Max   *float64 // schema bounds of numeric columns
}

// Block is one statistic's part of the vector.
type Block struct {
	Request
	Offset, Len int
	L2, L1      float64 // sensitivity of the block, in integer units
	lo, hi      int64   // fixed-point bounds of one customer's contribution
	Labels      []string
	col         int // index into the plan's columns
}

// Plan lays out a job's statistics in one integer vector.
type Plan struct {
	Blocks  []Block
	Len     int
	Bits    int
	Columns []string // the columns the local step needs, in the order Accumulate takes them
}

// NewPlan checks params against the dataset's columns and lays out the
// vector. oneRowPerCustomer says whether histograms are possible.
func NewPlan(p *Params, column func(name string) (Column, bool), oneRowPerCustomer bool) (*Plan, error) {
	pl := &Plan{Bits: p.Bits}
	scale := math.Ldexp(1, p.Bits)
	colIndex := func(name string) int {
		if i := slices.Index(pl.Columns, name); i >= 0 {
			return i
		}
		pl.Columns = append(pl.Columns, name)
		return len(pl.Columns) - 1
	}
	for i, r := range p.Stats {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: statistic %d (%s %s): %s", ErrInvalid, i+1, r.Stat, r.Column, fmt.Sprintf(format, a...))
		}
		b := Block{Request: r, Offset: pl.Len, col: -1}
		var c Column
		if r.Stat != Count {
			var ok bool
			if c, ok = column(r.Column); !ok {
				return nil, bad("no such column")
			}
			b.col = colIndex(r.Column)
		} else if r.Column != "" {
			return nil, bad("count takes no column (it counts customers)")
		}
		switch r.Stat {
		case Count:
			b.Len, b.L2, b.L1 = 1, 1, 1
			b.Labels = []string{"customers"}
		case Sum, Mean:
			if !c.Numeric {
				return nil, bad("not a numeric column")
			}
			lo, hi := r.Lo, r.Hi
			if lo == nil {
				lo = c.Min
			}
			if hi == nil {
				hi = c.Max
			}
			if lo == nil || hi == nil || *lo > *hi || math.IsNaN(*lo) || math.IsNaN(*hi) {
				return nil, bad("needs bounds (lo, hi in the request or min, max in the schema)")
			}
			if math.Max(math.Abs(*lo), math.Abs(*hi))*scale > 1<<40 {
				return nil, bad("bounds too large for %d fixed-point bits", p.Bits)
			}
			b.lo, b.hi = int64(math.Round(*lo*scale)), int64(math.Round(*hi*scale))
			sens := float64(max(abs(b.lo), abs(b.hi)))
			if sens == 0 {
				return nil, bad("bounds leave nothing to sum")
			}
			b.Request.Lo, b.Request.Hi = lo, hi
			if r.Stat == Sum {
				b.Len, b.L2, b.L1 = 1, sens, sens
				b.Labels = []string{"sum"}
			} else {
				// Mean is two statistics: its count and its sum.
				cnt := Block{Request: Request{Stat: Count}, Offset: pl.Len, Len: 1, L2: 1, L1: 1, col: -1, Labels: []string{"customers"}}
				pl.Blocks = append(pl.Blocks, cnt)
				pl.Len++
				b.Offset, b.Len, b.L2, b.L1 = pl.Len, 1, sens, sens
				b.Labels = []string{"sum"}
			}
		case Histogram:
			if !oneRowPerCustomer {
				return nil, bad("a histogram needs one row per customer (a customers dataset)")
			}
			switch {
			case len(c.Categories) > 0:
				if len(r.Edges) > 0 {
					return nil, bad("a categorical column's bins are its values, not edges")
				}
				b.Labels = slices.Clone(c.Categories)
				if len(r.Values) > 0 {
					b.Labels = slices.Clone(r.Values)
				}
			case c.Numeric:
				if len(r.Edges) == 0 {
					return nil, bad("a numeric histogram needs edges")
				}
				for j, e := range r.Edges {
					if math.IsNaN(e) || math.IsInf(e, 0) || (j > 0 && e <= r.Edges[j-1]) {
						return nil, bad("edges must be finite and increasing")
					}
				}
				b.Labels = edgeLabels(r.Edges)
			default:
				return nil, bad("column cannot be binned")
			}
			b.Len, b.L2, b.L1 = len(b.Labels), 1, 1
		default:
			return nil, bad("unknown statistic (count, sum, mean, histogram)")
		}
		pl.Blocks = append(pl.Blocks, b)
		pl.Len += b.Len
	}
	return pl, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func edgeLabels(edges []float64) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	labels := []string{"< " + f(edges[0])}
	for i := 1; i < len(edges); i++ {
		labels = append(labels, "["+f(edges[i-1])+", "+f(edges[i])+")")
	}
	return append(labels, ">= "+f(edges[len(edges)-1]))
}

// Accumulate adds one customer to the local vector v (of length Len). rows
// holds, for each of the plan's Columns, the customer's values in row order
// (a categorical value is its bin index, or −1 for a value outside the bins).
func (pl *Plan) Accumulate(v []int64, rows [][]float64) {
	scale := math.Ldexp(1, pl.Bits)
	for _, b := range pl.Blocks {
		switch b.Stat {
		case Count:
			v[b.Offset]++
		case Sum, Mean:
			total := 0.0
			for _, x := range rows[b.col] {
				total += x
			}
			if math.IsNaN(total) {
				total = 0
			}
			fp := math.Round(math.Max(*b.Lo, math.Min(*b.Hi, total)) * scale)
			v[b.Offset] += max(b.lo, min(b.hi, int64(fp)))
		case Histogram:
			vals := rows[b.col]
			if len(vals) == 0 {
				continue
			}
			x := vals[len(vals)-1]
			var bin int
			if len(b.Edges) > 0 {
				bin = sortSearch(b.Edges, x)
			} else {
				bin = int(x)
				if bin < 0 || bin >= b.Len {
					continue
				}
			}
			v[b.Offset+bin]++
		}
	}
}

func sortSearch(edges []float64, x float64) int {
	i, _ := slices.BinarySearchFunc(edges, x, func(e, x float64) int {
		if e <= x {
			return -1
		}
		return 1
	})
	return i
}

// Result is one released statistic.
type Result struct {
	Stat   string    `json:"stat"`
	Column string    `json:"column,omitempty"`
	Value  float64   `json:"value,omitempty"`  // count, sum, mean
	Counts []float64 `json:"counts,omitempty"` // histogram
	Labels []string  `json:"labels,omitempty"`
	Stddev float64   `json:"stddev"` // of the noise on Value (sum, count) or on each count; approximate for a mean
}

// Decode turns the noised sum of all nodes' vectors into results. sigma
// gives the central noise parameter of each block (integer units).
func (pl *Plan) Decode(sum []int64, sigma []float64) ([]Result, error) {
	if len(sum) < pl.Len || len(sigma) != len(pl.Blocks) {
		return nil, fmt.Errorf("%w: %d values and %d noise levels for a plan of %d values in %d blocks", ErrInvalid, len(sum), len(sigma), pl.Len, len(pl.Blocks))
	}
	scale := math.Ldexp(1, pl.Bits)
	var out []Result
	for i := 0; i < len(pl.Blocks); i++ {
		b := pl.Blocks[i]
		switch b.Stat {
		case Count:
			out = append(out, Result{Stat: Count, Value: float64(sum[b.Offset]), Stddev: sigma[i]})
		case Sum:
			out = append(out, Result{Stat: Sum, Column: b.Column, Value: float64(sum[b.Offset]) / scale, Stddev: sigma[i] / scale})
		case Mean:
			// The block before a mean's sum is its count, which the
			// request did not ask for on its own.
			out = out[:len(out)-1]
			n := math.Max(float64(sum[pl.Blocks[i-1].Offset]), 1)
			m := float64(sum[b.Offset]) / scale / n
			m = math.Max(*b.Lo, math.Min(*b.Hi, m)) // post-processing
			out = append(out, Result{Stat: Mean, Column: b.Column, Value: m, Stddev: sigma[i] / scale / n})
		case Histogram:
			r := Result{Stat: Histogram, Column: b.Column, Labels: b.Labels, Stddev: sigma[i]}
			for _, c := range sum[b.Offset : b.Offset+b.Len] {
				r.Counts = append(r.Counts, float64(c))
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// Sensitivities returns each block's (L2, L1, dimension), for the noise plan.
func (pl *Plan) Sensitivities() (l2, l1 []float64, dim []int) {
	for _, b := range pl.Blocks {
		l2, l1, dim = append(l2, b.L2), append(l1, b.L1), append(dim, b.Len)
	}
	return
}
