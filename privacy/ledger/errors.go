package ledger

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fednode/fednode/privacy/accountant"
)

// Errors callers branch on. Test for them with [errors.Is].
var (
	// ErrNoCap refuses a charge against a dataset that has no cap.
	ErrNoCap = errors.New("no privacy budget set for this dataset")
	// ErrCapBelowSpent refuses a cap that what is already spent exceeds.
	ErrCapBelowSpent = errors.New("cap below what is already spent")
	// ErrReleaseReused refuses a release id already charged with another
	// cost: a retry must ask for the cost it asked for the first time.
	ErrReleaseReused = errors.New("release id already charged with a different cost")
	// ErrInvalid reports an argument outside its domain: a dataset name, a
	// release id, a job or mechanism name, a time, a cap or a cost.
	ErrInvalid = errors.New("invalid ledger argument")
	// ErrCorrupt marks a stored record that is damaged: a checksum
	// mismatch, malformed JSON, a missing or unknown field, or a value out
	// of its domain.
	ErrCorrupt = errors.New("ledger record is corrupt")
	// ErrMismatch reports an account whose spending its charges do not
	// reproduce ([Recompute]).
	ErrMismatch = errors.New("ledger account does not match its charges")
)

// ExceededError refuses a charge that does not fit under the dataset's cap.
// It wraps accountant.ErrExceeded. The refused charge changed nothing.
type ExceededError struct {
	Dataset string
	// Requested is the refused cost.
	Requested accountant.Cost
	// RequestedEpsilon is by how much the charge would have raised the
	// spent ε (converted at the cap's δ); +Inf if it needs more δ than
	// the cap has left. For messages: it is a difference of two rounded
	// values.
	RequestedEpsilon float64
	// Remaining is what is left of Cap, as before the charge.
	Remaining accountant.Remaining
	Cap       accountant.Budget
}

// Error names the dataset, the request, what remains and the cap, for
// example "dataset churn: privacy budget exceeded: requested ρ=0.05
// (ε≈0.89); remaining ε=0.12 δ=1e-06 of cap ε=1 δ=1e-05".
func (e *ExceededError) Error() string {
	return fmt.Sprintf("dataset %s: privacy budget exceeded: requested %s (ε≈%.3g); remaining ε=%.6g δ=%.6g of cap ε=%.6g δ=%.6g",
		e.Dataset, formatCost(e.Requested), e.RequestedEpsilon,
		e.Remaining.Epsilon, e.Remaining.Delta, e.Cap.Epsilon, e.Cap.Delta)
}

// Unwrap returns accountant.ErrExceeded.
func (e *ExceededError) Unwrap() error { return accountant.ErrExceeded }

// formatCost writes a cost as "ρ=0.05", "ε=0.1", "ε=0.1 δ=1e-07", a sum of
// two of them, or "zero".
func formatCost(c accountant.Cost) string {
	var parts []string
	if c.Rho != 0 {
		parts = append(parts, fmt.Sprintf("ρ=%.6g", c.Rho))
	}
	switch {
	case c.Delta != 0:
		parts = append(parts, fmt.Sprintf("ε=%.6g δ=%.6g", c.Epsilon, c.Delta))
	case c.Epsilon != 0:
		parts = append(parts, fmt.Sprintf("ε=%.6g", c.Epsilon))
	}
	if len(parts) == 0 {
		return "zero"
	}
	return strings.Join(parts, " + ")
}

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// corruptf returns an error wrapping ErrCorrupt.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// mismatchf returns an error wrapping ErrMismatch.
func mismatchf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMismatch, fmt.Sprintf(format, args...))
}
