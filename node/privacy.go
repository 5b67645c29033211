package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/fednode/fednode/node/audit"
	"github.com/fednode/fednode/node/schema"
	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/ledger"
	"github.com/fednode/fednode/privacy/mechanism"
	"github.com/fednode/fednode/privacy/noise"
)

// SetBudget sets the privacy budget cap of a dataset and records the change
// in the audit log, in one durable transaction. Lowering a cap below what is
// already spent is refused.
func (n *Node) SetBudget(dataset string, cap accountant.Budget) (prev, now ledger.Account, err error) {
	if _, err := n.store.Dataset(dataset); err != nil {
		return prev, now, err
	}
	at := n.now()
	err = n.store.Update(func(tx *store.Txn) error {
		var err error
		prev, err = ledger.SetCap(tx.In(store.SpaceLedger), dataset, cap, at)
		if err != nil {
			return err
		}
		if now, err = ledger.Get(tx.In(store.SpaceLedger), dataset); err != nil {
			return err
		}
		params := map[string]string{"epsilon": fmtF(cap.Epsilon), "delta": fmtF(cap.Delta)}
		if prev.HasCap {
			params["previous_epsilon"], params["previous_delta"] = fmtF(prev.Cap.Epsilon), fmtF(prev.Cap.Delta)
		}
		_, err = audit.Append(tx.In(store.SpaceAudit), n.identity, audit.Record{
			Time: at, Kind: audit.KindBudgetSet, Dataset: dataset, Params: params,
		})
		return err
	})
	if err != nil {
		return prev, now, fmt.Errorf("budget set %s: %w", dataset, err)
	}
	n.log.Info("budget set", "dataset", dataset, "epsilon", cap.Epsilon, "delta", cap.Delta)
	return prev, now, nil
}

// Budgets returns the ledger account of every dataset that has one.
func (n *Node) Budgets() ([]ledger.Account, error) {
	var out []ledger.Account
	err := n.store.View(func(tx *store.Txn) error {
		var err error
		out, err = ledger.List(tx.In(store.SpaceLedger))
		return err
	})
	return out, err
}

// QueryRequest is a differentially private release of this node's own data.
type QueryRequest struct {
	Dataset string
	Stat    mechanism.Stat
	Column  string    // sum, mean, histogram
	Edges   []float64 // numeric histogram: bins (−∞, e1), [e1, e2), …, [ek, ∞)
	Lo, Hi  *float64  // per-customer contribution bounds (default: the column's schema bounds)
	Bits    int       // fixed-point bits of sums (default 8)
	Request mechanism.Request
}

// QueryResult is a released value.
type QueryResult struct {
	Release string            `json:"release"`
	Dataset string            `json:"dataset"`
	Version uint64            `json:"version"`
	Column  string            `json:"column,omitempty"`
	Labels  []string          `json:"labels,omitempty"` // histogram bins
	Result  *mechanism.Result `json:"result"`
	Spent   ledger.Account    `json:"-"`
}

