package schema

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// exampleSchemas returns the example schema files shipped in configs/schemas,
// by base name.
func exampleSchemas(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../../configs/schemas/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no example schemas in ../../configs/schemas")
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".toml")] = b
	}
	return out
}

func mustParse(t testing.TB, src string) *Schema {
	t.Helper()
	s, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse:\n%s\nerror: %v", src, err)
	}
	return s
}

// customers returns a customers schema with an id column and the given
// column lines.
func customers(cols ...string) string {
	return "kind = \"customers\"\n[columns]\nid = \"id\"\n" + strings.Join(cols, "\n") + "\n"
}

func TestParseExamples(t *testing.T) {
	files := exampleSchemas(t)
	if len(files) < 8 {
		t.Errorf("found %d example schemas, want at least 8", len(files))
	}
	for name, src := range files {
		t.Run("file="+name, func(t *testing.T) {
			s := mustParse(t, string(src))
			if s.Source != string(src) {
				t.Error("Source differs from the file")
			}
			if !slices.IsSortedFunc(s.Columns, func(a, b Column) int { return strings.Compare(a.Name, b.Name) }) {
				t.Errorf("columns not sorted: %v", columnNames(s))
			}
			for i := range s.Columns {
				if _, err := NewParser(&s.Columns[i]); err != nil {
					t.Errorf("column %s: NewParser: %v", s.Columns[i].Name, err)
				}
			}
		})
	}
}

func TestParseExampleDetails(t *testing.T) {
	files := exampleSchemas(t)
	get := func(t *testing.T, name string) *Schema {
		t.Helper()
		src, ok := files[name]
		if !ok {
			t.Skipf("example schema %s.toml absent", name)
		}
		return mustParse(t, string(src))
	}
	t.Run("file=bank-marketing", func(t *testing.T) {
		s := get(t, "bank-marketing")
		if s.Delimiter != ';' || s.IDFrom != IDRowNumber {
			t.Errorf("delimiter %q id_from %q, want ';' and row-number", s.Delimiter, s.IDFrom)
		}
		if c, ok := s.Column("y"); !ok || c.Positive != "yes" || c.Negative != "no" {
			t.Errorf("column y = %+v", c)
		}
	})
	t.Run("file=online-retail", func(t *testing.T) {
		s := get(t, "online-retail")
		c, ok := s.Column("CustomerID")
		if !ok || c.Role != RoleID || c.Missing.Action != PolicySkip {
			t.Errorf("CustomerID = %+v", c)
		}
		c, ok = s.Column("InvoiceNo")
		if !ok || !slices.Equal(c.ExcludePrefix, []string{"C"}) || !c.Excluded("C536379") || c.Excluded("536379") {
			t.Errorf("InvoiceNo = %+v", c)
		}
		if c, _ := s.Column("InvoiceDate"); c == nil || c.Timezone != "Europe/London" {
			t.Errorf("InvoiceDate = %+v", c)
		}
	})
	t.Run("file=groceries", func(t *testing.T) {
		s := get(t, "groceries")
		if s.Format != FormatBasket {
			t.Fatalf("format %q, want basket", s.Format)
		}
		if got := columnNames(s); !slices.Equal(got, []string{BasketItem, BasketTransaction}) {
			t.Errorf("columns %v", got)
		}
	})
	t.Run("file=demo-customers", func(t *testing.T) {
		s := get(t, "demo-customers")
		if !slices.Equal(s.NA, []string{"", "NA"}) {
			t.Errorf("na = %q", s.NA)
		}
		c, _ := s.Column("monthly_spend")
		if c == nil || c.Missing != (Missing{Action: MissingFill, Fill: "0"}) || c.OutOfRange != PolicyClamp {
			t.Errorf("monthly_spend = %+v", c)
		}
	})
}

func columnNames(s *Schema) []string {
	var n []string
	for _, c := range s.Columns {
		n = append(n, c.Name)
	}
	return n
}

