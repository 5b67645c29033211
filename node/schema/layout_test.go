package schema

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// allTypes is a layout with one column of every stored type.
func allTypes() *Layout {
	return &Layout{Kind: KindTransactions, IDName: "id", Columns: []StoredColumn{
		{Name: "f", Role: RoleNumeric, Type: TypeFloat},
		{Name: "n", Role: RoleCount, Type: TypeInt},
		{Name: "c", Role: RoleCategorical, Type: TypeCat, Values: []string{"a", "b", "c"}},
		{Name: "s", Role: RoleInvoice, Type: TypeString},
		{Name: "t", Role: RoleTimestamp, Type: TypeTime},
		{Name: "b", Role: RoleLabel, Type: TypeBool},
	}}
}

// sameValues compares values, floats by their bits (NaN payloads, -0).
func sameValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i].Num) != math.Float64bits(b[i].Num) || a[i].Int != b[i].Int || a[i].Str != b[i].Str {
			return false
		}
	}
	return true
}

func TestRowRoundTrip(t *testing.T) {
	l := allTypes()
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", MaxString)
	for _, tc := range []struct {
		name string
		vals []Value
	}{
		{"zero", []Value{{}, {}, {}, {}, {}, {}}},
		{"typical", []Value{{Num: 42.5}, {Int: 3}, {Int: 1}, {Str: "536365"}, {Int: 1291191960}, {Int: 1}}},
		{"negative-zero", []Value{{Num: math.Copysign(0, -1)}, {Int: -1}, {Int: 0}, {Str: ""}, {Int: -1}, {Int: 0}}},
		{"nan-payload", []Value{{Num: math.Float64frombits(0x7ff8000000000001)}, {}, {}, {}, {}, {}}},
		{"infinities", []Value{{Num: math.Inf(-1)}, {Int: 1}, {Int: 2}, {Str: "é"}, {Int: 0}, {Int: 1}}},
		{"smallest-float", []Value{{Num: math.SmallestNonzeroFloat64}, {}, {}, {}, {}, {}}},
		{"max-int64", []Value{{Num: math.MaxFloat64}, {Int: math.MaxInt64}, {Int: 2}, {Str: long}, {Int: math.MaxInt64}, {Int: 1}}},
		{"min-int64", []Value{{Num: -math.MaxFloat64}, {Int: math.MinInt64}, {Int: 0}, {Str: "\x00\xff"}, {Int: math.MinInt64}, {Int: 0}}},
		{"dictionary-end", []Value{{}, {}, {Int: int64(len(l.Columns[2].Values) - 1)}, {}, {}, {}}},
	} {
		t.Run("vals="+tc.name, func(t *testing.T) {
			row := l.AppendRow([]byte("prefix"), tc.vals)
			if !bytes.HasPrefix(row, []byte("prefix")) {
				t.Fatal("AppendRow did not append")
			}
			row = row[len("prefix"):]
			got, err := l.DecodeRow(row, make([]Value, 0, 1))
			if err != nil {
				t.Fatalf("DecodeRow: %v", err)
			}
			if !sameValues(got, tc.vals) {
				t.Fatalf("decoded %+v, want %+v", got, tc.vals)
			}
			if again := l.AppendRow(nil, got); !bytes.Equal(again, row) {
				t.Fatalf("re-encoding differs: %x vs %x", again, row)
			}
			for n := range len(row) {
				if _, err := l.DecodeRow(row[:n], nil); !errors.Is(err, ErrCorruptRow) {
					t.Fatalf("truncated to %d of %d bytes: err %v, want ErrCorruptRow", n, len(row), err)
				}
			}
			if _, err := l.DecodeRow(append(bytes.Clone(row), 0), nil); err == nil || !strings.Contains(err.Error(), "1 trailing bytes") {
				t.Fatalf("trailing byte: err %v", err)
			}
		})
	}
}

func TestRowEncodingFixed(t *testing.T) {
	// The encoding is stored on disk: pin it.
	l := allTypes()
	row := l.AppendRow(nil, []Value{{Num: 1}, {Int: -2}, {Int: 2}, {Str: "ab"}, {Int: 64}, {Int: 1}})
	want := []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 3, 2, 2, 'a', 'b', 0x80, 0x01, 1}
	if !bytes.Equal(row, want) {
		t.Fatalf("row %x, want %x", row, want)
	}
}

