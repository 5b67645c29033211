package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goldenRecords are the records of the golden log, one of each kind the
// node writes and one it may write later. They are literals, independent of
// the other tests' records: changing them moves the goldens.
func goldenRecords() []Record {
	at := func(min int) time.Time { return time.Date(2026, 3, 1, 9, min, 0, 123456789, time.UTC) }
	digest := sha256.Sum256([]byte("noised aggregate"))
	return []Record{
		{Time: at(0), Kind: KindBudgetSet, Dataset: "customers", Epsilon: 4, Delta: 1e-6},
		{Time: at(1), Kind: "job.accept", Job: "churn-q1", Dataset: "customers", Peers: []string{"12D3KooWBankA", "12D3KooWRetailB"}},
		{Time: at(2), Kind: KindCharge, Job: "churn-q1", Release: "churn-q1/round-3", Dataset: "customers",
			Mechanism: "discrete-gaussian", Params: map[string]string{"sigma": "12.5", "sensitivity": "1", "scale": "65536"},
			Rho: 0.0125, Epsilon: 0.61, Delta: 1e-6},
		{Time: at(3), Kind: KindRelease, Job: "churn-q1", Release: "churn-q1/round-3", Dataset: "customers",
			Mechanism: "discrete-gaussian", Params: map[string]string{"sigma": "12.5", "sensitivity": "1", "scale": "65536"},
			Digest: hex.EncodeToString(digest[:]), Peers: []string{"12D3KooWBankA", "12D3KooWRetailB"}},
	}
}

// TestGoldenRecord pins the canonical bytes, hash, stored entry and stored
// head of one record: a change here means logs written before it no longer
// verify. The hash and both signatures were cross-checked against an
// independent computation (Python hashlib SHA-256 and pyca/cryptography
// Ed25519, seed 0x42 x 32, over the domains of the package comment).
func TestGoldenRecord(t *testing.T) {
	const (
		wantRaw   = `{"seq":1,"time":"2026-03-01T09:03:00.123456789Z","kind":"release","job":"churn-q1","release":"churn-q1/round-3","dataset":"customers","mechanism":"discrete-gaussian","params":{"scale":"65536","sensitivity":"1","sigma":"12.5"},"digest":"22179d6f789e38c22d2d190d5f7d7c94b0c773f5a13f79ade719a52a73e7679a","peers":["12D3KooWBankA","12D3KooWRetailB"],"prev":"0000000000000000000000000000000000000000000000000000000000000000"}`
		wantHash  = "02d23ed21059ef7d80c3527ab03c7ab0d335cb6fedb9ed90f8d800dc8839b74e"
		wantEntry = "01a403" + // version 1, uvarint 420
			"7b22736571223a312c2274696d65223a22323032362d30332d30315430393a30333a30302e3132333435363738395a222c226b696e64223a2272656c65617365222c226a6f62223a22636875726e2d7131222c2272656c65617365223a22636875726e2d71312f726f756e642d33222c2264617461736574223a22637573746f6d657273222c226d656368616e69736d223a2264697363726574652d676175737369616e222c22706172616d73223a7b227363616c65223a223635353336222c2273656e7369746976697479223a2231222c227369676d61223a2231322e35227d2c22646967657374223a2232323137396436663738396533386332326432643139306435663764376339346230633737336635613133663739616465373139613532613733653736373961222c227065657273223a5b22313244334b6f6f5742616e6b41222c22313244334b6f6f5752657461696c42225d2c2270726576223a2230303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030227d" + // raw
			"b6e7b9bb8a426adfb0f4c14b526042d2878453fcef5208ee92b5fdb747d49e31aca528f56b35c68dce881a7a3d46f45fcf9e86f15d759bebc365c05944383b02" // sig
		wantHead = "01" + "0000000000000001" + // version 1, seq 1
			"02d23ed21059ef7d80c3527ab03c7ab0d335cb6fedb9ed90f8d800dc8839b74e" + // hash
			"e4378545c4fc07e01dc1c441ba4ef2f14b74279f747ad3636ef6118bf539129693c12c01cc7bc69d79c8d6e695252ce959454b71a20e6e5dd4aa0d3e39099d0c" // sig
	)
	tx := newMemTx()
	e, err := Append(tx, testKey(0x42), goldenRecords()[3])
	if err != nil {
		t.Fatal(err)
	}
	got := []struct{ name, got, want string }{
		{"raw", string(e.Raw), wantRaw},
		{"hash", hexHash(e.Hash), wantHash},
		{"entry", hex.EncodeToString(tx.m[string(entryKey(1))]), wantEntry},
		{"head", hex.EncodeToString(tx.m[headKey]), wantHead},
	}
	for _, g := range got {
		if *update {
			t.Logf("%s = %s", g.name, g.got)
			continue
		}
		if g.got != g.want {
			t.Errorf("%s:\n got %s\nwant %s", g.name, g.got, g.want)
		}
	}
}

const goldenExport = "testdata/export-v1.json"

// TestGoldenExport checks that the committed export, written by an earlier
// version, still reads and verifies, and that the writer still produces it
// byte for byte (-update rewrites it).
func TestGoldenExport(t *testing.T) {
	key := testKey(0x42)
	tx := newMemTx()
	for i, r := range goldenRecords() {
		if _, err := Append(tx, key, r); err != nil {
			t.Fatalf("append golden record %d: %v", i+1, err)
		}
	}
	text := exportOf(t, tx)
	path := filepath.FromSlash(goldenExport)
	if *update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := readVerify(string(old), pubOf(key))
	if err != nil {
		t.Fatalf("%s does not verify: %v", goldenExport, err)
	}
	if sum.Records != uint64(len(goldenRecords())) {
		t.Errorf("%s has %d records, want %d", goldenExport, sum.Records, len(goldenRecords()))
	}
	if !bytes.Equal(old, []byte(text)) {
		t.Errorf("export format moved: %s differs from what WriteExportJSON writes now:\n%s", goldenExport, firstDiff(string(old), text))
	}
}

// firstDiff returns the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d was %s\n       now %s", i+1, al[i], bl[i])
		}
	}
	return "lengths differ"
}
