package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fednode/fednode/node/ingest"
	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/schema"
)

var testKey = bytes.Repeat([]byte{0x5a}, 32)

func openTest(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, EncryptionKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const customersSchema = `
kind = "customers"
duplicates = "%s"
[columns]
id      = "id"
surname = "drop"
age     = { role = "numeric", min = 18, max = 100 }
city    = "categorical"
churned = { role = "label", positive = "1", negative = "0" }
`

func parseSchema(t testing.TB, text string) *schema.Schema {
	t.Helper()
	s, err := schema.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testPseudo(t testing.TB) *pseudo.Pseudonymizer {
	t.Helper()
	p, err := pseudo.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// csvRows returns a customers CSV with n rows; row i has age 18 + i%80 and
// city c<i%7>; bad makes the last row's age unparseable.
func csvRows(n int, bad bool) string {
	var b strings.Builder
	b.WriteString("id,surname,age,city,churned\n")
	for i := range n {
		age := fmt.Sprint(18 + i%80)
		if bad && i == n-1 {
			age = "abc"
		}
		fmt.Fprintf(&b, "cust-%07d,Surname%d,%s,c%d,%d\n", i, i, age, i%7, i%2)
	}
	return b.String()
}

// ingestInto runs a full ingest of data into a new version and commits it.
func ingestCSV(t testing.TB, s *Store, name, schemaText, data string) (*CommitResult, error) {
	t.Helper()
	sch := parseSchema(t, schemaText)
	st, err := s.Stage(name)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.Run(context.Background(), strings.NewReader(data), ingest.Options{File: name + ".csv", Schema: sch, Pseudo: testPseudo(t)}, st)
	if err != nil {
		if aerr := st.Abort(); aerr != nil {
			t.Fatal(aerr)
		}
		return nil, err
	}
	dd := DedupeNone
	switch sch.Duplicates {
	case schema.DuplicatesError:
		dd = DedupeError
	case schema.DuplicatesKeepLast:
		dd = DedupeKeepLast
	}
	return st.Commit(context.Background(), VersionInfo{Kind: sch.Kind, Layout: rep.Layout, Source: name + ".csv"}, dd)
}

// digest hashes everything a reader of the dataset sees.
func digest(t testing.TB, s *Store, name string) (string, *VersionInfo) {
	t.Helper()
	h := sha256.New()
	info, err := s.Scan(context.Background(), name, func(c *Customer) error {
		h.Write(c.ID[:])
		for _, r := range c.Rows {
			fmt.Fprintf(h, "%d %v;", r.Seq, r.Values)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), info
}

// countKeys counts the keys under a prefix byte, across all versions.
func countKeys(t testing.TB, s *Store, p byte) int {
	t.Helper()
	n := 0
	err := s.db.View(func(txn *badgerTxn) error {
		it := newKeyIterator(txn, []byte{p})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCommitAndScan(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	res, err := ingestCSV(t, s, "churn", fmt.Sprintf(customersSchema, "error"), csvRows(100, false))
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.Rows != 100 || res.Info.Customers != 100 || res.Info.Version != 1 || res.PreviousExists {
		t.Fatalf("commit result %+v", res.Info)
	}
	got, err := s.Dataset("churn")
	if err != nil || got.Version != 1 || got.Rows != 100 {
		t.Fatalf("Dataset: %+v, %v", got, err)
	}
	n := 0
	ages := 0.0
	age := got.Layout.Index("age")
	_, err = s.Scan(t.Context(), "churn", func(c *Customer) error {
		n++
		if len(c.Rows) != 1 {
			t.Errorf("customer with %d rows", len(c.Rows))
		}
		ages += c.Rows[0].Values[age].Num
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for i := range 100 {
		want += float64(18 + i%80)
	}
	if n != 100 || ages != want {
		t.Fatalf("scan saw %d customers, ages %v; want 100, %v", n, ages, want)
	}
	if _, err := s.Dataset("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing dataset: %v", err)
	}
}

// TestBadLastRowKeepsPreviousVersion: a bad row at the end of a large file
// leaves the previous version current, readable and unchanged, and leaves no
// staged rows behind.
func TestBadLastRowKeepsPreviousVersion(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	sch := fmt.Sprintf(customersSchema, "error")
	if _, err := ingestCSV(t, s, "churn", sch, csvRows(5000, false)); err != nil {
		t.Fatal(err)
	}
	before, infoBefore := digest(t, s, "churn")
	rowsBefore := countKeys(t, s, pRow)

	_, err := ingestCSV(t, s, "churn", sch, csvRows(50000, true))
	var re *ingest.RowError
	if !errors.As(err, &re) || re.Line != 50001 || re.Column != "age" {
		t.Fatalf("bad last row: got %v, want a row error at line 50001 column age", err)
	}
	after, infoAfter := digest(t, s, "churn")
	if before != after || infoAfter.Version != infoBefore.Version {
		t.Fatalf("previous version changed: %s v%d -> %s v%d", before, infoBefore.Version, after, infoAfter.Version)
	}
	if n := countKeys(t, s, pRow); n != rowsBefore {
		t.Fatalf("%d row keys after the rejected ingest, want %d", n, rowsBefore)
	}
	if n := countKeys(t, s, pStaging); n != 0 {
		t.Fatalf("%d staging markers left", n)
	}
}

func TestReplaceDeletesOldVersion(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	sch := fmt.Sprintf(customersSchema, "error")
	for _, n := range []int{300, 200} {
		if _, err := ingestCSV(t, s, "churn", sch, csvRows(n, false)); err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.Dataset("churn")
	if err != nil || info.Version != 2 || info.Rows != 200 {
		t.Fatalf("after replace: %+v %v", info, err)
	}
	if n := countKeys(t, s, pRow); n != 200 {
		t.Fatalf("%d rows stored, want only the current version's 200", n)
	}
	if n := countKeys(t, s, pTrash) + countKeys(t, s, pVersion); n != 1 {
		t.Fatalf("%d version/trash keys, want 1", n)
	}
}

func TestDuplicates(t *testing.T) {
	data := "id,surname,age,city,churned\na,x,20,c1,0\nb,y,30,c2,1\na,z,40,c3,1\n"
	t.Run("policy=error", func(t *testing.T) {
		s := openTest(t, t.TempDir())
		defer s.Close()
		_, err := ingestCSV(t, s, "d", fmt.Sprintf(customersSchema, "error"), data)
		var de *DuplicateError
		if !errors.As(err, &de) || ingest.SeqLine(de.FirstSeq) != 2 || ingest.SeqLine(de.Seq) != 4 {
			t.Fatalf("got %v, want duplicate at lines 2 and 4", err)
		}
		if _, err := s.Dataset("d"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("rejected dataset became visible: %v", err)
		}
		if n := countKeys(t, s, pRow); n != 0 {
			t.Fatalf("%d rows left behind", n)
		}
	})
	t.Run("policy=keep-last", func(t *testing.T) {
		s := openTest(t, t.TempDir())
		defer s.Close()
		res, err := ingestCSV(t, s, "d", fmt.Sprintf(customersSchema, "keep-last"), data)
		if err != nil {
			t.Fatal(err)
		}
		if res.Info.Rows != 2 || res.Info.Customers != 2 || res.RemovedRows != 1 || res.Info.RecordsSkipped != 1 || len(res.RemovedLines) != 1 || res.RemovedLines[0] != 2 {
			t.Fatalf("keep-last: %+v removed %d at %v", res.Info, res.RemovedRows, res.RemovedLines)
		}
		age := res.Info.Layout.Index("age")
		var ages []float64
		s.Scan(t.Context(), "d", func(c *Customer) error {
			ages = append(ages, c.Rows[0].Values[age].Num)
			return nil
		})
		if len(ages) != 2 || (ages[0] != 40 && ages[1] != 40) || ages[0] == 20 || ages[1] == 20 {
			t.Fatalf("ages after keep-last %v: want 30 and 40", ages)
		}
	})
}

func TestScanGroupsTransactionsByCustomer(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	const sch = `
kind = "transactions"
[columns]
cust = "id"
inv  = "invoice"
item = "item"
amt  = { role = "amount", min = 0 }
`
	data := "cust,inv,item,amt\nA,1,milk,1.5\nB,2,bread,2\nA,3,eggs,3\nA,3,milk,1.5\nB,4,tea,4\n"
	res, err := ingestCSV(t, s, "tx", sch, data)
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.Rows != 5 || res.Info.Customers != 2 {
		t.Fatalf("%+v", res.Info)
	}
	amt := res.Info.Layout.Index("amt")
	totals := map[int]float64{}
	_, err = s.Scan(t.Context(), "tx", func(c *Customer) error {
		sum := 0.0
		last := uint64(0)
		for _, r := range c.Rows {
			if r.Seq <= last {
				t.Errorf("rows out of input order: seq %d after %d", r.Seq, last)
			}
			last = r.Seq
			sum += r.Values[amt].Num
		}
		totals[len(c.Rows)] = sum
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if totals[3] != 6 || totals[2] != 6 {
		t.Fatalf("per-customer totals %v, want A (3 rows) = 6 and B (2 rows) = 6", totals)
	}
}

// TestNoPlaintextOnDisk ingests rows carrying marker strings (in a stored
// column, the identifier and a dropped column) and checks that no file the
// store writes contains any of them.
func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	var b strings.Builder
	b.WriteString("id,surname,age,city,churned\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "IDMARK%06d,SURNAMEMARK%d,%d,ZANZIBARMARK%d,%d\n", i, i, 18+i%80, i%3, i%2)
	}
	if _, err := ingestCSV(t, s, "secret", fmt.Sprintf(customersSchema, "error"), b.String()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files := 0
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, m := range []string{"ZANZIBARMARK", "IDMARK", "SURNAMEMARK", "churned", "secret"} {
			if bytes.Contains(data, []byte(m)) {
				t.Errorf("%s contains %q in the clear", filepath.Base(path), m)
			}
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("only %d files written", files)
	}
	// The same data does reach the disk when encryption is off, so the test
	// can see plaintext when it is there.
	plain := t.TempDir()
	db, err := openBadgerPlain(plain)
	if err != nil {
		t.Fatal(err)
	}
	writePlain(t, db, "ZANZIBARMARK")
	db.Close()
	found := false
	filepath.WalkDir(plain, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			found = found || bytes.Contains(data, []byte("ZANZIBARMARK"))
		}
		return nil
	})
	if !found {
		t.Fatal("control: unencrypted badger did not show the marker; the check above proves nothing")
	}
}

func TestWrongKeyRefused(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	s.Close()
	_, err := Open(Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{1}, 32)})
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong key: got %v, want ErrWrongKey", err)
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"churn", "bank-churn", "a", "x.y_z-1"} {
		if err := ValidName(n); err != nil {
			t.Errorf("name=%q: %v", n, err)
		}
	}
	for _, n := range []string{"", "Churn", "-a", "a b", "a/b", "a\x00b", strings.Repeat("a", 65)} {
		if err := ValidName(n); !errors.Is(err, ErrBadName) {
			t.Errorf("name=%q accepted", n)
		}
	}
}
