package ledger

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fednode/fednode/privacy/accountant"
)

// Tx is the transaction the ledger needs; *store.SpaceTxn (node/store)
// satisfies it. Get returns a value the caller may keep; Scan calls fn for
// every key with the prefix, in key order, with key and value valid only
// during the call. The ledger never keeps a slice it passed to Set.
type Tx interface {
	Get(key []byte) ([]byte, bool, error)
	Set(key, value []byte) error
	Scan(prefix []byte, fn func(key, value []byte) error) error
}

// Account is the budget of one dataset: the cap and what was charged
// against it.
type Account struct {
	Dataset string
	// Cap is the (ε, δ) cap; the zero value when HasCap is false.
	Cap    accountant.Budget
	HasCap bool
	// CapSetAt is when the cap was last set, in UTC.
	CapSetAt time.Time
	// Spent is the composition of every charge, as accountant.Charge
	// composed them against the cap in force at the time.
	Spent accountant.Total
	// Releases counts the charges; it equals Spent.Releases.
	Releases int64
}

// SpentConverted returns what was spent as (ε, δ)-DP at the cap's δ, as the
// filter measures it (accountant.Budget.Spent). An account without a cap
// is an error wrapping [ErrNoCap].
func (a Account) SpentConverted() (accountant.Conversion, error) {
	if !a.HasCap {
		return accountant.Conversion{}, fmt.Errorf("dataset %s: %w", a.Dataset, ErrNoCap)
	}
	return a.Cap.Spent(a.Spent)
}

// Remaining returns what is left of the cap (accountant.Budget.Remaining).
// An account without a cap is an error wrapping [ErrNoCap].
func (a Account) Remaining() (accountant.Remaining, error) {
	if !a.HasCap {
		return accountant.Remaining{}, fmt.Errorf("dataset %s: %w", a.Dataset, ErrNoCap)
	}
	return a.Cap.Remaining(a.Spent)
}

// Charge is one release's charge against a dataset.
type Charge struct {
	// Release identifies the release: 1 to 128 characters of
	// A-Z a-z 0-9 . _ : -, unique within the dataset. A retry of the same
	// release must use the same id and cost.
	Release string
	Dataset string
	// Job and Mechanism name what released, for audits: 1 to 256 bytes of
	// UTF-8 without control characters.
	Job       string
	Mechanism string
	Cost      accountant.Cost
	// Time is when the release was charged; stored in UTC.
	Time time.Time

	// The ledger sets the fields below; ChargeRelease ignores them in
	// its argument.

	// Seq is the charge's position among the dataset's charges, from 1.
	Seq int64
	// Cap is the cap the charge was checked against.
	Cap accountant.Budget
}

