package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/schema"
)

const customersSchema = `kind = "customers"
[columns]
id  = "id"
Age = { role = "numeric", min = 18, max = 100 }
Geo = { role = "categorical", values = ["FR", "DE", "ES"] }
`

func TestRunErrors(t *testing.T) {
	const ignoreSchema = `kind = "customers"
others = "ignore"
[columns]
id  = "id"
Age = { role = "numeric", min = 18, max = 100 }
Geo = { role = "categorical", values = ["FR", "DE", "ES"] }
`
	for _, tc := range []struct {
		name   string
		schema string
		input  string
		want   string // the whole error message
		line   int64
		column string
		header bool // wraps ErrHeader
	}{
		{name: "bad-number", input: "id,Age,Geo\nC1,30,FR\nC2,abc,FR\n",
			want: `file.csv line 3 column Age: "abc" is not a number`, line: 3, column: "Age"},
		{name: "bad-number-crlf", input: "id,Age,Geo\r\nC1,30,FR\r\nC2,abc,FR\r\n",
			want: `file.csv line 3 column Age: "abc" is not a number`, line: 3, column: "Age"},
		{name: "out-of-range", input: "id,Age,Geo\nC1,17,FR\n",
			want: `file.csv line 2 column Age: "17" is outside [18, 100]`, line: 2, column: "Age"},
		{name: "not-listed", input: "id,Age,Geo\nC1,30,UK\n",
			want: `file.csv line 2 column Geo: "UK" is not one of the listed values ["FR" "DE" "ES"]`, line: 2, column: "Geo"},
		{name: "missing-value", input: "id,Age,Geo\nC1,30,FR\nC2,,FR\n",
			want: `file.csv line 3 column Age: missing value (set missing = "skip" or { fill = VALUE } in the schema to accept it)`, line: 3, column: "Age"},
		{name: "missing-id", input: "id,Age,Geo\n,30,FR\n",
			want: `file.csv line 2 column id: missing value (set missing = "skip" or { fill = VALUE } in the schema to accept it)`, line: 2, column: "id"},
		{name: "too-few-fields", input: "id,Age,Geo\nC1,30,FR\nC2,30\n",
			want: "file.csv line 3: 2 fields, the header has 3", line: 3},
		{name: "too-many-fields", input: "id,Age,Geo\nC1,30,FR,x\n",
			want: "file.csv line 2: 4 fields, the header has 3", line: 2},
		{name: "bare-quote", input: "id,Age,Geo\nC1,3\"0,FR\n",
			want: `file.csv line 2: bare " in non-quoted-field (column 5 of the line)`, line: 2},
		{name: "unterminated-quote", input: "id,Age,Geo\nC1,30,FR\nC2,\"30,FR\n",
			want: `file.csv line 3: extraneous or missing " in quoted-field (column 11 of the line)`, line: 3},
		{name: "header-missing-column", input: "id,Geo\nC1,FR\n",
			want: "file.csv line 1: header does not fit the schema: columns named in the schema are missing from the header: Age", line: 1, header: true},
		{name: "header-missing-columns", input: "Geo\nFR\n",
			want: "file.csv line 1: header does not fit the schema: columns named in the schema are missing from the header: Age, id", line: 1, header: true},
		{name: "header-unnamed-column", input: "id,Age,Geo,Extra\nC1,30,FR,x\n",
			want: `file.csv line 1: header does not fit the schema: columns not named in the schema: "Extra" (name them, or set others = "ignore")`, line: 1, header: true},
		{name: "header-empty-column-name", input: "id,Age,,Geo\nC1,30,,FR\n",
			want: `file.csv line 1: header does not fit the schema: columns not named in the schema: "" (name them, or set others = "ignore")`, line: 1, header: true},
		{name: "header-duplicate", input: "id,Age,Age,Geo\nC1,30,31,FR\n",
			want: "file.csv line 1 column Age: header does not fit the schema: the column appears twice in the header", line: 1, column: "Age", header: true},
		{name: "empty-file", input: "",
			want: "file.csv: empty file: no header line"},
		{name: "only-blank-lines", input: "\n\n\n",
			want: "file.csv: empty file: no header line"},
		{name: "bad-gzip", input: "\x1f\x8b\x00\x00",
			want: "file.csv: gzip: "},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			src := tc.schema
			if src == "" {
				src = customersSchema
			}
			rep, _, err := run(t, src, "file.csv", tc.input)
			if err == nil {
				t.Fatalf("Run succeeded: %+v", rep)
			}
			if rep != nil {
				t.Error("report returned with an error")
			}
			if strings.HasSuffix(tc.want, ": ") {
				if !strings.HasPrefix(err.Error(), tc.want) {
					t.Fatalf("error %q, want prefix %q", err, tc.want)
				}
			} else if err.Error() != tc.want {
				t.Fatalf("error\n%q, want\n%q", err, tc.want)
			}
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %T is not a *RowError", err)
			}
			if re.File != "file.csv" || re.Line != tc.line || re.Column != tc.column {
				t.Errorf("RowError{File: %q, Line: %d, Column: %q}, want {file.csv, %d, %q}", re.File, re.Line, re.Column, tc.line, tc.column)
			}
			if got := errors.Is(err, ErrHeader); got != tc.header {
				t.Errorf("errors.Is(err, ErrHeader) = %v", got)
			}
		})
	}
}

