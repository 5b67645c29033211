package accountant

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
)

// TestChargeEqualSplit is the rounding known answer of privacy-on-beam's
// budget accountant: a cap (ε = 1, δ = 1e-10) split into n equal approximate
// charges is fully usable for every n, after which even a tiny further
// charge is refused.
func TestChargeEqualSplit(t *testing.T) {
	budget := Budget{Epsilon: 1, Delta: 1e-10}
	for n := 1; n <= 10; n++ {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			var spent Total
			var rem Remaining
			for i := range n {
				var err error
				spent, rem, err = Charge(spent, Approx(1/float64(n), 1e-10/float64(n)), budget)
				if err != nil {
					t.Fatalf("charge %d of %d refused: %v", i+1, n, err)
				}
			}
			if rem != (Remaining{}) {
				t.Errorf("after %d charges Remaining = %v, want zero", n, rem)
			}
			if r, _ := budget.Remaining(spent); r != (Remaining{}) {
				t.Errorf("Budget.Remaining = %v, want zero", r)
			}
			// The recorded total is never trimmed below what was charged.
			if spent.ApproxEpsilon < 1-1e-15 || spent.ApproxDelta < 1e-10*(1-1e-15) {
				t.Errorf("spent %v understates the charges", spent)
			}
			after, _, err := Charge(spent, Approx(1e-15, 1e-40), budget)
			var exceeded *ExceededError
			if !errors.As(err, &exceeded) || !errors.Is(err, ErrExceeded) {
				t.Fatalf("further Approx(1e-15, 1e-40) = %v, want an ExceededError", err)
			}
			if after != spent {
				t.Errorf("refused charge changed the total: %v → %v", spent, after)
			}
			if exceeded.Remaining != (Remaining{}) {
				t.Errorf("ExceededError.Remaining = %v, want zero", exceeded.Remaining)
			}
		})
	}
}

func TestForgiveness(t *testing.T) {
	budget := Budget{Epsilon: 1, Delta: 1e-6}
	spent, _, err := Charge(Total{}, Pure(0.5), budget)
	if err != nil {
		t.Fatal(err)
	}
	// 0.5 remains; forgiveness allows an overshoot of 0.5e-9.
	tests := []struct {
		name string
		cost Cost
		ok   bool
	}{
		{"exact remainder", Pure(0.5), true},
		{"1e-10 relative over", Pure(0.5 * (1 + 1e-10)), true},
		{"just inside tolerance", Pure(0.5 * (1 + 0.9e-9)), true},
		{"just outside tolerance", Pure(0.5 * (1 + 1.1e-9)), false},
		{"1e-8 relative over", Pure(0.5 * (1 + 1e-8)), false},
		{"1 percent over", Pure(0.505), false},
		{"delta over by 1e-10 relative", Approx(0.1, 1e-6*(1+1e-10)), true},
		{"delta 1 percent over", Approx(0.1, 1.01e-6), false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("case=%s", tt.name), func(t *testing.T) {
			ok, rem, err := Fits(spent, tt.cost, budget)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Fatalf("Fits(%v) = %v, want %v", tt.cost, ok, tt.ok)
			}
			after, chargeRem, err := Charge(spent, tt.cost, budget)
			if tt.ok != (err == nil) || chargeRem != rem {
				t.Fatalf("Charge = %v, %v; Fits said %v, %v", chargeRem, err, ok, rem)
			}
			if !ok {
				if rem.Epsilon != 0.5 {
					t.Errorf("refused: Remaining.Epsilon = %g, want the unchanged 0.5", rem.Epsilon)
				}
				return
			}
			// A charge at or over the remainder consumes it exactly.
			if tt.cost.Epsilon >= 0.5 && rem.Epsilon != 0 {
				t.Errorf("Remaining.Epsilon = %g, want 0", rem.Epsilon)
			}
			if tt.cost.Delta >= 1e-6 && rem.Delta != 0 {
				t.Errorf("Remaining.Delta = %g, want 0", rem.Delta)
			}
			// Nothing further that consumes the exhausted dimension fits.
			// (A pure charge so small that, folded into ρ, it converts to
			// ε = 0 within the unused δ does not consume ε, and may fit.)
			if tt.cost.Epsilon >= 0.5 {
				for _, c := range []Cost{Pure(1e-3), Approx(1e-15, 1e-40), ZCDP(1e-6)} {
					if ok, _, _ := Fits(after, c, budget); ok {
						t.Errorf("%v fits after the ε remainder was consumed", c)
					}
				}
			}
		})
	}
}