// check validates a charge request.
func (c Charge) check() error {
	for _, err := range []error{
		checkDataset(c.Dataset),
		checkRelease(c.Release),
		checkLabel("job", c.Job),
		checkLabel("mechanism", c.Mechanism),
		checkCost(c.Cost),
		checkTime("charge time", c.Time),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// SetCap sets the cap of dataset to newCap at time at, and returns the
// account as it was before, so the caller can record "raised from … to …".
//
// The cap must have a finite ε > 0 and 0 ≤ δ < 1. Setting a first cap, or a
// cap no lower than the current one in both ε and δ, is always allowed. A cap
// lower in ε or δ is allowed only if what is already spent fits under it,
// measured as the filter measures it: the accountant's conversion at the new
// cap's δ must give at most its ε, and the approximate-DP charges must have
// spent at most its δ. Otherwise SetCap returns an error wrapping
// [ErrCapBelowSpent] and writes nothing.
func SetCap(tx Tx, dataset string, newCap accountant.Budget, at time.Time) (prev Account, err error) {
	prev, err = setCapTx(tx, dataset, newCap, at)
	if err != nil {
		return Account{}, fmt.Errorf("ledger set cap %s: %w", dataset, err)
	}
	return prev, nil
}

func setCapTx(tx Tx, dataset string, newCap accountant.Budget, at time.Time) (Account, error) {
	for _, err := range []error{checkDataset(dataset), checkCap(newCap), checkTime("cap time", at)} {
		if err != nil {
			return Account{}, err
		}
	}
	prev, err := get(tx, dataset)
	if err != nil {
		return Account{}, err
	}
	if prev.HasCap && lowers(prev.Cap, newCap) {
		if err := fitsUnder(prev.Spent, newCap); err != nil {
			return Account{}, err
		}
	}
	next := prev
	next.Cap, next.HasCap, next.CapSetAt = newCap, true, at.UTC()
	rec, err := encodeAccount(next)
	if err != nil {
		return Account{}, err
	}
	if err := tx.Set(accountKey(dataset), rec); err != nil {
		return Account{}, err
	}
	return prev, nil
}

// lowers reports whether next is below prev in ε or in δ.
func lowers(prev, next accountant.Budget) bool {
	return next.Epsilon < prev.Epsilon || next.Delta < prev.Delta
}

// fitsUnder returns nil if spent fits under b as the filter measures it,
// and otherwise an error wrapping ErrCapBelowSpent that gives the numbers.
func fitsUnder(spent accountant.Total, b accountant.Budget) error {
	conv, err := b.Spent(spent)
	if err != nil {
		return err
	}
	if conv.Epsilon <= b.Epsilon && spent.ApproxDelta <= b.Delta {
		return nil
	}
	return fmt.Errorf("%w: spent ε=%.6g at δ=%.6g (approximate-DP δ=%.6g) does not fit under the new cap ε=%.6g δ=%.6g",
		ErrCapBelowSpent, conv.Epsilon, conv.Delta, spent.ApproxDelta, b.Epsilon, b.Delta)
}

// ChargeRelease charges c against its dataset's cap. It must run inside the
// transaction that the caller commits and syncs before producing the
// release: with node/store, inside Store.Update, releasing only after Update
// returned nil (see the package documentation).
//
// A release id already charged for the dataset is a retry: ChargeRelease
// changes nothing and returns the account with duplicate = true, or an error
// wrapping [ErrReleaseReused] if the stored charge has a different cost.
//
// Otherwise the dataset must have a cap ([ErrNoCap]), and accountant.Charge
// composes c.Cost onto what was spent, with its outward rounding and its
// rounding forgiveness. If the cost does not fit, ChargeRelease returns an
// [*ExceededError]. If it fits, ChargeRelease writes the charge record and
// the updated account and returns the account.
//
// On any error other than a failed Tx.Set, ChargeRelease has written
// nothing. If a Set fails the caller must discard the transaction, as
// Store.Update does when its function returns an error.
func ChargeRelease(tx Tx, c Charge) (acct Account, duplicate bool, err error) {
	acct, duplicate, err = chargeRelease(tx, c)
	switch err.(type) {
	case nil:
		return acct, duplicate, nil
	case *ExceededError: // names the dataset itself
		return Account{}, false, err
	}
	return Account{}, false, fmt.Errorf("ledger charge %s: %w", c.Dataset, err)
}

func chargeRelease(tx Tx, c Charge) (Account, bool, error) {
	if err := c.check(); err != nil {
		return Account{}, false, err
	}
	acct, err := get(tx, c.Dataset)
	if err != nil {
		return Account{}, false, err
	}
	prior, found, err := getCharge(tx, c.Dataset, c.Release)
	if err != nil {
		return Account{}, false, err
	}
	if found {
		return acct, true, checkRetry(acct, prior, c)
	}
	if !acct.HasCap {
		return Account{}, false, ErrNoCap
	}
	if acct.Releases == math.MaxInt64 {
		return Account{}, false, invalidf("the dataset's release count would overflow")
	}
	spent, _, err := accountant.Charge(acct.Spent, c.Cost, acct.Cap)
	var refused *accountant.ExceededError
	if errors.As(err, &refused) {
		return Account{}, false, exceeded(acct, c.Cost, refused)
	}
	if err != nil {
		return Account{}, false, err
	}
	c.Seq, c.Cap, c.Time = acct.Releases+1, acct.Cap, c.Time.UTC()
	next := acct
	next.Spent, next.Releases = spent, c.Seq
	// Encode both records before writing either.
	charge, err := encodeCharge(c)
	if err != nil {
		return Account{}, false, err
	}
	account, err := encodeAccount(next)
	if err != nil {
		return Account{}, false, err
	}
	if err := tx.Set(chargeKey(c.Dataset, c.Release), charge); err != nil {
		return Account{}, false, err
	}
	if err := tx.Set(accountKey(c.Dataset), account); err != nil {
		return Account{}, false, err
	}
	return next, false, nil
}

// checkRetry accepts a retry of the stored charge prior, which acct must
// count.
func checkRetry(acct Account, prior, c Charge) error {
	if prior.Cost != c.Cost {
		return fmt.Errorf("%w: release %s was charged %v, now %v", ErrReleaseReused, c.Release, prior.Cost, c.Cost)
	}
	if !acct.HasCap || prior.Seq > acct.Releases {
		return corruptf("charge %s (seq %d) is not counted by the account (%d releases)", prior.Release, prior.Seq, acct.Releases)
	}
	return nil
}

// exceeded builds the ledger's refusal from the accountant's.
func exceeded(acct Account, cost accountant.Cost, ae *accountant.ExceededError) *ExceededError {
	rise := math.Inf(1)
	if before, err := acct.Cap.Spent(acct.Spent); err == nil && !math.IsInf(ae.Epsilon, 1) {
		rise = max(ae.Epsilon-before.Epsilon, 0)
	}
	return &ExceededError{
		Dataset:          acct.Dataset,
		Requested:        cost,
		RequestedEpsilon: rise,
		Remaining:        ae.Remaining,
		Cap:              acct.Cap,
	}
}

// Get returns the account of dataset. A dataset without a cap has no
// account and returns HasCap = false and zero spending.
func Get(tx Tx, dataset string) (Account, error) {
	if err := checkDataset(dataset); err != nil {
		return Account{}, fmt.Errorf("ledger get %s: %w", dataset, err)
	}
	a, err := get(tx, dataset)
	if err != nil {
		return Account{}, fmt.Errorf("ledger get %s: %w", dataset, err)
	}
	return a, nil
}

// get reads the account of a valid dataset name.
func get(tx Tx, dataset string) (Account, error) {
	v, ok, err := tx.Get(accountKey(dataset))
	if err != nil {
		return Account{}, err
	}
	if !ok {
		return Account{Dataset: dataset}, nil
	}
	return decodeAccount(dataset, v)
}

// getCharge reads a charge of a valid dataset name and release id.
func getCharge(tx Tx, dataset, release string) (Charge, bool, error) {
	v, ok, err := tx.Get(chargeKey(dataset, release))
	if err != nil || !ok {
		return Charge{}, false, err
	}
	c, err := decodeCharge(dataset, release, v)
	return c, err == nil, err
}

// List returns every account, sorted by dataset.
func List(tx Tx) ([]Account, error) {
	var out []Account
	prefix := []byte(accountPrefix)
	err := tx.Scan(prefix, func(key, value []byte) error {
		if !bytes.HasPrefix(key, prefix) {
			return fmt.Errorf("scan of %q returned key %q", prefix, key)
		}
		dataset := string(key[len(prefix):])
		a, err := decodeAccount(dataset, value)
		if err != nil {
			return fmt.Errorf("dataset %q: %w", dataset, err)
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger list: %w", err)
	}
	slices.SortFunc(out, func(a, b Account) int { return strings.Compare(a.Dataset, b.Dataset) })
	return out, nil
}

// Charges calls fn for every charge of dataset, in the order they were
// charged (by Seq). It returns the first error of fn as is.
func Charges(tx Tx, dataset string, fn func(Charge) error) error {
	if err := checkDataset(dataset); err != nil {
		return fmt.Errorf("ledger charges %s: %w", dataset, err)
	}
	cs, err := charges(tx, dataset)
	if err != nil {
		return fmt.Errorf("ledger charges %s: %w", dataset, err)
	}
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// charges returns the charges of a valid dataset name by Seq.
func charges(tx Tx, dataset string) ([]Charge, error) {
	var out []Charge
	prefix := chargePrefix(dataset)
	err := tx.Scan(prefix, func(key, value []byte) error {
		if !bytes.HasPrefix(key, prefix) {
			return fmt.Errorf("scan of %q returned key %q", prefix, key)
		}
		c, err := decodeCharge(dataset, string(key[len(prefix):]), value)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Charge) int {
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), strings.Compare(a.Release, b.Release))
	})
	return out, nil
}

// Recompute is a compliance officer's consistency check of dataset: it
// replays the dataset's charges through accountant.Charge, in sequence
// order and each against the cap it was checked against, and compares the
// composition with the account's Spent, which it must equal bit for bit.
//
// It returns the recomputed total. A difference, a gap or repeat in the
// sequence, a charge that does not replay, or charges without an account is
// an error wrapping [ErrMismatch]; the total is then what the charges
// compose to, or zero if they do not replay. A damaged record is an error
// wrapping [ErrCorrupt].
func Recompute(tx Tx, dataset string) (accountant.Total, error) {
	if err := checkDataset(dataset); err != nil {
		return accountant.Total{}, fmt.Errorf("ledger recompute %s: %w", dataset, err)
	}
	total, err := recompute(tx, dataset)
	if err != nil {
		return total, fmt.Errorf("ledger recompute %s: %w", dataset, err)
	}
	return total, nil
}

func recompute(tx Tx, dataset string) (accountant.Total, error) {
	acct, err := get(tx, dataset)
	if err != nil {
		return accountant.Total{}, err
	}
	cs, err := charges(tx, dataset)
	if err != nil {
		return accountant.Total{}, err
	}
	total, err := replay(cs)
	if err != nil {
		return accountant.Total{}, err
	}
	switch {
	case !acct.HasCap && len(cs) > 0:
		return total, mismatchf("%d charges but no account", len(cs))
	case total != acct.Spent || int64(len(cs)) != acct.Releases:
		return total, mismatchf("%d charges compose to %v; the account records %d releases, %v",
			len(cs), total, acct.Releases, acct.Spent)
	}
	return total, nil
}

// replay composes charges sorted by Seq as ChargeRelease did.
func replay(cs []Charge) (accountant.Total, error) {
	var t accountant.Total
	for i, c := range cs {
		if want := int64(i) + 1; c.Seq != want {
			return accountant.Total{}, mismatchf("charge %s has sequence number %d, want %d: a charge is missing or repeated", c.Release, c.Seq, want)
		}
		next, _, err := accountant.Charge(t, c.Cost, c.Cap)
		if err != nil {
			return accountant.Total{}, mismatchf("charge %s (seq %d) does not replay: %v", c.Release, c.Seq, err)
		}
		t = next
	}
	return t, nil
}
