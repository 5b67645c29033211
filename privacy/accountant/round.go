package accountant

import "math"

// Directed rounding.
//
// Go offers no control over the floating-point rounding mode, so the helpers
// below round each basic operation toward +∞ ("up") or −∞ ("down") by
// computing the exact rounding error and stepping one unit in the last place
// (ulp) only when the error points the wrong way. This is the scheme of
// OpenDP's InfAdd/InfMul/InfDiv traits.
//
//   - Sums use Knuth's TwoSum, which yields the exact error of a+b.
//   - Products, quotients and square roots use a fused multiply-add, which
//     yields the exact residual a·b−p, a−q·b or x−s·s.
//   - Where the residual could itself underflow (a result, dividend or
//     radicand below 2⁻⁹⁶⁰) the result is always stepped, which is
//     conservative, but never across zero.
//   - A finite computation that overflows rounds to ±MaxFloat64 on the
//     inward side and to ±∞ on the outward side.
//   - Library transcendental functions (Exp, Log, Log1p, Erf, Erfc) are
//     accurate to within one ulp but not correctly rounded; their results are
//     stepped by transcendentalULPs ulps in the safe direction.

// tinyResidual is the magnitude below which a residual computed with FMA may
// have underflowed; results of that size are stepped unconditionally.
const tinyResidual = 0x1p-960

// transcendentalULPs is the number of ulps by which the result of a library
// transcendental function is moved in the conservative direction. The Go
// implementations are documented (in their sources) to be accurate to less
// than one ulp; two gives a margin for the assembly variants.
const transcendentalULPs = 2

func nextUp(x float64) float64   { return math.Nextafter(x, math.Inf(1)) }
func nextDown(x float64) float64 { return math.Nextafter(x, math.Inf(-1)) }

// addUp returns the smallest float64 not below the exact sum a+b.
func addUp(a, b float64) float64 {
	s := a + b
	if math.IsInf(s, 0) || math.IsNaN(s) {
		if math.IsInf(s, -1) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
			return -math.MaxFloat64 // finite operands overflowed downward
		}
		return s
	}
	if twoSumErr(a, b, s) > 0 {
		return nextUp(s)
	}
	return s
}

// addDown returns the largest float64 not above the exact sum a+b.
func addDown(a, b float64) float64 {
	s := a + b
	if math.IsInf(s, 0) || math.IsNaN(s) {
		if math.IsInf(s, 1) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
			return math.MaxFloat64
		}
		return s
	}
	if twoSumErr(a, b, s) < 0 {
		return nextDown(s)
	}
	return s
}

func subUp(a, b float64) float64   { return addUp(a, -b) }
func subDown(a, b float64) float64 { return addDown(a, -b) }

// twoSumErr returns the exact error (a+b) − s of the rounded sum s = a+b
// (Knuth, TAOCP vol. 2, 4.2.2).
func twoSumErr(a, b, s float64) float64 {
	bb := s - a
	return (a - (s - bb)) + (b - bb)
}

// mulUp returns a float64 not below the exact product a·b.
func mulUp(a, b float64) float64 {
	p := a * b
	switch {
	case math.IsNaN(p) || a == 0 || b == 0:
		return p
	case math.IsInf(p, 0):
		return overflowUp(p, a, b)
	case math.Abs(p) < tinyResidual:
		return clampSign(nextUp(p), a, b)
	case math.FMA(a, b, -p) > 0:
		return nextUp(p)
	}
	return p
}

// mulDown returns a float64 not above the exact product a·b.
func mulDown(a, b float64) float64 {
	p := a * b
	switch {
	case math.IsNaN(p) || a == 0 || b == 0:
		return p
	case math.IsInf(p, 0):
		return overflowDown(p, a, b)
	case math.Abs(p) < tinyResidual:
		return clampSign(nextDown(p), a, b)
	case math.FMA(a, b, -p) < 0:
		return nextDown(p)
	}
	return p
}

