package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Space is a key space of the store owned by one component. Components see
// only their own space, through a SpaceTxn.
type Space byte

// The key spaces. The dataset spaces ('M', 'V', 'S', 'T', 'R') belong to this
// package and are not reachable through a SpaceTxn.
const (
	SpaceLedger Space = 'L' // privacy budget ledger
	SpaceAudit  Space = 'A' // audit log
	SpaceShares Space = 'K' // decryption shares produced: one per ciphertext, ever
	SpaceJobs   Space = 'J' // federated jobs and rounds this node took part in
)

func (s Space) valid() bool {
	return s == SpaceLedger || s == SpaceAudit || s == SpaceShares || s == SpaceJobs
}

// Txn is a transaction over the component key spaces.
type Txn struct {
	t        *badger.Txn
	writable bool
}

// In returns the view of the transaction restricted to one space.
func (t *Txn) In(space Space) *SpaceTxn {
	if !space.valid() {
		panic(fmt.Sprintf("store: key space %q is not a component space", byte(space))) // programmer error
	}
	return &SpaceTxn{t: t, space: space}
}

// View runs fn in a read-only transaction over a consistent snapshot.
func (s *Store) View(fn func(*Txn) error) error {
	return s.db.View(func(bt *badger.Txn) error { return fn(&Txn{t: bt}) })
}

// Update runs fn in a read-write transaction, commits it and syncs it to
// stable storage before returning: when Update returns nil, what fn wrote
// survives a crash of the process or the machine. Updates are serialised.
func (s *Store) Update(fn func(*Txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Update(func(bt *badger.Txn) error { return fn(&Txn{t: bt, writable: true}) }); err != nil {
		return err
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("store sync: %w", err)
	}
	return nil
}

// SpaceTxn is a transaction restricted to one key space. Keys passed to it
// and returned by it do not include the space byte.
type SpaceTxn struct {
	t     *Txn
	space Space
}

func (s *SpaceTxn) key(k []byte) []byte {
	out := make([]byte, 0, 1+len(k))
	return append(append(out, byte(s.space)), k...)
}

// Get returns the value of key and whether it exists.
func (s *SpaceTxn) Get(key []byte) ([]byte, bool, error) {
	item, err := s.t.t.Get(s.key(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err := item.ValueCopy(nil)
	return v, err == nil, err
}

// Set writes key. It fails in a read-only transaction.
func (s *SpaceTxn) Set(key, value []byte) error {
	if !s.t.writable {
		return errors.New("store: write in a read-only transaction")
	}
	return s.t.t.Set(s.key(key), value)
}

// Delete removes key. It fails in a read-only transaction.
func (s *SpaceTxn) Delete(key []byte) error {
	if !s.t.writable {
		return errors.New("store: write in a read-only transaction")
	}
	return s.t.t.Delete(s.key(key))
}

// Scan calls fn for every key with the prefix, in key order. key and value
// are valid only during the call.
func (s *SpaceTxn) Scan(prefix []byte, fn func(key, value []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = s.key(prefix)
	it := s.t.t.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		err := item.Value(func(v []byte) error { return fn(item.Key()[1:], v) })
		if err != nil {
			return err
		}
	}
	return nil
}
