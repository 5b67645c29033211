// Package mechanism turns exact integer aggregates into differentially
// private releases: it calibrates exact discrete noise (privacy/noise) to a
// request (ε, δ) and the aggregate's sensitivity, and states the release's
// exact privacy cost (privacy/accountant) before any noise is drawn, so that
// the cost can be charged durably first.
//
// The unit of privacy is one customer (add or remove all of a customer's
// rows). Sensitivities are in integer units: real values are clamped to their
// bounds and encoded in fixed point (scale 2^Bits) by the caller through
// Prepared.Encode before they are summed.
//
// With δ = 0 a release uses the discrete Laplace mechanism and costs pure ε.
// With δ > 0 it uses the discrete Gaussian mechanism (Canonne, Kamath,
// Steinke 2020) at the largest ρ whose tight (ε, δ) conversion stays within
// the request, and costs ρ-zCDP.
//
// This package must never draw noise from anything but the sampler it is
// given, never release a value without the noise its plan states, and never
// report a cost below the true one.
package mechanism

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/noise"
)

// ErrInvalid marks an invalid query or request.
var ErrInvalid = errors.New("invalid privacy request")

// Request is the privacy a caller asks to spend on one release.
type Request struct {
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"` // 0: pure ε-DP (discrete Laplace)
}

// Validate reports whether r is a usable request.
func (r Request) Validate() error {
	if !(r.Epsilon > 0) || math.IsInf(r.Epsilon, 0) {
		return fmt.Errorf("%w: epsilon %v must be positive and finite", ErrInvalid, r.Epsilon)
	}
	if !(r.Delta >= 0 && r.Delta < 1) {
		return fmt.Errorf("%w: delta %v must be in [0, 1)", ErrInvalid, r.Delta)
	}
	return nil
}

// Noise is calibrated noise for one integer vector.
type Noise struct {
	Mechanism string  `json:"mechanism"` // "discrete-laplace" or "discrete-gaussian"
	L1        float64 `json:"l1_sensitivity"`
	L2        float64 `json:"l2_sensitivity"`
	Scale     float64 `json:"scale"` // Laplace t, or Gaussian σ, in integer units
	dist      noise.Distribution
	Cost      accountant.Cost `json:"cost"`
}

// grid is the resolution to which noise scales are rounded up, so that the
// samplers work on short rationals (fast exact arithmetic) and the scale
// used is never below the calibrated one.
const grid = 1 << 10

func roundUpToGrid(x float64) (*big.Rat, float64) {
	m := math.Ceil(x * grid)
	return new(big.Rat).SetFrac64(int64(m), grid), m / grid
}

// Laplace calibrates discrete Laplace noise for ε-DP at L1 sensitivity l1.
func Laplace(l1, eps float64) (*Noise, error) {
	t, err := accountant.DiscreteLaplaceScale(l1, eps)
	if err != nil {
		return nil, err
	}
	if t*grid > float64(noise.MaxScale) {
		return nil, fmt.Errorf("%w: noise scale %g too large", ErrInvalid, t)
	}
	tr, tf := roundUpToGrid(t)
	d, err := noise.NewLaplace(tr)
	if err != nil {
		return nil, err
	}
	e, err := accountant.DiscreteLaplaceEpsilon(l1, tf)
	if err != nil {
		return nil, err
	}
	return &Noise{Mechanism: "discrete-laplace", L1: l1, L2: l1, Scale: tf, dist: d, Cost: accountant.Pure(e)}, nil
}

// Gaussian calibrates discrete Gaussian noise for ρ-zCDP at L2 sensitivity l2.
func Gaussian(l2, rho float64) (*Noise, error) {
	sigma, err := accountant.SigmaForRho(l2, rho)
	if err != nil {
		return nil, err
	}
	return GaussianSigma(l2, sigma)
}

// GaussianSigma returns discrete Gaussian noise of standard deviation at
// least sigma (rounded up to the grid) and its zCDP cost at L2 sensitivity l2.
func GaussianSigma(l2, sigma float64) (*Noise, error) {
	if !(sigma > 0) || sigma*grid > float64(noise.MaxScale) {
		return nil, fmt.Errorf("%w: noise scale %g out of range", ErrInvalid, sigma)
	}
	m := math.Ceil(sigma * grid)
	sf := m / grid
	s2 := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(int64(m)), big.NewInt(int64(m))), big.NewInt(grid*grid))
	d, err := noise.NewGaussian(s2)
	if err != nil {
		return nil, err
	}
	rho, err := accountant.RhoForSigma(l2, sf)
	if err != nil {
		return nil, err
	}
	return &Noise{Mechanism: "discrete-gaussian", L1: l2, L2: l2, Scale: sf, dist: d, Cost: accountant.ZCDP(rho)}, nil
}

// Apply adds the noise to every element of v.
func (n *Noise) Apply(s *noise.Sampler, v []int64) error {
	if err := s.Add(v, n.dist); err != nil {
		return fmt.Errorf("%s noise: %w", n.Mechanism, err)
	}
	return nil
}

// Stddev is the standard deviation of one noise draw, in integer units.
// For the discrete Laplace with P(x) ∝ exp(−|x|/t) the variance is
// 2e^{−1/t}/(1−e^{−1/t})²; the discrete Gaussian's is at most σ².
func (n *Noise) Stddev() float64 {
	if n.Mechanism == "discrete-laplace" {
		q := math.Exp(-1 / n.Scale)
		return math.Sqrt(2*q) / (1 - q)
	}
	return n.Scale
}

// Params describes the noise for the audit log.
func (n *Noise) Params() map[string]string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	p := map[string]string{"l2_sensitivity": f(n.L2), "scale": f(n.Scale)}
	if n.Mechanism == "discrete-laplace" {
		p = map[string]string{"l1_sensitivity": f(n.L1), "scale": f(n.Scale)}
	}
	return p
}

// budgetShares splits a request into parts of equal cost and calibrates
// noise for each part with the sensitivities given (L1 for Laplace, L2 for
// Gaussian).
func budgetShares(req Request, sens []float64) ([]*Noise, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	k := float64(len(sens))
	out := make([]*Noise, len(sens))
	if req.Delta == 0 {
		for i, s := range sens {
			n, err := Laplace(s, req.Epsilon/k)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	rho, err := accountant.MaxRho(accountant.Total{}, accountant.Budget{Epsilon: req.Epsilon, Delta: req.Delta})
	if err != nil {
		return nil, err
	}
	if !(rho > 0) {
		return nil, fmt.Errorf("%w: (ε=%g, δ=%g) admits no Gaussian noise", ErrInvalid, req.Epsilon, req.Delta)
	}
	for i, s := range sens {
		n, err := Gaussian(s, rho/k)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
