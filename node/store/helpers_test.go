package store

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
)

type badgerTxn = badger.Txn

func newKeyIterator(txn *badger.Txn, prefix []byte) *badger.Iterator {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	return txn.NewIterator(opts)
}

func openBadgerPlain(dir string) (*badger.DB, error) {
	return badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
}

func writePlain(t testing.TB, db *badger.DB, marker string) {
	t.Helper()
	wb := db.NewWriteBatch()
	for i := range 1000 {
		if err := wb.Set([]byte{byte(i), byte(i >> 8)}, []byte(marker)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
}
