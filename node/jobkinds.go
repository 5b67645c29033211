package node

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/fednode/fednode/federation/job"
	"github.com/fednode/fednode/federation/mhe"
	"github.com/fednode/fednode/models/stats"
	"github.com/fednode/fednode/node/schema"
	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/mechanism"
	"github.com/fednode/fednode/privacy/noise"
)

// kindPlan is one job kind's plan for one job on this node: how many
// rounds, what each round releases and costs, the local step and the
// global step. A new job kind is one more implementation.
type kindPlan interface {
	Rounds() int
	Chunks() int           // ciphertexts per contribution
	Cost() accountant.Cost // of each round, on each participant's dataset
	Params() map[string]string
	// Local returns this node's exact vector for a round, from its data and
	// the state published after the previous round.
	Local(ctx context.Context, st *store.Store, round int, state []byte) ([]int64, error)
	// AddNoise adds this node's share of the round's distributed noise.
	AddNoise(v []int64) error
	// Global turns the noised sum of a round into its published result and
	// the state the next round starts from.
	Global(round int, sum []int64) (result json.RawMessage, state []byte, err error)
}

// planKind validates a spec against this node's dataset and plans it.
func planKind(spec *job.Spec, info *store.VersionInfo) (kindPlan, error) {
	switch spec.Kind {
	case "stats":
		return planStats(spec, info)
	}
	return nil, fmt.Errorf("unknown job kind %q", spec.Kind)
}

// statsPlan is the "stats" job: one round of counts, sums, means and
// histograms (models/stats).
type statsPlan struct {
	spec  *job.Spec
	info  *store.VersionInfo
	plan  *stats.Plan
	dist  *mechanism.Distributed
	noise []*mechanism.Noise
	cols  []int             // layout index of each plan column
	bins  []map[int64]int64 // per plan column: category index → bin, for categorical histograms
	limit int64             // largest magnitude a contribution may have
}

func planStats(spec *job.Spec, info *store.VersionInfo) (*statsPlan, error) {
	if spec.Rounds > 1 {
		return nil, fmt.Errorf("a stats job has one round, not %d", spec.Rounds)
	}
	params, err := stats.ParseParams(spec.Params)
	if err != nil {
		return nil, err
	}
	column := func(name string) (stats.Column, bool) {
		i := info.Layout.Index(name)
		if i < 0 {
			return stats.Column{}, false
		}
		c := info.Layout.Columns[i]
		switch c.Type {
		case schema.TypeFloat, schema.TypeInt:
			return stats.Column{Numeric: true, Min: c.Min, Max: c.Max}, true
		case schema.TypeBool:
			zero, one := 0.0, 1.0
			return stats.Column{Numeric: true, Min: &zero, Max: &one}, true
		case schema.TypeCat:
			return stats.Column{Categories: c.Values}, true
		}
		return stats.Column{}, true
	}
	pl, err := stats.NewPlan(params, column, info.Kind == schema.KindCustomers)
	if err != nil {
		return nil, err
	}
	l2, l1, dim := pl.Sensitivities()
	blocks := make([]mechanism.Block, len(l2))
	for i := range blocks {
		blocks[i] = mechanism.Block{L2: l2[i], L1: l1[i], Dim: dim[i]}
	}
	rho, err := accountant.MaxRho(accountant.Total{}, accountant.Budget{Epsilon: spec.Epsilon, Delta: spec.Delta})
	if err != nil {
		return nil, err
	}
	dist, err := mechanism.PlanDistributed(blocks, rho, spec.Threshold)
	if err != nil {
		return nil, err
	}
	p := &statsPlan{spec: spec, info: info, plan: pl, dist: dist, limit: mhe.MaxAbs / int64(len(spec.Participants))}
	for b := range blocks {
		n, err := dist.LocalNoise(b)
		if err != nil {
			return nil, err
		}
		p.noise = append(p.noise, n)
	}
	for _, name := range pl.Columns {
		i := info.Layout.Index(name)
		p.cols = append(p.cols, i)
		var m map[int64]int64
		for _, blk := range pl.Blocks {
			if blk.Column == name && blk.Stat == stats.Histogram && info.Layout.Columns[i].Type == schema.TypeCat {
				m = map[int64]int64{}
				for ci, v := range info.Layout.Columns[i].Values {
					if bi := slices.Index(blk.Labels, v); bi >= 0 {
						m[int64(ci)] = int64(bi)
					}
				}
			}
		}
		p.bins = append(p.bins, m)
	}
	return p, nil
}

