package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"

	"github.com/fednode/fednode/node/store"
)

// The log runs on the real store's audit space.
var _ Tx = (*store.SpaceTxn)(nil)

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(store.Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{0x5a}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// appendStore appends r in its own read-write transaction.
func appendStore(t testing.TB, s *store.Store, key ed25519.PrivateKey, r Record) {
	t.Helper()
	err := s.Update(func(tx *store.Txn) error {
		_, err := Append(tx.In(store.SpaceAudit), key, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func verifyStore(s *store.Store, pub ed25519.PublicKey) (*Summary, error) {
	var sum *Summary
	err := s.View(func(tx *store.Txn) error {
		var err error
		sum, err = Verify(tx.In(store.SpaceAudit), pub)
		return err
	})
	return sum, err
}

// editStore runs fn on the audit space in a read-write transaction, as an
// attacker with the store key could.
func editStore(t testing.TB, s *store.Store, fn func(tx *store.SpaceTxn) error) {
	t.Helper()
	if err := s.Update(func(tx *store.Txn) error { return fn(tx.In(store.SpaceAudit)) }); err != nil {
		t.Fatal(err)
	}
}

func TestStoreAppendVerify(t *testing.T) {
	key := testKey(0x42)
	dir := t.TempDir()
	s := openStore(t, dir)
	for i := range 20 {
		appendStore(t, s, key, testRecord(i))
	}
	// Several appends in one transaction see each other's writes.
	err := s.Update(func(tx *store.Txn) error {
		for i := 20; i < 25; i++ {
			if _, err := Append(tx.In(store.SpaceAudit), key, testRecord(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := verifyStore(s, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 25 {
		t.Errorf("%d records, want 25", sum.Records)
	}
	if _, err := verifyStore(s, pubOf(testKey(0x43))); !errors.Is(err, ErrTampered) {
		t.Errorf("verified with another node's key: %v", err)
	}

	// Export from one snapshot and verify offline.
	var buf bytes.Buffer
	err = s.View(func(tx *store.Txn) error {
		st := tx.In(store.SpaceAudit)
		head, _, err := ReadHead(st)
		if err != nil {
			return err
		}
		var entries []*Entry
		if err := Entries(st, func(e *Entry) error { entries = append(entries, e); return nil }); err != nil {
			return err
		}
		return WriteExportJSON(&buf, "bank-a", "12D3KooWBankA", exportTime, head, entries)
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := readVerify(buf.String(), pubOf(key)); err != nil || sum.Records != 25 {
		t.Fatalf("export of the store: %v records, err %v", sum, err)
	}

	// The log survives closing and reopening the store.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	if sum, err := verifyStore(s, pubOf(key)); err != nil || sum.Records != 25 {
		t.Fatalf("after reopening: %v, %v", sum, err)
	}
	appendStore(t, s, key, testRecord(25))
	if sum, err := verifyStore(s, pubOf(key)); err != nil || sum.Records != 26 {
		t.Fatalf("after appending to the reopened log: %v, %v", sum, err)
	}
}

func TestStoreTamper(t *testing.T) {
	key := testKey(0x42)
	s := openStore(t, t.TempDir())
	for i := range 10 {
		appendStore(t, s, key, testRecord(i))
	}
	var saved7, savedHead []byte
	editStore(t, s, func(tx *store.SpaceTxn) error {
		var err error
		if saved7, _, err = tx.Get(entryKey(7)); err != nil {
			return err
		}
		savedHead, _, err = tx.Get([]byte(headKey))
		return err
	})
	restore := func() {
		editStore(t, s, func(tx *store.SpaceTxn) error {
			if err := tx.Delete([]byte("x")); err != nil {
				return err
			}
			if err := tx.Set(entryKey(7), saved7); err != nil {
				return err
			}
			return tx.Set([]byte(headKey), savedHead)
		})
		if _, err := verifyStore(s, pubOf(key)); err != nil {
			t.Fatalf("restored log does not verify: %v", err)
		}
	}
	for _, tc := range []struct {
		name          string
		edit          func(tx *store.SpaceTxn) error
		wantSeq       uint64
		appendRefused bool // Append checks the head and the last entry only
	}{
		{"damage=flip", func(tx *store.SpaceTxn) error {
			v := bytes.Clone(saved7)
			v[len(v)/2] ^= 0x10
			return tx.Set(entryKey(7), v)
		}, 7, false},
		{"damage=delete", func(tx *store.SpaceTxn) error { return tx.Delete(entryKey(7)) }, 7, false},
		{"damage=delete-head", func(tx *store.SpaceTxn) error { return tx.Delete([]byte(headKey)) }, 0, true},
		{"damage=head-of-record-7", func(tx *store.SpaceTxn) error {
			h, _, err := tx.Get([]byte(headKey))
			if err != nil {
				return err
			}
			h[8] = 7 // the last byte of seq
			return tx.Set([]byte(headKey), h)
		}, 0, true},
		{"damage=foreign-key", func(tx *store.SpaceTxn) error { return tx.Set([]byte("x"), []byte("y")) }, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			editStore(t, s, tc.edit)
			_, err := verifyStore(s, pubOf(key))
			wantVerifyError(t, err, tc.wantSeq)
			if tc.appendRefused {
				err = s.Update(func(tx *store.Txn) error {
					_, err := Append(tx.In(store.SpaceAudit), key, testRecord(10))
					return err
				})
				if !errors.Is(err, ErrTampered) {
					t.Errorf("append to the damaged log: %v, want ErrTampered", err)
				}
			}
			restore()
		})
	}
}

// TestStoreConcurrentAppends appends from several goroutines: the store
// serialises the updates and the log stays one chain.
func TestStoreConcurrentAppends(t *testing.T) {
	const workers, each = 4, 10
	key := testKey(0x42)
	s := openStore(t, t.TempDir())
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				errs <- s.Update(func(tx *store.Txn) error {
					_, err := Append(tx.In(store.SpaceAudit), key, testRecord(w*each+i))
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sum, err := verifyStore(s, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != workers*each {
		t.Errorf("%d records, want %d", sum.Records, workers*each)
	}
}
