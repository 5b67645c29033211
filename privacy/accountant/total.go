package accountant

import (
	"fmt"
	"math"
)

// Total is the composed privacy loss of a sequence of releases. Each kind of
// cost composes by its own rule, every sum rounded up:
//
//   - zCDP: ρ adds (the composition lemma of Bun and Steinke 2016,
//     arXiv:1605.02065).
//   - Approximate DP: ε and δ add (basic composition, Dwork et al. 2006).
//   - Pure DP: a pure ε-DP release is also ε²/2-zCDP (Bun and Steinke 2016,
//     Proposition 1.4), so each pure charge may be accounted either way.
//     Total keeps pure charges in two groups: the "additive" group, whose ε
//     add (PureEpsilon), and the "folded" group, whose ε²/2 add to the zCDP
//     part (FoldedRho). For the additive group it also keeps Σε²/2
//     (PureAsRho), so a conversion may fold the whole group when that gives
//     a smaller ε.
//
// [Total.Add] puts pure charges in the additive group; [Total.AddAt] places
// each pure charge in whichever group gives the smaller ε at a given δ, as the
// budget filter ([Charge]) does at the cap's δ. Both placements are valid
// guarantees; folding helps many small pure charges (their ε²/2 grow
// quadratically smaller) and hurts large ones.
//
// Total is a value: methods return a new Total and never modify the
// receiver. The zero Total is the empty composition. The JSON form
// round-trips exactly; call [Total.Validate] after decoding.
type Total struct {
	// Rho is Σρ over the zCDP parts of the releases.
	Rho float64 `json:"rho"`
	// FoldedRho is Σε²/2 over the pure charges accounted as zCDP.
	FoldedRho float64 `json:"folded_rho"`
	// PureEpsilon is Σε over the pure charges accounted additively.
	PureEpsilon float64 `json:"pure_epsilon"`
	// PureAsRho is Σε²/2 over the same charges as PureEpsilon: the ρ they
	// would cost if folded.
	PureAsRho float64 `json:"pure_as_rho"`
	// ApproxEpsilon is Σε over the approximate-DP parts (Delta > 0).
	ApproxEpsilon float64 `json:"approx_epsilon"`
	// ApproxDelta is Σδ over the approximate-DP parts.
	ApproxDelta float64 `json:"approx_delta"`
	// Releases counts the costs composed, including zero costs.
	Releases int64 `json:"releases"`
}

// Compose returns the composition of costs by [Total.Add].
func Compose(costs ...Cost) (Total, error) {
	var t Total
	for i, c := range costs {
		var err error
		if t, err = t.Add(c); err != nil {
			return Total{}, fmt.Errorf("cost %d: %w", i, err)
		}
	}
	return t, nil
}

// Validate reports whether t is a composition that Add could have produced:
// every sum finite and non-negative and Releases ≥ 0. Otherwise it returns an
// error wrapping [ErrInvalid].
func (t Total) Validate() error {
	for _, f := range []struct {
		name string
		x    float64
	}{
		{"rho", t.Rho},
		{"folded rho", t.FoldedRho},
		{"pure epsilon", t.PureEpsilon},
		{"pure as rho", t.PureAsRho},
		{"approx epsilon", t.ApproxEpsilon},
		{"approx delta", t.ApproxDelta},
	} {
		if err := checkFinite(f.name, f.x); err != nil {
			return err
		}
	}
	if t.Releases < 0 {
		return invalidf("releases = %d, want a non-negative count", t.Releases)
	}
	return nil
}

// Add returns t composed with c. A pure part of c joins the additive group.
// It returns an error wrapping [ErrInvalid] if t or c is invalid or a sum
// overflows.
func (t Total) Add(c Cost) (Total, error) {
	if err := t.Validate(); err != nil {
		return Total{}, err
	}
	if err := c.Validate(); err != nil {
		return Total{}, err
	}
	return t.place(c, placeAdditive).checked()
}

// AddAt returns t composed with c, placing a pure part of c, and possibly the
// whole additive group, in whichever group gives the smallest total ε at
// total δ = delta (see [Total.Convert]). The candidates are:
//
//	additive: the new ε joins the additive group;
//	folded:   the new ε²/2 joins the folded group;
//	fold-old: the additive group is folded, then the new ε joins it;
//	fold-all: the additive group and the new charge are folded.
//
// Ties go to the first in this order. Because "additive" and "fold-old" are
// always candidates, a pure charge of ε never raises the converted ε of a
// Total by more than ε (up to rounding). A cost without a pure part chooses
// only whether to fold the additive group. The choice is a deterministic
// function of (t, c, delta), so replaying the same calls reproduces the same
// Total bit for bit.
//
// It returns an error wrapping [ErrInvalid] if an argument is invalid or a
// sum overflows.
func (t Total) AddAt(c Cost, delta float64) (Total, error) {
	if err := t.Validate(); err != nil {
		return Total{}, err
	}
	if err := c.Validate(); err != nil {
		return Total{}, err
	}
	if err := checkProb("delta", delta); err != nil {
		return Total{}, err
	}
	return t.addAt(c, delta).checked()
}

