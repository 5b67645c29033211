package mhe

import (
	"bytes"
	"errors"
	"testing"
)

// TestLinearHashOfSum: the linear hash of an aggregate is the sum of the
// contributions' hashes; the c1 half alone decrypts to the exact sum; an
// aggregate missing a contribution fails the check.
func TestLinearHashOfSum(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 3, 2)
	const n = 5000
	seed := bytes.Repeat([]byte{7}, HashSeedSize)
	parts := make([][]*Ciphertext, len(c.points))
	want := make([]int64, n)
	hsum := make([]uint64, len(params.moduli))
	var total []*Ciphertext
	for i, pt := range c.points {
		v := randomVector(t, n, 1<<20)
		for j, x := range v {
			want[j] += x
		}
		b, err := Encrypt(c.parties[pt].PublicKey(), v)
		if err != nil {
			t.Fatal(err)
		}
		if parts[i], err = DecodeCiphertexts(params, b, params.Chunks(n)); err != nil {
			t.Fatal(err)
		}
		h, err := LinearHash(params, seed, parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := AddHashes(params, hsum, h); err != nil {
			t.Fatal(err)
		}
		own, _ := DecodeCiphertexts(params, b, params.Chunks(n))
		if total == nil {
			total = own
		} else if err := Add(params, total, own); err != nil {
			t.Fatal(err)
		}
	}
	htotal, err := LinearHash(params, seed, total)
	if err != nil {
		t.Fatal(err)
	}
	if !equalU64(htotal, hsum) {
		t.Fatalf("hash of the sum %v ≠ sum of the hashes %v", htotal, hsum)
	}
	c1b, err := MarshalC1(total)
	if err != nil {
		t.Fatal(err)
	}
	if len(c1b[0]) != params.ShareSize() {
		t.Fatalf("c1 chunk of %d bytes, want %d", len(c1b[0]), params.ShareSize())
	}
	c1, err := DecodeC1(params, c1b, len(total))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := LinearHash(params, seed, c1); !equalU64(h, htotal) {
		t.Fatal("decoded c1 hashes differently")
	}
	if DigestC1(c1) != DigestC1(total) {
		t.Fatal("c1 digest differs between the full and the c1-only aggregate")
	}
	active := c.points[:2]
	shares := map[ShamirPoint][][]byte{}
	for _, pt := range active {
		sh, err := c.parties[pt].DecryptShare(c1, active)
		if err != nil {
			t.Fatal(err)
		}
		shares[pt] = sh
	}
	got, err := Combine(params, total, active, shares, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("value %d: %d, want %d", i, got[i], want[i])
		}
	}
	partial, _ := DecodeCiphertexts(params, mustMarshal(t, parts[0]), len(parts[0]))
	if err := Add(params, partial, parts[1]); err != nil {
		t.Fatal(err)
	}
	if h, _ := LinearHash(params, seed, partial); equalU64(h, hsum) {
		t.Fatal("an aggregate missing a contribution passed the hash check")
	}
	if h, _ := LinearHash(params, bytes.Repeat([]byte{8}, HashSeedSize), total); equalU64(h, htotal) {
		t.Fatal("the hash ignores its seed")
	}
}

func TestDecodeC1Rejects(t *testing.T) {
	params := Params()
	good := make([]byte, params.ShareSize())
	if _, err := DecodeC1(params, [][]byte{good[:100]}, 1); !errors.Is(err, ErrMalformed) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := DecodeC1(params, [][]byte{good, good}, 1); !errors.Is(err, ErrMalformed) {
		t.Fatalf("chunk count: %v", err)
	}
	if _, err := LinearHash(params, []byte("short"), nil); err == nil {
		t.Fatal("short seed accepted")
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mustMarshal(t *testing.T, cts []*Ciphertext) [][]byte {
	out := make([][]byte, len(cts))
	for i, ct := range cts {
		b, err := ct.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}
