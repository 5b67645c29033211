package noise

import (
	"fmt"
	"math"
	"math/big"
)

// MaxScale is the largest Laplace scale t and the largest Gaussian σ accepted.
// With parameters up to MaxScale = 2⁴⁸, a sample exceeds the int64 range with
// probability below exp(−2¹⁴).
const MaxScale = 1 << 48

// RatFromFloat returns x as an exact rational. Every finite float64 is a
// dyadic rational m·2ᵉ and the result is exactly that value: RatFromFloat(0.1)
// is 3602879701896397/36028797018963968, not 1/10. It returns an error
// wrapping ErrInvalidParameter if x is NaN or infinite.
func RatFromFloat(x float64) (*big.Rat, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("%w: %v is not a finite number", ErrInvalidParameter, x)
	}
	return new(big.Rat).SetFloat64(x), nil
}

// checkPositive returns an error wrapping ErrInvalidParameter unless
// 0 < x ≤ limit.
func checkPositive(name string, x, limit *big.Rat) error {
	switch {
	case x == nil:
		return fmt.Errorf("%w: %s is nil", ErrInvalidParameter, name)
	case x.Sign() <= 0:
		return fmt.Errorf("%w: %s = %s, want > 0", ErrInvalidParameter, name, ratString(x))
	case x.Cmp(limit) > 0:
		return fmt.Errorf("%w: %s = %s, want ≤ %s", ErrInvalidParameter, name, ratString(x), ratString(limit))
	}
	return nil
}

// ratString formats x for error messages: exactly if short, else as an
// approximate decimal.
func ratString(x *big.Rat) string {
	if s := x.RatString(); len(s) <= 40 {
		return s
	}
	f, _ := x.Float64()
	return fmt.Sprintf("≈%.6g", f)
}
