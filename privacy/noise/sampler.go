package noise

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
)

// ErrInvalidParameter is returned, wrapped with context, for parameters
// outside a distribution's domain: zero, negative, NaN or infinite scales,
// probabilities outside [0, 1], nil arguments and values above [MaxScale].
var ErrInvalidParameter = errors.New("noise: invalid parameter")

// ErrOutOfRange is returned, wrapped with context, when a result does not fit
// in an int64: a sample whose magnitude exceeds math.MaxInt64 (probability
// below exp(−2¹⁴) for parameters up to [MaxScale]) or a sum in Add that
// overflows.
var ErrOutOfRange = errors.New("noise: value out of int64 range")

// bufSize is the number of random bytes read from the io.Reader at a time. It
// is a multiple of 8.
const bufSize = 4096

// A Sampler draws random bits from an io.Reader and turns them into exact
// samples. It reads the reader in blocks of 4 KiB and keeps unused bits for
// later calls, so it is not safe for concurrent use; use one Sampler per
// goroutine.
//
// If a read fails, the Sampler records the error, wrapped, and every later
// call returns it.
type Sampler struct {
	r        io.Reader
	buf      [bufSize]byte
	off, end int    // buf[off:end] holds unread bytes
	cache    uint64 // unread bits, least significant first
	n        uint   // number of unread bits in cache
	err      error
	scr      scratch
}

// scratch holds math/big temporaries for the slow path, so that it does not
// allocate on every call.
type scratch struct {
	rem, n, dk, k, u, x, w big.Int
}

// NewSampler returns a Sampler that takes its randomness from r. In
// production r is crypto/rand.Reader. The Sampler reads r in 4 KiB blocks; r
// need not be safe for concurrent use unless it is shared with other code.
func NewSampler(r io.Reader) *Sampler {
	return &Sampler{r: r}
}

// error returns the recorded error of s, if any.
func (s *Sampler) error() error { return s.err }

// check returns an error if s cannot be used.
func (s *Sampler) check() error {
	if s == nil {
		return fmt.Errorf("%w: nil Sampler", ErrInvalidParameter)
	}
	return s.err
}

// fill refills the byte buffer from the reader. After a failure it records the
// error and fills the buffer with one bits, for which every sampling loop
// terminates; the loops check s.err and return it.
func (s *Sampler) fill() {
	if s.err == nil {
		if s.r == nil {
			s.err = fmt.Errorf("%w: Sampler has no random source", ErrInvalidParameter)
		} else if _, err := io.ReadFull(s.r, s.buf[:]); err != nil {
			s.err = fmt.Errorf("noise: reading randomness: %w", err)
		}
	}
	if s.err != nil {
		for i := range s.buf {
			s.buf[i] = 0xff
		}
	}
	s.off, s.end = 0, len(s.buf)
}

// refillCache loads the next 64 random bits into the bit cache.
func (s *Sampler) refillCache() {
	if s.end-s.off < 8 {
		s.fill()
	}
	s.cache = binary.LittleEndian.Uint64(s.buf[s.off:])
	s.off += 8
	s.n = 64
}

// bit returns one uniformly random bit.
func (s *Sampler) bit() bool {
	if s.n == 0 {
		s.refillCache()
	}
	b := s.cache&1 != 0
	s.cache >>= 1
	s.n--
	return b
}

// bits returns k uniformly random bits, 0 ≤ k ≤ 64, as an integer in
// [0, 2^k).
func (s *Sampler) bits(k uint) uint64 {
	if k <= s.n {
		v := s.cache & (1<<k - 1)
		s.cache >>= k
		s.n -= k
		return v
	}
	v, have := s.cache, s.n
	s.refillCache()
	need := k - have
	v |= (s.cache & (1<<need - 1)) << have
	s.cache >>= need
	s.n -= need
	return v
}

