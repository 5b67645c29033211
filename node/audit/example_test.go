package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/fednode/fednode/node/audit"
	"github.com/fednode/fednode/node/store"
)

// A node records a charge and the release it paid for, each in the
// transaction that makes it durable, and a compliance officer verifies the
// log with the node's public key.
func Example() {
	dir, err := os.MkdirTemp("", "audit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(store.Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	// On a node: keys.Master.Identity().
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, ed25519.SeedSize))

	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	for _, r := range []audit.Record{
		{Time: at, Kind: audit.KindCharge, Job: "churn-q1", Dataset: "customers",
			Mechanism: "discrete-gaussian", Params: map[string]string{"sigma": "12.5"}, Rho: 0.0125},
		{Time: at.Add(time.Second), Kind: audit.KindRelease, Job: "churn-q1", Dataset: "customers",
			Digest: "22179d6f789e38c22d2d190d5f7d7c94b0c773f5a13f79ade719a52a73e7679a"},
	} {
		err := s.Update(func(tx *store.Txn) error {
			_, err := audit.Append(tx.In(store.SpaceAudit), key, r)
			return err
		})
		if err != nil {
			log.Fatal(err)
		}
	}

	err = s.View(func(tx *store.Txn) error {
		sum, err := audit.Verify(tx.In(store.SpaceAudit), key.Public().(ed25519.PublicKey))
		if err != nil {
			return err
		}
		fmt.Printf("%d records, %d charge, %d release, last at %s\n",
			sum.Records, sum.Kinds[audit.KindCharge], sum.Kinds[audit.KindRelease], sum.Last.Format(time.RFC3339))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2 records, 1 charge, 1 release, last at 2026-03-01T09:30:01Z
}
