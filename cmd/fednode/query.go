package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fednode/fednode/node"
	"github.com/fednode/fednode/privacy/mechanism"
)

func cmdQuery(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "query", "--dir DIR --dataset NAME --stat count|sum|mean|histogram [--column C] --epsilon E [--delta D]", `
Release one differentially private statistic of this node's own data, through
the same path federated jobs use: the cost is charged to the dataset's budget
and recorded in the audit log, durably, before the noise is drawn. A request
the budget cannot pay for is refused and releases nothing.

With --delta 0 (the default) the noise is discrete Laplace (pure ε); with
--delta > 0 it is discrete Gaussian, charged as zCDP. The unit of privacy is
one customer: count counts customers; sum and mean clamp each customer's
total to the bounds (the column's schema bounds, or --bounds); a histogram
puts each customer in one bin (the values of a categorical column, or the
--bins edges of a numeric one).`)
	nf := addNodeFlags(fs)
	dataset := fs.String("dataset", "", "dataset (required)")
	stat := fs.String("stat", "", "count, sum, mean or histogram (required)")
	column := fs.String("column", "", "column (sum, mean, histogram)")
	bins := fs.String("bins", "", "histogram bin edges of a numeric column, comma-separated, increasing")
	bounds := fs.String("bounds", "", "per-customer contribution bounds LO,HI (default: the column's min and max)")
	bits := fs.Int("bits", 8, "fixed-point bits of sums")
	eps := fs.Float64("epsilon", math.NaN(), "ε of this release (required)")
	delta := fs.Float64("delta", 0, "δ of this release")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *dataset == "" || *stat == "" || math.IsNaN(*eps) {
		return usagef("--dataset, --stat and --epsilon are required")
	}
	req := node.QueryRequest{Dataset: *dataset, Stat: mechanism.Stat(*stat), Column: *column, Bits: *bits,
		Request: mechanism.Request{Epsilon: *eps, Delta: *delta}}
	if err := req.Request.Validate(); err != nil {
		return &usageError{err.Error()}
	}
	var err error
	if *bins != "" {
		if req.Edges, err = floats(*bins); err != nil {
			return usagef("--bins: %v", err)
		}
	}
	if *bounds != "" {
		b, err := floats(*bounds)
		if err != nil || len(b) != 2 || b[0] > b[1] {
			return usagef("--bounds must be LO,HI with LO <= HI")
		}
		req.Lo, req.Hi = &b[0], &b[1]
	}
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	res, err := n.Query(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	r := res.Result
	fmt.Fprintf(e.stdout, "release %s of dataset %s (version %d)\n", res.Release, res.Dataset, res.Version)
	what := string(r.Stat)
	if res.Column != "" {
		what += " of " + res.Column
	}
	if r.Stat == mechanism.StatHistogram {
		fmt.Fprintf(e.stdout, "%s (noise stddev %.3g per bin):\n", what, r.Stddev)
		tw := table(e.stdout)
		for i, c := range r.Counts {
			fmt.Fprintf(tw, "  %s\t%.0f\n", res.Labels[i], c)
		}
		tw.Flush()
	} else {
		fmt.Fprintf(e.stdout, "%s = %.6g (noise stddev %.3g)\n", what, r.Value, r.Stddev)
	}
	fmt.Fprintf(e.stdout, "charged %s\n", r.Cost)
	return nil
}

func floats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%q is not a finite number", f)
		}
		out = append(out, x)
	}
	return out, nil
}