func TestChargeRefusedReportsRemaining(t *testing.T) {
	budget := Budget{Epsilon: 1, Delta: 1e-6}
	spent, _, err := Charge(Total{}, Pure(0.7), budget)
	if err != nil {
		t.Fatal(err)
	}
	got, rem, err := Charge(spent, Pure(0.4), budget)
	var exceeded *ExceededError
	if !errors.As(err, &exceeded) {
		t.Fatalf("Charge(Pure(0.4)) = %v, want an ExceededError", err)
	}
	if got != spent {
		t.Errorf("refused charge changed the total")
	}
	// 1 − 0.7 is exactly 0.30000000000000004 for the float 0.7.
	if rem != (Remaining{Epsilon: 0.30000000000000004, Delta: 1e-6}) {
		t.Errorf("Remaining = %v, want (0.30000000000000004, 1e-06)", rem)
	}
	if exceeded.Remaining != rem || exceeded.Cost != Pure(0.4) || exceeded.Cap != budget {
		t.Errorf("ExceededError = %+v, inconsistent with the call", exceeded)
	}
	checkRel(t, "ExceededError.Epsilon", exceeded.Epsilon, 1.1, 1e-15)
	want := "accountant: privacy budget exceeded: pure(ε=0.4) would bring the total to (ε=1.1, δ=0), over the cap (ε=1, δ=1e-06); remaining (ε=0.30000000000000004, δ=1e-06)"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	// What remains does fit.
	if ok, _, _ := Fits(spent, Pure(rem.Epsilon), budget); !ok {
		t.Errorf("Pure(Remaining.Epsilon = %g) does not fit", rem.Epsilon)
	}
}

func TestMaxRho(t *testing.T) {
	budget := Budget{Epsilon: 1, Delta: 1e-6}
	for _, prior := range []Cost{{}, Pure(0.2), Approx(0.1, 5e-7), ZCDP(0.01)} {
		t.Run(fmt.Sprintf("spent=%v", prior), func(t *testing.T) {
			spent, _, err := Charge(Total{}, prior, budget)
			if err != nil {
				t.Fatal(err)
			}
			rho, err := MaxRho(spent, budget)
			if err != nil {
				t.Fatal(err)
			}
			if !(rho > 0) {
				t.Fatalf("MaxRho = %g, want positive", rho)
			}
			if _, _, err := Charge(spent, ZCDP(rho), budget); err != nil {
				t.Errorf("ZCDP(MaxRho = %g) refused: %v", rho, err)
			}
			if ok, _, _ := Fits(spent, ZCDP(rho*1.01), budget); ok {
				t.Errorf("ZCDP(1.01·MaxRho) fits")
			}
			if ok, _, _ := Fits(spent, ZCDP(rho*(1+1e-6)), budget); ok {
				t.Errorf("ZCDP((1+1e-6)·MaxRho) fits: MaxRho is not tight")
			}
		})
	}
	t.Run("no delta left", func(t *testing.T) {
		spent, _, _ := Charge(Total{}, Approx(0.1, 1e-6), budget)
		if rho, err := MaxRho(spent, budget); err != nil || rho != 0 {
			t.Errorf("MaxRho = %g, %v; want 0", rho, err)
		}
		if ok, _, _ := Fits(spent, ZCDP(1e-12), budget); ok {
			t.Errorf("a zCDP charge fits with no δ left to convert it")
		}
	})
	t.Run("delta cap one", func(t *testing.T) {
		if rho, err := MaxRho(Total{}, Budget{Epsilon: 0, Delta: 1}); err != nil || rho != math.MaxFloat64 {
			t.Errorf("MaxRho = %g, %v; want MaxFloat64", rho, err)
		}
	})
}

// TestPureChargeWithinRemainingFits checks the promise of Remaining: with
// folded pure charges and a zCDP part in the total, a pure charge no larger
// than Remaining.Epsilon still fits.
func TestPureChargeWithinRemainingFits(t *testing.T) {
	budget := Budget{Epsilon: 2, Delta: 1e-6}
	var spent Total
	var err error
	for range 60 {
		if spent, _, err = Charge(spent, Pure(0.01), budget); err != nil {
			t.Fatal(err)
		}
	}
	if spent, _, err = Charge(spent, ZCDP(0.02), budget); err != nil {
		t.Fatal(err)
	}
	rem, err := budget.Remaining(spent)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []float64{0.01, 0.5, 0.99, 1} {
		eps := rem.Epsilon * f
		if ok, _, _ := Fits(spent, Pure(eps), budget); !ok {
			t.Errorf("Pure(%g) with Remaining.Epsilon = %g does not fit", eps, rem.Epsilon)
		}
	}
}

