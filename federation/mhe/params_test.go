package mhe

import (
	"math"
	"math/big"
	"testing"

	"github.com/tuneinsight/lattigo/v5/he/heint"
)

func TestParams(t *testing.T) {
	p := Params()
	he := p.HE()
	if he.LogN() != LogN || he.MaxSlots() != Slots || he.PlaintextModulus() != PlaintextModulus {
		t.Fatalf("LogN %d, slots %d, t %d", he.LogN(), he.MaxSlots(), he.PlaintextModulus())
	}
	if he.PCount() != 0 || he.QCount() != 2 {
		t.Fatalf("%d moduli in Q, %d in P; want 2 and 0", he.QCount(), he.PCount())
	}
	// HE standard (homomorphicencryption.org, 2018), ternary secret,
	// 128-bit classical security at n = 4096: log2(QP) ≤ 109.
	if logQP := he.LogQP(); logQP > 109.0001 {
		t.Fatalf("logQP = %.4f > 109", logQP)
	}
	if t1 := PlaintextModulus; !new(big.Int).SetUint64(t1).ProbablyPrime(32) || t1%(2*Slots) != 1 {
		t.Fatalf("t = %d must be a prime ≡ 1 mod %d", t1, 2*Slots)
	}
	if Params() != p {
		t.Fatal("Params built the set twice")
	}
	again, err := newParameters(paramsLiteral())
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != p.ID() {
		t.Fatal("ParamsID differs between two builds of the same literal")
	}
	for name, lit := range map[string]heint.ParametersLiteral{
		"t=65537":  {LogN: 12, LogQ: []int{55, 54}, PlaintextModulus: 65537},
		"logN=11":  {LogN: 11, LogQ: []int{54}, PlaintextModulus: 8590090241},
		"logQ=one": {LogN: 12, LogQ: []int{60}, PlaintextModulus: 8590090241},
	} {
		other, err := newParameters(lit)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if other.ID() == p.ID() {
			t.Errorf("%s: same ParamsID as the job's", name)
		}
	}
	// Sizes: 2 polynomials × 2 moduli × 4096 × 8 B plus lattigo's framing.
	if got, min := p.CiphertextSize(), 2*2*Slots*8; got < min || got > min+512 {
		t.Errorf("CiphertextSize = %d, want %d plus a small header", got, min)
	}
	if got, want := p.ShareSize(), 2*Slots*8+8+2*8; got != want {
		t.Errorf("ShareSize = %d, want %d", got, want)
	}
	t.Logf("ciphertext %d B (%.3f B/value), share %d B (%.3f B/value), public-key share %d B",
		p.CiphertextSize(), float64(p.CiphertextSize())/Slots, p.ShareSize(), float64(p.ShareSize())/Slots, p.PublicKeyShareSize())
}

// noiseBudget is the arithmetic of docs/secagg.md for n parties, all of
// which contribute, with a quorum of n.
type noiseBudget struct {
	ctStd        float64 // std of the aggregate's noise: n·sqrt(2H)·σ
	ctWorst      float64 // deterministic bound on it: n·B_e·(2·N·n + 1)
	hidingBits   float64 // −log2 SD per coefficient, at 6·ctStd
	worstBits    float64 // −log2 SD per coefficient, at ctWorst
	decryptWorst float64 // log2 of t·(total noise) + t/2
	logHalfQ     float64 // log2(Q/2)
}

func budget(p *Parameters, n int) noiseBudget {
	he := p.HE()
	N := float64(he.N())
	H := float64(he.XsHammingWeight())
	sigma := he.NoiseFreshSK()
	be := 6 * sigma // lattigo truncates its error sampler at 6σ
	var b noiseBudget
	nf := float64(n)
	b.ctStd = nf * math.Sqrt(2*H) * sigma
	b.ctWorst = nf * be * (2*N*nf + 1)
	b.hidingBits = SmudgingBits - math.Log2(6*b.ctStd)
	b.worstBits = SmudgingBits - math.Log2(b.ctWorst)

	// Each of the n shares adds lattigo's fresh noise (≤ be) and smudging
	// in [−2^63, 2^63).
	total := new(big.Float).SetFloat64(b.ctWorst)
	perShare := new(big.Float).SetFloat64(math.Ldexp(1, SmudgingBits-1) + be)
	total.Add(total, new(big.Float).Mul(perShare, big.NewFloat(nf)))
	tf := new(big.Float).SetUint64(he.PlaintextModulus())
	total.Mul(total, tf)
	total.Add(total, new(big.Float).Quo(tf, big.NewFloat(2)))
	b.decryptWorst = log2Float(total)

	q := new(big.Int).SetUint64(1)
	for _, qi := range he.Q() {
		q.Mul(q, new(big.Int).SetUint64(qi))
	}
	b.logHalfQ = log2Float(new(big.Float).SetInt(q)) - 1
	return b
}

func log2Float(x *big.Float) float64 {
	mant := new(big.Float)
	exp := x.MantExp(mant)
	f, _ := mant.Float64()
	return float64(exp) + math.Log2(f)
}

// TestNoiseBudget recomputes the limits behind MaxParties: decryption is
// correct for every noise the samplers can produce, and smudging hides the
// aggregate's noise to 2^−40 per coefficient.
func TestNoiseBudget(t *testing.T) {
	p := Params()
	maxCorrect, maxHiding := 0, 0
	for n := 2; n <= 1<<16; n++ {
		b := budget(p, n)
		if b.decryptWorst < b.logHalfQ {
			maxCorrect = n
		}
		if b.hidingBits >= 40 {
			maxHiding = n
		}
		if b.decryptWorst >= b.logHalfQ && b.hidingBits < 40 {
			break
		}
	}
	if MaxParties > maxCorrect || MaxParties > maxHiding {
		t.Fatalf("MaxParties = %d, but correctness allows %d and 2^-40 hiding %d", MaxParties, maxCorrect, maxHiding)
	}
	for _, n := range []int{10, 32, MaxParties} {
		b := budget(p, n)
		t.Logf("n=%d: aggregate noise std %.0f (2^%.2f), worst %.3g (2^%.2f); SD per coefficient 2^-%.1f (6σ), 2^-%.1f (worst); t·noise 2^%.2f < Q/2 2^%.2f",
			n, b.ctStd, math.Log2(b.ctStd), b.ctWorst, math.Log2(b.ctWorst), b.hidingBits, b.worstBits, b.decryptWorst, b.logHalfQ)
	}
	t.Logf("limits: correctness %d parties, 2^-40 hiding %d parties; MaxParties %d", maxCorrect, maxHiding, MaxParties)
	if maxCorrect != 4095 || maxHiding != 11823 {
		t.Errorf("limits moved: correctness %d, hiding %d; update MaxParties' doc and docs/secagg.md", maxCorrect, maxHiding)
	}
}
