package accountant

import (
	"fmt"
	"math"
)

// Budget is the cap (ε, δ) that a compliance officer sets for a dataset: the
// composition of every release must stay (Epsilon, Delta)-DP.
type Budget struct {
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
}

// Validate reports whether b is a meaningful cap: Epsilon finite and
// non-negative, Delta in [0, 1]. Otherwise it returns an error wrapping
// [ErrInvalid].
func (b Budget) Validate() error {
	if err := checkFinite("cap epsilon", b.Epsilon); err != nil {
		return err
	}
	return checkProb("cap delta", b.Delta)
}

// String returns b as "(ε=1, δ=1e-06)".
func (b Budget) String() string {
	return "(ε=" + fmtFloat(b.Epsilon) + ", δ=" + fmtFloat(b.Delta) + ")"
}

// Remaining is what is left of a [Budget] after a composition of releases,
// in the two dimensions the filter checks. Both fields are rounded down and
// never negative.
//
// A pure charge Pure(ε) with ε ≤ Epsilon fits, since a pure charge raises
// the converted ε by at most ε (see [Total.AddAt]); the few ulps by which
// outward rounding can exceed that are covered by [ForgivenessTolerance]
// unless Epsilon is itself only a few ulps of the total. Charges with a zCDP
// or approximate part are not additive in ε: spending δ on an approximate
// charge leaves less δ for converting ρ. Ask [Fits] about a specific cost, or
// [MaxRho] for the largest zCDP charge that fits.
type Remaining struct {
	// Epsilon is the cap's ε minus the spent total's converted ε.
	Epsilon float64 `json:"epsilon"`
	// Delta is the cap's δ minus the spent Σδ of approximate-DP charges.
	Delta float64 `json:"delta"`
}

// String returns r as "(ε=0.5, δ=1e-06)".
func (r Remaining) String() string {
	return "(ε=" + fmtFloat(r.Epsilon) + ", δ=" + fmtFloat(r.Delta) + ")"
}

// ForgivenessTolerance is the relative rounding forgiveness of the filter,
// the eqBudgetRelTol of Google's privacy-on-beam: a charge that overshoots
// the cap in a dimension by at most ForgivenessTolerance times what remained
// in that dimension is accepted and consumes exactly that remainder.
const ForgivenessTolerance = 1e-9

// ExceededError reports a charge that does not fit. It wraps [ErrExceeded].
type ExceededError struct {
	// Cost is the refused charge and Cap the budget it was checked against.
	Cost Cost
	Cap  Budget
	// Epsilon and Delta are the totals the charge would have produced: the
	// converted ε at the cap's δ and the approximate-DP Σδ.
	Epsilon, Delta float64
	// Remaining is what remains; the refused charge did not change it.
	Remaining Remaining
}

func (e *ExceededError) Error() string {
	return fmt.Sprintf("%v: %v would bring the total to (ε=%s, δ=%s), over the cap %v; remaining %v",
		ErrExceeded, e.Cost, fmtFloat(e.Epsilon), fmtFloat(e.Delta), e.Cap, e.Remaining)
}

// Unwrap returns [ErrExceeded].
func (e *ExceededError) Unwrap() error { return ErrExceeded }

// Spent returns spent as the filter measures it against b (see [Fits]): the
// conversion at δ = max(b.Delta, spent.ApproxDelta). Before any forgiven
// δ overshoot this is spent.Convert(b.Delta); use it for reports next to
// [Budget.Remaining]. Invalid input is an error wrapping [ErrInvalid].
func (b Budget) Spent(spent Total) (Conversion, error) {
	if err := spent.Validate(); err != nil {
		return Conversion{}, err
	}
	if err := b.Validate(); err != nil {
		return Conversion{}, err
	}
	return spent.convert(max(b.Delta, spent.ApproxDelta)), nil
}

// Remaining returns what is left of b after spent. See [Fits] for how the
// spent total is measured. Invalid input is an error wrapping [ErrInvalid].
func (b Budget) Remaining(spent Total) (Remaining, error) {
	if err := spent.Validate(); err != nil {
		return Remaining{}, err
	}
	if err := b.Validate(); err != nil {
		return Remaining{}, err
	}
	eps, delta := measure(spent, b)
	return remaining(eps, delta, b), nil
}

