package mhe

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
)

// TestProtocol runs the whole job in process: key setup, a round per active
// set, each on a fresh encryption, and checks the exact sum.
func TestProtocol(t *testing.T) {
	params := Params()
	for _, tc := range []struct {
		n, t    int
		values  int
		actives [][]ShamirPoint
		short   bool
	}{
		{n: 3, t: 2, values: 5000, actives: [][]ShamirPoint{{1, 2}, {2, 3}, {3, 1}, {1, 2, 3}}, short: true},
		{n: 5, t: 3, values: 9000, actives: [][]ShamirPoint{{1, 2, 3}, {5, 4, 3}, {1, 3, 5, 2}, {2, 4, 5}}, short: true},
		{n: 10, t: 6, values: 4096, actives: [][]ShamirPoint{{1, 2, 3, 4, 5, 6}, {10, 9, 8, 7, 6, 5}, {2, 4, 6, 8, 10, 1, 3}}},
	} {
		t.Run(fmt.Sprintf("n=%d/t=%d", tc.n, tc.t), func(t *testing.T) {
			if testing.Short() && !tc.short {
				t.Skip("large consortium in -short")
			}
			c := newConsortium(t, params, tc.n, tc.t)
			for _, pt := range c.points {
				if got := c.parties[pt].PublicKey().Digest(); got != c.pk.Digest() {
					t.Fatalf("party %d holds another collective key", pt)
				}
			}
			for _, active := range tc.actives {
				t.Run(fmt.Sprintf("active=%v", active), func(t *testing.T) {
					vectors := make(map[ShamirPoint][]int64, tc.n)
					// Each party's values are bounded so the sum cannot wrap.
					bound := MaxAbs / int64(tc.n)
					for _, pt := range c.points {
						v := randomVector(t, tc.values, bound)
						v[0], v[1], v[2] = bound, -bound, 0
						vectors[pt] = v
					}
					agg, want := c.contribute(t, vectors)
					got, err := c.decrypt(t, agg, active)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != params.Chunks(tc.values)*Slots {
						t.Fatalf("got %d values, want %d", len(got), params.Chunks(tc.values)*Slots)
					}
					if !slices.Equal(got[:tc.values], want) {
						t.Fatalf("sum differs at %d values", countDiff(got[:tc.values], want))
					}
					for i, v := range got[tc.values:] {
						if v != 0 {
							t.Fatalf("padding value %d is %d", tc.values+i, v)
						}
					}
				})
			}
		})
	}
}

// TestMaxAbs checks the extremes of the range survive encoding, addition and
// decryption, and the values just outside are refused.
func TestMaxAbs(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 3, 2)
	vectors := map[ShamirPoint][]int64{
		1: {MaxAbs, -MaxAbs, MaxAbs, 1, -1},
		2: {0, 0, -MaxAbs, -1, 1},
	}
	agg, want := c.contribute(t, vectors)
	got, err := c.decrypt(t, agg, []ShamirPoint{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[:5], want) {
		t.Fatalf("got %v, want %v", got[:5], want)
	}
	for _, v := range []int64{MaxAbs + 1, -MaxAbs - 1} {
		if _, err := Encrypt(c.pk, []int64{0, v}); err == nil {
			t.Errorf("Encrypt accepted %d", v)
		}
	}
}