// Placements of a pure charge.
const (
	placeAdditive = iota
	placeFolded
	placeFoldOld
	placeFoldAll
)

// addAt implements AddAt for validated arguments.
func (t Total) addAt(c Cost, delta float64) Total {
	placements := []int{placeAdditive, placeFoldOld}
	if c.IsPure() && c.Epsilon > 0 {
		placements = []int{placeAdditive, placeFolded, placeFoldOld, placeFoldAll}
	}
	var best Total
	bestEps := math.NaN()
	for _, p := range placements {
		cand := t.place(c, p)
		e := cand.keepEpsilon(delta)
		if math.IsNaN(bestEps) || e < bestEps {
			best, bestEps = cand, e
		}
	}
	return best
}

// place returns t composed with c, with c's pure part (if any) placed as p.
func (t Total) place(c Cost, p int) Total {
	t.Releases++
	t.Rho = addUp(t.Rho, c.Rho)
	if !c.IsPure() {
		t.ApproxEpsilon = addUp(t.ApproxEpsilon, c.Epsilon)
		t.ApproxDelta = addUp(t.ApproxDelta, c.Delta)
	}
	if p == placeFoldOld || p == placeFoldAll {
		t.FoldedRho = addUp(t.FoldedRho, t.PureAsRho)
		t.PureEpsilon, t.PureAsRho = 0, 0
	}
	if !c.IsPure() || c.Epsilon == 0 {
		return t
	}
	asRho := pureToRho(c.Epsilon)
	switch p {
	case placeAdditive, placeFoldOld:
		t.PureEpsilon = addUp(t.PureEpsilon, c.Epsilon)
		t.PureAsRho = addUp(t.PureAsRho, asRho)
	default:
		t.FoldedRho = addUp(t.FoldedRho, asRho)
	}
	return t
}

// pureToRho returns ε²/2 rounded up: ε-DP implies ε²/2-zCDP (Bun and Steinke
// 2016, Proposition 1.4).
func pureToRho(eps float64) float64 { return mulUp(0.5, mulUp(eps, eps)) }

// checked reports an overflowed sum as an error.
func (t Total) checked() (Total, error) {
	for _, x := range []float64{t.Rho, t.FoldedRho, t.PureEpsilon, t.PureAsRho, t.ApproxEpsilon, t.ApproxDelta} {
		if math.IsInf(x, 0) {
			return Total{}, invalidf("composition overflows float64")
		}
	}
	return t, nil
}

// Conversion is a Total expressed as (ε, δ)-DP, with its parts for reports:
//
//	Epsilon = ApproxEpsilon + PureEpsilon + RhoEpsilon,
//	Delta   = ApproxDelta + RhoDelta,
//
// where RhoEpsilon = EpsilonForRho(Rho, RhoDelta). Every sum is rounded up.
type Conversion struct {
	// Epsilon is the total ε; it is never below the exact value.
	Epsilon float64 `json:"epsilon"`
	// Delta is the total δ the conversion was asked for.
	Delta float64 `json:"delta"`
	// Rho is the ρ converted: the zCDP parts, the folded pure charges and,
	// if PureFolded, the additive group's PureAsRho.
	Rho float64 `json:"rho"`
	// RhoEpsilon is the ε that Rho converts to at RhoDelta (CKS20).
	RhoEpsilon float64 `json:"rho_epsilon"`
	// RhoDelta is the δ left for the zCDP part: Delta − ApproxDelta,
	// rounded down.
	RhoDelta float64 `json:"rho_delta"`
	// PureEpsilon is the pure ε counted additively (0 if PureFolded).
	PureEpsilon float64 `json:"pure_epsilon"`
	// PureFolded reports whether the additive group was folded into Rho
	// because that gave the smaller Epsilon.
	PureFolded bool `json:"pure_folded"`
	// ApproxEpsilon and ApproxDelta are the composed approximate-DP parts.
	ApproxEpsilon float64 `json:"approx_epsilon"`
	ApproxDelta   float64 `json:"approx_delta"`
}

