package mhe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestNewPartyRejects(t *testing.T) {
	params := Params()
	seed := randomBytes(t, 32)
	five := []ShamirPoint{1, 2, 3, 4, 5}
	many := make([]ShamirPoint, MaxParties+1)
	for i := range many {
		many[i] = ShamirPoint(i + 1)
	}
	for _, tc := range []struct {
		name      string
		seed      []byte
		self      ShamirPoint
		all       []ShamirPoint
		threshold int
	}{
		{name: "seed=short", seed: seed[:16], self: 1, all: five, threshold: 3},
		{name: "seed=long", seed: make([]byte, 65), self: 1, all: five, threshold: 3},
		{name: "self=outsider", seed: seed, self: 6, all: five, threshold: 3},
		{name: "threshold=minority", seed: seed, self: 1, all: five, threshold: 2},
		{name: "threshold=1", seed: seed, self: 1, all: []ShamirPoint{1}, threshold: 1},
		{name: "threshold>n", seed: seed, self: 1, all: five, threshold: 6},
		{name: "point=0", seed: seed, self: 1, all: []ShamirPoint{0, 1, 2}, threshold: 2},
		{name: "point=huge", seed: seed, self: 1, all: []ShamirPoint{1, 2, MaxShamirPoint + 1}, threshold: 2},
		{name: "point=duplicate", seed: seed, self: 1, all: []ShamirPoint{1, 2, 2}, threshold: 2},
		{name: "parties>max", seed: seed, self: 1, all: many, threshold: MaxParties},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewParty(params, tc.seed, tc.self, tc.all, tc.threshold); err == nil {
				t.Fatal("NewParty accepted")
			}
		})
	}
	if _, err := NewParty(nil, seed, 1, five, 3); err == nil {
		t.Fatal("NewParty accepted nil parameters")
	}
}