func TestParseErrors(t *testing.T) {
	oversize := customers("x = \"numeric\"") + "#" + strings.Repeat("x", MaxSchemaSize)
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown-top-level-key", "kind = \"customers\"\ncolour = \"red\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n", "schema colour: unknown key"},
		{"unknown-column-key", customers(`Age = { role = "numeric", mn = 18 }`), "schema columns.Age.mn: unknown key"},
		{"unknown-role", customers(`Age = "age"`), `schema columns.Age.role: unknown role "age"`},
		{"missing-role", customers(`Age = { min = 18 }`), "schema columns.Age.role: missing"},
		{"column-not-role-or-table", customers(`Age = 18`), "schema columns.Age: must be a role name or a table with a role"},
		{"missing-kind", "[columns]\nid = \"id\"\n", "schema kind: missing"},
		{"unknown-kind", "kind = \"people\"\n[columns]\nid = \"id\"\n", `schema kind: "people" is not one of`},
		{"unknown-format", "kind = \"transactions\"\nformat = \"xlsx\"\n", `schema format: "xlsx" is not one of csv, basket`},
		{"min-above-max", customers(`Age = { role = "numeric", min = 100, max = 18 }`), "schema columns.Age: min 100 is above max 18"},
		{"clamp-on-categorical", customers(`G = { role = "categorical", out_of_range = "clamp" }`), "schema columns.G.out_of_range: clamp applies to numeric roles only"},
		{"unknown-out-of-range", customers(`Age = { role = "numeric", out_of_range = "wrap" }`), `schema columns.Age.out_of_range: "wrap" is not one of error, skip, clamp`},
		{"out-of-range-on-timestamp", customers(`T = { role = "timestamp", layout = "2006", out_of_range = "skip" }`), "schema columns.T.out_of_range: does not apply to role timestamp"},
		{"values-on-numeric", customers(`Age = { role = "numeric", values = [1, 2] }`), "schema columns.Age.values: does not apply to role numeric"},
		{"min-on-categorical", customers(`G = { role = "categorical", min = 1 }`), "schema columns.G.min: does not apply to role categorical"},
		{"positive-missing", customers(`Exited = { role = "label", negative = "0" }`), "schema columns.Exited.positive: missing"},
		{"positive-missing-string-role", customers(`Exited = "label"`), "schema columns.Exited.positive: missing"},
		{"positive-equals-negative", customers(`Exited = { role = "label", positive = "1", negative = 1 }`), `schema columns.Exited: positive and negative are both "1"`},
		{"positive-on-numeric", customers(`Age = { role = "numeric", positive = "1" }`), "schema columns.Age.positive: does not apply to role numeric"},
		{"positive-not-finite", customers(`Exited = { role = "label", positive = nan }`), "schema columns.Exited.positive: must be finite"},
		{"positive-table", customers(`Exited = { role = "label", positive = { a = 1 } }`), "schema columns.Exited.positive: must be a string, number or boolean"},
		{"timestamp-without-layout", customers(`T = "timestamp"`), "schema columns.T.layout: missing"},
		{"bad-timezone", customers(`T = { role = "timestamp", layout = "2006-01-02", timezone = "Mars/Olympus_Mons" }`), "schema columns.T.timezone:"},
		{"layout-on-numeric", customers(`Age = { role = "numeric", layout = "2006" }`), "schema columns.Age.layout: does not apply to role numeric"},
		{"duplicates-on-transactions", "kind = \"transactions\"\nduplicates = \"keep-last\"\n[columns]\nid = \"id\"\nt = { role = \"timestamp\", layout = \"2006\" }\n", "schema duplicates: only customers datasets"},
		{"unknown-duplicates", "kind = \"customers\"\nduplicates = \"first\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n", `schema duplicates: "first" is not one of error, keep-last`},
		{"two-id-columns", customers(`id2 = "id"`, `x = "numeric"`), "schema columns: role id is given to 2 columns (id, id2)"},
		{"two-label-columns", customers(`a = { role = "label", positive = "1" }`, `b = { role = "label", positive = "1" }`), "schema columns: role label is given to 2 columns (a, b)"},
		{"no-id-column", "kind = \"customers\"\n[columns]\nx = \"numeric\"\n", `schema columns: a customers dataset needs a column with role id (the customer identifier, or set id_from = "row-number")`},
		{"id-from-and-id-column", "kind = \"customers\"\nid_from = \"row-number\"\n[columns]\ncid = \"id\"\nx = \"numeric\"\n", "schema id_from: column cid has role id already"},
		{"unknown-id-from", "kind = \"customers\"\nid_from = \"line\"\n[columns]\nx = \"numeric\"\n", `schema id_from: "line" is not row-number`},
		{"id-from-on-basket", "kind = \"transactions\"\nformat = \"basket\"\nid_from = \"row-number\"\n", "schema id_from: basket files number their transactions already"},
		{"basket-with-columns", "kind = \"transactions\"\nformat = \"basket\"\n[columns]\nitem = \"item\"\n", "schema columns: a basket file has no header"},
		{"basket-on-customers", "kind = \"customers\"\nformat = \"basket\"\n", "schema format: basket files hold transactions, not customers"},
		{"price-without-quantity", "kind = \"transactions\"\n[columns]\nid = \"id\"\nt = { role = \"timestamp\", layout = \"2006\" }\np = \"price\"\n", "schema columns: roles price and quantity go together"},
		{"quantity-without-price", "kind = \"transactions\"\n[columns]\nid = \"id\"\nt = { role = \"timestamp\", layout = \"2006\" }\nq = \"quantity\"\n", "schema columns: roles price and quantity go together"},
		{"transactions-without-time-or-invoice", "kind = \"transactions\"\n[columns]\nid = \"id\"\na = \"amount\"\n", "schema columns: a transactions dataset needs a timestamp or an invoice column"},
		{"campaign-without-group", "kind = \"campaign\"\n[columns]\nid = \"id\"\nc = \"count\"\n", "schema columns: a campaign dataset needs a column with role group"},
		{"item-on-customers", customers(`i = "item"`), "schema columns: role item does not fit a customers dataset"},
		{"nothing-stored", customers(`s = "drop"`), "schema columns: no column would be stored"},
		{"count-negative-min", customers(`n = { role = "count", min = -1 }`), "schema columns.n.min: counts are non-negative"},
		{"delimiter=ab", "kind = \"customers\"\ndelimiter = \"ab\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n", `schema delimiter: "ab" must be a single printable character (or a tab) other than a quote`},
		{"delimiter=quote", "kind = \"customers\"\ndelimiter = '\"'\n[columns]\nid = \"id\"\nx = \"numeric\"\n", `schema delimiter: "\"" must be a single printable character`},
		{"delimiter=empty", "kind = \"customers\"\ndelimiter = \"\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n", `schema delimiter: "" must be a single printable character`},
		{"delimiter=newline", "kind = \"customers\"\ndelimiter = \"\\n\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n", `schema delimiter: "\n" must be a single printable character`},
		{"unknown-others", "kind = \"customers\"\nothers = \"drop\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n", `schema others: "drop" is not one of error, ignore`},
		{"missing=maybe", customers(`Age = { role = "numeric", missing = "maybe" }`), `schema columns.Age.missing: "maybe" is not one of error, skip, { fill = VALUE }`},
		{"missing=number", customers(`Age = { role = "numeric", missing = 3 }`), "schema columns.Age.missing: must be error, skip or { fill = VALUE }"},
		{"missing-fill-not-a-number", customers(`Age = { role = "numeric", missing = { fill = "abc" } }`), `schema columns.Age.missing.fill: "abc" is not a number`},
		{"missing-fill-out-of-range", customers(`Age = { role = "numeric", min = 18, max = 100, missing = { fill = 0 } }`), `schema columns.Age.missing.fill: "0" is outside [18, 100]`},
		{"missing-fill-two-keys", customers(`Age = { role = "numeric", missing = { fill = 1, x = 2 } }`), "schema columns.Age.missing: a table here holds exactly one key, fill"},
		{"missing-table-without-fill", customers(`Age = { role = "numeric", missing = { value = 1 } }`), "schema columns.Age.missing: a table here holds exactly one key, fill"},
		{"missing-fill-is-na", customers(`Age = { role = "numeric", missing = { fill = "" } }`), `schema columns.Age.missing.fill: "" is itself a missing value`},
		{"missing-fill-excluded", customers(`G = { role = "categorical", exclude_prefix = ["X"], missing = { fill = "Xmas" } }`), "schema columns.G.missing.fill: the fill value is excluded by exclude_prefix"},
		{"missing-on-drop", customers(`x = "numeric"`, `S = { role = "drop", missing = "skip" }`), "schema columns.S.missing: does not apply to role drop"},
		{"fill-on-id", "kind = \"customers\"\n[columns]\nid = { role = \"id\", missing = { fill = \"x\" } }\nx = \"numeric\"\n", "schema columns.id.missing: an identifier cannot be filled in"},
		{"empty-values", customers(`G = { role = "categorical", values = [] }`), "schema columns.G.values: empty list"},
		{"duplicate-values", customers(`G = { role = "categorical", values = ["a", "b", "a"] }`), `schema columns.G.values: "a" listed twice`},
		{"duplicate-values-number-and-string", customers(`G = { role = "categorical", values = [1, "1"] }`), `schema columns.G.values: "1" listed twice`},
		{"values-element-table", customers(`G = { role = "categorical", values = [{ a = 1 }] }`), "schema columns.G.values[0]: must be a string, number or boolean"},
		{"exclude-prefix-empty", customers(`Inv = { role = "categorical", exclude_prefix = ["C", ""] }`), "schema columns.Inv.exclude_prefix: an empty prefix would exclude every row"},
		{"exclude-prefix-on-numeric", customers(`Age = { role = "numeric", exclude_prefix = ["C"] }`), "schema columns.Age.exclude_prefix: does not apply to role numeric"},
		{"column-name-control-char", customers(`"a\tb" = "numeric"`), `schema columns."a\tb": column names are 1 to 256 printable characters`},
		{"toml-syntax-error", "kind = \"customers\"\n[columns]\nid = = \"id\"\n", "schema: line 3: expected value"},
		{"toml-unterminated-string", "kind = \"customers\"\n[columns]\nid = \"id\nx = \"numeric\"\n", "schema: line 3: "},
		{"toml-type-error", "kind = 3\n", "schema: "},
		{"non-utf8", "kind = \"customers\"\n# \xff\xfe\n[columns]\nid = \"id\"\nx = \"numeric\"\n", "schema: file is not valid UTF-8"},
		{"oversize", oversize, "schema: file is " + strconv.Itoa(len(oversize)) + " bytes, limit 1048576"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.src))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s\n=> %+v", tc.src, s)
			}
			if s != nil {
				t.Errorf("Parse returned a schema with error %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *schema.Error", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Run("missing=fill-0", func(t *testing.T) {
		s := mustParse(t, customers(`Balance = { role = "numeric", min = 0, max = 10, missing = { fill = 0 } }`))
		c, _ := s.Column("Balance")
		if c.Missing != (Missing{Action: MissingFill, Fill: "0"}) {
			t.Errorf("missing = %+v", c.Missing)
		}
	})
	t.Run("missing=fill-float", func(t *testing.T) {
		s := mustParse(t, customers(`Balance = { role = "numeric", missing = { fill = 2.5 } }`))
		if c, _ := s.Column("Balance"); c.Missing.Fill != "2.5" {
			t.Errorf("fill = %q, want 2.5", c.Missing.Fill)
		}
	})
	t.Run("missing=skip", func(t *testing.T) {
		s := mustParse(t, customers(`Balance = { role = "numeric", missing = "skip" }`))
		if c, _ := s.Column("Balance"); c.Missing != (Missing{Action: PolicySkip}) {
			t.Errorf("missing = %+v", c.Missing)
		}
	})
	t.Run("missing=default", func(t *testing.T) {
		s := mustParse(t, customers(`Balance = "numeric"`))
		if c, _ := s.Column("Balance"); c.Missing != (Missing{Action: PolicyError}) || c.OutOfRange != PolicyError {
			t.Errorf("column = %+v", c)
		}
	})
	t.Run("positive=integer", func(t *testing.T) {
		s := mustParse(t, customers(`Exited = { role = "label", positive = 1, negative = 0 }`))
		if c, _ := s.Column("Exited"); c.Positive != "1" || c.Negative != "0" {
			t.Errorf("positive %q negative %q", c.Positive, c.Negative)
		}
	})
	t.Run("positive=bool", func(t *testing.T) {
		s := mustParse(t, customers(`Exited = { role = "label", positive = true }`))
		if c, _ := s.Column("Exited"); c.Positive != "true" || c.Negative != "" {
			t.Errorf("positive %q negative %q", c.Positive, c.Negative)
		}
	})
	t.Run("values=integers", func(t *testing.T) {
		s := mustParse(t, customers(`G = { role = "categorical", values = [1, 2, 2.5, false] }`))
		if c, _ := s.Column("G"); !slices.Equal(c.Values, []string{"1", "2", "2.5", "false"}) {
			t.Errorf("values %q", c.Values)
		}
	})
	t.Run("others=ignore", func(t *testing.T) {
		s := mustParse(t, "kind = \"customers\"\nothers = \"ignore\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n")
		if s.Others != OthersIgnore {
			t.Errorf("others = %q", s.Others)
		}
	})
	t.Run("delimiter=tab", func(t *testing.T) {
		s := mustParse(t, "kind = \"customers\"\ndelimiter = \"\\t\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n")
		if s.Delimiter != '\t' {
			t.Errorf("delimiter = %q", s.Delimiter)
		}
	})
	t.Run("delimiter=multibyte", func(t *testing.T) {
		s := mustParse(t, "kind = \"customers\"\ndelimiter = \"§\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n")
		if s.Delimiter != '§' {
			t.Errorf("delimiter = %q", s.Delimiter)
		}
	})
	t.Run("id_from=row-number", func(t *testing.T) {
		s := mustParse(t, "kind = \"customers\"\nid_from = \"row-number\"\n[columns]\nx = \"numeric\"\n")
		if s.IDFrom != IDRowNumber {
			t.Errorf("id_from = %q", s.IDFrom)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		s := mustParse(t, customers(`x = "numeric"`))
		want := &Schema{Kind: KindCustomers, Format: FormatCSV, Delimiter: ',', NA: []string{""},
			Others: PolicyError, Duplicates: DuplicatesError, Source: s.Source,
			Columns: []Column{
				{Name: "id", Role: RoleID, OutOfRange: PolicyError, Missing: Missing{Action: PolicyError}},
				{Name: "x", Role: RoleNumeric, OutOfRange: PolicyError, Missing: Missing{Action: PolicyError}},
			}}
		if !reflect.DeepEqual(s, want) {
			t.Errorf("got  %+v\nwant %+v", s, want)
		}
	})
	t.Run("duplicates=unset-on-transactions", func(t *testing.T) {
		s := mustParse(t, "kind = \"transactions\"\n[columns]\nid = \"id\"\nt = { role = \"timestamp\", layout = \"2006\" }\n")
		if s.Duplicates != "" {
			t.Errorf("duplicates = %q, want empty for transactions", s.Duplicates)
		}
	})
	t.Run("na=empty-list", func(t *testing.T) {
		s := mustParse(t, "kind = \"customers\"\nna = []\n[columns]\nid = \"id\"\nx = \"numeric\"\n")
		if len(s.NA) != 0 || s.IsNA("") {
			t.Errorf("na = %q: the empty cell should not be missing", s.NA)
		}
	})
	t.Run("columns-sorted", func(t *testing.T) {
		s := mustParse(t, customers(`zeta = "numeric"`, `alpha = "numeric"`, `Mid = "numeric"`, `"with space" = "numeric"`, `beta = "drop"`))
		want := []string{"Mid", "alpha", "beta", "id", "with space", "zeta"}
		if got := columnNames(s); !slices.Equal(got, want) {
			t.Errorf("columns %q, want %q", got, want)
		}
	})
	t.Run("table-section", func(t *testing.T) {
		s := mustParse(t, "kind = \"customers\"\n[columns]\nid = \"id\"\n[columns.Age]\nrole = \"numeric\"\nmin = 18\n")
		if c, _ := s.Column("Age"); c == nil || c.Min == nil || *c.Min != 18 {
			t.Errorf("Age = %+v", c)
		}
	})
	t.Run("basket", func(t *testing.T) {
		s := mustParse(t, "kind = \"transactions\"\nformat = \"basket\"\n")
		item, _ := s.Column(BasketItem)
		tx, _ := s.Column(BasketTransaction)
		if item == nil || item.Role != RoleItem || item.Missing.Action != PolicySkip {
			t.Errorf("item = %+v", item)
		}
		if tx == nil || tx.Role != RoleInvoice {
			t.Errorf("transaction = %+v", tx)
		}
	})
}

func TestSchemaHelpers(t *testing.T) {
	s := mustParse(t, "kind = \"transactions\"\nna = [\"\", \"NA\"]\n[columns]\nid = \"id\"\ninv = { role = \"invoice\", exclude_prefix = [\"C\", \"X-\"] }\n")
	for _, tc := range []struct {
		v    string
		na   bool
		excl bool
	}{
		{"", true, false}, {"NA", true, false}, {"na", false, false}, {"C1", false, true},
		{"X-1", false, true}, {"X1", false, false}, {"1C", false, false},
	} {
		c, _ := s.Column("inv")
		if got := s.IsNA(tc.v); got != tc.na {
			t.Errorf("value=%q: IsNA = %v", tc.v, got)
		}
		if got := c.Excluded(tc.v); got != tc.excl {
			t.Errorf("value=%q: Excluded = %v", tc.v, got)
		}
	}
	if _, ok := s.Column("nope"); ok {
		t.Error("Column(nope) found")
	}
}

func TestParseDeterministic(t *testing.T) {
	for name, src := range exampleSchemas(t) {
		a := mustParse(t, string(src))
		for range 5 {
			if b := mustParse(t, string(src)); !reflect.DeepEqual(a, b) {
				t.Fatalf("file=%s: two parses differ", name)
			}
		}
	}
}

// TestBugParseErrorDeterministic: with several bad columns, Parse reports
// whichever the map iteration reaches first.
func TestParseErrorDeterministic(t *testing.T) {
	src := customers(`a = "bogus1"`, `b = "bogus2"`, `c = "bogus3"`, `d = "bogus4"`)
	_, first := Parse([]byte(src))
	for range 50 {
		if _, err := Parse([]byte(src)); err.Error() != first.Error() {
			t.Fatalf("errors differ between runs: %q and %q", first, err)
		}
	}
}

// TestBugDelimiterNUL: encoding/csv refuses NUL as a delimiter, so a schema
// that Parse accepts cannot ingest any file.
func TestDelimiterNUL(t *testing.T) {
	src := "kind = \"customers\"\ndelimiter = \"\\u0000\"\n[columns]\nid = \"id\"\nx = \"numeric\"\n"
	if s, err := Parse([]byte(src)); err == nil {
		t.Fatalf("Parse accepted delimiter NUL (Delimiter = %q)", s.Delimiter)
	}
}

// TestBugFillOutsideRangeWithSkip: a fill value must be storable; with
// out_of_range = "skip" a fill outside the bounds or values list is accepted
// and every filled row is then skipped as out of range.
func TestFillOutsideRangeWithSkip(t *testing.T) {
	for _, col := range []string{
		`x = { role = "numeric", min = 0, max = 10, out_of_range = "skip", missing = { fill = 100 } }`,
		`x = { role = "categorical", values = ["a", "b"], out_of_range = "skip", missing = { fill = "z" } }`,
	} {
		if _, err := Parse([]byte(customers(col))); err == nil {
			t.Errorf("accepted %s", col)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, src := range exampleSchemas(f) {
		f.Add(src)
	}
	f.Add([]byte(customers(`Age = { role = "numeric", min = 18, max = 100, missing = { fill = 30 } }`)))
	f.Add([]byte("kind = \"transactions\"\nformat = \"basket\"\ndelimiter = \";\"\n"))
	f.Add([]byte("kind = \"customers\"\nid_from = \"row-number\"\n[columns]\nx = { role = \"label\", positive = 1 }\n"))
	f.Add([]byte("kind = \"customers\"\n[columns\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T (%v) is not a *schema.Error", err, err)
			}
			if s != nil {
				t.Fatal("schema returned with an error")
			}
			return
		}
		if s.Source != string(data) {
			t.Fatal("Source differs from the input")
		}
		if !slices.IsSortedFunc(s.Columns, func(a, b Column) int { return strings.Compare(a.Name, b.Name) }) {
			t.Fatalf("columns not sorted: %q", columnNames(s))
		}
		for i := range s.Columns {
			c := &s.Columns[i]
			if err := c.validate(s); err != nil {
				t.Fatalf("column %s of a parsed schema does not validate: %v", c.Name, err)
			}
			if _, err := NewParser(c); err != nil {
				t.Fatalf("column %s: NewParser: %v", c.Name, err)
			}
		}
		if err := s.validateRoles(); err != nil {
			t.Fatalf("roles of a parsed schema do not validate: %v", err)
		}
		s2, err := Parse(data)
		if err != nil {
			t.Fatalf("second parse failed: %v", err)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("two parses differ:\n%+v\n%+v", s, s2)
		}
	})
}