// Fits reports whether composing cost onto spent stays within budget, and what
// remains: after the charge if it fits, otherwise before it (unchanged).
//
// # The filter
//
// A Total T is measured in two dimensions: D(T) = T.ApproxDelta, and E(T),
// the total ε of [Total.Convert] at δ = max(budget.Delta, D(T)). While
// D(T) ≤ budget.Delta this is the conversion at the cap's δ: the approximate
// parts take their Σδ and the zCDP part (ρ plus any folded pure charges) is
// converted with the CKS20 bound at the δ left over; otherwise (only after a
// forgiven charge) the zCDP part has no δ left and converts to +∞ unless ρ is
// 0. The composed total is after = spent.AddAt(cost, max(budget.Delta, D(after))),
// which places pure charges where they cost least at that δ.
//
// The charge fits if both dimensions fit. With B the value before, A after
// and C the cap in a dimension, that dimension fits if
//
//	A ≤ C, or
//	A ≤ B (the charge does not consume it), or
//	A − C ≤ ForgivenessTolerance·(C − B) with C − B > 0 (forgiveness).
//
// # Forgiveness
//
// The third rule is privacy-on-beam's eqBudgetRelTol: splitting a cap into
// equal parts, say n charges of (1/n, 10⁻¹⁰/n) against (1, 10⁻¹⁰), can round
// the last total a few ulps over the cap, and such a charge must still be
// accepted. A forgiven charge consumes exactly the remainder of the dimension
// it overshot: Remaining reports 0 there, and since C − B is then ≤ 0, every
// later charge that consumes that dimension is refused. The recorded total is
// after itself, not trimmed to the cap, so E and D never understate the
// privacy loss; they may exceed the cap by at most ForgivenessTolerance times
// the remainder before the forgiven charge. In the mixed representation the
// rule applies to E and D as computed, so a forgiven δ overshoot also leaves
// no δ for converting ρ: later zCDP charges are refused. A charge that
// overshoots by more than that, say by 10⁻⁸ of the remainder or by 1%, is
// refused.
//
// Invalid input is an error wrapping [ErrInvalid]; ok is then false.
func Fits(spent Total, cost Cost, budget Budget) (ok bool, rem Remaining, err error) {
	d, err := decide(spent, cost, budget)
	if err != nil {
		return false, Remaining{}, err
	}
	if d.ok {
		return true, d.remAfter, nil
	}
	return false, d.remBefore, nil
}

// Charge composes cost onto spent if it fits within budget (see [Fits]) and
// returns the new total and what remains. Otherwise it returns spent
// unchanged, what remains, and an [*ExceededError] wrapping [ErrExceeded].
// Invalid input is an error wrapping [ErrInvalid].
//
// Charge is a deterministic function of its arguments: a ledger that stores
// the sequence of charged costs and the cap can replay it and obtain the same
// Total bit for bit.
func Charge(spent Total, cost Cost, budget Budget) (Total, Remaining, error) {
	d, err := decide(spent, cost, budget)
	if err != nil {
		return spent, Remaining{}, err
	}
	if !d.ok {
		return spent, d.remBefore, &ExceededError{
			Cost: cost, Cap: budget,
			Epsilon: d.epsAfter, Delta: d.deltaAfter,
			Remaining: d.remBefore,
		}
	}
	return d.after, d.remAfter, nil
}

// decision is the filter's evaluation of one charge.
type decision struct {
	ok                   bool
	after                Total
	epsAfter, deltaAfter float64
	remBefore, remAfter  Remaining
}

func decide(spent Total, cost Cost, budget Budget) (decision, error) {
	if err := spent.Validate(); err != nil {
		return decision{}, err
	}
	if err := cost.Validate(); err != nil {
		return decision{}, err
	}
	if err := budget.Validate(); err != nil {
		return decision{}, err
	}
	epsB, deltaB := measure(spent, budget)
	deltaA := spent.ApproxDelta
	if !cost.IsPure() {
		deltaA = addUp(deltaA, cost.Delta)
	}
	evalDelta := max(budget.Delta, deltaA)
	after, err := spent.addAt(cost, evalDelta).checked()
	if err != nil {
		return decision{}, err
	}
	epsA := after.convert(evalDelta).Epsilon
	return decision{
		ok:         fitsDim(epsB, epsA, budget.Epsilon) && fitsDim(deltaB, deltaA, budget.Delta),
		after:      after,
		epsAfter:   epsA,
		deltaAfter: deltaA,
		remBefore:  remaining(epsB, deltaB, budget),
		remAfter:   remaining(epsA, deltaA, budget),
	}, nil
}

// measure returns the filter's two dimensions of t: the converted ε at
// δ = max(budget.Delta, ApproxDelta), and ApproxDelta.
func measure(t Total, budget Budget) (eps, delta float64) {
	delta = t.ApproxDelta
	return t.convert(max(budget.Delta, delta)).Epsilon, delta
}

// fitsDim applies the filter's rule to one dimension: value before, value
// after, cap.
func fitsDim(before, after, limit float64) bool {
	if after <= limit || after <= before {
		return true
	}
	rem := subDown(limit, before)
	if !(rem > 0) {
		return false
	}
	return subUp(after, limit) <= mulDown(rem, ForgivenessTolerance)
}

func remaining(eps, delta float64, budget Budget) Remaining {
	return Remaining{
		Epsilon: max(subDown(budget.Epsilon, eps), 0),
		Delta:   max(subDown(budget.Delta, delta), 0),
	}
}

// MaxRho returns the largest ρ (to one ulp) such that the charge ZCDP(ρ) fits
// within budget after spent without relying on forgiveness. With [SigmaForRho]
// it gives the smallest Gaussian noise a release may still use. It returns 0
// if no positive ρ fits, and math.MaxFloat64 if every ρ does (budget.Delta = 1).
// Invalid input is an error wrapping [ErrInvalid].
func MaxRho(spent Total, budget Budget) (float64, error) {
	if err := spent.Validate(); err != nil {
		return 0, err
	}
	if err := budget.Validate(); err != nil {
		return 0, err
	}
	if spent.ApproxDelta > budget.Delta {
		return 0, nil
	}
	fits := func(rho float64) bool {
		after := spent.addAt(ZCDP(rho), budget.Delta)
		return after.convert(budget.Delta).Epsilon <= budget.Epsilon
	}
	if !fits(0) {
		return 0, nil
	}
	return bisectDown(0, math.Inf(1), fits), nil
}
