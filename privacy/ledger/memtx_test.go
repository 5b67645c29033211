package ledger

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

// memStore is an in-memory key-value store whose transactions are
// copy-on-write: a transaction's writes go to an overlay that update merges
// only if the function returned nil, like Store.Update.
type memStore struct {
	data map[string][]byte
}

func newMemStore() *memStore { return &memStore{data: map[string][]byte{}} }

// update runs fn in a new transaction and commits its writes if fn returned
// nil.
func (m *memStore) update(fn func(*memTx) error) error {
	tx := m.begin()
	if err := fn(tx); err != nil {
		return err
	}
	tx.commit()
	return nil
}

// begin starts a transaction; commit or drop it.
func (m *memStore) begin() *memTx {
	return &memTx{store: m, writes: map[string][]byte{}}
}

// snapshot returns a copy of the committed data.
func (m *memStore) snapshot() map[string][]byte { return cloneMap(m.data) }

// equal reports whether the committed data equals snap.
func (m *memStore) equal(snap map[string][]byte) bool {
	return maps.EqualFunc(m.data, snap, bytes.Equal)
}

func cloneMap(in map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(in))
	for k, v := range in {
		out[k] = bytes.Clone(v)
	}
	return out
}

// memTx is a transaction of a memStore. It implements Tx, counts the Sets
// it received, and can fail an operation on request.
type memTx struct {
	store  *memStore
	writes map[string][]byte
	sets   int
	// fail, if set, is asked before each operation ("get", "set",
	// "scan") on key; a non-nil result fails the operation.
	fail func(op, key string) error
}

var _ Tx = (*memTx)(nil)

func (tx *memTx) Get(key []byte) ([]byte, bool, error) {
	if err := tx.failed("get", key); err != nil {
		return nil, false, err
	}
	if v, ok := tx.writes[string(key)]; ok {
		return bytes.Clone(v), true, nil
	}
	v, ok := tx.store.data[string(key)]
	return bytes.Clone(v), ok, nil
}

func (tx *memTx) Set(key, value []byte) error {
	if err := tx.failed("set", key); err != nil {
		return err
	}
	tx.sets++
	tx.writes[string(key)] = bytes.Clone(value)
	return nil
}

// Scan calls fn in key order with copies that it then overwrites, so a
// caller that keeps them past the call sees garbage.
func (tx *memTx) Scan(prefix []byte, fn func(key, value []byte) error) error {
	if err := tx.failed("scan", prefix); err != nil {
		return err
	}
	merged := maps.Clone(tx.store.data)
	maps.Copy(merged, tx.writes)
	for _, k := range slices.Sorted(maps.Keys(merged)) {
		if !strings.HasPrefix(k, string(prefix)) {
			continue
		}
		key, value := []byte(k), bytes.Clone(merged[k])
		err := fn(key, value)
		clear(key)
		clear(value)
		if err != nil {
			return err
		}
	}
	return nil
}

func (tx *memTx) failed(op string, key []byte) error {
	if tx.fail == nil {
		return nil
	}
	return tx.fail(op, string(key))
}

// commit merges the transaction's writes into the store.
func (tx *memTx) commit() { maps.Copy(tx.store.data, tx.writes) }

// put writes a raw value into the store, bypassing the ledger.
func (m *memStore) put(t testing.TB, key string, value []byte) {
	t.Helper()
	m.data[key] = bytes.Clone(value)
}
