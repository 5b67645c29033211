package paillier

import (
	"math/big"
	"sync"
	"testing"
)

// testKey generates one key per test binary; 2048-bit keys take a while.
var testKey = sync.OnceValues(func() (*PrivateKey, error) { return GenerateKey(nil) })

func key(tb testing.TB) *PrivateKey {
	tb.Helper()
	k, err := testKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestKey(t *testing.T) {
	k := key(t)
	if k.N.BitLen() != Bits {
		t.Fatalf("n has %d bits", k.N.BitLen())
	}
	if new(big.Int).Mul(k.p, k.q).Cmp(k.N) != 0 || k.p.BitLen() != Bits/2 || k.q.BitLen() != Bits/2 {
		t.Fatal("n is not the product of two 1024-bit primes")
	}
}

func TestRoundTrip(t *testing.T) {
	k := key(t)
	half := new(big.Int).Rsh(k.N, 1)
	maxPos := new(big.Int).Sub(half, big.NewInt(1))
	for _, tc := range []struct {
		name string
		m    *big.Int
	}{
		{"zero", big.NewInt(0)},
		{"one", big.NewInt(1)},
		{"negative", big.NewInt(-42)},
		{"int64-min", big.NewInt(-1 << 63)},
		{"n/2-1", maxPos},
		{"-(n/2-1)", new(big.Int).Neg(maxPos)},
	} {
		t.Run("m="+tc.name, func(t *testing.T) {
			c, err := k.Encrypt(nil, tc.m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.Decrypt(c)
			if err != nil {
				t.Fatal(err)
			}
			if got.Cmp(tc.m) != 0 {
				t.Fatalf("Decrypt(Encrypt(%v)) = %v", tc.m, got)
			}
		})
	}
	if _, err := k.Encrypt(nil, half); err == nil {
		t.Error("Encrypt accepted n/2")
	}
	if _, err := k.Decrypt(big.NewInt(0)); err == nil {
		t.Error("Decrypt accepted 0")
	}
	if _, err := k.Decrypt(k.n2); err == nil {
		t.Error("Decrypt accepted n²")
	}
}

func TestRandomised(t *testing.T) {
	k := key(t)
	a, err := k.Encrypt(nil, big.NewInt(5))
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.Encrypt(nil, big.NewInt(5))
	if err != nil {
		t.Fatal(err)
	}
	if a.Cmp(b) == 0 {
		t.Fatal("two encryptions of one value are equal")
	}
}

func TestAdditive(t *testing.T) {
	k := key(t)
	values := []int64{1000, -2500, 7, -1 << 40, 1 << 40}
	var acc *big.Int
	var want int64
	for _, v := range values {
		c, err := k.Encrypt(nil, big.NewInt(v))
		if err != nil {
			t.Fatal(err)
		}
		if acc == nil {
			acc = c
		} else {
			acc = k.Add(acc, c)
		}
		want += v
	}
	got, err := k.Decrypt(acc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Int64() != want || !got.IsInt64() {
		t.Fatalf("sum = %v, want %d", got, want)
	}
}

func TestMeasureEncrypt(t *testing.T) {
	if testing.Short() {
		t.Skip("key generation and 10 encryptions in -short")
	}
	d, err := MeasureEncrypt(10)
	if err != nil {
		t.Fatal(err)
	}
	if d <= 0 {
		t.Fatalf("per value %v", d)
	}
	t.Logf("Paillier-2048 encrypt: %v per value", d)
}
