package ledger_test

import (
	"fmt"
	"os"
	"time"

	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/ledger"
)

// A job charges each release inside Store.Update and produces the release
// only once Update returned nil: the charge is then committed and synced.
func ExampleChargeRelease() {
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(store.Options{Dir: dir, EncryptionKey: make([]byte, 32)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

	// The compliance officer sets the cap.
	err = st.Update(func(tx *store.Txn) error {
		_, err := ledger.SetCap(tx.In(store.SpaceLedger), "churn", accountant.Budget{Epsilon: 1, Delta: 1e-6}, at)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	release := func(id string, cost accountant.Cost) {
		c := ledger.Charge{Release: id, Dataset: "churn", Job: "job-7", Mechanism: "discrete-gaussian", Cost: cost, Time: at}
		var acct ledger.Account
		var dup bool
		err := st.Update(func(tx *store.Txn) error {
			var err error
			acct, dup, err = ledger.ChargeRelease(tx.In(store.SpaceLedger), c)
			return err
		})
		if err != nil {
			fmt.Println("not released:", err)
			return
		}
		rem, _ := acct.Remaining()
		fmt.Printf("%s released (retry: %v); remaining ε=%.3f\n", id, dup, rem.Epsilon)
	}
	release("job-7:round-1", accountant.ZCDP(0.01))
	release("job-7:round-1", accountant.ZCDP(0.01)) // a retry is charged once
	release("job-7:round-2", accountant.ZCDP(0.005))
	release("job-7:round-3", accountant.ZCDP(0.02)) // over the cap: refused, nothing written
	// Output:
	// job-7:round-1 released (retry: false); remaining ε=0.378
	// job-7:round-1 released (retry: true); remaining ε=0.378
	// job-7:round-2 released (retry: false); remaining ε=0.228
	// not released: dataset churn: privacy budget exceeded: requested ρ=0.02 (ε≈0.443); remaining ε=0.228266 δ=1e-06 of cap ε=1 δ=1e-06
}