// uniform64 returns a uniformly random integer in [0, n), for n ≥ 1, by
// drawing ⌈log₂ n⌉ bits and rejecting values ≥ n.
func (s *Sampler) uniform64(n uint64) uint64 {
	k := uint(bits.Len64(n - 1))
	for {
		if v := s.bits(k); v < n {
			return v
		}
		if s.err != nil {
			return 0
		}
	}
}

// uniformBig sets z to a uniformly random integer in [0, n), for n ≥ 1, and
// returns z. It consumes bits exactly as uniform64 does when n fits in 64
// bits.
func (s *Sampler) uniformBig(z, n *big.Int) *big.Int {
	w := &s.scr.w
	w.Sub(n, w.SetUint64(1))
	k := uint(w.BitLen())
	for {
		z.SetUint64(0)
		for off := uint(0); off < k; off += 64 {
			w.SetUint64(s.bits(min(64, k-off)))
			z.Or(z, w.Lsh(w, off))
		}
		if z.Cmp(n) < 0 {
			return z
		}
		if s.err != nil {
			return z.SetUint64(0)
		}
	}
}

// bernoulli64 returns true with probability exactly n/d, for d ≥ 1 (n ≥ d
// gives true). It generates the binary digits of n/d by long division and
// compares them with fresh random bits, the digits of a uniform U ∈ [0, 1);
// the first differing digit decides whether U < n/d. This uses two random
// bits on average and no division.
func (s *Sampler) bernoulli64(n, d uint64) bool {
	if n >= d {
		return true
	}
	rem := n
	for rem != 0 {
		carry := rem >> 63
		rem <<= 1
		digit := carry != 0 || rem >= d
		if digit {
			rem -= d // wraps to 2·rem − d < d when 2·rem overflowed
		}
		if s.bit() != digit {
			return digit
		}
	}
	// The remaining digits of n/d are all zero, so U ≥ n/d (U = n/d has
	// probability zero).
	return false
}

// bernoulli128 is bernoulli64 for 128-bit operands.
func (s *Sampler) bernoulli128(n, d u128) bool {
	if !n.less(d) {
		return true
	}
	if d.hi == 0 {
		return s.bernoulli64(n.lo, d.lo)
	}
	rem := n
	for !rem.isZero() {
		carry := rem.hi >> 63
		rem = u128{rem.hi<<1 | rem.lo>>63, rem.lo << 1}
		digit := carry != 0 || !rem.less(d)
		if digit {
			rem = rem.sub(d)
		}
		if s.bit() != digit {
			return digit
		}
	}
	return false
}

// bernoulliBig is bernoulli64 for arbitrary non-negative n and positive d.
// It consumes the same bits as bernoulli64 and bernoulli128.
func (s *Sampler) bernoulliBig(n, d *big.Int) bool {
	if n.Cmp(d) >= 0 {
		return true
	}
	rem := s.scr.rem.Set(n)
	for rem.Sign() != 0 {
		rem.Lsh(rem, 1)
		digit := rem.Cmp(d) >= 0
		if digit {
			rem.Sub(rem, d)
		}
		if s.bit() != digit {
			return digit
		}
	}
	return false
}

// Bernoulli returns true with probability exactly p, a rational in [0, 1].
// It returns an error wrapping ErrInvalidParameter if p is nil or outside
// [0, 1], and the reader's error, wrapped, if reading randomness fails.
func (s *Sampler) Bernoulli(p *big.Rat) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	if p == nil {
		return false, fmt.Errorf("%w: Bernoulli probability is nil", ErrInvalidParameter)
	}
	if p.Sign() < 0 || p.Num().Cmp(p.Denom()) > 0 {
		return false, fmt.Errorf("%w: Bernoulli probability %s is outside [0, 1]", ErrInvalidParameter, ratString(p))
	}
	var b bool
	n, nok := u128FromBig(p.Num())
	d, dok := u128FromBig(p.Denom())
	if nok && dok {
		b = s.bernoulli128(n, d)
	} else {
		b = s.bernoulliBig(p.Num(), p.Denom())
	}
	return b, s.error()
}
