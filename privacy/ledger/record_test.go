package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fednode/fednode/privacy/accountant"
)

var update = flag.Bool("update", false, "rewrite the golden records in testdata/golden")

// goldenAccount and goldenCharge are the values of the golden records.
var (
	goldenAccount = Account{
		Dataset:  "churn",
		Cap:      accountant.Budget{Epsilon: 1, Delta: 1e-5},
		HasCap:   true,
		CapSetAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		Spent: accountant.Total{
			Rho: 0.05, FoldedRho: 5e-5, PureEpsilon: 0.01, PureAsRho: 5e-5,
			ApproxEpsilon: 0.1, ApproxDelta: 1e-7, Releases: 4,
		},
		Releases: 4,
	}
	goldenCharge = Charge{
		Release:   "job-7:round-3",
		Dataset:   "churn",
		Job:       "job-7",
		Mechanism: "discrete-gaussian",
		Cost:      accountant.ZCDP(0.05),
		Time:      time.Date(2025, 3, 1, 9, 5, 0, 123456789, time.UTC),
		Seq:       4,
		Cap:       accountant.Budget{Epsilon: 1, Delta: 1e-5},
	}
)

// TestGolden pins the version 1 record format: records written today must
// be the bytes in testdata/golden, and those bytes must decode to the same
// values, so the ledger of a node keeps reading after an upgrade. Run with
// -update only for a deliberate format change (with a new version).
func TestGolden(t *testing.T) {
	tests := []struct {
		file   string
		encode func() ([]byte, error)
		decode func([]byte) (any, error)
		want   any
	}{
		{"account-v1.json",
			func() ([]byte, error) { return encodeAccount(goldenAccount) },
			func(b []byte) (any, error) { return decodeAccount("churn", b) },
			goldenAccount},
		{"charge-v1.json",
			func() ([]byte, error) { return encodeCharge(goldenCharge) },
			func(b []byte) (any, error) { return decodeCharge("churn", "job-7:round-3", b) },
			goldenCharge},
	}
	for _, tt := range tests {
		t.Run("file="+tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", tt.file)
			got, err := tt.encode()
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			file, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			file = bytes.TrimSuffix(file, []byte("\n"))
			if !bytes.Equal(got, file) {
				t.Errorf("encoding changed:\n got %s\nwant %s", got, file)
			}
			v, err := tt.decode(file)
			if err != nil || v != tt.want {
				t.Errorf("decode = %+v, %v; want %+v", v, err, tt.want)
			}
		})
	}
}

// ledgerWithCharges returns a store with a cap and two charges.
func ledgerWithCharges(t *testing.T) *memStore {
	t.Helper()
	m := newMemStore()
	setCap(t, m, "churn", accountant.Budget{Epsilon: 1, Delta: 1e-6})
	mustCharge(t, m, newCharge("churn", "r-1", accountant.Cost{Rho: 0.01, Epsilon: 0.02, Delta: 1e-8}))
	mustCharge(t, m, newCharge("churn", "r-2", accountant.Pure(0.05)))
	return m
}

// damage returns every single-byte change of rec by the masks below, and
// every truncation.
func damage(rec []byte) map[string][]byte {
	out := map[string][]byte{}
	for i := range rec {
		for _, mask := range []byte{0x01, 0x02, 0x10, 0x20, 0x80, 0xff} {
			bad := bytes.Clone(rec)
			bad[i] ^= mask
			out[fmt.Sprintf("byte %d ^ %#02x", i, mask)] = bad
		}
	}
	for n := range len(rec) {
		out[fmt.Sprintf("truncated to %d", n)] = bytes.Clone(rec[:n])
	}
	out["trailing data"] = append(bytes.Clone(rec), '{')
	return out
}

// wantCorrupt fails t unless err wraps ErrCorrupt and not ErrInvalid.
func wantCorrupt(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrInvalid) {
		t.Errorf("%s: %v, want an error wrapping ErrCorrupt", what, err)
	}
}

