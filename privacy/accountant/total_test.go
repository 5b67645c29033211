package accountant

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"
)

// TestComposeRhoOutwardRounding checks that n equal ρ charges sum to at least
// the exact n·ρ (of the float ρ), and to at most n ulps more.
func TestComposeRhoOutwardRounding(t *testing.T) {
	for _, rho := range []float64{0.1, 1.0 / 3, 0.01, 1e-7, 0.7} {
		for _, n := range []int{1, 2, 3, 10, 100, 1000} {
			t.Run(fmt.Sprintf("rho=%g/n=%d", rho, n), func(t *testing.T) {
				costs := make([]Cost, n)
				for i := range costs {
					costs[i] = ZCDP(rho)
				}
				total, err := Compose(costs...)
				if err != nil {
					t.Fatal(err)
				}
				exactSum := exactMul(float64(n), rho)
				if exact(total.Rho).Cmp(exactSum) < 0 {
					t.Errorf("Σρ = %.17g is below the exact %s", total.Rho, exactSum.Text('g', 20))
				}
				slack := new(big.Float).Sub(exact(total.Rho), exactSum)
				ulps := new(big.Float).Quo(slack, exact(nextUp(total.Rho)-total.Rho))
				if f, _ := ulps.Float64(); f > float64(n) {
					t.Errorf("Σρ = %.17g is %g ulps above the exact sum, want ≤ %d", total.Rho, f, n)
				}
				if total.Releases != int64(n) {
					t.Errorf("Releases = %d, want %d", total.Releases, n)
				}
			})
		}
	}
	// The naive sum of ten 0.1 is 0.9999999999999999, below the exact sum
	// 1.0000000000000000555; the outward sum is not.
	ten := slices.Repeat([]Cost{ZCDP(0.1)}, 10)
	total, _ := Compose(ten...)
	if total.Rho < 1 {
		t.Errorf("ten charges of ρ = 0.1 sum to %.17g, below 1", total.Rho)
	}
}

func TestComposeKinds(t *testing.T) {
	total, err := Compose(ZCDP(0.25), Pure(0.5), Approx(0.2, 1e-7), Pure(1), Cost{Rho: 0.05, Epsilon: 0.1, Delta: 1e-8}, Cost{})
	if err != nil {
		t.Fatal(err)
	}
	want := Total{
		Rho:           0.3,
		PureEpsilon:   1.5,
		PureAsRho:     0.625, // 0.5²/2 + 1²/2
		ApproxEpsilon: 0.3,
		ApproxDelta:   1.1e-7,
		Releases:      6,
	}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"Rho", total.Rho, want.Rho},
		{"PureEpsilon", total.PureEpsilon, want.PureEpsilon},
		{"PureAsRho", total.PureAsRho, want.PureAsRho},
		{"ApproxEpsilon", total.ApproxEpsilon, want.ApproxEpsilon},
		{"ApproxDelta", total.ApproxDelta, want.ApproxDelta},
	} {
		checkRel(t, f.name, f.got, f.want, 1e-15)
		if f.got < f.want*(1-1e-16) {
			t.Errorf("%s = %.17g is below %.17g", f.name, f.got, f.want)
		}
	}
	if total.FoldedRho != 0 || total.Releases != 6 {
		t.Errorf("FoldedRho = %g, Releases = %d; want 0, 6", total.FoldedRho, total.Releases)
	}
}

