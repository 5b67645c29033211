package mhe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/utils/sampling"
)

// foreignLiteral differs from the job's only in the ring degree: the case
// lattigo v5.0.7 decodes without error and then panics on.
func foreignLiteral() heint.ParametersLiteral {
	return heint.ParametersLiteral{LogN: 11, LogQ: []int{55, 54}, PlaintextModulus: PlaintextModulus}
}

func putCoeff(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// firstCoeff is the offset of a ciphertext's first coefficient: the header,
// the polynomial count, the row count and the row length.
func firstCoeff(p *Parameters) int { return len(p.ctHeader) + 8 + 8 + 8 }

// badCiphertexts returns real ciphertexts and mutations of one that the
// job's decoder must reject, by name.
func badCiphertexts(tb testing.TB, c *consortium) (good []byte, bad map[string][]byte) {
	tb.Helper()
	params := c.params
	he := params.he
	bs, err := Encrypt(c.pk, []int64{1, -2, 3})
	if err != nil {
		tb.Fatal(err)
	}
	good = bs[0]
	bad = map[string][]byte{}

	foreign := newConsortium(tb, foreignParams(tb), 3, 2)
	fb, err := Encrypt(foreign.pk, []int64{1, -2, 3})
	if err != nil {
		tb.Fatal(err)
	}
	bad["logN=11"] = fb[0]

	marshal := func(ct *rlwe.Ciphertext) []byte {
		b, err := ct.MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	enc := rlwe.NewEncryptor(he, c.pk.pk)
	low := heint.NewCiphertext(he, 1, 0)
	if err := enc.Encrypt(heint.NewPlaintext(he, 0), low); err != nil {
		tb.Fatal(err)
	}
	bad["level=0"] = marshal(low)

	prng, err := sampling.NewPRNG()
	if err != nil {
		tb.Fatal(err)
	}
	deg2 := rlwe.NewCiphertextRandom(prng, he, 2, he.MaxLevel())
	*deg2.MetaData = params.metadata
	bad["degree=2"] = marshal(deg2)
	deg0 := rlwe.NewCiphertextRandom(prng, he, 0, he.MaxLevel())
	*deg0.MetaData = params.metadata
	bad["degree=0"] = marshal(deg0)

	ct, err := params.decodeCiphertext(good)
	if err != nil {
		tb.Fatal(err)
	}
	notNTT := ct.CopyNew()
	notNTT.IsNTT = false
	bad["metadata=not-ntt"] = marshal(notNTT)
	mont := ct.CopyNew()
	mont.IsMontgomery = true
	bad["metadata=montgomery"] = marshal(mont)
	scaled := ct.CopyNew()
	scaled.Scale = rlwe.NewScaleModT(2, PlaintextModulus)
	bad["metadata=scale"] = marshal(scaled)
	noMeta := ct.CopyNew()
	noMeta.MetaData = nil
	bad["metadata=none"] = marshal(noMeta)

	n := he.N()
	at := func(name string, off int, v uint64) {
		b := bytes.Clone(good)
		putCoeff(b, off, v)
		bad[name] = b
	}
	first := firstCoeff(params)
	at("coefficient=q0", first, params.moduli[0])
	at("coefficient=q1", first+8*n+8, params.moduli[1])
	at("coefficient=max", len(good)-8, ^uint64(0))
	at("polynomials=2^40", len(params.ctHeader), 1<<40)
	at("rows=2^40", len(params.ctHeader)+8, 1<<40)
	at("rows=3", len(params.ctHeader)+8, 3)
	at("degree=2048", len(params.ctHeader)+16, 2048)

	bad["truncated=1"] = good[:len(good)-1]
	bad["truncated=half"] = good[:len(good)/2]
	bad["truncated=header"] = good[:len(params.ctHeader)]
	bad["empty"] = []byte{}
	bad["trailing"] = append(bytes.Clone(good), 0)
	bad["garbage"] = randomBytes(tb, len(good))
	bad["garbage=short"] = randomBytes(tb, 300)
	return good, bad
}

func TestDecodeCiphertextsRejects(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 3, 2)
	good, bad := badCiphertexts(t, c)
	if _, err := DecodeCiphertexts(params, [][]byte{good}, 1); err != nil {
		t.Fatalf("a real ciphertext: %v", err)
	}
	for name, b := range bad {
		t.Run("input="+name, func(t *testing.T) {
			_, err := DecodeCiphertexts(params, [][]byte{good, b}, 2)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeCiphertexts = %v, want ErrMalformed", err)
			}
		})
	}
	for _, want := range []int{0, 2} {
		if _, err := DecodeCiphertexts(params, [][]byte{good}, want); err == nil {
			t.Errorf("one chunk accepted as %d", want)
		}
	}
}

