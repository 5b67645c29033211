package mhe

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"golang.org/x/crypto/chacha20"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// smudger draws decryption-share smudging noise: every coefficient an
// independent integer uniform on [−2^63, 2^63), from a ChaCha20 key stream
// under a fresh 256-bit key: from crypto/rand in production, from a fixed
// reader only in tests of the smudger itself.
//
// Why not lattigo: its GaussianSampler returns round(σ·x) for a ziggurat x
// with 31 random bits, so for large σ its outputs lie on a sparse set (at
// σ = 2^54 about one integer in 2^26 can occur) that does not hide the
// ciphertext noise it is added to. A uniform integer needs no floating point
// and its hiding is exact: SD(e, e+δ) = |δ|/2^64 (Asharov et al., Eurocrypt
// 2012, Lemma 2.1).
//
// A smudger is not safe for concurrent use.
type smudger struct {
	stream *chacha20.Cipher
	buf    []byte
	ringQ  *ring.Ring
	// wrap[i] is 2^64 mod q_i: a uint64 a read as the signed value a − 2^64
	// when its top bit is set.
	wrap []uint64
	poly ring.Poly
}

func newSmudger(params *Parameters, rand io.Reader) (*smudger, error) {
	var key [chacha20.KeySize]byte
	if _, err := io.ReadFull(rand, key[:]); err != nil {
		return nil, fmt.Errorf("smudging key: %w", err)
	}
	// The key is fresh, so the all-zero nonce is used once.
	stream, err := chacha20.NewUnauthenticatedCipher(key[:], make([]byte, chacha20.NonceSize))
	clear(key[:])
	if err != nil {
		return nil, fmt.Errorf("smudging key: %w", err)
	}
	ringQ := params.he.RingQ()
	s := &smudger{
		stream: stream,
		buf:    make([]byte, 8*ringQ.N()),
		ringQ:  ringQ,
		wrap:   make([]uint64, len(params.moduli)),
		poly:   ringQ.NewPoly(),
	}
	for i, q := range params.moduli {
		// 2^64 mod q = ((2^64 − 1) mod q + 1) mod q.
		s.wrap[i] = (^uint64(0)%q + 1) % q
	}
	return s, nil
}

// sample fills s.poly with fresh noise in the coefficient domain, reduced
// modulo every q_i.
func (s *smudger) sample() {
	clear(s.buf)
	s.stream.XORKeyStream(s.buf, s.buf)
	for i, sub := range s.ringQ.SubRings {
		q, brc, wrap := sub.Modulus, sub.BRedConstant, s.wrap[i]
		row := s.poly.Coeffs[i]
		for j := range row {
			a := binary.LittleEndian.Uint64(s.buf[8*j:])
			r := ring.BRedAdd(a, q, brc)
			if a>>63 == 1 { // a − 2^64 ≡ r − wrap
				var borrow uint64
				r, borrow = bits.Sub64(r, wrap, 0)
				r += q & -borrow
			}
			row[j] = r
		}
	}
}

// addNTT adds fresh noise to pol, which is in the NTT domain.
func (s *smudger) addNTT(pol ring.Poly) {
	s.sample()
	s.ringQ.NTT(s.poly, s.poly)
	s.ringQ.Add(pol, s.poly, pol)
}