// String returns the conversion for a report, for example
// "(ε=0.688, δ=0.001)-DP: zCDP ρ=0.03125 → ε=0.688 at δ=0.001; pure ε=0; approx (ε=0, δ=0)".
func (c Conversion) String() string {
	s := fmt.Sprintf("(ε=%s, δ=%s)-DP: zCDP ρ=%s → ε=%s at δ=%s; ",
		fmtFloat(c.Epsilon), fmtFloat(c.Delta), fmtFloat(c.Rho), fmtFloat(c.RhoEpsilon), fmtFloat(c.RhoDelta))
	if c.PureFolded {
		s += "pure folded into ρ; "
	} else {
		s += "pure ε=" + fmtFloat(c.PureEpsilon) + "; "
	}
	return s + "approx (ε=" + fmtFloat(c.ApproxEpsilon) + ", δ=" + fmtFloat(c.ApproxDelta) + ")"
}

// Convert expresses t as (ε, δ)-DP at total δ = delta. The approximate-DP
// parts contribute (ApproxEpsilon, ApproxDelta); the zCDP part, ρ = Rho +
// FoldedRho, is converted with [EpsilonForRho] at the δ left over,
// delta − ApproxDelta. The additive pure group is either added as ε
// (PureEpsilon) or folded into ρ (PureAsRho), whichever gives the smaller
// total ε; both are valid, so the smaller is too.
//
// If delta < ApproxDelta no ε is valid and Epsilon is +∞. Invalid input is an
// error wrapping [ErrInvalid].
func (t Total) Convert(delta float64) (Conversion, error) {
	if err := t.Validate(); err != nil {
		return Conversion{}, err
	}
	if err := checkProb("delta", delta); err != nil {
		return Conversion{}, err
	}
	return t.convert(delta), nil
}

// Epsilon returns the total ε of [Total.Convert] at total δ = delta.
func (t Total) Epsilon(delta float64) (float64, error) {
	c, err := t.Convert(delta)
	return c.Epsilon, err
}

// convert implements Convert for validated arguments.
func (t Total) convert(delta float64) Conversion {
	c := Conversion{
		Delta:         delta,
		ApproxEpsilon: t.ApproxEpsilon,
		ApproxDelta:   t.ApproxDelta,
		RhoDelta:      subDown(delta, t.ApproxDelta),
	}
	if c.RhoDelta < 0 {
		c.RhoDelta = 0
		c.Rho = addUp(t.Rho, t.FoldedRho)
		c.PureEpsilon = t.PureEpsilon
		c.RhoEpsilon = math.Inf(1)
		c.Epsilon = math.Inf(1)
		return c
	}
	rho := addUp(t.Rho, t.FoldedRho)
	rhoEps := cdpEpsilon(rho, c.RhoDelta)
	keep := addUp(t.PureEpsilon, rhoEps)
	c.Rho, c.PureEpsilon, c.RhoEpsilon = rho, t.PureEpsilon, rhoEps
	if t.PureEpsilon > 0 {
		foldRho := addUp(rho, t.PureAsRho)
		if fold := cdpEpsilon(foldRho, c.RhoDelta); fold < keep {
			c.Rho, c.PureEpsilon, c.RhoEpsilon, c.PureFolded = foldRho, 0, fold, true
		}
	}
	c.Epsilon = addUp(addUp(c.ApproxEpsilon, c.PureEpsilon), c.RhoEpsilon)
	return c
}

// keepEpsilon returns the total ε of t at delta with the additive group kept
// additive, as AddAt compares candidates.
func (t Total) keepEpsilon(delta float64) float64 {
	dz := subDown(delta, t.ApproxDelta)
	if dz < 0 {
		return math.Inf(1)
	}
	rhoEps := cdpEpsilon(addUp(t.Rho, t.FoldedRho), dz)
	return addUp(addUp(t.ApproxEpsilon, t.PureEpsilon), rhoEps)
}

// String returns t for a report, for example
// "releases=3 ρ=0.1 folded_ρ=0 pure_ε=0.5 pure_as_ρ=0.125 approx_ε=1 approx_δ=1e-06".
func (t Total) String() string {
	return fmt.Sprintf("releases=%d ρ=%s folded_ρ=%s pure_ε=%s pure_as_ρ=%s approx_ε=%s approx_δ=%s",
		t.Releases, fmtFloat(t.Rho), fmtFloat(t.FoldedRho), fmtFloat(t.PureEpsilon),
		fmtFloat(t.PureAsRho), fmtFloat(t.ApproxEpsilon), fmtFloat(t.ApproxDelta))
}