// TestConvertPicksSmaller checks that conversion counts pure charges either
// additively or as ε²/2 zCDP, whichever gives the smaller ε, and that both
// alternatives are what they claim.
func TestConvertPicksSmaller(t *testing.T) {
	const delta = 1e-6
	t.Run("many small pure charges fold", func(t *testing.T) {
		// 100 charges of ε = 0.01: additively ε = 1; as zCDP ρ = 100·0.01²/2
		// = 0.005, which converts to ε ≈ 0.43 at δ = 1e-6.
		total, _ := Compose(slices.Repeat([]Cost{Pure(0.01)}, 100)...)
		c, err := total.Convert(delta)
		if err != nil {
			t.Fatal(err)
		}
		folded, _ := EpsilonForRho(total.PureAsRho, delta)
		if !c.PureFolded || c.Epsilon != folded {
			t.Errorf("Convert = %v, want the folded ε = %g", c, folded)
		}
		if c.Epsilon >= 0.5 || c.Epsilon < 0.4 {
			t.Errorf("ε = %g, want ≈ 0.43", c.Epsilon)
		}
	})
	t.Run("one large pure charge stays additive", func(t *testing.T) {
		// ε = 5 as zCDP is ρ = 12.5, far worse than adding 5.
		total, _ := Compose(Pure(5), ZCDP(0.01))
		c, err := total.Convert(delta)
		if err != nil {
			t.Fatal(err)
		}
		rhoEps, _ := EpsilonForRho(0.01, delta)
		foldEps, _ := EpsilonForRho(12.51, delta)
		if c.PureFolded || c.Epsilon != addUp(5, rhoEps) {
			t.Errorf("Convert = %v, want 5 + %g", c, rhoEps)
		}
		if c.Epsilon >= foldEps {
			t.Errorf("additive ε = %g is not below the folded ε = %g", c.Epsilon, foldEps)
		}
	})
	t.Run("approximate part takes its delta first", func(t *testing.T) {
		total, _ := Compose(Approx(0.3, 4e-7), ZCDP(0.02))
		c, err := total.Convert(delta)
		if err != nil {
			t.Fatal(err)
		}
		rhoEps, _ := EpsilonForRho(0.02, delta-4e-7)
		checkRel(t, "RhoDelta", c.RhoDelta, 6e-7, 1e-15)
		if c.RhoDelta > delta-4e-7 {
			t.Errorf("RhoDelta = %.17g exceeds δ − δ_approx", c.RhoDelta)
		}
		if c.Epsilon < 0.3+rhoEps {
			t.Errorf("ε = %.17g is below 0.3 + %.17g", c.Epsilon, rhoEps)
		}
		checkRel(t, "Epsilon", c.Epsilon, 0.3+rhoEps, 1e-14)
	})
	t.Run("delta below approximate delta", func(t *testing.T) {
		total, _ := Compose(Approx(0.3, 4e-7))
		eps, err := total.Epsilon(1e-7)
		if err != nil || !math.IsInf(eps, 1) {
			t.Errorf("Epsilon(1e-7) = %g, %v; want +Inf", eps, err)
		}
	})
	t.Run("pure only at delta zero", func(t *testing.T) {
		// The float values sum exactly to 0.60000000000000000555, just above
		// the float 0.6, so the outward sum is the next float up.
		total, _ := Compose(Pure(0.3), Pure(0.2), Approx(0.1, 0))
		eps, err := total.Epsilon(0)
		if err != nil || eps != nextUp(0.6) {
			t.Errorf("Epsilon(0) = %.17g, %v; want %.17g", eps, err, nextUp(0.6))
		}
		total, _ = total.Add(ZCDP(1e-9))
		if eps, _ := total.Epsilon(0); !math.IsInf(eps, 1) {
			t.Errorf("Epsilon(0) with a zCDP part = %g, want +Inf", eps)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if eps, err := (Total{}).Epsilon(0); err != nil || eps != 0 {
			t.Errorf("empty Epsilon(0) = %g, %v; want 0", eps, err)
		}
	})
}

// TestAddAtPlacement checks the per-charge placement of pure costs: it finds
// the fold for many small charges, keeps a large one additive, and never
// raises ε by more than the charge.
func TestAddAtPlacement(t *testing.T) {
	const delta = 1e-6
	var greedy Total
	for range 100 {
		before, _ := greedy.Epsilon(delta)
		var err error
		if greedy, err = greedy.AddAt(Pure(0.01), delta); err != nil {
			t.Fatal(err)
		}
		after, _ := greedy.Epsilon(delta)
		if after > addUp(before, 0.01)*(1+1e-15) {
			t.Fatalf("a pure charge of 0.01 raised ε from %.17g to %.17g", before, after)
		}
	}
	allFolded, _ := EpsilonForRho(100*0.01*0.01/2, delta)
	if eps, _ := greedy.Epsilon(delta); eps > allFolded*(1+1e-12) {
		t.Errorf("after 100 × Pure(0.01) ε = %.17g, want the all-folded %.17g", eps, allFolded)
	}
	if greedy.FoldedRho == 0 {
		t.Errorf("no pure charge was folded: %v", greedy)
	}

	// A large pure charge joins the additive group: ε rises by exactly it,
	// while Add's all-or-nothing choice must pay much more.
	before, _ := greedy.Epsilon(delta)
	mixed, err := greedy.AddAt(Pure(0.3), delta)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := mixed.Epsilon(delta)
	checkRel(t, "ε after Pure(0.3)", after, before+0.3, 1e-15)
	plain, _ := Compose(append(slices.Repeat([]Cost{Pure(0.01)}, 100), Pure(0.3))...)
	plainEps, _ := plain.Epsilon(delta)
	if after >= plainEps-0.1 {
		t.Errorf("AddAt ε = %g, want well below all-or-nothing ε = %g", after, plainEps)
	}

	// Costs without a pure part may still fold the additive group: after
	// Add has put 100 × Pure(0.01) in it (ε = 1 additively, 0.43 folded),
	// a zero zCDP charge placed by AddAt folds it.
	small, _ := Compose(slices.Repeat([]Cost{Pure(0.01)}, 100)...)
	folded, err := small.AddAt(ZCDP(0), delta)
	if err != nil {
		t.Fatal(err)
	}
	if folded.PureEpsilon != 0 || folded.FoldedRho != small.PureAsRho {
		t.Errorf("AddAt(ZCDP(0)) = %v, want the additive group folded", folded)
	}
	// With the large charge in the group too, keeping it additive (1.3) is
	// better than folding it (ρ = 0.05, ε ≈ 1.4), and AddAt keeps it.
	kept, _ := plain.AddAt(ZCDP(0), delta)
	if kept.PureEpsilon != plain.PureEpsilon {
		t.Errorf("AddAt(ZCDP(0)) = %v, want the additive group kept", kept)
	}
}

func TestCostValidate(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, c := range []Cost{ZCDP(1), Pure(1), Approx(1, 1e-6), Approx(0, 1), {}, {Rho: 1, Epsilon: 2, Delta: 0.1}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%v.Validate() = %v", c, err)
		}
	}
	for _, c := range []Cost{ZCDP(-1), ZCDP(nan), ZCDP(inf), Pure(-0.1), Pure(inf), Approx(1, 1.5), Approx(1, -1e-9), Approx(nan, 0.1), Approx(1, nan)} {
		wantInvalid(t, c.Validate())
		_, err := (Total{}).Add(c)
		wantInvalid(t, err)
		_, err = (Total{}).AddAt(c, 1e-6)
		wantInvalid(t, err)
	}
	for _, tot := range []Total{{Rho: -1}, {FoldedRho: nan}, {PureEpsilon: inf}, {PureAsRho: -1}, {ApproxEpsilon: nan}, {ApproxDelta: -1}, {Releases: -1}} {
		wantInvalid(t, tot.Validate())
		_, err := tot.Convert(0.1)
		wantInvalid(t, err)
	}
	_, err := (Total{}).Convert(1.1)
	wantInvalid(t, err)
	_, err = (Total{}).AddAt(Pure(1), nan)
	wantInvalid(t, err)
	_, err = Compose(Pure(1), Pure(nan))
	wantInvalid(t, err)
	_, err = Compose(Pure(math.MaxFloat64), Pure(math.MaxFloat64))
	wantInvalid(t, err)
}

