package mechanism

import (
	"math"
	"testing"

	"github.com/fednode/fednode/privacy/accountant"
)

func TestPlanDistributedWithinBudget(t *testing.T) {
	blocks := []Block{{L2: 1, L1: 1, Dim: 1}, {L2: 25600, L1: 25600, Dim: 1}, {L2: 1, L1: 1, Dim: 5}}
	for _, tc := range []struct {
		rho   float64
		nodes int
	}{{0.01, 2}, {0.1, 3}, {1, 5}, {0.005, 10}} {
		d, err := PlanDistributed(blocks, tc.rho, tc.nodes)
		if err != nil {
			t.Fatal(err)
		}
		if d.Cost.Rho > tc.rho || d.Cost.Rho < 0.9*tc.rho {
			t.Errorf("rho=%g nodes=%d: cost %g", tc.rho, tc.nodes, d.Cost.Rho)
		}
		// Each block's central noise is close to what the plain Gaussian
		// mechanism needs for its share of ρ (the τ term costs little).
		for i, b := range blocks {
			plain := b.L2 / math.Sqrt(2*tc.rho/float64(len(blocks)))
			if d.Sigma[i] < plain*(1-1e-9) || (d.LocalSigma[i] > 1 && d.Sigma[i] > plain*1.1+1) {
				t.Errorf("rho=%g nodes=%d block %d: σ %g, plain Gaussian %g", tc.rho, tc.nodes, i, d.Sigma[i], plain)
			}
			if want := d.Sigma[i] / math.Sqrt(float64(tc.nodes)); math.Abs(d.LocalSigma[i]-want) > 1e-9*want {
				t.Errorf("local σ %g ≠ σ/√n %g", d.LocalSigma[i], want)
			}
		}
		// Recompute the cost independently.
		total := 0.0
		for i, b := range blocks {
			r, _ := accountant.DistributedDiscreteGaussian{L2Sensitivity: b.L2, L1Sensitivity: b.L1, Dim: b.Dim, LocalSigma: d.LocalSigma[i], Nodes: tc.nodes}.Rho()
			total += r
		}
		if total > d.Cost.Rho*(1+1e-12) {
			t.Errorf("stated cost %g below recomputed %g", d.Cost.Rho, total)
		}
	}
}

func TestPlanDistributedRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		b     []Block
		rho   float64
		nodes int
	}{
		"no-blocks": {nil, 1, 2}, "rho=0": {[]Block{{1, 1, 1}}, 0, 2}, "nodes=0": {[]Block{{1, 1, 1}}, 1, 0},
		"dim=0": {[]Block{{1, 1, 0}}, 1, 2}, "l2=0": {[]Block{{0, 1, 1}}, 1, 2},
	} {
		if _, err := PlanDistributed(tc.b, tc.rho, tc.nodes); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestDistributedSumNoise: the sum of minNodes nodes' local noise has the
// planned central standard deviation.
func TestDistributedSumNoise(t *testing.T) {
	d, err := PlanDistributed([]Block{{L2: 10, L1: 10, Dim: 1}}, 0.05, 4)
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.LocalNoise(0)
	if err != nil {
		t.Fatal(err)
	}
	s := sampler(3)
	const trials = 20000
	v := make([]int64, trials)
	for range d.MinNodes {
		if err := n.Apply(s, v); err != nil {
			t.Fatal(err)
		}
	}
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	if sd := math.Sqrt(sq / trials); math.Abs(sd/d.Sigma[0]-1) > 0.03 {
		t.Fatalf("sum of %d local noises has sd %g, plan says %g", d.MinNodes, sd, d.Sigma[0])
	}
}