// divUp returns a float64 not below the exact quotient a/b.
func divUp(a, b float64) float64 {
	q := a / b
	switch {
	case math.IsNaN(q) || a == 0:
		return q
	case math.IsInf(q, 0):
		return overflowUp(q, a, b)
	case math.Abs(q) < tinyResidual || math.Abs(a) < tinyResidual:
		return clampSign(nextUp(q), a, b)
	}
	// r = a − q·b is exact; the true quotient is q + r/b.
	if r := math.FMA(-q, b, a); r != 0 && (r > 0) == (b > 0) {
		return nextUp(q)
	}
	return q
}

// divDown returns a float64 not above the exact quotient a/b.
func divDown(a, b float64) float64 {
	q := a / b
	switch {
	case math.IsNaN(q) || a == 0:
		return q
	case math.IsInf(q, 0):
		return overflowDown(q, a, b)
	case math.Abs(q) < tinyResidual || math.Abs(a) < tinyResidual:
		return clampSign(nextDown(q), a, b)
	}
	if r := math.FMA(-q, b, a); r != 0 && (r > 0) != (b > 0) {
		return nextDown(q)
	}
	return q
}

// overflowUp rounds an infinite product or quotient x of finite operands a, b
// up: −∞ came from a finite value, so it rounds up to −MaxFloat64.
func overflowUp(x, a, b float64) float64 {
	if math.IsInf(x, -1) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return -math.MaxFloat64
	}
	return x
}

// overflowDown rounds an infinite product or quotient x of finite operands
// down: +∞ came from a finite value, so it rounds down to MaxFloat64.
func overflowDown(x, a, b float64) float64 {
	if math.IsInf(x, 1) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return math.MaxFloat64
	}
	return x
}

// clampSign keeps a stepped tiny product or quotient x of a and b on the
// sign of the exact result, which is that of a·b: stepping never needs to
// cross zero.
func clampSign(x, a, b float64) float64 {
	if positive := (a > 0) == (b > 0); positive && x < 0 || !positive && x > 0 {
		return 0
	}
	return x
}

// sqrtUp returns a float64 not below √x, for x ≥ 0.
func sqrtUp(x float64) float64 {
	s := math.Sqrt(x)
	switch {
	case s == 0 || math.IsInf(s, 0) || math.IsNaN(s):
		return s
	case x < tinyResidual:
		return nextUp(s)
	case math.FMA(-s, s, x) > 0:
		return nextUp(s)
	}
	return s
}

// sqrtDown returns a float64 not above √x, for x ≥ 0.
func sqrtDown(x float64) float64 {
	s := math.Sqrt(x)
	switch {
	case s == 0 || math.IsInf(s, 0) || math.IsNaN(s):
		return s
	case x < tinyResidual:
		return nextDown(s)
	case math.FMA(-s, s, x) < 0:
		return nextDown(s)
	}
	return s
}

// stepUp moves a finite x up by transcendentalULPs ulps.
func stepUp(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	for range transcendentalULPs {
		x = nextUp(x)
	}
	return x
}

// stepDown moves a finite x down by transcendentalULPs ulps.
func stepDown(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	for range transcendentalULPs {
		x = nextDown(x)
	}
	return x
}

// expUp returns a float64 not below e^x. It never returns 0 for finite x,
// since e^x > 0.
func expUp(x float64) float64 {
	if math.IsInf(x, -1) {
		return 0
	}
	return stepUp(math.Exp(x))
}

// logDown returns a float64 not above ln x, for x > 0. ln 1 = 0 is exact.
func logDown(x float64) float64 {
	if x == 1 {
		return 0
	}
	return stepDown(math.Log(x))
}

// log1pDown returns a float64 not above ln(1+x), for x ≥ 0. ln(1+0) = 0 is
// exact.
func log1pDown(x float64) float64 {
	if x == 0 {
		return 0
	}
	y := stepDown(math.Log1p(x))
	if y < 0 {
		return 0 // ln(1+x) ≥ 0 for x ≥ 0
	}
	return y
}
