package mhe

import (
	"fmt"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
)

// benchSizes are the vector lengths of every benchmark.
var benchSizes = []int{1_000, 100_000, 1_000_000}

// benchConsortium is a 10-party job with threshold 6, the size of the
// round-time goal.
func benchConsortium(b *testing.B) *consortium {
	b.Helper()
	return newConsortium(b, Params(), 10, 6)
}

func reportPerValue(b *testing.B, values int, bytesPerOp int) {
	b.Helper()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(values), "ns/value")
	if bytesPerOp > 0 {
		b.ReportMetric(float64(bytesPerOp)/float64(values), "B/value")
	}
}

func encryptedAggregate(b *testing.B, c *consortium, values int, parties int) []*rlwe.Ciphertext {
	b.Helper()
	v := randomVector(b, values, MaxAbs/int64(parties))
	var agg []*rlwe.Ciphertext
	for _, pt := range c.points[:parties] {
		bs, err := Encrypt(c.pk, v)
		if err != nil {
			b.Fatal(err)
		}
		cts, err := DecodeCiphertexts(c.params, bs, len(bs))
		if err != nil {
			b.Fatal(err)
		}
		if agg == nil {
			agg = cts
		} else if err := Add(c.params, agg, cts); err != nil {
			b.Fatalf("party %d: %v", pt, err)
		}
	}
	return agg
}

func BenchmarkEncrypt(b *testing.B) {
	c := benchConsortium(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("values=%d", n), func(b *testing.B) {
			v := randomVector(b, n, MaxAbs)
			var size int
			for b.Loop() {
				bs, err := Encrypt(c.pk, v)
				if err != nil {
					b.Fatal(err)
				}
				size = len(bs) * len(bs[0])
			}
			reportPerValue(b, n, size)
		})
	}
}

// BenchmarkDecodeCiphertexts is the aggregator's check of one party's
// contribution.
func BenchmarkDecodeCiphertexts(b *testing.B) {
	c := benchConsortium(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("values=%d", n), func(b *testing.B) {
			bs, err := Encrypt(c.pk, randomVector(b, n, MaxAbs))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := DecodeCiphertexts(c.params, bs, len(bs)); err != nil {
					b.Fatal(err)
				}
			}
			reportPerValue(b, n, 0)
		})
	}
}

// BenchmarkAdd adds one party's contribution into the aggregate.
func BenchmarkAdd(b *testing.B) {
	c := benchConsortium(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("values=%d", n), func(b *testing.B) {
			acc := encryptedAggregate(b, c, n, 1)
			src := encryptedAggregate(b, c, n, 1)
			for b.Loop() {
				if err := Add(c.params, acc, src); err != nil {
					b.Fatal(err)
				}
			}
			reportPerValue(b, n, 0)
		})
	}
}

// BenchmarkDecryptShare produces one party's share again and again on one
// aggregate, which a node must never do with real keys; these are throwaway.
func BenchmarkDecryptShare(b *testing.B) {
	c := benchConsortium(b)
	active := c.points[:6]
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("values=%d", n), func(b *testing.B) {
			agg := encryptedAggregate(b, c, n, 2)
			var size int
			for b.Loop() {
				sh, err := c.parties[1].DecryptShare(agg, active)
				if err != nil {
					b.Fatal(err)
				}
				size = len(sh) * len(sh[0])
			}
			reportPerValue(b, n, size)
		})
	}
}

// BenchmarkCombine checks and combines t = 6 shares and decodes.
func BenchmarkCombine(b *testing.B) {
	c := benchConsortium(b)
	active := c.points[:6]
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("values=%d/shares=6", n), func(b *testing.B) {
			agg := encryptedAggregate(b, c, n, 2)
			shares := make(map[ShamirPoint][][]byte, len(active))
			for _, pt := range active {
				sh, err := c.parties[pt].DecryptShare(agg, active)
				if err != nil {
					b.Fatal(err)
				}
				shares[pt] = sh
			}
			for b.Loop() {
				if _, err := Combine(c.params, agg, active, shares, 6); err != nil {
					b.Fatal(err)
				}
			}
			reportPerValue(b, n, 0)
		})
	}
}

// BenchmarkRound is the compute of one whole round in one process: 10
// parties encrypt 1e6 values each, the aggregator decodes and adds them, 6
// parties share, the aggregator combines. On separate machines the
// encryptions and shares run in parallel; here they queue on the same cores.
func BenchmarkRound(b *testing.B) {
	c := benchConsortium(b)
	const n = 1_000_000
	active := c.points[:6]
	v := randomVector(b, n, MaxAbs/10)
	b.Run(fmt.Sprintf("parties=10/values=%d", n), func(b *testing.B) {
		for b.Loop() {
			var agg []*rlwe.Ciphertext
			for _, pt := range c.points {
				bs, err := Encrypt(c.parties[pt].PublicKey(), v)
				if err != nil {
					b.Fatal(err)
				}
				cts, err := DecodeCiphertexts(c.params, bs, len(bs))
				if err != nil {
					b.Fatal(err)
				}
				if agg == nil {
					agg = cts
				} else if err := Add(c.params, agg, cts); err != nil {
					b.Fatal(err)
				}
			}
			shares := make(map[ShamirPoint][][]byte, len(active))
			for _, pt := range active {
				sh, err := c.parties[pt].DecryptShare(agg, active)
				if err != nil {
					b.Fatal(err)
				}
				shares[pt] = sh
			}
			if _, err := Combine(c.params, agg, active, shares, 6); err != nil {
				b.Fatal(err)
			}
		}
	})
}
