package ledger

import (
	"fmt"
	"testing"

	"github.com/fednode/fednode/privacy/accountant"
)

// BenchmarkChargeRelease measures one charge on the in-memory Tx: read the
// account, look for a retry, decide with the accountant, encode and write
// two records. The cap is large enough never to refuse.
func BenchmarkChargeRelease(b *testing.B) {
	for _, bc := range []struct {
		name string
		cost accountant.Cost
	}{
		{"zcdp", accountant.ZCDP(1e-9)},
		{"pure", accountant.Pure(1e-9)},
		{"approx", accountant.Approx(1e-9, 1e-20)},
	} {
		b.Run("cost="+bc.name, func(b *testing.B) {
			m := newMemStore()
			setCap(b, m, "churn", accountant.Budget{Epsilon: 1e3, Delta: 1e-6})
			// A realistic prior total, mixing the three kinds.
			for i, c := range mixedCosts(20) {
				mustCharge(b, m, newCharge("churn", fmt.Sprint("prior-", i), c))
			}
			n := 0
			for b.Loop() {
				c := newCharge("churn", fmt.Sprint("r-", n), bc.cost)
				if err := m.update(func(tx *memTx) error {
					_, _, err := ChargeRelease(tx, c)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/charge")
		})
	}
}
