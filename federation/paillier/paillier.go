// Package paillier is a Paillier-2048 baseline for benchmarks only: it
// prices additively homomorphic encryption the textbook way, beside
// federation/mhe, in `fednode bench secagg`. It is never used to protect
// data: it has no threshold decryption, no key management and no
// constant-time arithmetic (math/big).
//
// Paillier, "Public-Key Cryptosystems Based on Composite Degree Residuosity
// Classes", Eurocrypt 1999, with g = n + 1, so that g^m = 1 + m·n mod n², and
// decryption by the Chinese remainder theorem modulo p² and q², as in the
// paper's section on efficiency and implementation.
package paillier

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// Bits is the modulus size.
const Bits = 2048

// PublicKey is n; g = n + 1 is implicit.
type PublicKey struct {
	N  *big.Int
	n2 *big.Int // n²
}

// PrivateKey holds the factors and the CRT constants of decryption.
type PrivateKey struct {
	PublicKey
	p, q     *big.Int
	p2, q2   *big.Int // p², q²
	pm1, qm1 *big.Int // p − 1, q − 1
	hp, hq   *big.Int // (L_p(g^(p−1) mod p²))^−1 mod p, likewise for q
	qInvP    *big.Int // q^−1 mod p
	half     *big.Int // n / 2: plaintexts above it are negative
}

// GenerateKey makes a key from two distinct 1024-bit primes read from
// random (nil means crypto/rand) with gcd(pq, (p−1)(q−1)) = 1.
func GenerateKey(random io.Reader) (*PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	for {
		p, err := rand.Prime(random, Bits/2)
		if err != nil {
			return nil, fmt.Errorf("paillier keygen: %w", err)
		}
		q, err := rand.Prime(random, Bits/2)
		if err != nil {
			return nil, fmt.Errorf("paillier keygen: %w", err)
		}
		if p.Cmp(q) == 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != Bits {
			continue
		}
		pm1 := new(big.Int).Sub(p, big.NewInt(1))
		qm1 := new(big.Int).Sub(q, big.NewInt(1))
		phi := new(big.Int).Mul(pm1, qm1)
		if new(big.Int).GCD(nil, nil, n, phi).Cmp(big.NewInt(1)) != 0 {
			continue
		}
		k := &PrivateKey{
			PublicKey: PublicKey{N: n, n2: new(big.Int).Mul(n, n)},
			p:         p, q: q,
			p2: new(big.Int).Mul(p, p), q2: new(big.Int).Mul(q, q),
			pm1: pm1, qm1: qm1,
			qInvP: new(big.Int).ModInverse(q, p),
			half:  new(big.Int).Rsh(n, 1),
		}
		g := new(big.Int).Add(n, big.NewInt(1))
		k.hp = h(g, p, k.p2, pm1)
		k.hq = h(g, q, k.q2, qm1)
		if k.hp == nil || k.hq == nil || k.qInvP == nil {
			continue
		}
		return k, nil
	}
}

// h is (L_p(g^(p−1) mod p²))^−1 mod p with L_p(x) = (x − 1)/p.
func h(g, p, p2, pm1 *big.Int) *big.Int {
	x := new(big.Int).Exp(g, pm1, p2)
	x.Sub(x, big.NewInt(1))
	x.Div(x, p)
	return x.ModInverse(x, p)
}

// Encrypt returns c = (1 + m·n)·r^n mod n² for a fresh r in Z*_n. m is a
// signed value with |m| < n/2, encoded centred (m < 0 ↦ n + m).
func (k *PublicKey) Encrypt(random io.Reader, m *big.Int) (*big.Int, error) {
	if random == nil {
		random = rand.Reader
	}
	half := new(big.Int).Rsh(k.N, 1)
	if new(big.Int).Abs(m).Cmp(half) >= 0 {
		return nil, errors.New("paillier encrypt: |m| ≥ n/2")
	}
	var r *big.Int
	for {
		var err error
		if r, err = rand.Int(random, k.N); err != nil {
			return nil, fmt.Errorf("paillier encrypt: %w", err)
		}
		if r.Sign() > 0 && new(big.Int).GCD(nil, nil, r, k.N).Cmp(big.NewInt(1)) == 0 {
			break
		}
	}
	mm := new(big.Int).Mod(m, k.N)
	c := new(big.Int).Mul(mm, k.N)
	c.Add(c, big.NewInt(1))
	c.Mul(c, new(big.Int).Exp(r, k.N, k.n2))
	return c.Mod(c, k.n2), nil
}

// Add returns c1·c2 mod n², an encryption of m1 + m2 mod n.
func (k *PublicKey) Add(c1, c2 *big.Int) *big.Int {
	c := new(big.Int).Mul(c1, c2)
	return c.Mod(c, k.n2)
}

// Decrypt returns m in (−n/2, n/2] by CRT: m_p = L_p(c^(p−1) mod p²)·h_p mod p,
// likewise m_q, then m = m_q + q·((m_p − m_q)·q^−1 mod p).
func (k *PrivateKey) Decrypt(c *big.Int) (*big.Int, error) {
	if c.Sign() <= 0 || c.Cmp(k.n2) >= 0 {
		return nil, errors.New("paillier decrypt: ciphertext out of range")
	}
	mp := k.part(c, k.p, k.p2, k.pm1, k.hp)
	mq := k.part(c, k.q, k.q2, k.qm1, k.hq)
	m := mp.Sub(mp, mq)
	m.Mul(m, k.qInvP)
	m.Mod(m, k.p)
	m.Mul(m, k.q)
	m.Add(m, mq)
	if m.Cmp(k.half) > 0 {
		m.Sub(m, k.N)
	}
	return m, nil
}

func (k *PrivateKey) part(c, p, p2, pm1, hp *big.Int) *big.Int {
	x := new(big.Int).Exp(c, pm1, p2)
	x.Sub(x, big.NewInt(1))
	x.Div(x, p)
	x.Mul(x, hp)
	return x.Mod(x, p)
}

// CiphertextSize is the bytes of one ciphertext, an element of Z_{n²}, per
// value: 512.
const CiphertextSize = 2 * Bits / 8

// MeasureSample is how many encryptions MeasureEncrypt times.
const MeasureSample = 1000

// MeasureEncrypt returns the time per value of encrypting a vector of values
// values, measured on min(values, MeasureSample) encryptions under a fresh
// key (key generation is not timed). The caller extrapolates to the whole
// vector and says so: each value costs one 2048-bit exponentiation modulo
// n², so the cost is linear in the length.
func MeasureEncrypt(values int) (perValue time.Duration, err error) {
	values = max(1, min(values, MeasureSample))
	k, err := GenerateKey(nil)
	if err != nil {
		return 0, err
	}
	m := big.NewInt(-123456789)
	start := time.Now()
	for range values {
		if _, err := k.Encrypt(nil, m); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / time.Duration(values), nil
}
