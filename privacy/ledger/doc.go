// Package ledger is the durable privacy budget filter of a fednode node. For
// each dataset it keeps the (ε, δ) cap that a compliance officer set and the
// composition of every differentially private release charged against it,
// and it refuses a charge that would take the composition over the cap. It
// is a privacy filter in the sense of Rogers, Roth, Ullman and Vadhan,
// "Privacy Odometers and Filters: Pay-as-you-Go Composition" (NeurIPS 2016,
// arXiv:1605.08294): costs may be chosen adaptively, and the whole
// interaction stays within the cap because the filter stops it first.
//
// The arithmetic (composition, the CKS20 conversion to (ε, δ), outward
// rounding and privacy-on-beam's 1e-9 rounding forgiveness) is that of
// package accountant; this package decides nothing on its own and stores the
// results.
//
// # Charge durably before release
//
// A release may be produced only after its charge is durable. [ChargeRelease]
// writes into a transaction that the caller commits and syncs, so the
// contract with node/store is: call ChargeRelease inside Store.Update, and
// produce the release only after Update returned nil.
//
//	err := st.Update(func(tx *store.Txn) error {
//		_, _, err := ledger.ChargeRelease(tx.In(store.SpaceLedger), charge)
//		return err
//	})
//	if err != nil {
//		return err // not charged: do not release
//	}
//	// Committed and synced: the release may be produced.
//
// Store.Update commits and fsyncs before it returns, so a crash after the
// charge and before the release loses budget, never privacy. A retry of the
// same release uses the same release id: the ledger recognises it and
// charges it once.
//
// # What this package must never do
//
//   - Let through a charge that the filter refuses. [ChargeRelease] composes
//     with accountant.Charge and writes nothing when it refuses; the caller
//     sees an [*ExceededError] or another error and must not release.
//   - Lose a charge that returned nil. The charge record and the updated
//     account are written in the caller's transaction, together, and a
//     returned nil means both were written to it.
//   - Read a damaged record as less spending. Records carry a CRC-32C
//     checksum and are decoded strictly; damage is an error wrapping
//     [ErrCorrupt], never zero spending and never a panic.
//   - Import badger, networking or models. The package uses the standard
//     library and other privacy/ packages only, and reaches the store
//     through the small [Tx] interface that node/store satisfies.
//
// # Records
//
// In the ledger's key space (node/store's SpaceLedger), with dataset names
// as node/store.ValidName allows and release ids of 1 to 128 characters of
// A-Z a-z 0-9 . _ : -:
//
//	a/<dataset>             the account: cap and composed spending
//	c/<dataset>/<release>   one charge
//
// Each value is a JSON envelope: a version, the record, and the CRC-32C
// (Castagnoli) of the record's exact bytes as eight lower-case hex digits.
//
//	{"v":1,"account":{"dataset":"churn","cap":{"epsilon":1,"delta":0.00001},
//	 "cap_set_at":"2025-03-01T09:00:00Z","spent":{"rho":0.05,"folded_rho":0,
//	 "pure_epsilon":0,"pure_as_rho":0,"approx_epsilon":0,"approx_delta":0,
//	 "releases":1},"releases":1},"crc32c":"…"}
//
//	{"v":1,"charge":{"seq":1,"release":"job-7:round-3","dataset":"churn",
//	 "job":"job-7","mechanism":"discrete-gaussian","cost":{"rho":0.05,
//	 "epsilon":0,"delta":0},"cap":{"epsilon":1,"delta":0.00001},
//	 "time":"2025-03-01T09:05:00Z"},"crc32c":"…"}
//
// "spent" and "cost" are the JSON forms of accountant.Total and
// accountant.Cost. A decoder accepts exactly these fields, each present once
// with the right JSON type, and validates the values.
//
// # Replay
//
// A charge records its sequence number and the cap it was checked against,
// so replaying a dataset's charges through accountant.Charge in sequence
// order reproduces the account's spending bit for bit; [Recompute] does so
// and reports any difference. (Replaying through accountant.Compose instead
// gives the same total only without pure charges: the filter places each
// pure charge where it costs least at the cap's δ, Compose never folds.)
//
// # Concurrency
//
// The package keeps no state. [ChargeRelease] and [SetCap] read the account
// and then write it, so writes to one dataset must run in serialisable
// transactions; Store.Update runs one at a time.
package ledger
