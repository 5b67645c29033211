package mhe

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
)

// consortium is an in-process job: every party, the collective key and the
// seed, with all setup messages delivered.
type consortium struct {
	params  *Parameters
	seed    []byte
	points  []ShamirPoint
	parties map[ShamirPoint]*Party
	pk      *PublicKey
	pkBytes []byte
}

// newConsortium runs the key setup for n parties with threshold t: each
// party's public-key share to an aggregator, each Shamir share to its
// recipient, the collective key back to everyone.
func newConsortium(tb testing.TB, params *Parameters, n, t int) *consortium {
	tb.Helper()
	c := &consortium{params: params, seed: randomBytes(tb, 32), parties: make(map[ShamirPoint]*Party, n)}
	for i := range n {
		c.points = append(c.points, ShamirPoint(i+1))
	}
	var pkShares [][]byte
	for _, pt := range c.points {
		p, err := NewParty(params, c.seed, pt, c.points, t)
		if err != nil {
			tb.Fatalf("NewParty(%d): %v", pt, err)
		}
		c.parties[pt] = p
		b, err := p.PublicKeyShare()
		if err != nil {
			tb.Fatal(err)
		}
		pkShares = append(pkShares, b)
	}
	for _, from := range c.points {
		for _, to := range c.points {
			if from == to {
				continue
			}
			b, err := c.parties[from].ShamirShareFor(to)
			if err != nil {
				tb.Fatal(err)
			}
			if err := c.parties[to].AddShamirShare(from, b); err != nil {
				tb.Fatalf("AddShamirShare(%d→%d): %v", from, to, err)
			}
		}
	}
	var err error
	if c.pk, c.pkBytes, err = AggregatePublicKey(params, c.seed, pkShares); err != nil {
		tb.Fatal(err)
	}
	for _, pt := range c.points {
		if err := c.parties[pt].SetPublicKey(c.pkBytes); err != nil {
			tb.Fatalf("SetPublicKey(%d): %v", pt, err)
		}
	}
	return c
}

// contribute encrypts one vector per party, decodes every contribution as the
// aggregator would and returns the aggregate and the plaintext sum.
func (c *consortium) contribute(tb testing.TB, vectors map[ShamirPoint][]int64) ([]*rlwe.Ciphertext, []int64) {
	tb.Helper()
	var agg []*rlwe.Ciphertext
	var sum []int64
	for _, pt := range c.points {
		v, ok := vectors[pt]
		if !ok {
			continue
		}
		bs, err := Encrypt(c.parties[pt].PublicKey(), v)
		if err != nil {
			tb.Fatalf("Encrypt(%d): %v", pt, err)
		}
		cts, err := DecodeCiphertexts(c.params, bs, c.params.Chunks(len(v)))
		if err != nil {
			tb.Fatalf("DecodeCiphertexts(%d): %v", pt, err)
		}
		if agg == nil {
			agg, sum = cts, make([]int64, len(v))
		} else if err := Add(c.params, agg, cts); err != nil {
			tb.Fatalf("Add(%d): %v", pt, err)
		}
		for i, x := range v {
			sum[i] += x
		}
	}
	return agg, sum
}

// decrypt runs the decryption round for active and returns the combined values.
func (c *consortium) decrypt(tb testing.TB, agg []*rlwe.Ciphertext, active []ShamirPoint) ([]int64, error) {
	tb.Helper()
	t := c.parties[c.points[0]].Threshold()
	quorum, err := Quorum(active, t)
	if err != nil {
		return nil, err
	}
	shares := make(map[ShamirPoint][][]byte, len(quorum))
	for _, pt := range quorum {
		sh, err := c.parties[pt].DecryptShare(agg, active)
		if err != nil {
			tb.Fatalf("DecryptShare(%d): %v", pt, err)
		}
		shares[pt] = sh
	}
	return Combine(c.params, agg, active, shares, t)
}

// idealSecretKey returns Σ_i s_i, which no party holds; tests use it to look
// at noise.
func (c *consortium) idealSecretKey() *rlwe.SecretKey {
	he := c.params.he
	sk := rlwe.NewSecretKey(he)
	for _, pt := range c.points {
		he.RingQ().Add(sk.Value.Q, c.parties[pt].sk.Value.Q, sk.Value.Q)
	}
	return sk
}

func randomBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}

// randomVector returns n values uniform in [−bound, bound].
func randomVector(tb testing.TB, n int, bound int64) []int64 {
	tb.Helper()
	v := make([]int64, n)
	m := big.NewInt(2*bound + 1)
	for i := range v {
		r, err := rand.Int(rand.Reader, m)
		if err != nil {
			tb.Fatal(err)
		}
		v[i] = r.Int64() - bound
	}
	return v
}