// Query releases one statistic of a dataset with differential privacy. The
// release's cost is charged to the dataset's budget, and the charge recorded
// in the audit log, durably, before any noise is drawn; a request the budget
// cannot pay for is refused with a *ledger.ExceededError and changes nothing.
func (n *Node) Query(ctx context.Context, req QueryRequest) (*QueryResult, error) {
	info, err := n.store.Dataset(req.Dataset)
	if err != nil {
		return nil, err
	}
	q := mechanism.Query{Stat: req.Stat, Request: req.Request, Bits: req.Bits}
	if q.Bits == 0 {
		q.Bits = 8
	}
	col := -1
	var labels []string
	var bin func(schema.Value) int
	switch req.Stat {
	case mechanism.StatCount:
		if req.Column != "" {
			return nil, fmt.Errorf("query: count takes no column (it counts customers)")
		}
	case mechanism.StatSum, mechanism.StatMean, mechanism.StatHistogram:
		if col = info.Layout.Index(req.Column); col < 0 {
			return nil, fmt.Errorf("query: dataset %s has no stored column %q", req.Dataset, req.Column)
		}
	default:
		return nil, fmt.Errorf("query: unknown statistic %q (count, sum, mean, histogram)", req.Stat)
	}
	if col >= 0 {
		c := info.Layout.Columns[col]
		switch req.Stat {
		case mechanism.StatSum, mechanism.StatMean:
			if c.Type != schema.TypeFloat && c.Type != schema.TypeInt && c.Type != schema.TypeBool {
				return nil, fmt.Errorf("query: column %s (%s) is not numeric", c.Name, c.Role)
			}
			lo, hi := c.Min, c.Max
			if c.Type == schema.TypeBool {
				zero, one := 0.0, 1.0
				lo, hi = &zero, &one
			}
			if req.Lo != nil {
				lo = req.Lo
			}
			if req.Hi != nil {
				hi = req.Hi
			}
			if lo == nil || hi == nil {
				return nil, fmt.Errorf("query: column %s has no bounds: give them with the query or set min and max in the schema", c.Name)
			}
			q.Lo, q.Hi = *lo, *hi
		case mechanism.StatHistogram:
			if info.Kind != schema.KindCustomers {
				return nil, fmt.Errorf("query: a histogram needs one row per customer (a customers dataset)")
			}
			labels, bin, err = binner(c, req.Edges)
			if err != nil {
				return nil, err
			}
			q.Bins = len(labels)
		}
	}
	prep, err := mechanism.Prepare(q)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}

	// The exact aggregate never leaves this function; only its noised
	// release does.
	exact := mechanism.Exact{Hist: make([]int64, q.Bins)}
	scanned, err := n.store.Scan(ctx, req.Dataset, func(c *store.Customer) error {
		exact.Count++
		switch req.Stat {
		case mechanism.StatSum, mechanism.StatMean:
			total := 0.0
			for _, r := range c.Rows {
				total += numeric(info.Layout.Columns[col].Type, r.Values[col])
			}
			exact.Sum += prep.Encode(total)
		case mechanism.StatHistogram:
			exact.Hist[bin(c.Rows[len(c.Rows)-1].Values[col])]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if scanned.Version != info.Version {
		return nil, fmt.Errorf("query: dataset %s changed during the query; run it again", req.Dataset)
	}

	release, err := newReleaseID()
	if err != nil {
		return nil, err
	}
	mech, params := prep.Params()
	params["column"] = req.Column
	params["version"] = strconv.FormatUint(info.Version, 10)
	res := &QueryResult{Release: release, Dataset: req.Dataset, Version: info.Version, Column: req.Column, Labels: labels}
	at := n.now()
	// INVARIANT: charge before release. The charge and its audit record are
	// synced to disk before a single noise sample is drawn.
	err = n.store.Update(func(tx *store.Txn) error {
		acct, dup, err := ledger.ChargeRelease(tx.In(store.SpaceLedger), ledger.Charge{
			Release: release, Dataset: req.Dataset, Job: localQueryJob, Mechanism: mech, Cost: prep.Cost, Time: at,
		})
		if err != nil {
			return err
		}
		if dup {
			return fmt.Errorf("release id %s reused", release)
		}
		res.Spent = acct
		_, err = audit.Append(tx.In(store.SpaceAudit), n.identity, audit.Record{
			Time: at, Kind: audit.KindCharge, Job: localQueryJob, Release: release, Dataset: req.Dataset,
			Mechanism: mech, Params: params, Rho: prep.Cost.Rho, Epsilon: prep.Cost.Epsilon, Delta: prep.Cost.Delta,
		})
		return err
	})
	if errors.Is(err, ledger.ErrNoCap) {
		return nil, fmt.Errorf("query %s: %w (a compliance officer sets one with fednode budget set)", req.Dataset, err)
	}
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", req.Dataset, err)
	}
	if n.afterCharge != nil {
		n.afterCharge()
	}
	out, err := prep.Release(noise.NewSampler(rand.Reader), exact)
	if err != nil {
		return nil, fmt.Errorf("query %s: charged but not released: %w", req.Dataset, err)
	}
	res.Result = out
	// The release happened: record it even if the caller gave up meanwhile.
	err = n.store.Update(func(tx *store.Txn) error {
		_, err := audit.Append(tx.In(store.SpaceAudit), n.identity, audit.Record{
			Time: n.now(), Kind: audit.KindRelease, Job: localQueryJob, Release: release, Dataset: req.Dataset,
			Mechanism: mech, Params: params, Digest: out.Digest(),
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("query %s: record release: %w", req.Dataset, err)
	}
	n.log.Info("released", "dataset", req.Dataset, "release", release, "stat", req.Stat, "cost", prep.Cost.String())
	return res, nil
}

func numeric(t schema.Type, v schema.Value) float64 {
	if t == schema.TypeFloat {
		return v.Num
	}
	return float64(v.Int)
}

// binner returns the bin labels of a histogram of column c and the function
// that puts a value in its bin.
func binner(c schema.StoredColumn, edges []float64) ([]string, func(schema.Value) int, error) {
	switch c.Type {
	case schema.TypeCat:
		if len(edges) > 0 {
			return nil, nil, fmt.Errorf("query: column %s is categorical: its bins are its values, not edges", c.Name)
		}
		return c.Values, func(v schema.Value) int { return int(v.Int) }, nil
	case schema.TypeBool:
		return []string{"0", "1"}, func(v schema.Value) int { return int(v.Int) }, nil
	case schema.TypeFloat, schema.TypeInt:
		if len(edges) == 0 {
			return nil, nil, fmt.Errorf("query: a histogram of numeric column %s needs bin edges", c.Name)
		}
		if !sort.Float64sAreSorted(edges) {
			return nil, nil, errors.New("query: bin edges must be increasing")
		}
		for i, e := range edges {
			if math.IsNaN(e) || math.IsInf(e, 0) || (i > 0 && e == edges[i-1]) {
				return nil, nil, errors.New("query: bin edges must be finite and distinct")
			}
		}
		labels := make([]string, len(edges)+1)
		labels[0] = "< " + fmtF(edges[0])
		for i := 1; i < len(edges); i++ {
			labels[i] = "[" + fmtF(edges[i-1]) + ", " + fmtF(edges[i]) + ")"
		}
		labels[len(edges)] = ">= " + fmtF(edges[len(edges)-1])
		return labels, func(v schema.Value) int {
			return sort.Search(len(edges), func(i int) bool { return edges[i] > numeric(c.Type, v) })
		}, nil
	}
	return nil, nil, fmt.Errorf("query: column %s (%s) cannot be binned", c.Name, c.Role)
}

func newReleaseID() (string, error) {
	var b [12]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return "", fmt.Errorf("release id: %w", err)
	}
	return "q-" + hex.EncodeToString(b[:]), nil
}

func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// now is the node's clock (UTC, millisecond resolution).
func (n *Node) now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// localQueryJob is the job name of releases made with Node.Query.
const localQueryJob = "local-query"
