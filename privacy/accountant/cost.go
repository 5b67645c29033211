package accountant

import (
	"math"
	"strconv"
	"strings"
)

// Cost is the privacy loss of one release: the release satisfies Rho-zCDP
// composed with (Epsilon, Delta)-DP. Delta = 0 makes the second part pure
// ε-DP. Most releases have one part only; use the constructors [ZCDP], [Pure]
// and [Approx]. A release made of several mechanisms (say a Gaussian sum and
// a Laplace count) may set both parts.
//
// The zero Cost is a release with no privacy loss. The JSON form, with keys
// "rho", "epsilon" and "delta", round-trips exactly; call [Cost.Validate]
// after decoding.
type Cost struct {
	// Rho is the zero-concentrated DP parameter ρ (Bun and Steinke 2016).
	Rho float64 `json:"rho"`
	// Epsilon is the ε of the (pure or approximate) DP part.
	Epsilon float64 `json:"epsilon"`
	// Delta is the δ of the approximate DP part; 0 for pure DP.
	Delta float64 `json:"delta"`
}

// ZCDP returns the cost of a ρ-zCDP release, such as the Gaussian or discrete
// Gaussian mechanism ([RhoForSigma]).
func ZCDP(rho float64) Cost { return Cost{Rho: rho} }

// Pure returns the cost of an ε-DP release, such as the Laplace or discrete
// Laplace mechanism ([DiscreteLaplaceEpsilon]).
func Pure(eps float64) Cost { return Cost{Epsilon: eps} }

// Approx returns the cost of an (ε, δ)-DP release. Approx(ε, 0) equals
// Pure(ε).
func Approx(eps, delta float64) Cost { return Cost{Epsilon: eps, Delta: delta} }

// Validate reports whether c is a meaningful cost: every field finite and
// non-negative and Delta ≤ 1. Otherwise it returns an error wrapping
// [ErrInvalid].
func (c Cost) Validate() error {
	if err := checkFinite("rho", c.Rho); err != nil {
		return err
	}
	if err := checkFinite("epsilon", c.Epsilon); err != nil {
		return err
	}
	return checkProb("delta", c.Delta)
}

// IsZero reports whether c is the cost of a release with no privacy loss.
func (c Cost) IsZero() bool { return c.Rho == 0 && c.Epsilon == 0 && c.Delta == 0 }

// IsPure reports whether the DP part of c is pure (Delta = 0).
func (c Cost) IsPure() bool { return c.Delta == 0 }

// String returns c in the notation of the constructors, for example
// "zCDP(ρ=0.5)", "pure(ε=1)", "approx(ε=1, δ=1e-06)" or a sum of two of
// them; the zero cost is "zero".
func (c Cost) String() string {
	var parts []string
	if c.Rho != 0 {
		parts = append(parts, "zCDP(ρ="+fmtFloat(c.Rho)+")")
	}
	switch {
	case c.Delta != 0:
		parts = append(parts, "approx(ε="+fmtFloat(c.Epsilon)+", δ="+fmtFloat(c.Delta)+")")
	case c.Epsilon != 0:
		parts = append(parts, "pure(ε="+fmtFloat(c.Epsilon)+")")
	}
	if len(parts) == 0 {
		return "zero"
	}
	return strings.Join(parts, " + ")
}

// fmtFloat formats x with the fewest digits that read back exactly.
func fmtFloat(x float64) string {
	if math.IsInf(x, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
