package accountant

import (
	"fmt"
	"math"
	"math/big"
	"testing"
)

// roundCases are operand pairs chosen so that most operations are inexact.
var roundCases = [][2]float64{
	{0.1, 0.2}, {1, 1e-17}, {1, -1e-17}, {1e300, 1e-300}, {3, 7},
	{2.5e-11, 5e-11}, {1.0 / 3, 2.0 / 3}, {-0.7, 0.3}, {1e-310, 3e-310},
	{123456.789, 1e-9}, {math.Pi, math.E},
}

func TestDirectedRounding(t *testing.T) {
	for _, c := range roundCases {
		a, b := c[0], c[1]
		t.Run(fmt.Sprintf("a=%g/b=%g", a, b), func(t *testing.T) {
			sum := exact(a)
			sum.Add(sum, exact(b))
			checkBracket(t, "add", addDown(a, b), addUp(a, b), sum)
			prod := exactMul(a, b)
			checkBracket(t, "mul", mulDown(a, b), mulUp(a, b), prod)
			if b != 0 {
				// a/b is bracketed when b·down ≤ a ≤ b·up (b > 0) or the
				// reverse (b < 0).
				lo, hi := divDown(a, b), divUp(a, b)
				if lo > hi {
					t.Fatalf("divDown = %g > divUp = %g", lo, hi)
				}
				qlo, qhi := exactMul(lo, b), exactMul(hi, b)
				if b < 0 {
					qlo, qhi = qhi, qlo
				}
				if qlo.Cmp(exact(a)) > 0 || qhi.Cmp(exact(a)) < 0 {
					t.Errorf("div(%g, %g) bracket [%g, %g] misses the quotient", a, b, lo, hi)
				}
			}
			if a >= 0 {
				lo, hi := sqrtDown(a), sqrtUp(a)
				if exactMul(lo, lo).Cmp(exact(a)) > 0 || exactMul(hi, hi).Cmp(exact(a)) < 0 {
					t.Errorf("sqrt(%g) bracket [%g, %g] misses the root", a, lo, hi)
				}
			}
		})
	}
}

// checkBracket fails unless lo ≤ x ≤ hi and, away from underflow and
// overflow, hi is lo or the next float.
func checkBracket(t *testing.T, op string, lo, hi float64, x *big.Float) {
	t.Helper()
	if x.Cmp(exact(lo)) < 0 || x.Cmp(exact(hi)) > 0 {
		t.Errorf("%s: bracket [%.17g, %.17g] misses the exact result", op, lo, hi)
	}
	if math.Abs(lo) < tinyResidual || math.IsInf(hi, 0) {
		return
	}
	if hi != lo && nextUp(lo) != hi {
		t.Errorf("%s: bracket [%.17g, %.17g] is wider than one ulp", op, lo, hi)
	}
}

func TestTranscendentalSteps(t *testing.T) {
	for _, x := range []float64{-745, -700, -1, -1e-9, 0, 1e-9, 1, 700} {
		if got, lib := expUp(x), math.Exp(x); !(got > lib) {
			t.Errorf("expUp(%g) = %g, want above math.Exp = %g", x, got, lib)
		}
	}
	if expUp(-1e6) <= 0 {
		t.Errorf("expUp(-1e6) = %g, want a positive bound", expUp(-1e6))
	}
	for _, x := range []float64{1e-300, 1e-9, 0.5, 1, 10, 1e300} {
		if got, lib := log1pDown(x), math.Log1p(x); !(got < lib) || got < 0 {
			t.Errorf("log1pDown(%g) = %g, want in [0, math.Log1p = %g)", x, got, lib)
		}
	}
	if log1pDown(0) != 0 || logDown(1) != 0 {
		t.Errorf("log1pDown(0) = %g, logDown(1) = %g, want exact zeros", log1pDown(0), logDown(1))
	}
}