func TestJSONRoundTrip(t *testing.T) {
	total, _ := Compose(ZCDP(1.0/3), Pure(0.1), Approx(0.7, 1e-9), ZCDP(0.1))
	total, _ = total.AddAt(Pure(0.001), 1e-6)
	conv, _ := total.Convert(1e-6)
	values := []any{
		Cost{Rho: 1.0 / 3, Epsilon: 0.1, Delta: 1e-9},
		total,
		conv,
		Budget{Epsilon: 1, Delta: 1e-10},
		Remaining{Epsilon: 0.1, Delta: 5e-11},
		DistributedDiscreteGaussian{L2Sensitivity: 2, Dim: 3, LocalSigma: 1.5, Nodes: 10},
	}
	for _, v := range values {
		t.Run(fmt.Sprintf("type=%T", v), func(t *testing.T) {
			data, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			ptr := newOf(v)
			if err := json.Unmarshal(data, ptr); err != nil {
				t.Fatal(err)
			}
			if got := deref(ptr); got != v {
				t.Errorf("round trip of %s = %+v, want %+v", data, got, v)
			}
		})
	}
	data, _ := json.Marshal(Approx(1, 1e-6))
	if string(data) != `{"rho":0,"epsilon":1,"delta":0.000001}` {
		t.Errorf("Cost JSON = %s", data)
	}
	data, _ = json.Marshal(Total{Rho: 0.5, Releases: 2})
	if want := `{"rho":0.5,"folded_rho":0,"pure_epsilon":0,"pure_as_rho":0,"approx_epsilon":0,"approx_delta":0,"releases":2}`; string(data) != want {
		t.Errorf("Total JSON = %s, want %s", data, want)
	}
}

