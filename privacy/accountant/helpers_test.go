package accountant

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

// relErr returns |got−want|/|want|, or |got| when want is 0.
func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// checkRel fails t unless got is within relative tolerance tol of want.
func checkRel(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || relErr(got, want) > tol {
		t.Errorf("%s = %.17g, want %.17g (relative error %.3g > %.3g)", name, got, want, relErr(got, want), tol)
	}
}

// wantInvalid fails t unless err wraps ErrInvalid.
func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error = %v, want one wrapping ErrInvalid", err)
	}
}

// exact returns x as an exact big.Float.
func exact(x float64) *big.Float {
	return new(big.Float).SetPrec(2000).SetFloat64(x)
}

// exactMul returns the exact product of the arguments.
func exactMul(xs ...float64) *big.Float {
	p := exact(1)
	for _, x := range xs {
		p.Mul(p, exact(x))
	}
	return p
}
