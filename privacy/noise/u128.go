package noise

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// u128 is the unsigned 128-bit integer hi·2⁶⁴ + lo.
type u128 struct{ hi, lo uint64 }

// mul64 returns the full 128-bit product x·y.
func mul64(x, y uint64) u128 {
	hi, lo := bits.Mul64(x, y)
	return u128{hi, lo}
}

func (x u128) isZero() bool { return x.hi|x.lo == 0 }

func (x u128) less(y u128) bool {
	return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo)
}

// sub returns x − y modulo 2¹²⁸.
func (x u128) sub(y u128) u128 {
	lo, borrow := bits.Sub64(x.lo, y.lo, 0)
	hi, _ := bits.Sub64(x.hi, y.hi, borrow)
	return u128{hi, lo}
}

// absDiff returns |x − y|.
func absDiff(x, y u128) u128 {
	if x.less(y) {
		return y.sub(x)
	}
	return x.sub(y)
}

// mul64 returns x·k and reports whether the product fits in 128 bits.
func (x u128) mul64(k uint64) (u128, bool) {
	h1, lo := bits.Mul64(x.lo, k)
	h2, l2 := bits.Mul64(x.hi, k)
	hi, carry := bits.Add64(h1, l2, 0)
	return u128{hi, lo}, h2 == 0 && carry == 0
}

// setBig sets z to x and returns z.
func (x u128) setBig(z *big.Int) *big.Int {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], x.hi)
	binary.BigEndian.PutUint64(b[8:], x.lo)
	return z.SetBytes(b[:])
}

// u128FromBig returns x as a u128 and reports whether 0 ≤ x < 2¹²⁸.
func u128FromBig(x *big.Int) (u128, bool) {
	if x.IsUint64() {
		return u128{lo: x.Uint64()}, true
	}
	if x.Sign() < 0 || x.BitLen() > 128 {
		return u128{}, false
	}
	var b [16]byte
	x.FillBytes(b[:])
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}, true
}