func TestZeroCostAlwaysFits(t *testing.T) {
	budget := Budget{Epsilon: 1, Delta: 1e-6}
	// A total already over the cap, as after lowering the cap.
	spent, _ := Compose(Pure(3), Approx(0.5, 2e-6))
	ok, rem, err := Fits(spent, Cost{}, budget)
	if err != nil || !ok || rem != (Remaining{}) {
		t.Errorf("Fits(zero) = %v, %v, %v; want true, zero remaining", ok, rem, err)
	}
	if ok, _, _ := Fits(spent, Pure(1e-9), budget); ok {
		t.Errorf("a positive charge fits a total over the cap")
	}
}

// TestChargeReplay checks that replaying the same charges, with a JSON
// round trip of the total in between, reproduces the total bit for bit.
func TestChargeReplay(t *testing.T) {
	budget := Budget{Epsilon: 3, Delta: 1e-7}
	costs := []Cost{Pure(0.05), ZCDP(0.01), Pure(0.05), Approx(0.2, 2e-8), Pure(0.3), ZCDP(0.003), Pure(0.01), Pure(0.01)}
	run := func(persist bool) Total {
		var spent Total
		for _, c := range costs {
			var err error
			if spent, _, err = Charge(spent, c, budget); err != nil {
				t.Fatal(err)
			}
			if persist {
				data, err := json.Marshal(spent)
				if err != nil {
					t.Fatal(err)
				}
				spent = Total{}
				if err := json.Unmarshal(data, &spent); err != nil {
					t.Fatal(err)
				}
			}
		}
		return spent
	}
	if a, b := run(false), run(true); a != b {
		t.Errorf("replay differs:\n%v\n%v", a, b)
	}
}

func TestSpent(t *testing.T) {
	budget := Budget{Epsilon: 1, Delta: 1e-10}
	spent, _ := Compose(Approx(0.5, 6e-11), Approx(0.5, 4.0000000001e-11))
	// ApproxDelta is over the cap (as after a forgiven charge): the strict
	// conversion at the cap's δ is +∞, the filter's view is finite.
	if eps, _ := spent.Epsilon(budget.Delta); !math.IsInf(eps, 1) {
		t.Fatalf("strict ε = %g, want +Inf", eps)
	}
	c, err := budget.Spent(spent)
	if err != nil || c.Epsilon != 1 || c.Delta != spent.ApproxDelta {
		t.Errorf("Spent = %v, %v; want ε = 1 at δ = %g", c, err, spent.ApproxDelta)
	}
}

func TestFilterInvalid(t *testing.T) {
	good := Budget{Epsilon: 1, Delta: 1e-6}
	for _, tt := range []struct {
		name   string
		spent  Total
		cost   Cost
		budget Budget
	}{
		{"cost", Total{}, Pure(-1), good},
		{"cap epsilon", Total{}, Pure(1), Budget{Epsilon: math.NaN(), Delta: 0}},
		{"cap infinite", Total{}, Pure(1), Budget{Epsilon: math.Inf(1), Delta: 0}},
		{"cap delta", Total{}, Pure(1), Budget{Epsilon: 1, Delta: 2}},
		{"spent", Total{Rho: -1}, Pure(1), good},
	} {
		t.Run(fmt.Sprintf("bad=%s", tt.name), func(t *testing.T) {
			ok, _, err := Fits(tt.spent, tt.cost, tt.budget)
			if ok {
				t.Error("Fits = true on invalid input")
			}
			wantInvalid(t, err)
			_, _, err = Charge(tt.spent, tt.cost, tt.budget)
			wantInvalid(t, err)
			if errors.Is(err, ErrExceeded) {
				t.Error("invalid input reported as ErrExceeded")
			}
		})
	}
	_, err := MaxRho(Total{}, Budget{Epsilon: -1})
	wantInvalid(t, err)
	_, err = good.Remaining(Total{PureEpsilon: math.NaN()})
	wantInvalid(t, err)
	_, err = good.Spent(Total{PureEpsilon: math.NaN()})
	wantInvalid(t, err)
}