func TestRunValueErrorUnwraps(t *testing.T) {
	_, _, err := run(t, customersSchema, "f.csv", "id,Age,Geo\nC1,abc,FR\n")
	var ve *schema.ValueError
	if !errors.As(err, &ve) || ve.Value != "abc" {
		t.Fatalf("error %v does not wrap the cell's ValueError", err)
	}
}

func TestRunHeaderOnly(t *testing.T) {
	for _, in := range []string{"id,Age,Geo\n", "id,Age,Geo", "id,Age,Geo\r\n\r\n"} {
		rep, sink := mustRun(t, customersSchema, "f.csv", in)
		if rep.RecordsRead != 0 || rep.RecordsStored != 0 || rep.RowsStored != 0 || len(sink.rows) != 0 || len(rep.Skipped) != 0 {
			t.Errorf("input=%q: report %+v, %d rows", in, rep, len(sink.rows))
		}
		if got := []string{rep.Layout.Columns[0].Name, rep.Layout.Columns[1].Name}; !slices.Equal(got, []string{"Age", "Geo"}) || rep.Layout.IDName != "id" {
			t.Errorf("input=%q: layout %+v", in, rep.Layout)
		}
	}
}

func TestRunOthers(t *testing.T) {
	const src = `kind = "customers"
others = "ignore"
[columns]
id  = "id"
Age = "numeric"
`
	rep, sink := mustRun(t, src, "f.csv", "Extra,id,,Age\nsecret,C1,x,30\n")
	vals := decodeAll(t, rep, sink.rows)
	if len(rep.Layout.Columns) != 1 || len(vals) != 1 || vals[0][0].Num != 30 {
		t.Fatalf("layout %+v values %+v", rep.Layout, vals)
	}
	if bytes.Contains(sink.rows[0].row, []byte("secret")) {
		t.Error("an ignored column reached the sink")
	}
}

// TestBugOthersIgnoreEmptyNames: exports often end every line with a
// delimiter, leaving unnamed columns; with others = "ignore" two of them are
// refused as a duplicate name, in a message that names no column.
func TestOthersIgnoreEmptyNames(t *testing.T) {
	const src = "kind = \"customers\"\nothers = \"ignore\"\n[columns]\nid = \"id\"\nAge = \"numeric\"\n"
	if _, _, err := run(t, src, "f.csv", "id,Age,,\nC1,30,,\n"); err != nil {
		t.Fatal(err)
	}
}

// secrets are identifier values that must never leave Run in clear.
var secrets = []string{"SECRETID0001", "SECRETID0002", "SECRETID0003"}

func TestIDsNeverRevealed(t *testing.T) {
	const src = `kind = "customers"
na = ["", "NA"]
[columns]
id   = { role = "id", missing = "skip" }
Name = "drop"
Age  = { role = "numeric", min = 18, max = 100, out_of_range = "skip" }
Geo  = { role = "categorical", values = ["FR", "DE", "ES"], out_of_range = "skip" }
Spend = { role = "numeric", missing = { fill = 0 } }
Label = { role = "label", positive = "1", negative = "0" }
`
	const header = "id,Name,Age,Geo,Spend,Label\n"
	good := header + "SECRETID0001,SECRETID0001,30,FR,10,1\n" +
		"SECRETID0002,Smith,17,FR,,0\n" + // skipped: out of range
		"NA,Jones,40,UK,5,0\n" + // skipped: missing id
		"SECRETID0003,Brown,50,ES,NA,0\n"
	rep, sink := mustRun(t, src, "f.csv", good)
	if rep.RecordsStored != 2 || rep.SkippedTotal() != 2 || len(sink.rows) != 2 {
		t.Fatalf("report %+v", rep)
	}
	j, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sink.rows {
		j = append(j, r.row...)
	}
	for _, s := range append(secrets, "Smith", "Jones") {
		if bytes.Contains(j, []byte(s)) {
			t.Errorf("%q appears in the report or the stored rows: %s", s, j)
		}
	}
	for _, bad := range []struct{ name, row string }{
		{"bad-number", "SECRETID0001,x,abc,FR,1,1"},
		{"bad-label", "SECRETID0001,x,30,FR,1,2"},
		{"field-count", "SECRETID0001,x,30,FR,1"},
		{"bare-quote-in-id", "SECRET\"ID0001,x,30,FR,1,1"},
		{"quote-after-id", "\"SECRETID0001\"x,x,30,FR,1,1"},
		{"unterminated-id", "\"SECRETID0001,x,30,FR,1,1"},
		{"long-id", strings.Repeat("SECRETID0001", 100) + ",x,30,FR,x,1"},
		{"bad-spend", "SECRETID0001,x,30,FR,1e999,1"},
	} {
		t.Run("case="+bad.name, func(t *testing.T) {
			_, _, err := run(t, src, "f.csv", header+"SECRETID0002,y,30,FR,1,1\n"+bad.row+"\n")
			if err == nil {
				t.Fatal("Run succeeded")
			}
			for _, msg := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)} {
				if strings.Contains(msg, "SECRET") {
					t.Errorf("error reveals an identifier: %s", msg)
				}
			}
			var re *RowError
			if !errors.As(err, &re) || re.Line != 3 {
				t.Errorf("error %v: want a RowError on line 3", err)
			}
		})
	}
}

