package mechanism

import (
	"fmt"
	"math"

	"github.com/fednode/fednode/privacy/accountant"
)

// Block is a part of a released integer vector with its own sensitivity:
// adding or removing one customer changes the block by at most L2 in ℓ₂
// norm and L1 in ℓ₁ norm, over Dim coordinates.
type Block struct {
	L2, L1 float64
	Dim    int
}

// Distributed is the noise plan of a vector summed over the nodes of a
// consortium under secure aggregation (distributed discrete Gaussian,
// Kairouz, Liu, Steinke 2021): every node adds to each coordinate of block
// b independent discrete Gaussian noise of parameter LocalSigma[b], so that
// the sum of at least MinNodes honest contributions carries noise of
// parameter at least √MinNodes·LocalSigma[b] = Sigma[b]. Cost is the zCDP
// cost of the release (KLS21 Proposition 14, with its τ term for sums of
// discrete Gaussians), composed over blocks, charged once per release on
// each node's dataset.
type Distributed struct {
	Blocks     []Block         `json:"blocks"`
	MinNodes   int             `json:"min_nodes"`
	LocalSigma []float64       `json:"local_sigma"` // per block, in integer units
	Sigma      []float64       `json:"sigma"`       // per block: of the sum of MinNodes contributions
	Cost       accountant.Cost `json:"cost"`
}

// PlanDistributed calibrates distributed noise so that the release is
// within rho (zCDP) when at least minNodes honest nodes contribute. Each
// block's noise is proportional to its sensitivity, so the budget is spread
// evenly over the blocks.
//
// A block of sensitivity near one with a small ρ share and many nodes needs
// local noise well above its plain Gaussian share (KLS21's τ grows quickly
// as σ_l approaches ½); each block pays for that alone.
func PlanDistributed(blocks []Block, rho float64, minNodes int) (*Distributed, error) {
	if len(blocks) == 0 {
		return nil, fmt.Errorf("%w: no blocks", ErrInvalid)
	}
	if !(rho > 0) || math.IsInf(rho, 0) || minNodes < 1 {
		return nil, fmt.Errorf("%w: ρ %g, minimum nodes %d", ErrInvalid, rho, minNodes)
	}
	for _, b := range blocks {
		if !(b.L2 > 0) || !(b.L1 > 0) || b.Dim < 1 || math.IsInf(b.L2, 0) || math.IsInf(b.L1, 0) {
			return nil, fmt.Errorf("%w: block %+v", ErrInvalid, b)
		}
	}
	// The budget is split evenly over the blocks; each block gets the
	// smallest local noise whose exact distributed bound fits its share.
	share := rho / float64(len(blocks))
	d := &Distributed{Blocks: blocks, MinNodes: minNodes}
	total := 0.0
	for _, b := range blocks {
		s, r, err := localSigmaFor(b, share, minNodes)
		if err != nil {
			return nil, err
		}
		d.LocalSigma = append(d.LocalSigma, s)
		d.Sigma = append(d.Sigma, s*math.Sqrt(float64(minNodes)))
		total = upAdd(total, r)
	}
	if total > rho { // outward rounding of the sum: trim nothing, refuse
		return nil, fmt.Errorf("%w: blocks cost %g above ρ = %g", ErrInvalid, total, rho)
	}
	d.Cost = accountant.ZCDP(total)
	return d, nil
}

// localSigmaFor returns the smallest grid σ_l (to bisection precision)
// whose distributed bound is within rho, and that bound.
func localSigmaFor(b Block, rho float64, nodes int) (float64, float64, error) {
	cost := func(s float64) (float64, error) {
		return accountant.DistributedDiscreteGaussian{L2Sensitivity: b.L2, L1Sensitivity: b.L1, Dim: b.Dim, LocalSigma: s, Nodes: nodes}.Rho()
	}
	// Without the τ term, σ_l = Δ₂/√(2ρn); KLS21 needs σ_l ≥ ½.
	lo := math.Max(0.5, b.L2/math.Sqrt(2*rho*float64(nodes)))
	hi := roundUp(lo)
	for {
		r, err := cost(hi)
		if err != nil {
			return 0, 0, err
		}
		if r <= rho {
			break
		}
		hi = roundUp(hi * 1.25)
		if hi > float64(1<<40) {
			return 0, 0, fmt.Errorf("%w: no noise level reaches ρ = %g", ErrInvalid, rho)
		}
	}
	for hi-lo > 1.0/grid {
		mid := roundUp((lo + hi) / 2)
		if mid >= hi {
			break
		}
		r, err := cost(mid)
		if err != nil {
			return 0, 0, err
		}
		if r <= rho {
			hi = mid
		} else {
			lo = mid
		}
	}
	r, err := cost(hi)
	return hi, r, err
}

// roundUp rounds a noise parameter up to the sampler grid.
func roundUp(x float64) float64 { return math.Ceil(x*grid) / grid }

// LocalNoise returns the noise a node adds to block b.
func (d *Distributed) LocalNoise(b int) (*Noise, error) {
	return GaussianSigma(d.Blocks[b].L2, d.LocalSigma[b])
}
