package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "print golden values and rewrite testdata instead of checking them")

// memTx is an in-memory Tx: a map scanned in sorted key order. After each
// Scan callback it overwrites the key and value it passed, so that code
// keeping them past the call fails the tests.
type memTx struct {
	m map[string][]byte
}

var _ Tx = (*memTx)(nil)

func newMemTx() *memTx { return &memTx{m: map[string][]byte{}} }

func (t *memTx) Get(key []byte) ([]byte, bool, error) {
	v, ok := t.m[string(key)]
	return bytes.Clone(v), ok, nil
}

func (t *memTx) Set(key, value []byte) error {
	t.m[string(key)] = bytes.Clone(value)
	return nil
}

func (t *memTx) Scan(prefix []byte, fn func(key, value []byte) error) error {
	for _, k := range slices.Sorted(maps.Keys(t.m)) {
		if !strings.HasPrefix(k, string(prefix)) {
			continue
		}
		kb, vb := []byte(k), bytes.Clone(t.m[k])
		err := fn(kb, vb)
		scribble(kb)
		scribble(vb)
		if err != nil {
			return err
		}
	}
	return nil
}

func scribble(b []byte) {
	for i := range b {
		b[i] = 0xAA
	}
}

func (t *memTx) delete(key []byte) { delete(t.m, string(key)) }

// clone returns a deep copy of t.
func (t *memTx) clone() *memTx {
	c := newMemTx()
	for k, v := range t.m {
		c.m[k] = bytes.Clone(v)
	}
	return c
}

// testKey returns the fixed test identity (seed 0x42...) or, with a different
// byte, another node's.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// baseTime is the time of test record 1; record i is i minutes later.
var baseTime = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

// testRecord returns the i-th record of a test log, cycling through
// budget.set, charge, release and ingest records with all fields in use.
func testRecord(i int) Record {
	r := Record{Time: baseTime.Add(time.Duration(i) * time.Minute), Dataset: "customers"}
	job := fmt.Sprintf("churn-%d", i/4)
	switch i % 4 {
	case 0:
		r.Kind, r.Epsilon, r.Delta = KindBudgetSet, 4, 1e-6
	case 1:
		r.Kind, r.Job, r.Mechanism = KindCharge, job, "discrete-gaussian"
		r.Params = map[string]string{"sigma": "12.5", "sensitivity": "1", "scale": "2^16"}
		r.Rho, r.Epsilon, r.Delta = 0.0125, float64(600+i)/1000, 1e-7
	case 2:
		r.Kind, r.Job, r.Release, r.Mechanism = KindRelease, job, job+"/round-1", "discrete-gaussian"
		r.Params = map[string]string{"sigma": "12.5"}
		d := sha256.Sum256([]byte{byte(i)})
		r.Digest = hex.EncodeToString(d[:])
		r.Peers = []string{"12D3KooWBankA", "12D3KooWRetailB", "12D3KooWBankC"}
	default:
		r.Kind, r.Dataset = "ingest", "transactions"
	}
	return r
}

// kindsOf returns the kinds of test records 0..n-1.
func kindsOf(n int) map[Kind]int {
	m := map[Kind]int{}
	for i := range n {
		m[testRecord(i).Kind]++
	}
	return m
}

// newLog returns a log of n test records signed with key, and its entries.
func newLog(t testing.TB, n int, key ed25519.PrivateKey) (*memTx, []*Entry) {
	t.Helper()
	tx := newMemTx()
	var entries []*Entry
	for i := range n {
		e, err := Append(tx, key, testRecord(i))
		if err != nil {
			t.Fatalf("append record %d: %v", i+1, err)
		}
		entries = append(entries, e)
	}
	return tx, entries
}

// wantVerifyError fails t unless err is a *VerifyError wrapping ErrTampered
// for record seq (0: the head or a foreign key).
func wantVerifyError(t testing.TB, err error, seq uint64) {
	t.Helper()
	if err == nil {
		t.Fatalf("verified; want tampering at record %d", seq)
	}
	ve, ok := errors.AsType[*VerifyError](err)
	if !ok {
		t.Fatalf("error %v (%T), want a *VerifyError", err, err)
	}
	if !errors.Is(err, ErrTampered) {
		t.Fatalf("error %v does not wrap ErrTampered", err)
	}
	if ve.Seq != seq {
		t.Fatalf("error %q names record %d, want %d", err, ve.Seq, seq)
	}
}