func TestShamirShareRejects(t *testing.T) {
	params := Params()
	seed := randomBytes(t, 32)
	all := []ShamirPoint{1, 2, 3}
	p1, err := NewParty(params, seed, 1, all, 2)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := NewParty(params, seed, 2, all, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p1.ShamirShareFor(1); err == nil {
		t.Error("ShamirShareFor(self) accepted")
	}
	if _, err := p1.ShamirShareFor(4); err == nil {
		t.Error("ShamirShareFor(outsider) accepted")
	}
	good, err := p1.ShamirShareFor(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(good) != params.PublicKeyShareSize() {
		t.Fatalf("Shamir share is %d bytes, want %d", len(good), params.PublicKeyShareSize())
	}
	small := foreignParams(t)
	foreign, err := NewParty(small, seed, 1, all, 2)
	if err != nil {
		t.Fatal(err)
	}
	foreignShare, err := foreign.ShamirShareFor(2)
	if err != nil {
		t.Fatal(err)
	}
	tooBig := bytes.Clone(good)
	putCoeff(tooBig, 8+8, params.moduli[0])
	for _, tc := range []struct {
		name string
		from ShamirPoint
		b    []byte
	}{
		{name: "from=outsider", from: 4, b: good},
		{name: "from=self", from: 2, b: good},
		{name: "logN=11", from: 1, b: foreignShare},
		{name: "truncated", from: 1, b: good[:len(good)-1]},
		{name: "trailing", from: 1, b: append(bytes.Clone(good), 0)},
		{name: "coefficient>=q", from: 1, b: tooBig},
		{name: "empty", from: 1, b: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := p2.AddShamirShare(tc.from, tc.b); err == nil {
				t.Fatal("AddShamirShare accepted")
			}
			if p2.ThresholdReady() || len(p2.received) != 1 {
				t.Fatal("a rejected share changed the party")
			}
		})
	}
	if err := p2.AddShamirShare(1, good); err != nil {
		t.Fatal(err)
	}
	if err := p2.AddShamirShare(1, good); err == nil {
		t.Error("the same member's share accepted twice")
	}
}

// foreignParams is a real parameter set of another ring degree (insecure
// for its modulus, never used for data).
func foreignParams(tb testing.TB) *Parameters {
	tb.Helper()
	p, err := newParameters(foreignLiteral())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestPublicKey(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 3, 2)

	// Every order of the shares gives the same key.
	var shares [][]byte
	for _, pt := range c.points {
		b, err := c.parties[pt].PublicKeyShare()
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, b)
	}
	reversed := [][]byte{shares[2], shares[0], shares[1]}
	pk, b, err := AggregatePublicKey(params, c.seed, reversed)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Digest() != c.pk.Digest() || !bytes.Equal(b, c.pkBytes) {
		t.Fatal("the collective key depends on the order of the shares")
	}
	if len(shares[0]) != params.PublicKeyShareSize() || len(b) != 8+2*params.PublicKeyShareSize() {
		t.Fatalf("key share %d B, key %d B", len(shares[0]), len(b))
	}
	parsed, err := ParsePublicKey(params, c.seed, b)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Digest() != pk.Digest() {
		t.Fatal("ParsePublicKey changed the key")
	}

	otherSeed := randomBytes(t, 32)
	otherPK, otherBytes, err := AggregatePublicKey(params, otherSeed, shares)
	if err != nil {
		t.Fatal(err)
	}
	if otherPK.Digest() == pk.Digest() {
		t.Fatal("another seed gave the same key")
	}
	if err := c.parties[1].SetPublicKey(otherBytes); err == nil {
		t.Error("SetPublicKey accepted a key on another job's reference polynomial")
	}
	foreign := newConsortium(t, foreignParams(t), 3, 2)
	if err := c.parties[1].SetPublicKey(foreign.pkBytes); err == nil {
		t.Error("SetPublicKey accepted a key of another ring degree")
	}
	if err := c.parties[1].SetPublicKey(b[:len(b)-8]); err == nil {
		t.Error("SetPublicKey accepted a truncated key")
	}
	if c.parties[1].PublicKey().Digest() != pk.Digest() {
		t.Fatal("a rejected key replaced the party's key")
	}
	if err := c.parties[1].SetPublicKey(b); err != nil {
		t.Errorf("setting the same key again: %v", err)
	}
	fresh, err := NewParty(params, otherSeed, 1, c.points, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.SetPublicKey(otherBytes); err != nil {
		t.Fatalf("a key on the party's own seed: %v", err)
	}

	for _, tc := range []struct {
		name   string
		seed   []byte
		shares [][]byte
	}{
		{name: "duplicate", seed: c.seed, shares: [][]byte{shares[0], shares[1], shares[0]}},
		{name: "one", seed: c.seed, shares: shares[:1]},
		{name: "truncated", seed: c.seed, shares: [][]byte{shares[0], shares[1][:1000]}},
		{name: "logN=11", seed: c.seed, shares: [][]byte{shares[0], mustPKShare(t, foreign.parties[1])}},
		{name: "seed=short", seed: c.seed[:8], shares: shares},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := AggregatePublicKey(params, tc.seed, tc.shares); err == nil {
				t.Fatal("AggregatePublicKey accepted")
			}
		})
	}
}

func mustPKShare(tb testing.TB, p *Party) []byte {
	tb.Helper()
	b, err := p.PublicKeyShare()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestPartyRedacts checks no print or log form of a Party carries key
// material.
func TestPartyRedacts(t *testing.T) {
	params := Params()
	p, err := NewParty(params, randomBytes(t, 32), 7, []ShamirPoint{7, 8, 9}, 2)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("party", "party", p)
	var fields map[string]any
	if err := json.Unmarshal(logged.Bytes(), &fields); err != nil {
		t.Fatal(err)
	}
	outputs := []string{fmt.Sprint(p), fmt.Sprintf("%+v", p), fmt.Sprintf("%#v", p), fmt.Sprintf("%v", *p), logged.String()}
	for i, s := range outputs {
		if len(s) > 400 || strings.Contains(s, "Coeffs") || strings.Contains(s, "sk") {
			t.Errorf("output %d may carry key material: %.200s", i, s)
		}
	}
	if !strings.Contains(outputs[0], "point: 7") {
		t.Errorf("String() = %q, want the point", outputs[0])
	}
}