func (p *statsPlan) Rounds() int           { return 1 }
func (p *statsPlan) Chunks() int           { return mhe.Params().Chunks(p.plan.Len) }
func (p *statsPlan) Cost() accountant.Cost { return p.dist.Cost }

func (p *statsPlan) Params() map[string]string {
	out := map[string]string{"kind": "stats", "min_nodes": strconv.Itoa(p.dist.MinNodes), "values": strconv.Itoa(p.plan.Len)}
	for i, s := range p.dist.LocalSigma {
		out["block"+strconv.Itoa(i)+".local_sigma"] = strconv.FormatFloat(s, 'g', -1, 64)
	}
	return out
}

func (p *statsPlan) Local(ctx context.Context, st *store.Store, _ int, _ []byte) ([]int64, error) {
	v := make([]int64, p.plan.Len)
	rows := make([][]float64, len(p.cols))
	info, err := st.Scan(ctx, p.spec.Dataset, func(c *store.Customer) error {
		for j, ci := range p.cols {
			rows[j] = rows[j][:0]
			t := p.info.Layout.Columns[ci].Type
			for _, r := range c.Rows {
				x := numeric(t, r.Values[ci])
				if p.bins[j] != nil {
					b, ok := p.bins[j][r.Values[ci].Int]
					x = float64(b)
					if !ok {
						x = -1
					}
				}
				rows[j] = append(rows[j], x)
			}
		}
		p.plan.Accumulate(v, rows)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if info.Version != p.info.Version {
		return nil, fmt.Errorf("dataset %s changed since the job was accepted", p.spec.Dataset)
	}
	return v, p.check(v)
}

// check bounds a contribution so that the sum of every participant's stays
// within the plaintext space.
func (p *statsPlan) check(v []int64) error {
	for _, x := range v {
		if x > p.limit || x < -p.limit {
			return fmt.Errorf("a value of %d exceeds what secure aggregation can sum for %d participants (%d); use fewer fixed-point bits or tighter bounds", x, len(p.spec.Participants), p.limit)
		}
	}
	return nil
}

func (p *statsPlan) AddNoise(v []int64) error {
	s := noise.NewSampler(rand.Reader)
	for i, b := range p.plan.Blocks {
		if err := p.noise[i].Apply(s, v[b.Offset:b.Offset+b.Len]); err != nil {
			return err
		}
	}
	return p.check(v)
}

func (p *statsPlan) Global(_ int, sum []int64) (json.RawMessage, []byte, error) {
	res, err := p.plan.Decode(sum, p.dist.Sigma)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(res)
	return b, nil, err
}

// completeStatsParams fills in, on the coordinator, the bins of categorical
// histograms from its own dataset, so that every participant bins alike.
func completeStatsParams(spec *job.Spec, info *store.VersionInfo) error {
	params, err := stats.ParseParams(spec.Params)
	if err != nil {
		return err
	}
	for i, r := range params.Stats {
		if r.Stat != stats.Histogram || len(r.Values) > 0 || len(r.Edges) > 0 {
			continue
		}
		if c := info.Layout.Index(r.Column); c >= 0 && info.Layout.Columns[c].Type == schema.TypeCat {
			params.Stats[i].Values = slices.Clone(info.Layout.Columns[c].Values)
		}
	}
	spec.Params, err = json.Marshal(params)
	return err
}