func TestRunMissing(t *testing.T) {
	const src = `kind = "customers"
na = ["", "NA"]
[columns]
id      = "id"
Age     = { role = "numeric", missing = "skip" }
Balance = { role = "numeric", min = 0, max = 10, missing = { fill = 7 } }
Geo     = "categorical"
`
	var in strings.Builder
	in.WriteString("id,Age,Balance,Geo\n")
	// Lines 2..8 miss Age (7 rows, "" and "NA"); lines 9 and 11 miss Balance.
	for i := range 7 {
		na := []string{"", "NA"}[i%2]
		fmt.Fprintf(&in, "S%d,%s,1,FR\n", i, na)
	}
	in.WriteString("K1,30,,FR\nK2,31,2,DE\nK3,32,NA,ES\n")
	rep, sink := mustRun(t, src, "f.csv", in.String())
	wantSkip := []Skip{{Reason: "missing Age", Count: 7, FirstLines: []int64{2, 3, 4, 5, 6}}}
	if !reflect.DeepEqual(rep.Skipped, wantSkip) {
		t.Errorf("skipped %+v, want %+v", rep.Skipped, wantSkip)
	}
	wantFill := []Skip{{Reason: "Balance", Count: 2, FirstLines: []int64{9, 11}}}
	if !reflect.DeepEqual(rep.Filled, wantFill) {
		t.Errorf("filled %+v, want %+v", rep.Filled, wantFill)
	}
	if rep.RecordsRead != 10 || rep.RecordsStored != 3 || rep.SkippedTotal() != 7 {
		t.Errorf("read %d stored %d skipped %d", rep.RecordsRead, rep.RecordsStored, rep.SkippedTotal())
	}
	vals := decodeAll(t, rep, sink.rows)
	bal := rep.Layout.Index("Balance")
	if got := []float64{vals[0][bal].Num, vals[1][bal].Num, vals[2][bal].Num}; !slices.Equal(got, []float64{7, 2, 7}) {
		t.Errorf("Balance stored %v, want [7 2 7]", got)
	}
}

func TestRunMissingCategoricalError(t *testing.T) {
	const src = "kind = \"customers\"\nna = [\"\", \"NA\"]\n[columns]\nid = \"id\"\nGeo = \"categorical\"\n"
	_, _, err := run(t, src, "f.csv", "id,Geo\nC1,FR\nC2,NA\n")
	if err == nil || !strings.Contains(err.Error(), "f.csv line 3 column Geo: missing value") {
		t.Fatalf("error %v", err)
	}
	// Without na, "NA" is a value like any other.
	rep, _ := mustRun(t, "kind = \"customers\"\n[columns]\nid = \"id\"\nGeo = \"categorical\"\n", "f.csv", "id,Geo\nC1,FR\nC2,NA\n")
	if d := rep.Layout.Columns[0].Values; !slices.Equal(d, []string{"FR", "NA"}) {
		t.Errorf("dictionary %q", d)
	}
}

func TestRunDefaultNA(t *testing.T) {
	_, _, err := run(t, customersSchema, "f.csv", "id,Age,Geo\nC1,NA,FR\n")
	if err == nil || err.Error() != `f.csv line 2 column Age: "NA" is not a number` {
		t.Fatalf("error %v", err)
	}
}

// TestBugFilledCountsSkippedRows: Report.Filled counts "missing values
// replaced by the column's fill value", but also counts fills on rows that a
// later column then skips, and whose values were never stored.
func TestFilledCountsSkippedRows(t *testing.T) {
	const src = `kind = "customers"
[columns]
id  = "id"
Balance = { role = "numeric", missing = { fill = 0 } }
Age = { role = "numeric", min = 18, max = 100, out_of_range = "skip" }
`
	rep, _ := mustRun(t, src, "f.csv", "id,Balance,Age\nC1,,5\nC2,3,30\n")
	if len(rep.Filled) != 0 {
		t.Errorf("filled %+v on a skipped row; nothing was stored with a fill", rep.Filled)
	}
}