func TestDecodeRowRejects(t *testing.T) {
	col := func(c StoredColumn) *Layout { return &Layout{Kind: KindCustomers, Columns: []StoredColumn{c}} }
	floatL := col(StoredColumn{Name: "f", Role: RoleNumeric, Type: TypeFloat})
	intL := col(StoredColumn{Name: "n", Role: RoleCount, Type: TypeInt})
	boolL := col(StoredColumn{Name: "b", Role: RoleLabel, Type: TypeBool})
	catL := col(StoredColumn{Name: "c", Role: RoleCategorical, Type: TypeCat, Values: []string{"x", "y"}})
	emptyCat := col(StoredColumn{Name: "c", Role: RoleCategorical, Type: TypeCat})
	strL := col(StoredColumn{Name: "s", Role: RoleInvoice, Type: TypeString})
	badType := col(StoredColumn{Name: "z", Role: RoleNumeric, Type: Type(99)})
	over := binary.AppendUvarint(nil, MaxString+1)
	over = append(over, strings.Repeat("x", MaxString+1)...)
	for _, tc := range []struct {
		name string
		l    *Layout
		data []byte
		want string
	}{
		{"float-short", floatL, make([]byte, 7), "column f: corrupt row: short float"},
		{"float-empty", floatL, nil, "short float"},
		{"int-empty", intL, nil, "column n: corrupt row: bad varint"},
		{"int-unterminated", intL, []byte{0x80, 0x80}, "bad varint"},
		{"int-overflow", intL, bytes.Repeat([]byte{0xff}, 11), "bad varint"},
		{"bool-2", boolL, []byte{2}, "column b: corrupt row: bad bool"},
		{"bool-ff", boolL, []byte{0xff}, "bad bool"},
		{"bool-empty", boolL, nil, "bad bool"},
		{"category-at-len", catL, []byte{2}, "column c: corrupt row: bad category index"},
		{"category-huge", catL, binary.AppendUvarint(nil, math.MaxUint64), "bad category index"},
		{"category-empty-dictionary", emptyCat, []byte{0}, "bad category index"},
		{"string-longer-than-max", strL, over, "column s: corrupt row: bad string length"},
		{"string-length-beyond-data", strL, []byte{5, 'a', 'b'}, "bad string length"},
		{"string-empty", strL, nil, "bad string length"},
		{"unknown-type", badType, make([]byte, 8), "unknown type 99"},
		{"trailing", boolL, []byte{1, 0}, "corrupt row: 1 trailing bytes"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			vals, err := tc.l.DecodeRow(tc.data, nil)
			if err == nil {
				t.Fatalf("decoded %+v", vals)
			}
			if !errors.Is(err, ErrCorruptRow) {
				t.Errorf("error %v does not wrap ErrCorruptRow", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestDecodeRowMaxString(t *testing.T) {
	l := &Layout{Kind: KindCustomers, Columns: []StoredColumn{{Name: "s", Role: RoleInvoice, Type: TypeString}}}
	s := strings.Repeat("é", MaxString/2)
	row := l.AppendRow(nil, []Value{{Str: s}})
	got, err := l.DecodeRow(row, nil)
	if err != nil || got[0].Str != s {
		t.Fatalf("string of exactly MaxString bytes: %v", err)
	}
}

// TestBugDecodeRowNonMinimalVarint: DecodeRow should reject a varint that is
// not in its shortest form, so that every stored row has one encoding.
func TestDecodeRowNonMinimalVarint(t *testing.T) {
	l := &Layout{Kind: KindCustomers, Columns: []StoredColumn{{Name: "n", Role: RoleCount, Type: TypeInt}}}
	if vals, err := l.DecodeRow([]byte{0x80, 0x00}, nil); err == nil {
		t.Fatalf("non-minimal varint decoded to %+v", vals)
	}
}

func TestLayoutValidate(t *testing.T) {
	if err := allTypes().Validate(); err != nil {
		t.Fatalf("valid layout: %v", err)
	}
	if err := (&Layout{Kind: KindCampaign}).Validate(); err != nil {
		t.Fatalf("layout without columns: %v", err)
	}
	for _, tc := range []struct {
		name string
		l    Layout
		want string
	}{
		{"unknown-kind", Layout{Kind: "people"}, `layout: unknown kind "people"`},
		{"empty-kind", Layout{}, `layout: unknown kind ""`},
		{"numeric-as-int", Layout{Kind: KindCustomers, Columns: []StoredColumn{{Name: "x", Role: RoleNumeric, Type: TypeInt}}}, "layout: column x: type int does not fit role numeric"},
		{"label-as-category", Layout{Kind: KindCustomers, Columns: []StoredColumn{{Name: "y", Role: RoleLabel, Type: TypeCat}}}, "type category does not fit role label"},
		{"id-stored", Layout{Kind: KindCustomers, Columns: []StoredColumn{{Name: "id", Role: RoleID, Type: TypeNone}}}, "type none does not fit role id"},
		{"unknown-role", Layout{Kind: KindCustomers, Columns: []StoredColumn{{Name: "q", Role: "mystery", Type: TypeFloat}}}, "does not fit role mystery"},
		{"unknown-type", Layout{Kind: KindCustomers, Columns: []StoredColumn{{Name: "q", Role: RoleNumeric, Type: Type(42)}}}, "type type(42) does not fit"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			err := tc.l.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestLayoutJSON(t *testing.T) {
	lo, hi := 0.0, 10.0
	l := allTypes()
	l.Columns[0].Min, l.Columns[0].Max = &lo, &hi
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"type":"category"`) {
		t.Errorf("types not encoded by name: %s", b)
	}
	var got Layout
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, l) {
		t.Errorf("JSON round trip: got %+v, want %+v", got, *l)
	}
	if got.Index("s") != 3 || got.Index("nope") != -1 || got.RoleIndex(RoleLabel) != 5 || got.RoleIndex(RoleItem) != -1 {
		t.Error("Index or RoleIndex wrong")
	}
	var ty Type
	if err := ty.UnmarshalText([]byte("decimal")); err == nil {
		t.Error("unknown type name accepted")
	}
}

func TestRoleTypes(t *testing.T) {
	for r, want := range map[Role]Type{
		RoleID: TypeNone, RoleDrop: TypeNone, RoleIgnore: TypeNone, RoleLabel: TypeBool,
		RoleNumeric: TypeFloat, RoleCategorical: TypeCat, RoleTimestamp: TypeTime, RoleAmount: TypeFloat,
		RolePrice: TypeFloat, RoleQuantity: TypeFloat, RoleItem: TypeCat, RoleInvoice: TypeString,
		RoleGroup: TypeCat, RoleCount: TypeInt, RoleCost: TypeFloat, RoleRevenue: TypeFloat,
	} {
		if got := r.StoredType(); got != want {
			t.Errorf("role=%s: stored type %s, want %s", r, got, want)
		}
	}
}

func mustParser(t testing.TB, c Column) *Parser {
	t.Helper()
	if c.OutOfRange == "" {
		c.OutOfRange = PolicyError
	}
	p, err := NewParser(&c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr(f float64) *float64 { return &f }

type cellCase struct {
	in      string
	want    Value
	res     Result
	wantErr string // substring of the error; "" for none
}

func checkCells(t *testing.T, p *Parser, cases []cellCase) {
	t.Helper()
	for _, tc := range cases {
		v, res, err := p.Parse(tc.in)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("cell=%q: error %v, want %q", tc.in, err, tc.wantErr)
			}
			var ve *ValueError
			if err != nil && (!errors.As(err, &ve) || ve.Value != tc.in) {
				t.Errorf("cell=%q: error %#v is not a ValueError for the cell", tc.in, err)
			}
		case err != nil:
			t.Errorf("cell=%q: unexpected error %v", tc.in, err)
		case res != tc.res || !sameValues([]Value{v}, []Value{tc.want}):
			t.Errorf("cell=%q: got %+v result %d, want %+v result %d", tc.in, v, res, tc.want, tc.res)
		}
	}
}

func TestParserNumeric(t *testing.T) {
	p := mustParser(t, Column{Name: "x", Role: RoleNumeric})
	checkCells(t, p, []cellCase{
		{in: "42", want: Value{Num: 42}},
		{in: "-3.25", want: Value{Num: -3.25}},
		{in: "1e3", want: Value{Num: 1000}},
		{in: "-0", want: Value{Num: math.Copysign(0, -1)}},
		{in: "+7", want: Value{Num: 7}},
		{in: "abc", wantErr: `"abc" is not a number`},
		{in: "", wantErr: `"" is not a number`},
		{in: "NaN", wantErr: `"NaN" is not a number`},
		{in: "nan", wantErr: "is not a number"},
		{in: "Inf", wantErr: `"Inf" is not a number`},
		{in: "-Infinity", wantErr: "is not a number"},
		{in: "1e400", wantErr: "is not a number"},
		{in: " 42", wantErr: "is not a number"},
		{in: "1,5", wantErr: "is not a number"},
	})
}

func TestParserValueErrorTruncates(t *testing.T) {
	p := mustParser(t, Column{Name: "x", Role: RoleNumeric})
	_, _, err := p.Parse(strings.Repeat("ü", 100))
	if err == nil {
		t.Fatal("accepted")
	}
	if want := `"` + strings.Repeat("ü", 40) + `…" is not a number`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestParserOutOfRange(t *testing.T) {
	base := Column{Name: "Age", Role: RoleNumeric, Min: ptr(18), Max: ptr(100)}
	for _, tc := range []struct {
		policy Policy
		cases  []cellCase
	}{
		{PolicyError, []cellCase{
			{in: "18", want: Value{Num: 18}},
			{in: "100", want: Value{Num: 100}},
			{in: "17.9", wantErr: `"17.9" is outside [18, 100]`},
			{in: "101", wantErr: `"101" is outside [18, 100]`},
		}},
		{PolicySkip, []cellCase{
			{in: "50", want: Value{Num: 50}},
			{in: "17", res: OutOfRange},
			{in: "1000", res: OutOfRange},
			{in: "abc", wantErr: "is not a number"},
		}},
		{PolicyClamp, []cellCase{
			{in: "50", want: Value{Num: 50}},
			{in: "-5", want: Value{Num: 18}},
			{in: "1e9", want: Value{Num: 100}},
		}},
	} {
		t.Run("out_of_range="+string(tc.policy), func(t *testing.T) {
			c := base
			c.OutOfRange = tc.policy
			checkCells(t, mustParser(t, c), tc.cases)
		})
	}
	t.Run("only-min", func(t *testing.T) {
		checkCells(t, mustParser(t, Column{Name: "b", Role: RoleNumeric, Min: ptr(0)}), []cellCase{
			{in: "1e300", want: Value{Num: 1e300}},
			{in: "-1", wantErr: `"-1" is outside [0, +inf]`},
		})
	})
	t.Run("only-max-clamp", func(t *testing.T) {
		checkCells(t, mustParser(t, Column{Name: "b", Role: RoleNumeric, Max: ptr(5), OutOfRange: PolicyClamp}), []cellCase{
			{in: "-1e300", want: Value{Num: -1e300}},
			{in: "6", want: Value{Num: 5}},
		})
	})
}

func TestParserCount(t *testing.T) {
	p := mustParser(t, Column{Name: "n", Role: RoleCount, Min: ptr(0), Max: ptr(1000)})
	checkCells(t, p, []cellCase{
		{in: "3", want: Value{Int: 3}},
		{in: "3.0", want: Value{Int: 3}},
		{in: "1e3", want: Value{Int: 1000}},
		{in: "0", want: Value{Int: 0}},
		{in: "3.5", wantErr: `"3.5" is not an integer`},
		{in: "abc", wantErr: `"abc" is not an integer`},
		{in: "NaN", wantErr: "is not an integer"},
		{in: "-1", wantErr: `"-1" is outside [0, 1000]`},
		{in: "1001", wantErr: "is outside [0, 1000]"},
	})
	unbounded := mustParser(t, Column{Name: "n", Role: RoleCount})
	checkCells(t, unbounded, []cellCase{
		{in: "9007199254740992", want: Value{Int: 1 << 53}},
		{in: "1e16", wantErr: "is not an integer"},
	})
}

// TestBugCountLargeIntegers: a count column without bounds takes integers
// through float64, so large values lose precision or wrap around.
func TestCountLargeIntegers(t *testing.T) {
	p := mustParser(t, Column{Name: "n", Role: RoleCount})
	for _, in := range []string{"9223372036854775807", "9007199254740993"} {
		v, _, err := p.Parse(in)
		if err == nil && strconv.FormatInt(v.Int, 10) != in {
			t.Errorf("cell=%q stored as %d", in, v.Int)
		}
	}
}

// TestBugCountNegativeWithoutMin: counts are documented as non-negative
// (schema.go RoleCount, and Parse refuses a negative min), but a count column
// without min accepts negative cells.
func TestCountNegativeWithoutMin(t *testing.T) {
	s := mustParse(t, "kind = \"campaign\"\n[columns]\nid = \"id\"\narm = \"group\"\nclicks = \"count\"\n")
	c, _ := s.Column("clicks")
	p := mustParser(t, *c)
	if v, _, err := p.Parse("-5"); err == nil {
		t.Fatalf("count -5 accepted as %d", v.Int)
	}
}

func TestParserCategorical(t *testing.T) {
	t.Run("values=listed", func(t *testing.T) {
		p := mustParser(t, Column{Name: "G", Role: RoleCategorical, Values: []string{"France", "Germany", "Spain"}})
		checkCells(t, p, []cellCase{
			{in: "Spain", want: Value{Int: 2}},
			{in: "France", want: Value{Int: 0}},
			{in: "france", wantErr: `"france" is not one of the listed values ["France" "Germany" "Spain"]`},
			{in: "", wantErr: "is not one of the listed values"},
		})
		if d := p.Dictionary(); !reflect.DeepEqual(d, []string{"France", "Germany", "Spain"}) {
			t.Errorf("dictionary grew: %q", d)
		}
	})
	t.Run("values=listed-skip", func(t *testing.T) {
		p := mustParser(t, Column{Name: "G", Role: RoleGroup, Values: []string{"A", "B"}, OutOfRange: PolicySkip})
		checkCells(t, p, []cellCase{{in: "B", want: Value{Int: 1}}, {in: "C", res: OutOfRange}})
	})
	t.Run("values=many", func(t *testing.T) {
		p := mustParser(t, Column{Name: "G", Role: RoleCategorical, Values: []string{"1", "2", "3", "4", "5", "6", "7", "8"}})
		checkCells(t, p, []cellCase{{in: "9", wantErr: `["1" "2" "3" "4" "5" "6" … 2 more]`}})
	})
	t.Run("values=none", func(t *testing.T) {
		p := mustParser(t, Column{Name: "Country", Role: RoleCategorical})
		checkCells(t, p, []cellCase{
			{in: "United Kingdom", want: Value{Int: 0}},
			{in: "France", want: Value{Int: 1}},
			{in: "United Kingdom", want: Value{Int: 0}},
			{in: "", want: Value{Int: 2}},
			{in: "Australia", want: Value{Int: 3}},
			{in: strings.Repeat("x", MaxString), want: Value{Int: 4}},
			{in: strings.Repeat("x", MaxString+1), wantErr: "is longer than 256 bytes"},
		})
		want := []string{"United Kingdom", "France", "", "Australia", strings.Repeat("x", MaxString)}
		if d := p.Dictionary(); !reflect.DeepEqual(d, want) {
			t.Errorf("dictionary %q, want first-seen order %q", d, want)
		}
	})
}

func TestParserString(t *testing.T) {
	p := mustParser(t, Column{Name: "inv", Role: RoleInvoice, ExcludePrefix: []string{"C"}})
	checkCells(t, p, []cellCase{
		{in: "536365", want: Value{Str: "536365"}},
		{in: "", want: Value{Str: ""}},
		{in: "C536379", res: Excluded},
		{in: "c536379", want: Value{Str: "c536379"}},
		{in: strings.Repeat("9", MaxString+1), wantErr: "is longer than 256 bytes"},
	})
	item := mustParser(t, Column{Name: "StockCode", Role: RoleItem, ExcludePrefix: []string{"POST", "DOT"}})
	checkCells(t, item, []cellCase{
		{in: "85123A", want: Value{Int: 0}},
		{in: "POST", res: Excluded},
		{in: "DOTCOM", res: Excluded},
		{in: "71053", want: Value{Int: 1}},
	})
	if d := item.Dictionary(); len(d) != 2 {
		t.Errorf("excluded values entered the dictionary: %q", d)
	}
}

func TestParserLabel(t *testing.T) {
	t.Run("positive-and-negative", func(t *testing.T) {
		p := mustParser(t, Column{Name: "y", Role: RoleLabel, Positive: "yes", Negative: "no"})
		checkCells(t, p, []cellCase{
			{in: "yes", want: Value{Int: 1}},
			{in: "no", want: Value{Int: 0}},
			{in: "maybe", wantErr: `"maybe" is neither the positive value "yes" nor the negative value "no"`},
			{in: "YES", wantErr: "is neither"},
		})
	})
	t.Run("positive-only", func(t *testing.T) {
		p := mustParser(t, Column{Name: "y", Role: RoleLabel, Positive: "1"})
		checkCells(t, p, []cellCase{
			{in: "1", want: Value{Int: 1}},
			{in: "0", want: Value{Int: 0}},
			{in: "anything", want: Value{Int: 0}},
		})
	})
}

func TestParserTimestamp(t *testing.T) {
	t.Run("timezone=UTC", func(t *testing.T) {
		p := mustParser(t, Column{Name: "t", Role: RoleTimestamp, Layout: "20060102"})
		checkCells(t, p, []cellCase{
			{in: "19970101", want: Value{Int: 852076800}},
			{in: "19970230", wantErr: `"19970230" is not a time in layout "20060102"`},
			{in: "1997-01-01", wantErr: "is not a time"},
		})
	})
	t.Run("timezone=Europe/London", func(t *testing.T) {
		if _, err := time.LoadLocation("Europe/London"); err != nil {
			t.Skip("no time zone database:", err)
		}
		p := mustParser(t, Column{Name: "t", Role: RoleTimestamp, Layout: "2006-01-02 15:04:05", Timezone: "Europe/London"})
		winter := time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC).Unix()
		summer := time.Date(2011, 6, 1, 8, 26, 0, 0, time.UTC).Add(-time.Hour).Unix() // BST = UTC+1
		checkCells(t, p, []cellCase{
			{in: "2010-12-01 08:26:00", want: Value{Int: winter}},
			{in: "2011-06-01 08:26:00", want: Value{Int: summer}},
		})
	})
	t.Run("layout-with-zone", func(t *testing.T) {
		p := mustParser(t, Column{Name: "t", Role: RoleTimestamp, Layout: time.RFC3339, Timezone: "Europe/London"})
		checkCells(t, p, []cellCase{{in: "2011-06-01T08:26:00Z", want: Value{Int: time.Date(2011, 6, 1, 8, 26, 0, 0, time.UTC).Unix()}}})
	})
	t.Run("bad-timezone", func(t *testing.T) {
		if _, err := NewParser(&Column{Name: "t", Role: RoleTimestamp, Layout: "2006", Timezone: "Nowhere/Land"}); err == nil || !strings.Contains(err.Error(), "column t") {
			t.Errorf("NewParser with a bad zone: %v", err)
		}
	})
}

func TestParserNotStored(t *testing.T) {
	for _, r := range []Role{RoleID, RoleDrop, RoleIgnore} {
		p := mustParser(t, Column{Name: "c", Role: r})
		if _, _, err := p.Parse("x"); err == nil || !strings.Contains(err.Error(), "is not stored") {
			t.Errorf("role=%s: Parse error %v", r, err)
		}
	}
}

func FuzzDecodeRow(f *testing.F) {
	l := allTypes()
	f.Add(l.AppendRow(nil, []Value{{Num: 1.5}, {Int: 7}, {Int: 2}, {Str: "536365"}, {Int: 1291191960}, {Int: 1}}))
	f.Add(l.AppendRow(nil, []Value{{Num: math.NaN()}, {Int: math.MinInt64}, {Int: 0}, {Str: strings.Repeat("s", MaxString)}, {Int: math.MaxInt64}, {Int: 0}}))
	f.Add(l.AppendRow(nil, []Value{{}, {}, {}, {}, {}, {}}))
	f.Add([]byte{})
	f.Add(make([]byte, 20))
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, err := l.DecodeRow(data, nil)
		if err != nil {
			if !errors.Is(err, ErrCorruptRow) {
				t.Fatalf("error %v does not wrap ErrCorruptRow", err)
			}
			return
		}
		if len(vals) != len(l.Columns) {
			t.Fatalf("%d values for %d columns", len(vals), len(l.Columns))
		}
		for i, c := range l.Columns {
			v := vals[i]
			switch c.Type {
			case TypeCat:
				if v.Int < 0 || v.Int >= int64(len(c.Values)) {
					t.Fatalf("column %s: category %d outside the dictionary", c.Name, v.Int)
				}
			case TypeBool:
				if v.Int != 0 && v.Int != 1 {
					t.Fatalf("column %s: bool %d", c.Name, v.Int)
				}
			case TypeString:
				if len(v.Str) > MaxString {
					t.Fatalf("column %s: string of %d bytes", c.Name, len(v.Str))
				}
			}
		}
		again := l.AppendRow(nil, vals)
		if !bytes.Equal(again, data) {
			// The values must still round trip; only the bytes of a
			// non-minimal varint may differ (TestBugDecodeRowNonMinimalVarint).
			vals2, err := l.DecodeRow(again, nil)
			if err != nil || !sameValues(vals, vals2) || len(again) >= len(data) {
				t.Fatalf("round trip: %x decodes to %+v, re-encodes to %x", data, vals, again)
			}
		}
	})
}
