package accountant

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalid is returned, wrapped with context, for a parameter outside its
// domain: NaN, a negative value, an infinity where a finite value is required,
// or a δ outside [0, 1]. Test for it with [errors.Is].
var ErrInvalid = errors.New("accountant: invalid privacy parameter")

// ErrExceeded is returned, wrapped in an [*ExceededError], by [Charge] when a
// cost does not fit in the remaining budget. Test for it with [errors.Is].
var ErrExceeded = errors.New("accountant: privacy budget exceeded")

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// checkNonNeg accepts x in [0, +∞].
func checkNonNeg(name string, x float64) error {
	if !(x >= 0) {
		return invalidf("%s = %v, want a non-negative number", name, x)
	}
	return nil
}

// checkFinite accepts x in [0, +∞).
func checkFinite(name string, x float64) error {
	if !(x >= 0) || math.IsInf(x, 1) {
		return invalidf("%s = %v, want a finite non-negative number", name, x)
	}
	return nil
}

// checkPositive accepts x in (0, +∞).
func checkPositive(name string, x float64) error {
	if !(x > 0) || math.IsInf(x, 1) {
		return invalidf("%s = %v, want a finite positive number", name, x)
	}
	return nil
}

// checkProb accepts x in [0, 1].
func checkProb(name string, x float64) error {
	if !(x >= 0 && x <= 1) {
		return invalidf("%s = %v, want a probability in [0, 1]", name, x)
	}
	return nil
}