// TestAggregateRoundTrip checks an aggregate keeps the job's metadata, so it
// travels and decodes like a fresh ciphertext, and that Digest names it.
func TestAggregateRoundTrip(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 3, 2)
	agg, _ := c.contribute(t, map[ShamirPoint][]int64{1: {1, 2}, 2: {3, 4}, 3: {5, 6}})
	b, err := agg[0].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeCiphertexts(params, [][]byte{b}, 1)
	if err != nil {
		t.Fatalf("aggregate does not decode: %v", err)
	}
	if Digest(again) != Digest(agg) {
		t.Fatal("Digest changed across a round trip")
	}
	other, _ := c.contribute(t, map[ShamirPoint][]int64{1: {1, 2}, 2: {3, 4}, 3: {5, 6}})
	if Digest(other) == Digest(agg) {
		t.Fatal("two encryptions of the same sum have the same digest")
	}
	if Digest(nil) == Digest(agg) || Digest([]*rlwe.Ciphertext{nil}) == Digest(nil) {
		t.Fatal("Digest does not separate empty inputs")
	}
	if err := Add(params, agg, agg); err == nil {
		t.Error("Add of a ciphertext to itself accepted")
	}
	if err := Add(params, agg, append(other, other[0])); err == nil {
		t.Error("Add of different chunk counts accepted")
	}
	foreign := newConsortium(t, foreignParams(t), 3, 2)
	fagg, _ := foreign.contribute(t, map[ShamirPoint][]int64{1: {1}})
	if err := Add(params, agg, fagg); err == nil {
		t.Error("Add of another ring degree accepted")
	}
}

// badShares returns a real decryption share and mutations of it that Combine
// must reject.
func badShares(tb testing.TB, c *consortium, agg []*rlwe.Ciphertext, active []ShamirPoint) (good []byte, bad map[string][]byte) {
	tb.Helper()
	params := c.params
	sh, err := c.parties[active[0]].DecryptShare(agg, active)
	if err != nil {
		tb.Fatal(err)
	}
	good = sh[0]
	bad = map[string][]byte{}

	foreign := newConsortium(tb, foreignParams(tb), 3, 2)
	fagg, _ := foreign.contribute(tb, map[ShamirPoint][]int64{1: {1}})
	fsh, err := foreign.parties[1].DecryptShare(fagg, []ShamirPoint{1, 2})
	if err != nil {
		tb.Fatal(err)
	}
	bad["logN=11"] = fsh[0]

	cks, err := mhe.NewKeySwitchProtocol(params.he, keySwitchNoise())
	if err != nil {
		tb.Fatal(err)
	}
	low := cks.AllocateShare(0)
	lb, err := low.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	bad["level=0"] = lb

	n := params.he.N()
	at := func(name string, off int, v uint64) {
		b := bytes.Clone(good)
		putCoeff(b, off, v)
		bad[name] = b
	}
	at("coefficient=q0", 16, params.moduli[0])
	at("coefficient=q1", 16+8*n+8, params.moduli[1])
	at("coefficient=max", len(good)-8, ^uint64(0))
	at("rows=2^40", 0, 1<<40)
	at("rows=3", 0, 3)
	at("degree=2^40", 8, 1<<40)
	bad["truncated=1"] = good[:len(good)-1]
	bad["truncated=header"] = good[:8]
	bad["empty"] = nil
	bad["trailing"] = append(bytes.Clone(good), 0)
	bad["garbage"] = randomBytes(tb, len(good))
	return good, bad
}

func TestDecodeShareRejects(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 3, 2)
	active := []ShamirPoint{1, 2}
	agg, _ := c.contribute(t, map[ShamirPoint][]int64{1: {1}, 2: {2}})
	good, bad := badShares(t, c, agg, active)
	other, err := c.parties[2].DecryptShare(agg, active)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range bad {
		t.Run("input="+name, func(t *testing.T) {
			if _, err := params.decodeShare(b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("decodeShare = %v, want ErrMalformed", err)
			}
			_, err := Combine(params, agg, active, map[ShamirPoint][][]byte{1: {b}, 2: other}, 2)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Combine = %v, want ErrMalformed", err)
			}
		})
	}
	got, err := Combine(params, agg, active, map[ShamirPoint][][]byte{1: {good}, 2: other}, 2)
	if err != nil || got[0] != 3 {
		t.Fatalf("Combine of the real shares = %v, %v", got[:1], err)
	}
}

// TestLattigoAggregateSharesPanics documents why every share is checked
// before lattigo sees it: lattigo v5.0.7 decodes a share of another ring
// degree without error, then indexes out of range in AggregateShares. If
// this test fails, lattigo changed; the checks stay.
func TestLattigoAggregateSharesPanics(t *testing.T) {
	params := Params()
	c := newConsortium(t, params, 3, 2)
	active := []ShamirPoint{1, 2}
	agg, _ := c.contribute(t, map[ShamirPoint][]int64{1: {1}})
	_, bad := badShares(t, c, agg, active)

	var foreign mhe.KeySwitchShare
	if err := foreign.UnmarshalBinary(bad["logN=11"]); err != nil {
		t.Fatalf("lattigo now rejects the foreign share itself: %v", err)
	}
	cks, err := mhe.NewKeySwitchProtocol(params.he, keySwitchNoise())
	if err != nil {
		t.Fatal(err)
	}
	own := cks.AllocateShare(params.he.MaxLevel())
	defer func() {
		if recover() == nil {
			t.Error("lattigo AggregateShares no longer panics on a foreign ring degree")
		}
	}()
	_ = cks.AggregateShares(own, foreign, &own)
}