func TestRunRangesAndExclusions(t *testing.T) {
	const src = `kind = "transactions"
[columns]
inv   = { role = "invoice", exclude_prefix = ["C"] }
id    = "id"
ts    = { role = "timestamp", layout = "2006-01-02 15:04" }
qty   = { role = "quantity", min = 1, max = 100, out_of_range = "skip" }
price = { role = "price", min = 0.5, max = 1000, out_of_range = "clamp" }
arm   = { role = "item", values = ["x", "y"], out_of_range = "skip" }
`
	in := "inv,id,ts,qty,price,arm\n" +
		"1,A,2011-01-01 10:00,2,3.5,x\n" + // 2 stored
		"C2,A,2011-01-01 10:00,-2,3.5,x\n" + // 3 excluded inv (before qty)
		"3,B,2011-01-01 10:00,0,3.5,x\n" + // 4 out of range qty
		"4,B,2011-01-01 10:00,5,5000,y\n" + // 5 stored, price clamped
		"5,B,2011-01-01 10:00,5,0.1,z\n" + // 6 out of range arm (price clamped first)
		"C6,B,bad time,5,1,x\n" + // 7 excluded before the bad time is read
		"7,C,2011-01-01 10:00,101,1,x\n" // 8 out of range qty
	rep, sink := mustRun(t, src, "f.csv", in)
	want := []Skip{
		{Reason: "excluded inv", Count: 2, FirstLines: []int64{3, 7}},
		{Reason: "out of range qty", Count: 2, FirstLines: []int64{4, 8}},
		{Reason: "out of range arm", Count: 1, FirstLines: []int64{6}},
	}
	if !reflect.DeepEqual(rep.Skipped, want) {
		t.Errorf("skipped %+v\nwant %+v", rep.Skipped, want)
	}
	if rep.RecordsRead != 7 || rep.RecordsStored != 2 || rep.RecordsRead != rep.RecordsStored+rep.SkippedTotal() {
		t.Errorf("read %d stored %d skipped %d", rep.RecordsRead, rep.RecordsStored, rep.SkippedTotal())
	}
	vals := decodeAll(t, rep, sink.rows)
	p := rep.Layout.Index("price")
	if vals[0][p].Num != 3.5 || vals[1][p].Num != 1000 {
		t.Errorf("prices %v %v, want 3.5 and 1000 (clamped)", vals[0][p].Num, vals[1][p].Num)
	}
	if inv := rep.Layout.Index("inv"); vals[0][inv].Str != "1" || vals[1][inv].Str != "4" {
		t.Errorf("invoices %q %q", vals[0][inv].Str, vals[1][inv].Str)
	}
	ts := rep.Layout.Index("ts")
	if want := time.Date(2011, 1, 1, 10, 0, 0, 0, time.UTC).Unix(); vals[0][ts].Int != want {
		t.Errorf("timestamp %d, want %d", vals[0][ts].Int, want)
	}
	if got := []int64{SeqLine(sink.rows[0].seq), SeqLine(sink.rows[1].seq)}; !slices.Equal(got, []int64{2, 5}) {
		t.Errorf("lines %v, want [2 5]", got)
	}
}

func TestRunPseudonyms(t *testing.T) {
	const src = "kind = \"transactions\"\n[columns]\nid = \"id\"\nts = { role = \"timestamp\", layout = \"2006\" }\n"
	rep, sink := mustRun(t, src, "f.csv", "id,ts\nA,2001\nB,2002\nA,2003\n007,2004\n7,2005\n")
	if rep.RecordsStored != 5 {
		t.Fatalf("stored %d", rep.RecordsStored)
	}
	ids := make([]pseudo.ID, len(sink.rows))
	for i, r := range sink.rows {
		ids[i] = r.id
	}
	if ids[0] != ids[2] {
		t.Error("the same identifier gave two pseudonyms")
	}
	if ids[0] == ids[1] || ids[3] == ids[4] {
		t.Error("different identifiers gave the same pseudonym")
	}
	for i, id := range []string{"A", "B", "A", "007", "7"} {
		if ids[i] != pseudonym(t, id) {
			t.Errorf("row %d: pseudonym differs from HMAC of %q", i, id)
		}
	}
	other, err := pseudo.New(bytes.Repeat([]byte{1}, pseudo.MinKeySize))
	if err != nil {
		t.Fatal(err)
	}
	sink2 := &memSink{}
	if _, err := Run(context.Background(), strings.NewReader("id,ts\nA,2001\n"), Options{File: "f.csv", Schema: parseSchema(t, src), Pseudo: other}, sink2); err != nil {
		t.Fatal(err)
	}
	if sink2.rows[0].id == ids[0] {
		t.Error("a different key gave the same pseudonym")
	}
}

