package noise

import (
	"bytes"
	"math/big"
	mathbits "math/bits"
	"testing"
	"testing/iotest"
)

// Tests that the fixed-width fast paths and the math/big paths consume the
// same random bits and return the same values.

// slowGaussian returns a copy of g that always takes the math/big path.
func slowGaussian(g *Gaussian) *Gaussian {
	c := *g
	c.fast = false
	c.cand = slowLaplace(g.cand)
	return &c
}

// slowLaplace returns a copy of l that always takes the math/big path.
func slowLaplace(l *Laplace) *Laplace {
	c := *l
	c.fast = false
	return &c
}

// sameState reports whether two samplers have consumed the same number of
// bits.
func sameState(a, b *Sampler) bool { return a.off == b.off && a.n == b.n }

func TestFastAndBigPathsAgree(t *testing.T) {
	const n = 20_000
	// 3/2⁶² makes |Y|·b·t exceed 64 bits for |Y| ≥ 4, exercising the
	// per-sample fallback of the fast path.
	gaussians := []string{"1/4", "1", "9/4", "9", "1/1000", "5/7", "1000000", "1000000000000", "13.69", "123456789/1024", "3/4611686018427387904"}
	for i, sigma2 := range gaussians {
		t.Run("gaussian/sigma2="+sigma2, func(t *testing.T) {
			r, ok := new(big.Rat).SetString(sigma2)
			if !ok {
				t.Fatalf("bad rational %q", sigma2)
			}
			g, err := NewGaussian(r)
			if err != nil {
				t.Fatal(err)
			}
			if !g.fast || !g.cand.fast {
				t.Fatalf("σ² = %s does not take the fast path", sigma2)
			}
			compareStreams(t, uint64(900+i), g, slowGaussian(g), n)
		})
	}
	laplaces := []string{"1", "5/2", "1/3", "1000", "1000000", "0.1", "18446744073709551615/18446744073709551557"}
	for i, scale := range laplaces {
		t.Run("laplace/t="+scale, func(t *testing.T) {
			r, ok := new(big.Rat).SetString(scale)
			if !ok {
				t.Fatalf("bad rational %q", scale)
			}
			l := newLaplace(r)
			if !l.fast {
				t.Fatalf("t = %s does not take the fast path", scale)
			}
			compareStreams(t, uint64(950+i), l, slowLaplace(l), n)
		})
	}
}

func compareStreams(t *testing.T, seed uint64, fast, slow Distribution, n int) {
	t.Helper()
	sf, ss := testSampler(seed), testSampler(seed)
	for i := range n {
		x, err := sf.Sample(fast)
		if err != nil {
			t.Fatal(err)
		}
		y, err := ss.Sample(slow)
		if err != nil {
			t.Fatal(err)
		}
		if x != y || !sameState(sf, ss) {
			t.Fatalf("sample %d: fast path %d, math/big path %d", i, x, y)
		}
	}
}

// randU128 returns a random value below 2^bits, from s.
func randU128(s *Sampler, bits uint) u128 {
	if bits <= 64 {
		return u128{lo: s.bits(bits)}
	}
	return u128{hi: s.bits(bits - 64), lo: s.bits(64)}
}

func TestPrimitivesAgree(t *testing.T) {
	params := testSampler(1000) // chooses operands
	for _, bits := range []uint{3, 20, 63, 64, 65, 100, 127, 128} {
		for range 2000 {
			d := randU128(params, bits)
			if d.isZero() {
				d.lo = 1
			}
			n := randU128(params, bits)
			if d.less(n) {
				n, d = d, n
			}
			seed := params.bits(64)
			var nb, db big.Int
			n.setBig(&nb)
			d.setBig(&db)

			a, b := testSampler(seed), testSampler(seed)
			if x, y := a.bernoulli128(n, d), b.bernoulliBig(&nb, &db); x != y || !sameState(a, b) {
				t.Fatalf("Bernoulli(%v/%v): 128-bit %v, math/big %v", n, d, x, y)
			}
			// γ = n/d ∈ [0, 1).
			if x, y := a.bernoulliExp128(n, d), b.bernoulliExpBig(&nb, &db); x != y || !sameState(a, b) {
				t.Fatalf("BernoulliExp(%v/%v): 128-bit %v, math/big %v", n, d, x, y)
			}
			// γ = 4 + n/d, when n + 4d fits in 128 bits.
			if d4, ok := d.mul64(4); ok {
				lo, carry := mathbits.Add64(n.lo, d4.lo, 0)
				hi, carry := mathbits.Add64(n.hi, d4.hi, carry)
				if carry == 0 {
					g := u128{hi, lo}
					var gb big.Int
					g.setBig(&gb)
					if x, y := a.bernoulliExp128(g, d), b.bernoulliExpBig(&gb, &db); x != y || !sameState(a, b) {
						t.Fatalf("BernoulliExp(%v/%v): 128-bit %v, math/big %v", g, d, x, y)
					}
				}
			}
			if bits <= 64 {
				var z big.Int
				if x, y := a.uniform64(d.lo), b.uniformBig(&z, &db); x != y.Uint64() || !sameState(a, b) {
					t.Fatalf("uniform(%v): 64-bit %v, math/big %v", d.lo, x, y)
				}
			}
		}
	}
}

// TestBits checks bits against a reference that reads the byte stream least
// significant bit first, for request sizes that cross word and buffer
// boundaries.
func TestBits(t *testing.T) {
	stream := make([]byte, 3*bufSize)
	if _, err := testSampler(1).r.Read(stream); err != nil {
		t.Fatal(err)
	}
	s := NewSampler(bytes.NewReader(stream))
	sizes := testSampler(2)
	pos := 0 // bits consumed
	for pos < 8*len(stream)-64 {
		k := uint(sizes.uniform64(65))
		got := s.bits(k)
		var want uint64
		for j := range k {
			bit := uint64(stream[(pos+int(j))/8]>>((pos+int(j))%8)) & 1
			want |= bit << j
		}
		if got != want {
			t.Fatalf("bits(%d) at bit %d = %#x, want %#x", k, pos, got, want)
		}
		pos += int(k)
	}
}

// TestShortReads checks that a reader returning one byte per call gives the
// same samples as the same stream read in blocks.
func TestShortReads(t *testing.T) {
	g, err := NewGaussian(big.NewRat(9, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := draw(t, testSampler(3), g, 2000)
	got := draw(t, NewSampler(iotest.OneByteReader(testSampler(3).r)), g, 2000)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sample %d: %d with one-byte reads, %d with block reads", i, got[i], want[i])
		}
	}
}
