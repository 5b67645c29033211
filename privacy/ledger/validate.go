package ledger

import (
	"fmt"
	"math"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fednode/fednode/privacy/accountant"
)

// Limits of the names the ledger stores.
const (
	maxDatasetLen = 64  // as node/store.ValidName
	maxReleaseLen = 128 // release ids
	maxLabelLen   = 256 // job and mechanism names
)

// checkDataset accepts what node/store.ValidName accepts: 1 to 64
// characters of a-z 0-9 . _ -, starting with a letter or digit. (privacy/
// must not import node/, so the rule is repeated here; a test keeps the two
// in step.) A name without '/' keeps the keys of two datasets apart.
func checkDataset(name string) error {
	ok := len(name) >= 1 && len(name) <= maxDatasetLen
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
	}
	if !ok {
		return invalidf("dataset name %q: use 1 to %d of a-z 0-9 . _ -, starting with a letter or digit", name, maxDatasetLen)
	}
	return nil
}

// checkRelease accepts 1 to 128 characters of A-Z a-z 0-9 . _ : -.
func checkRelease(id string) error {
	ok := len(id) >= 1 && len(id) <= maxReleaseLen
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-'
	}
	if !ok {
		return invalidf("release id %q: use 1 to %d of A-Z a-z 0-9 . _ : -", id, maxReleaseLen)
	}
	return nil
}

// checkLabel accepts a job or mechanism name: 1 to 256 bytes of UTF-8
// without control characters.
func checkLabel(what, s string) error {
	if len(s) == 0 || len(s) > maxLabelLen || !utf8.ValidString(s) {
		return invalidf("%s name: want 1 to %d bytes of UTF-8", what, maxLabelLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalidf("%s name %q contains a control character", what, s)
		}
	}
	return nil
}

// checkTime accepts a time that is set and that RFC 3339 can write: UTC
// years 1 to 9999.
func checkTime(what string, t time.Time) error {
	if t.IsZero() {
		return invalidf("%s is not set", what)
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return invalidf("%s %v is out of range", what, t)
	}
	return nil
}

// checkCap accepts a cap a compliance officer can set: ε finite and
// positive, 0 ≤ δ < 1.
func checkCap(b accountant.Budget) error {
	if err := b.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !(b.Epsilon > 0) || math.IsInf(b.Epsilon, 1) {
		return invalidf("cap epsilon = %v, want a finite positive number", b.Epsilon)
	}
	if !(b.Delta < 1) {
		return invalidf("cap delta = %v, want less than 1", b.Delta)
	}
	return nil
}

// checkCost accepts a cost accountant.Cost.Validate accepts.
func checkCost(c accountant.Cost) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// asCorrupt turns a validation error of a stored value into an error
// wrapping ErrCorrupt and not ErrInvalid: bad input when written is damage
// when read.
func asCorrupt(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}