// TestCorruptAccount damages the account record in every way damage
// produces: every read and write path reports ErrCorrupt and writes
// nothing; in particular neither a charge nor SetCap goes ahead on a
// damaged account as if nothing had been spent.
func TestCorruptAccount(t *testing.T) {
	m := ledgerWithCharges(t)
	good := bytes.Clone(m.data["a/churn"])
	for desc, bad := range damage(good) {
		m.data["a/churn"] = bad
		tx := m.begin()
		_, err := Get(tx, "churn")
		wantCorrupt(t, desc+": Get", err)
		_, _, err = ChargeRelease(tx, newCharge("churn", "r-3", accountant.ZCDP(1e-6)))
		wantCorrupt(t, desc+": ChargeRelease", err)
		_, err = SetCap(tx, "churn", accountant.Budget{Epsilon: 2, Delta: 1e-6}, t0)
		wantCorrupt(t, desc+": SetCap", err)
		_, err = List(tx)
		wantCorrupt(t, desc+": List", err)
		_, err = Recompute(tx, "churn")
		wantCorrupt(t, desc+": Recompute", err)
		if tx.sets != 0 {
			t.Errorf("%s: %d writes", desc, tx.sets)
		}
		if t.Failed() {
			t.Fatalf("stopping at %s", desc)
		}
	}
}

// TestCorruptCharge damages a charge record: a retry of that release, the
// listing of charges and Recompute report ErrCorrupt.
func TestCorruptCharge(t *testing.T) {
	m := ledgerWithCharges(t)
	good := bytes.Clone(m.data["c/churn/r-1"])
	for desc, bad := range damage(good) {
		m.data["c/churn/r-1"] = bad
		tx := m.begin()
		_, _, err := ChargeRelease(tx, newCharge("churn", "r-1", accountant.Cost{Rho: 0.01, Epsilon: 0.02, Delta: 1e-8}))
		wantCorrupt(t, desc+": ChargeRelease retry", err)
		wantCorrupt(t, desc+": Charges", Charges(tx, "churn", func(Charge) error { return nil }))
		_, err = Recompute(tx, "churn")
		wantCorrupt(t, desc+": Recompute", err)
		if tx.sets != 0 {
			t.Errorf("%s: %d writes", desc, tx.sets)
		}
		if t.Failed() {
			t.Fatalf("stopping at %s", desc)
		}
	}
}

// editBody decodes the body of a sealed record into a generic value, lets
// edit change it, and seals it again with a correct checksum: damage that
// only the strict decoder can catch.
func editBody(t *testing.T, rec []byte, kind string, edit func(body map[string]any)) []byte {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec, &env); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(env[kind]))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	edit(body)
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return seal(kind, b)
}

func obj(v any) map[string]any { return v.(map[string]any) }

