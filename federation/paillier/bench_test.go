package paillier

import (
	"math/big"
	"testing"
)

func BenchmarkEncrypt(b *testing.B) {
	k := key(b)
	m := big.NewInt(-123456789)
	for b.Loop() {
		if _, err := k.Encrypt(nil, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(CiphertextSize, "B/value")
}

func BenchmarkAdd(b *testing.B) {
	k := key(b)
	c1, err := k.Encrypt(nil, big.NewInt(1))
	if err != nil {
		b.Fatal(err)
	}
	c2, err := k.Encrypt(nil, big.NewInt(2))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c1 = k.Add(c1, c2)
	}
}

func BenchmarkDecrypt(b *testing.B) {
	k := key(b)
	c, err := k.Encrypt(nil, big.NewInt(-7))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := k.Decrypt(c); err != nil {
			b.Fatal(err)
		}
	}
}