func countDiff(a, b []int64) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// TestCombineRejects checks the decryption round refuses every wrong set of
// shares, and that none of the refusals needs a second share from anyone.
func TestCombineRejects(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 5, 3)
	active := []ShamirPoint{1, 2, 3, 4}
	agg, _ := c.contribute(t, map[ShamirPoint][]int64{1: {1, 2, 3}, 4: {4, 5, 6}})
	shares := map[ShamirPoint][][]byte{}
	for _, pt := range []ShamirPoint{1, 2, 3} {
		sh, err := c.parties[pt].DecryptShare(agg, active)
		if err != nil {
			t.Fatal(err)
		}
		shares[pt] = sh
	}
	without := func(drop ShamirPoint) map[ShamirPoint][][]byte {
		m := maps.Clone(shares)
		delete(m, drop)
		return m
	}
	with := func(pt ShamirPoint, b [][]byte) map[ShamirPoint][][]byte {
		m := maps.Clone(shares)
		m[pt] = b
		return m
	}
	foreign := newConsortium(t, params, 3, 2)
	foreignShare, err := foreign.parties[1].DecryptShare(agg, []ShamirPoint{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		active []ShamirPoint
		shares map[ShamirPoint][][]byte
		t      int
	}{
		{name: "fewer=2", active: active, shares: without(2), t: 3},
		{name: "outsider=5", active: active, shares: with(5, shares[1]), t: 3},
		{name: "outside-quorum=4", active: active, shares: with(4, shares[1]), t: 3},
		{name: "active-too-small", active: []ShamirPoint{1, 2}, shares: shares, t: 3},
		{name: "active-duplicate", active: []ShamirPoint{1, 2, 2, 3}, shares: shares, t: 3},
		{name: "threshold=1", active: active, shares: shares, t: 1},
		{name: "chunks=0", active: active, shares: with(2, nil), t: 3},
		{name: "truncated", active: active, shares: with(2, [][]byte{shares[2][0][:100]}), t: 3},
		{name: "garbage", active: active, shares: with(2, [][]byte{bytes.Repeat([]byte{0xff}, len(shares[2][0]))}), t: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Combine(params, agg, tc.active, tc.shares, tc.t); err == nil {
				t.Fatal("Combine accepted")
			}
		})
	}
	// A share from another job's key decodes (it has the right shape) and
	// combines to garbage: shape checks cannot catch it, which is why only
	// authenticated members' shares reach Combine.
	got, err := Combine(params, agg, active, with(3, foreignShare), 3)
	if err != nil {
		t.Fatalf("foreign share of the right shape: %v", err)
	}
	if slices.Equal(got[:3], []int64{5, 7, 9}) {
		t.Fatal("a foreign key's share decrypted correctly")
	}
	got, err = Combine(params, agg, active, shares, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[:3], []int64{5, 7, 9}) {
		t.Fatalf("got %v", got[:3])
	}
}

// TestDecryptShareRejects checks a party refuses to share outside its quorum
// or before its threshold key is complete.
func TestDecryptShareRejects(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 5, 3)
	agg, _ := c.contribute(t, map[ShamirPoint][]int64{1: {1}, 2: {2}})

	if _, err := c.parties[5].DecryptShare(agg, []ShamirPoint{1, 2, 3, 5}); !errors.Is(err, ErrNotInQuorum) {
		t.Errorf("party outside the first t of the active set: %v, want ErrNotInQuorum", err)
	}
	if _, err := c.parties[4].DecryptShare(agg, []ShamirPoint{1, 2, 3}); !errors.Is(err, ErrNotInQuorum) {
		t.Errorf("party not active: %v, want ErrNotInQuorum", err)
	}
	if _, err := c.parties[1].DecryptShare(agg, []ShamirPoint{1, 2}); err == nil {
		t.Error("active set below the threshold accepted")
	}
	if _, err := c.parties[1].DecryptShare(agg, []ShamirPoint{1, 2, 9}); err == nil {
		t.Error("non-member in the active set accepted")
	}
	if _, err := c.parties[1].DecryptShare([]*rlwe.Ciphertext{agg[0], agg[0]}, []ShamirPoint{1, 2, 3}); err == nil {
		t.Error("the same ciphertext twice in one call accepted")
	}

	p, err := NewParty(params, c.seed, 1, c.points, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.ThresholdReady() {
		t.Fatal("ready without the others' Shamir shares")
	}
	if _, err := p.DecryptShare(agg, []ShamirPoint{1, 2, 3}); err == nil {
		t.Error("DecryptShare before ThresholdReady accepted")
	}
}