func TestStrictAccountDecoder(t *testing.T) {
	good := mustEncodeAccount(t, goldenAccount)
	body := func(edit func(map[string]any)) []byte { return editBody(t, good, "account", edit) }
	// The same checksum in upper case: the same number in other bytes.
	sum := []byte(checksum(mustBody(t, good, "account")))
	if bytes.Equal(sum, bytes.ToUpper(sum)) {
		t.Fatalf("checksum %s has no letter; pick another golden value", sum)
	}
	tests := []struct {
		name string
		rec  []byte
	}{
		{"unknown field", body(func(b map[string]any) { b["note"] = "x" })},
		{"missing field", body(func(b map[string]any) { delete(b, "releases") })},
		{"missing nested field", body(func(b map[string]any) { delete(obj(b["spent"]), "approx_delta") })},
		{"unknown nested field", body(func(b map[string]any) { obj(b["cap"])["rho"] = 0 })},
		{"field in other case", body(func(b map[string]any) { b["Dataset"] = b["dataset"]; delete(b, "dataset") })},
		{"null cap", body(func(b map[string]any) { b["cap"] = nil })},
		{"null number", body(func(b map[string]any) { obj(b["spent"])["rho"] = nil })},
		{"number as string", body(func(b map[string]any) { obj(b["spent"])["rho"] = "0.05" })},
		{"negative spending", body(func(b map[string]any) { obj(b["spent"])["rho"] = -0.05 })},
		{"spending out of range", body(func(b map[string]any) { obj(b["spent"])["rho"] = json.Number("1e400") })},
		{"releases fractional", body(func(b map[string]any) { b["releases"] = 4.5 })},
		{"releases disagree", body(func(b map[string]any) { b["releases"] = 3 })},
		{"dataset of another key", body(func(b map[string]any) { b["dataset"] = "sales" })},
		{"cap epsilon zero", body(func(b map[string]any) { obj(b["cap"])["epsilon"] = 0 })},
		{"cap delta one", body(func(b map[string]any) { obj(b["cap"])["delta"] = 1 })},
		{"cap time zero", body(func(b map[string]any) { b["cap_set_at"] = "0001-01-01T00:00:00Z" })},
		{"cap time malformed", body(func(b map[string]any) { b["cap_set_at"] = "yesterday" })},
		{"body an array", seal("account", []byte(`[1,2]`))},
		{"field twice", seal("account", bytes.Replace(mustBody(t, good, "account"), []byte(`"releases":4}`), []byte(`"releases":4,"releases":4}`), 1))},
		{"nested field twice", seal("account", bytes.Replace(mustBody(t, good, "account"), []byte(`"rho":0.05,`), []byte(`"rho":0.05,"rho":0,`), 1))},
		{"envelope field twice", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":1,"v":1,`), 1)},
		{"version 2", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":2,`), 1)},
		{"version a string", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":"1",`), 1)},
		{"version null", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":null,`), 1)},
		{"extra envelope field", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":1,"x":0,`), 1)},
		{"charge envelope", bytes.Replace(good, []byte(`"account":`), []byte(`"charge":`), 1)},
		{"checksum upper case", bytes.Replace(good, sum, bytes.ToUpper(sum), 1)},
		{"checksum of another record", bytes.Replace(good, sum, []byte("00000000"), 1)},
		{"empty", nil},
		{"null", []byte("null")},
		{"empty object", []byte("{}")},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			a, err := decodeAccount("churn", tt.rec)
			wantCorrupt(t, "decodeAccount", err)
			if a != (Account{}) {
				t.Errorf("decodeAccount returned %+v with the error", a)
			}
		})
	}
}

func mustBody(t *testing.T, rec []byte, kind string) []byte {
	t.Helper()
	body, err := unseal(kind, rec)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestStrictChargeDecoder(t *testing.T) {
	good := mustEncodeCharge(t, goldenCharge)
	body := func(edit func(map[string]any)) []byte { return editBody(t, good, "charge", edit) }
	tests := []struct {
		name string
		rec  []byte
	}{
		{"unknown field", body(func(b map[string]any) { b["peers"] = []any{} })},
		{"missing cost", body(func(b map[string]any) { delete(b, "cost") })},
		{"missing cost delta", body(func(b map[string]any) { delete(obj(b["cost"]), "delta") })},
		{"seq zero", body(func(b map[string]any) { b["seq"] = 0 })},
		{"seq negative", body(func(b map[string]any) { b["seq"] = -1 })},
		{"release of another key", body(func(b map[string]any) { b["release"] = "job-7:round-4" })},
		{"dataset of another key", body(func(b map[string]any) { b["dataset"] = "sales" })},
		{"job empty", body(func(b map[string]any) { b["job"] = "" })},
		{"mechanism control character", body(func(b map[string]any) { b["mechanism"] = "a\tb" })},
		{"cost negative", body(func(b map[string]any) { obj(b["cost"])["epsilon"] = -1 })},
		{"cost delta above one", body(func(b map[string]any) { obj(b["cost"])["delta"] = 2 })},
		{"cap delta one", body(func(b map[string]any) { obj(b["cap"])["delta"] = 1 })},
		{"time zero", body(func(b map[string]any) { b["time"] = "0001-01-01T00:00:00Z" })},
		{"time a number", body(func(b map[string]any) { b["time"] = 0 })},
		{"account envelope", bytes.Replace(good, []byte(`"charge":`), []byte(`"account":`), 1)},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			c, err := decodeCharge("churn", "job-7:round-3", tt.rec)
			wantCorrupt(t, "decodeCharge", err)
			if c != (Charge{}) {
				t.Errorf("decodeCharge returned %+v with the error", c)
			}
		})
	}
	// The same record read under another key is damage too.
	if _, err := decodeCharge("churn", "other", good); !errors.Is(err, ErrCorrupt) {
		t.Errorf("charge under another release id: %v", err)
	}
}

// TestDecodeAcceptsOtherOffsets: a time written with a zone offset is the
// same instant, read in UTC.
func TestDecodeAcceptsOtherOffsets(t *testing.T) {
	good := mustEncodeCharge(t, goldenCharge)
	rec := editBody(t, good, "charge", func(b map[string]any) { b["time"] = "2025-03-01T11:05:00.123456789+02:00" })
	c, err := decodeCharge("churn", "job-7:round-3", rec)
	if err != nil || c != goldenCharge {
		t.Errorf("decodeCharge = %+v, %v; want %+v", c, err, goldenCharge)
	}
}