func TestRunRowNumberIDs(t *testing.T) {
	const src = `kind = "customers"
id_from = "row-number"
[columns]
x = { role = "numeric", missing = "skip" }
`
	rep, sink := mustRun(t, src, "f.csv", "x\n10\n\n20\n\"\"\n30\n")
	// Blank lines are not records; row 3 ("") is skipped but keeps its number.
	want := []string{"1", "2", "4"}
	if len(sink.rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(sink.rows), len(want))
	}
	for i, w := range want {
		if sink.rows[i].id != pseudonym(t, w) {
			t.Errorf("row %d: pseudonym is not that of %q", i, w)
		}
	}
	if rep.Layout.IDName != "(row-number)" {
		t.Errorf("IDName %q", rep.Layout.IDName)
	}
	if rep.RecordsRead != 4 || rep.RecordsStored != 3 {
		t.Errorf("read %d stored %d", rep.RecordsRead, rep.RecordsStored)
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestRunInputForms(t *testing.T) {
	const src = `kind = "customers"
[columns]
id   = "id"
Name = "categorical"
Age  = { role = "numeric", min = 0, max = 10, out_of_range = "skip" }
`
	plain := "id,Name,Age\nA,x,1\nB,\"y, z\",2\nC,x,99\nD,w,3\n"
	rep0, sink0 := mustRun(t, src, "f.csv", plain)
	if rep0.RecordsStored != 3 || rep0.SHA256 != sha([]byte(plain)) {
		t.Fatalf("plain: report %+v", rep0)
	}
	crlf := strings.ReplaceAll(plain, "\n", "\r\n")
	for _, tc := range []struct {
		name  string
		input []byte
	}{
		{"gzip", gzipBytes(t, []byte(plain))},
		{"crlf", []byte(crlf)},
		{"bom", []byte("\ufeff" + plain)},
		{"gzip-bom-crlf", gzipBytes(t, []byte("\ufeff"+crlf))},
		{"no-final-newline", []byte(strings.TrimSuffix(plain, "\n"))},
		{"gzip-multistream", append(gzipBytes(t, []byte(plain[:20])), gzipBytes(t, []byte(plain[20:]))...)},
	} {
		t.Run("form="+tc.name, func(t *testing.T) {
			rep, sink, err := run(t, src, "f.csv", string(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if rep.SHA256 != sha(tc.input) {
				t.Errorf("SHA256 %s, want the hash of the input as read %s", rep.SHA256, sha(tc.input))
			}
			r, r0 := *rep, *rep0
			r.SHA256, r0.SHA256 = "", ""
			if !reflect.DeepEqual(r, r0) {
				t.Errorf("report %+v\nwant   %+v", r, r0)
			}
			if !reflect.DeepEqual(sink.rows, sink0.rows) {
				t.Errorf("rows differ from the plain input's")
			}
		})
	}
}

// TestBugBOMQuotedHeader: bank-marketing style exports quote the header; with
// a UTF-8 BOM in front, the first header field is refused.
func TestBOMQuotedHeader(t *testing.T) {
	const src = "kind = \"customers\"\n[columns]\nid = \"id\"\nAge = \"numeric\"\n"
	if _, _, err := run(t, src, "f.csv", "\ufeff\"id\",\"Age\"\n\"C1\",30\n"); err != nil {
		t.Fatal(err)
	}
}

func TestRunQuotedFields(t *testing.T) {
	const src = `kind = "customers"
[columns]
id   = "id"
Note = "categorical"
Age  = "numeric"
`
	in := "id,Note,Age\n" +
		"\"C1\",\"Smith, John\",30\n" + // line 2
		"C2,\"two\nlines, with comma\",40\n" + // lines 3-4
		"C3,\"say \"\"hi\"\"\",50\n" + // line 5
		"\"C4\r\nX\",plain,60\n" + // lines 6-7 (newline inside the id)
		"C5,x,abc\n" // line 8
	_, _, err := run(t, src, "f.csv", in)
	if err == nil || err.Error() != `f.csv line 8 column Age: "abc" is not a number` {
		t.Fatalf("error %v, want it on line 8", err)
	}
	rep, sink := mustRun(t, src, "f.csv", strings.TrimSuffix(in, "C5,x,abc\n"))
	vals := decodeAll(t, rep, sink.rows)
	note := rep.Layout.Index("Note")
	var notes []string
	var lines []int64
	for i, v := range vals {
		notes = append(notes, rep.Layout.Columns[note].Values[v[note].Int])
		lines = append(lines, SeqLine(sink.rows[i].seq))
	}
	if want := []string{"Smith, John", "two\nlines, with comma", `say "hi"`, "plain"}; !slices.Equal(notes, want) {
		t.Errorf("notes %q, want %q", notes, want)
	}
	if want := []int64{2, 3, 5, 6}; !slices.Equal(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	if sink.rows[3].id != pseudonym(t, "C4\nX") {
		t.Error("the quoted id was not taken as encoding/csv reads it")
	}
}

func TestRunDelimiter(t *testing.T) {
	const src = `kind = "customers"
delimiter = ";"
id_from = "row-number"
[columns]
age = "numeric"
job = "categorical"
y   = { role = "label", positive = "yes", negative = "no" }
`
	rep, sink := mustRun(t, src, "bank.csv", "\"age\";\"job\";\"y\"\n58;\"admin.\";\"no\"\n44;a,b;\"yes\"\n33;\"x;y\";no\n")
	vals := decodeAll(t, rep, sink.rows)
	if len(vals) != 3 {
		t.Fatalf("%d rows", len(vals))
	}
	if d := rep.Layout.Columns[1].Values; !slices.Equal(d, []string{"admin.", "a,b", "x;y"}) {
		t.Errorf("dictionary %q", d)
	}
	if vals[0][0].Num != 58 || vals[1][2].Int != 1 || vals[2][2].Int != 0 {
		t.Errorf("values %+v", vals)
	}
	_, _, err := run(t, src, "bank.csv", "age,job,y\n1,a,no\n")
	if err == nil || !strings.Contains(err.Error(), "missing from the header: age, job, y") {
		t.Errorf("comma-separated file with delimiter ';': %v", err)
	}
}

const basketSchema = "kind = \"transactions\"\nformat = \"basket\"\n"

func TestRunBasket(t *testing.T) {
	in := "a,b\n\nc,,d\n,,\nb,cream cheese \n"
	rep, sink := mustRun(t, basketSchema, "b.csv", in)
	if rep.RecordsRead != 4 || rep.RecordsStored != 3 || rep.RowsStored != 6 || len(sink.rows) != 6 {
		t.Fatalf("read %d baskets %d rows %d (sink %d)", rep.RecordsRead, rep.RecordsStored, rep.RowsStored, len(sink.rows))
	}
	if want := []Skip{{Reason: "empty basket", Count: 1, FirstLines: []int64{4}}}; !reflect.DeepEqual(rep.Skipped, want) {
		t.Errorf("skipped %+v", rep.Skipped)
	}
	lay := rep.Layout
	if len(lay.Columns) != 2 || lay.Columns[0].Name != schema.BasketTransaction || lay.Columns[0].Type != schema.TypeString ||
		lay.Columns[1].Name != schema.BasketItem || lay.Columns[1].Type != schema.TypeCat || lay.IDName != schema.BasketTransaction {
		t.Fatalf("layout %+v", lay)
	}
	if d := lay.Columns[1].Values; !slices.Equal(d, []string{"a", "b", "c", "d", "cream cheese "}) {
		t.Errorf("dictionary %q", d)
	}
	vals := decodeAll(t, rep, sink.rows)
	type got struct {
		tx   string
		item string
		seq  uint64
		id   pseudo.ID
	}
	var rows []got
	for i, v := range vals {
		rows = append(rows, got{v[0].Str, lay.Columns[1].Values[v[1].Int], sink.rows[i].seq, sink.rows[i].id})
	}
	want := []got{
		{"1", "a", Seq(1, 0), pseudonym(t, "1")},
		{"1", "b", Seq(1, 1), pseudonym(t, "1")},
		{"3", "c", Seq(3, 0), pseudonym(t, "3")},
		{"3", "d", Seq(3, 2), pseudonym(t, "3")},
		{"5", "b", Seq(5, 0), pseudonym(t, "5")},
		{"5", "cream cheese ", Seq(5, 1), pseudonym(t, "5")},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", rows, want)
	}
	if SeqLine(Seq(3, 2)) != 3 || Seq(3, 2) <= Seq(1, MaxBasketItems) {
		t.Error("Seq does not order lines before items")
	}
}

func TestRunBasketErrors(t *testing.T) {
	_, _, err := run(t, basketSchema, "b.csv", "a,b\nc,"+strings.Repeat("x", 300)+"\n")
	if err == nil || !strings.HasPrefix(err.Error(), `b.csv line 2 column item 2: "xxxx`) || !strings.HasSuffix(err.Error(), "is longer than 256 bytes") {
		t.Fatalf("error %v", err)
	}
	rep, sink := mustRun(t, basketSchema, "b.csv", "")
	if rep.RecordsRead != 0 || len(sink.rows) != 0 {
		t.Fatalf("empty basket file: %+v", rep)
	}
}

// TestBugBasketBOM: a basket file has no header, so the BOM that ingest strips
// from a header stays on the first item of the first basket.
func TestBasketBOM(t *testing.T) {
	rep, _ := mustRun(t, basketSchema, "b.csv", "\ufeffcitrus fruit,yogurt\ncitrus fruit\n")
	if d := rep.Layout.Columns[1].Values; !slices.Equal(d, []string{"citrus fruit", "yogurt"}) {
		t.Errorf("dictionary %q", d)
	}
}

func TestRunSinkError(t *testing.T) {
	full := errors.New("disk full")
	sink := &memSink{failAt: 2, err: full}
	_, err := Run(context.Background(), strings.NewReader("id,Age,Geo\nA,30,FR\nB,31,DE\nC,32,ES\n"),
		Options{File: "f.csv", Schema: parseSchema(t, customersSchema), Pseudo: newPseudo(t)}, sink)
	if !errors.Is(err, full) {
		t.Fatalf("error %v does not wrap the sink's", err)
	}
	if want := "ingest f.csv line 3: disk full"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	bsink := &memSink{failAt: 3, err: full}
	_, err = Run(context.Background(), strings.NewReader("a,b\nc,d\n"), Options{File: "b.csv", Schema: parseSchema(t, basketSchema), Pseudo: newPseudo(t)}, bsink)
	if !errors.Is(err, full) || err.Error() != "ingest b.csv line 2: disk full" {
		t.Errorf("basket: error %v", err)
	}
}

func TestRunRequiresSchemaAndPseudo(t *testing.T) {
	if _, err := Run(context.Background(), strings.NewReader("x"), Options{File: "f"}, &memSink{}); err == nil {
		t.Error("Run without schema and pseudonymiser succeeded")
	}
	if _, err := Run(context.Background(), strings.NewReader("x"), Options{File: "f", Schema: parseSchema(t, customersSchema)}, &memSink{}); err == nil {
		t.Error("Run without pseudonymiser succeeded")
	}
}

func TestRunCancel(t *testing.T) {
	const total = 4 * ProgressEvery
	for _, format := range []string{"csv", "basket"} {
		t.Run("format="+format, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			gen := newGenerator(total)
			src := genSchema
			if format == "basket" {
				gen = &generator{n: total, row: func(dst []byte, i int) []byte { return append(dst, "bread,milk\n"...) }}
				gen.next = 1 // no header
				src = basketSchema
			}
			var progress []int64
			sink := &discardSink{}
			_, err := Run(ctx, gen, Options{File: "big.csv", Schema: parseSchema(t, src), Pseudo: newPseudo(t),
				Progress: func(n int64) { progress = append(progress, n); cancel() }}, sink)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if !strings.Contains(err.Error(), "big.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			if !slices.Equal(progress, []int64{ProgressEvery}) {
				t.Errorf("progress calls %v", progress)
			}
			if gen.Produced() >= total {
				t.Errorf("the whole input was read (%d rows)", gen.Produced())
			}
			perRecord := int64(1)
			if format == "basket" {
				perRecord = 2
			}
			if want := (2*ProgressEvery - 1) * perRecord; sink.rows != want {
				t.Errorf("sink got %d rows, want %d", sink.rows, want)
			}
		})
	}
}

func TestRunProgress(t *testing.T) {
	var calls []int64
	rep, err := Run(context.Background(), newGenerator(2*ProgressEvery+5), Options{File: "g.csv", Schema: parseSchema(t, genSchema),
		Pseudo: newPseudo(t), Progress: func(n int64) { calls = append(calls, n) }}, &discardSink{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(calls, []int64{ProgressEvery, 2 * ProgressEvery}) || rep.RecordsStored != 2*ProgressEvery+5 {
		t.Errorf("progress %v, stored %d", calls, rep.RecordsStored)
	}
}

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestRunStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a million rows")
	}
	if raceEnabled {
		t.Skip("the race detector changes heap usage and speed")
	}
	const rows = 1_000_000
	const limit = 32 << 20
	gen := newGenerator(rows)
	runtime.GC()
	base := heapInuse()
	var peak uint64
	sink := &discardSink{every: rows / 10, each: func() { peak = max(peak, heapInuse()) }}
	rep, err := Run(context.Background(), gen, Options{File: "big.csv", Schema: parseSchema(t, genSchema), Pseudo: newPseudo(t)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RecordsStored != rows || sink.rows != rows {
		t.Fatalf("stored %d, sink %d", rep.RecordsStored, sink.rows)
	}
	runtime.GC()
	after := heapInuse()
	t.Logf("input ≈ %d MiB; heap in use: base %d KiB, peak %d KiB, after %d KiB", rows*len(genRow(nil, rows/2))>>20, base>>10, peak>>10, after>>10)
	if peak > base+limit {
		t.Errorf("heap in use grew from %d to %d bytes during the ingest", base, peak)
	}
	if after > base+limit {
		t.Errorf("heap in use grew from %d to %d bytes", base, after)
	}
	runtime.KeepAlive(rep)
}

func BenchmarkRun(b *testing.B) {
	const rows = 100_000
	var in []byte
	for i := 1; i <= rows; i++ {
		if i == 1 {
			in = append(in, genHeader...)
		}
		in = genRow(in, i)
	}
	s := parseSchema(b, genSchema)
	ps := newPseudo(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Run(b.Context(), bytes.NewReader(in), Options{File: "bench.csv", Schema: s, Pseudo: ps}, &discardSink{})
		if err != nil || rep.RecordsStored != rows {
			b.Fatalf("Run: %v", err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// Reference data.

func ingestFile(t *testing.T, path string, s *schema.Schema) (*Report, *idSink) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sink := newIDSink()
	rep, err := Run(context.Background(), f, Options{File: path, Schema: s, Pseudo: newPseudo(t)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsStored != sink.rows {
		t.Errorf("RowsStored %d, sink got %d", rep.RowsStored, sink.rows)
	}
	if err := rep.Layout.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, row := range sink.keep {
		if _, err := rep.Layout.DecodeRow(row, nil); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	return rep, sink
}

func TestReferenceBankChurn(t *testing.T) {
	path := sharedData(t, "bank-churn/Churn_Modelling.csv")
	rep, sink := ingestFile(t, path, exampleSchema(t, "bank-churn"))
	if rep.RecordsRead != 10000 || rep.RecordsStored != 10000 || len(sink.ids) != 10000 {
		t.Errorf("read %d stored %d pseudonyms %d, want 10000 each", rep.RecordsRead, rep.RecordsStored, len(sink.ids))
	}
	if sink.ids[pseudonym(t, "15634602")] != 1 {
		t.Error("the first customer's pseudonym is not HMAC of its CustomerId")
	}
	if j, _ := json.Marshal(rep); bytes.Contains(j, []byte("15634602")) || bytes.Contains(j, []byte("Hargrave")) {
		t.Error("the report holds an identifier or a dropped value")
	}
}

func TestReferenceOnlineRetail(t *testing.T) {
	if testing.Short() {
		t.Skip("541,909 lines")
	}
	path := sharedData(t, "online-retail/online-retail.csv.gz")
	rep, sink := ingestFile(t, path, exampleSchema(t, "online-retail"))
	if rep.RecordsStored != 397884 || len(sink.ids) != 4338 {
		t.Errorf("stored %d pseudonyms %d, want 397884 and 4338", rep.RecordsStored, len(sink.ids))
	}
	got := map[string]int64{}
	for _, s := range rep.Skipped {
		got[s.Reason] = s.Count
		if len(s.FirstLines) != 5 {
			t.Errorf("reason %q keeps %d lines", s.Reason, len(s.FirstLines))
		}
	}
	want := map[string]int64{"excluded InvoiceNo": 9288, "missing CustomerID": 132220, "out of range UnitPrice": 1181, "out of range Quantity": 1336}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("skipped %v, want %v", got, want)
	}
	if rep.RecordsRead != 541909 || rep.RecordsRead != rep.RecordsStored+rep.SkippedTotal() {
		t.Errorf("read %d = stored %d + skipped %d?", rep.RecordsRead, rep.RecordsStored, rep.SkippedTotal())
	}
	if want := "ae0b5894e9c29449be61ad4ba9ec868083138431cfd5d8a51b2ab68659c4d508"; rep.SHA256 != want {
		t.Errorf("SHA256 %s, want %s", rep.SHA256, want)
	}
}

func TestReferenceGroceries(t *testing.T) {
	path := sharedData(t, "groceries/groceries.csv")
	rep, sink := ingestFile(t, path, exampleSchema(t, "groceries"))
	if rep.RecordsStored != 9835 || rep.RowsStored != 43367 || len(sink.ids) != 9835 {
		t.Errorf("baskets %d rows %d pseudonyms %d, want 9835, 43367, 9835", rep.RecordsStored, rep.RowsStored, len(sink.ids))
	}
	items := rep.Layout.Columns[rep.Layout.Index(schema.BasketItem)].Values
	if len(items) != 169 {
		t.Errorf("%d distinct items, want 169", len(items))
	}
	if !slices.Contains(items, "cream cheese ") || slices.Contains(items, "cream cheese") {
		t.Error(`item "cream cheese " lost its trailing space`)
	}
}

func TestReferenceCDNOW(t *testing.T) {
	path := sharedData(t, "cdnow/cdnowElog.csv")
	rep, sink := ingestFile(t, path, exampleSchema(t, "cdnow"))
	if rep.RecordsStored != 6919 || len(sink.ids) != 2357 || rep.SkippedTotal() != 0 {
		t.Errorf("stored %d customers %d skipped %d, want 6919, 2357, 0", rep.RecordsStored, len(sink.ids), rep.SkippedTotal())
	}
}

func TestReferenceBankMarketing(t *testing.T) {
	path := sharedData(t, "bank-marketing/bank-full.csv")
	rep, sink := ingestFile(t, path, exampleSchema(t, "bank-marketing"))
	if rep.RecordsStored != 45211 || len(sink.ids) != 45211 {
		t.Errorf("stored %d pseudonyms %d, want 45211 each", rep.RecordsStored, len(sink.ids))
	}
	if sink.ids[pseudonym(t, "1")] != 1 || sink.ids[pseudonym(t, "45211")] != 1 {
		t.Error("row-number pseudonyms are not HMAC of 1 .. 45211")
	}
}
