package main

import (
	"context"
	"fmt"
	"math"

	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/ledger"
)

func cmdBudget(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "budget", "The privacy budget of each dataset, for compliance officers.", map[string]subcommand{
		"set":  {"set a dataset's cap (ε, δ); raising is recorded, lowering below what is spent is refused", budgetSet},
		"show": {"cap, spent (as ρ and as (ε, δ)), remaining and releases per dataset", budgetShow},
	}, args)
}

func budgetSet(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "budget set", "--dir DIR --dataset NAME --epsilon E --delta D", `
Set the privacy budget cap of a dataset: the composition of every release of
the dataset stays (ε, δ)-differentially private. The change is an audit record.
Lowering a cap below what is already spent is refused.`)
	nf := addNodeFlags(fs)
	dataset := fs.String("dataset", "", "dataset (required)")
	eps := fs.Float64("epsilon", math.NaN(), "cap ε (required, > 0)")
	delta := fs.Float64("delta", 0, "cap δ, in [0, 1); 0 allows only pure-ε (Laplace) releases")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *dataset == "" || math.IsNaN(*eps) {
		return usagef("--dataset and --epsilon are required")
	}
	if !(*eps > 0) || math.IsInf(*eps, 0) || !(*delta >= 0 && *delta < 1) {
		return usagef("--epsilon must be positive and finite, --delta in [0, 1)")
	}
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	prev, now, err := n.SetBudget(*dataset, accountant.Budget{Epsilon: *eps, Delta: *delta})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, accountJSON(now))
	}
	if prev.HasCap {
		fmt.Fprintf(e.stdout, "dataset %s: cap changed from ε=%g δ=%g to ε=%g δ=%g\n", *dataset, prev.Cap.Epsilon, prev.Cap.Delta, *eps, *delta)
	} else {
		fmt.Fprintf(e.stdout, "dataset %s: cap set to ε=%g δ=%g\n", *dataset, *eps, *delta)
	}
	return nil
}

type budgetJSON struct {
	Dataset      string  `json:"dataset"`
	CapEpsilon   float64 `json:"cap_epsilon"`
	CapDelta     float64 `json:"cap_delta"`
	SpentRho     float64 `json:"spent_rho"`
	SpentEpsilon float64 `json:"spent_epsilon"` // converted at the cap's δ
	SpentDelta   float64 `json:"spent_delta"`
	RemainingEps float64 `json:"remaining_epsilon"`
	RemainingDel float64 `json:"remaining_delta"`
	Releases     int64   `json:"releases"`
}

func accountJSON(a ledger.Account) budgetJSON {
	j := budgetJSON{Dataset: a.Dataset, CapEpsilon: a.Cap.Epsilon, CapDelta: a.Cap.Delta,
		SpentRho: a.Spent.Rho, Releases: a.Releases}
	if conv, err := a.SpentConverted(); err == nil && a.Releases > 0 {
		j.SpentEpsilon, j.SpentDelta, j.SpentRho = conv.Epsilon, conv.Delta, conv.Rho
	}
	if rem, err := a.Remaining(); err == nil {
		j.RemainingEps, j.RemainingDel = rem.Epsilon, rem.Delta
	}
	return j
}

func budgetShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "budget show", "--dir DIR [--json]", `
Show each dataset's privacy budget: the cap (ε, δ), what is spent (as zCDP ρ
and converted to (ε, δ) at the cap's δ with the tight Canonne–Kamath–Steinke
conversion, rounded up), what remains, and how many releases were charged.`)
	nf := addNodeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	accts, err := n.Budgets()
	if err != nil {
		return err
	}
	rows := make([]budgetJSON, 0, len(accts))
	for _, a := range accts {
		rows = append(rows, accountJSON(a))
	}
	if *asJSON {
		return writeJSON(e.stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "no budgets set (set one with fednode budget set)")
		return nil
	}
	tw := table(e.stdout)
	fmt.Fprintln(tw, "DATASET\tCAP ε\tCAP δ\tSPENT ρ\tSPENT ε\tSPENT δ\tREMAINING ε\tRELEASES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%g\t%g\t%.6g\t%.6g\t%.3g\t%.6g\t%d\n", r.Dataset, r.CapEpsilon, r.CapDelta,
			r.SpentRho, r.SpentEpsilon, r.SpentDelta, r.RemainingEps, r.Releases)
	}
	return tw.Flush()
}