func newOf(v any) any {
	switch v.(type) {
	case Cost:
		return new(Cost)
	case Total:
		return new(Total)
	case Conversion:
		return new(Conversion)
	case Budget:
		return new(Budget)
	case Remaining:
		return new(Remaining)
	case DistributedDiscreteGaussian:
		return new(DistributedDiscreteGaussian)
	}
	panic(fmt.Sprintf("no decoder for %T", v))
}

func deref(p any) any {
	switch p := p.(type) {
	case *Cost:
		return *p
	case *Total:
		return *p
	case *Conversion:
		return *p
	case *Budget:
		return *p
	case *Remaining:
		return *p
	case *DistributedDiscreteGaussian:
		return *p
	}
	panic(fmt.Sprintf("no value for %T", p))
}

func TestStrings(t *testing.T) {
	tests := []struct {
		got  fmt.Stringer
		want string
	}{
		{ZCDP(0.5), "zCDP(ρ=0.5)"},
		{Pure(1), "pure(ε=1)"},
		{Approx(1, 1e-6), "approx(ε=1, δ=1e-06)"},
		{Approx(1, 0), "pure(ε=1)"},
		{Cost{Rho: 0.1, Epsilon: 0.2}, "zCDP(ρ=0.1) + pure(ε=0.2)"},
		{Cost{}, "zero"},
		{Budget{1, 1e-10}, "(ε=1, δ=1e-10)"},
		{Remaining{0.25, 0}, "(ε=0.25, δ=0)"},
		{Total{Rho: 0.1, PureEpsilon: 0.5, PureAsRho: 0.125, ApproxEpsilon: 1, ApproxDelta: 1e-6, Releases: 3},
			"releases=3 ρ=0.1 folded_ρ=0 pure_ε=0.5 pure_as_ρ=0.125 approx_ε=1 approx_δ=1e-06"},
	}
	for _, tt := range tests {
		if s := tt.got.String(); s != tt.want {
			t.Errorf("String() = %q, want %q", s, tt.want)
		}
	}
	total, _ := Compose(ZCDP(1.0 / 32))
	c, _ := total.Convert(1e-3)
	want := "(ε=0.6880024554878087, δ=0.001)-DP: zCDP ρ=0.03125 → ε=0.6880024554878087 at δ=0.001; pure ε=0; approx (ε=0, δ=0)"
	if c.String() != want {
		t.Errorf("Conversion.String() = %q, want %q", c.String(), want)
	}
}
