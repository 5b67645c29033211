package schema

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// MaxSchemaSize bounds the size of a schema file.
const MaxSchemaSize = 1 << 20

// MaxColumns bounds the number of columns a schema may name.
const MaxColumns = 4096

// Names of the implicit columns of a basket file.
const (
	BasketTransaction = "transaction"
	BasketItem        = "item"
)

// Error is a schema error. Key names the offending key ("columns.Age.min"),
// or is empty for the file as a whole.
type Error struct {
	Key string
	Err error
}

func (e *Error) Error() string {
	if e.Key == "" {
		return "schema: " + e.Err.Error()
	}
	return fmt.Sprintf("schema %s: %v", e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func errf(key, format string, args ...any) error {
	return &Error{Key: key, Err: fmt.Errorf(format, args...)}
}

type file struct {
	Kind       string                    `toml:"kind"`
	Format     string                    `toml:"format"`
	Delimiter  *string                   `toml:"delimiter"`
	NA         []string                  `toml:"na"`
	Others     string                    `toml:"others"`
	Duplicates string                    `toml:"duplicates"`
	IDFrom     string                    `toml:"id_from"`
	Columns    map[string]toml.Primitive `toml:"columns"`
}

type columnSpec struct {
	Role          string   `toml:"role"`
	Min           *float64 `toml:"min"`
	Max           *float64 `toml:"max"`
	OutOfRange    string   `toml:"out_of_range"`
	Missing       any      `toml:"missing"`
	Values        []any    `toml:"values"`
	Positive      any      `toml:"positive"`
	Negative      any      `toml:"negative"`
	Layout        string   `toml:"layout"`
	Timezone      string   `toml:"timezone"`
	ExcludePrefix []string `toml:"exclude_prefix"`
}

// Parse decodes and validates a schema file.
func Parse(data []byte) (*Schema, error) {
	if len(data) > MaxSchemaSize {
		return nil, errf("", "file is %d bytes, limit %d", len(data), MaxSchemaSize)
	}
	if !utf8.Valid(data) {
		return nil, errf("", "file is not valid UTF-8")
	}
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, errf("", "line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, &Error{Err: err}
	}
	s := &Schema{Source: string(data)}
	if err := s.top(&f); err != nil {
		return nil, err
	}
	if len(f.Columns) > MaxColumns {
		return nil, errf("columns", "%d columns, limit %d", len(f.Columns), MaxColumns)
	}
	names := make([]string, 0, len(f.Columns))
	for name := range f.Columns {
		names = append(names, name)
	}
	slices.Sort(names) // errors name the same column on every run
	for _, name := range names {
		c, err := decodeColumn(md, name, f.Columns[name])
		if err != nil {
			return nil, err
		}
		s.Columns = append(s.Columns, c)
	}
	slices.SortFunc(s.Columns, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	for _, k := range md.Undecoded() {
		// Keys inside a column's missing table were decoded into an
		// interface value and checked by decodeMissing.
		if len(k) == 4 && k[0] == "columns" && k[2] == "missing" {
			continue
		}
		return nil, errf(k.String(), "unknown key")
	}
	if s.Format == FormatBasket {
		if len(s.Columns) > 0 {
			return nil, errf("columns", "a basket file has no header: its columns are %q and %q, not named in the schema", BasketTransaction, BasketItem)
		}
		s.Columns = []Column{
			{Name: BasketItem, Role: RoleItem, OutOfRange: PolicyError, Missing: Missing{Action: PolicySkip}},
			{Name: BasketTransaction, Role: RoleInvoice, OutOfRange: PolicyError, Missing: Missing{Action: PolicyError}},
		}
	}
	for i := range s.Columns {
		if err := s.Columns[i].validate(s); err != nil {
			return nil, err
		}
	}
	if err := s.validateRoles(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Schema) top(f *file) error {
	switch Kind(f.Kind) {
	case KindCustomers, KindTransactions, KindCampaign:
		s.Kind = Kind(f.Kind)
	case "":
		return errf("kind", "missing (one of customers, transactions, campaign)")
	default:
		return errf("kind", "%q is not one of customers, transactions, campaign", f.Kind)
	}
	switch Format(f.Format) {
	case "", FormatCSV:
		s.Format = FormatCSV
	case FormatBasket:
		s.Format = FormatBasket
		if s.Kind != KindTransactions {
			return errf("format", "basket files hold transactions, not %s", s.Kind)
		}
	default:
		return errf("format", "%q is not one of csv, basket", f.Format)
	}
	s.Delimiter = ','
	if f.Delimiter != nil {
		d := *f.Delimiter
		r, n := utf8.DecodeRuneInString(d)
		if n == 0 || n != len(d) || r == utf8.RuneError || r == '"' || (unicode.IsControl(r) && r != '\t') {
			return errf("delimiter", "%q must be a single printable character (or a tab) other than a quote", d)
		}
		s.Delimiter = r
	}
	s.NA = f.NA
	if s.NA == nil {
		s.NA = []string{""}
	}
	switch Policy(f.Others) {
	case "", PolicyError:
		s.Others = PolicyError
	case OthersIgnore:
		s.Others = OthersIgnore
	default:
		return errf("others", "%q is not one of error, ignore", f.Others)
	}
	switch Duplicates(f.Duplicates) {
	case "":
		if s.Kind == KindCustomers {
			s.Duplicates = DuplicatesError
		}
	case DuplicatesError, DuplicatesKeepLast:
		if s.Kind != KindCustomers {
			return errf("duplicates", "only customers datasets have one row per customer")
		}
		s.Duplicates = Duplicates(f.Duplicates)
	default:
		return errf("duplicates", "%q is not one of error, keep-last", f.Duplicates)
	}
	switch IDFrom(f.IDFrom) {
	case "":
	case IDRowNumber:
		if s.Format == FormatBasket {
			return errf("id_from", "basket files number their transactions already")
		}
		s.IDFrom = IDRowNumber
	default:
		return errf("id_from", "%q is not %s", f.IDFrom, IDRowNumber)
	}
	return nil
}

var columnName = regexp.MustCompile(`^[^\x00-\x1f]{1,256}$`)

func decodeColumn(md toml.MetaData, name string, prim toml.Primitive) (Column, error) {
	key := "columns." + quoteKey(name)
	if !columnName.MatchString(name) {
		return Column{}, errf(key, "column names are 1 to 256 printable characters")
	}
	var spec columnSpec
	switch md.Type("columns", name) {
	case "String":
		var role string
		if err := md.PrimitiveDecode(prim, &role); err != nil {
			return Column{}, &Error{Key: key, Err: err}
		}
		spec.Role = role
	case "Hash", "Inline Table":
		if err := md.PrimitiveDecode(prim, &spec); err != nil {
			return Column{}, &Error{Key: key, Err: err}
		}
	default:
		return Column{}, errf(key, "must be a role name or a table with a role")
	}
	c := Column{Name: name, Role: Role(spec.Role), Min: spec.Min, Max: spec.Max,
		Layout: spec.Layout, Timezone: spec.Timezone, ExcludePrefix: spec.ExcludePrefix}
	if _, ok := roles[c.Role]; !ok {
		if spec.Role == "" {
			return Column{}, errf(key+".role", "missing")
		}
		return Column{}, errf(key+".role", "unknown role %q", spec.Role)
	}
	t := c.Role.StoredType()
	has := func(field string, set bool, ok bool) error {
		if set && !ok {
			return errf(key+"."+field, "does not apply to role %s", c.Role)
		}
		return nil
	}
	numeric, cat := c.Role.Numeric(), c.Role.Categorical()
	if err := errors.Join(
		has("min", spec.Min != nil, numeric),
		has("max", spec.Max != nil, numeric),
		has("out_of_range", spec.OutOfRange != "", numeric || cat),
		has("values", spec.Values != nil, cat),
		has("positive", spec.Positive != nil, c.Role == RoleLabel),
		has("negative", spec.Negative != nil, c.Role == RoleLabel),
		has("layout", spec.Layout != "", c.Role == RoleTimestamp),
		has("timezone", spec.Timezone != "", c.Role == RoleTimestamp),
		has("exclude_prefix", spec.ExcludePrefix != nil, t == TypeCat || t == TypeString),
		has("missing", spec.Missing != nil, t != TypeNone || c.Role == RoleID),
	); err != nil {
		return Column{}, firstError(err)
	}
	c.OutOfRange = PolicyError
	if spec.OutOfRange != "" {
		c.OutOfRange = Policy(spec.OutOfRange)
	}
	var err error
	if c.Missing, err = decodeMissing(key+".missing", spec.Missing); err != nil {
		return Column{}, err
	}
	for i, v := range spec.Values {
		s, err := scalar(fmt.Sprintf("%s.values[%d]", key, i), v)
		if err != nil {
			return Column{}, err
		}
		c.Values = append(c.Values, s)
	}
	if spec.Values != nil && len(c.Values) == 0 {
		return Column{}, errf(key+".values", "empty list")
	}
	if spec.Positive != nil {
		if c.Positive, err = scalar(key+".positive", spec.Positive); err != nil {
			return Column{}, err
		}
	}
	if spec.Negative != nil {
		if c.Negative, err = scalar(key+".negative", spec.Negative); err != nil {
			return Column{}, err
		}
	}
	return c, nil
}

func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

func decodeMissing(key string, v any) (Missing, error) {
	switch m := v.(type) {
	case nil:
		return Missing{Action: PolicyError}, nil
	case string:
		switch Policy(m) {
		case PolicyError, PolicySkip:
			return Missing{Action: Policy(m)}, nil
		}
		return Missing{}, errf(key, "%q is not one of error, skip, { fill = VALUE }", m)
	case map[string]any:
		if len(m) != 1 {
			return Missing{}, errf(key, "a table here holds exactly one key, fill")
		}
		fv, ok := m["fill"]
		if !ok {
			return Missing{}, errf(key, "a table here holds exactly one key, fill")
		}
		s, err := scalar(key+".fill", fv)
		if err != nil {
			return Missing{}, err
		}
		return Missing{Action: MissingFill, Fill: s}, nil
	}
	return Missing{}, errf(key, "must be error, skip or { fill = VALUE }")
}

// scalar renders a TOML string, integer, float or boolean as cell text.
func scalar(key string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", errf(key, "must be finite")
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", errf(key, "must be a string, number or boolean")
}

func quoteKey(name string) string {
	for _, r := range name {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return strconv.Quote(name)
		}
	}
	return name
}

func (c *Column) key() string { return "columns." + quoteKey(c.Name) }

func (c *Column) validate(s *Schema) error {
	key := c.key()
	switch c.OutOfRange {
	case PolicyError, PolicySkip:
	case PolicyClamp:
		if !c.Role.Numeric() {
			return errf(key+".out_of_range", "clamp applies to numeric roles only")
		}
	default:
		return errf(key+".out_of_range", "%q is not one of error, skip, clamp", c.OutOfRange)
	}
	for _, b := range []*float64{c.Min, c.Max} {
		if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
			return errf(key, "bounds must be finite")
		}
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		return errf(key, "min %v is above max %v", *c.Min, *c.Max)
	}
	if c.Role == RoleCount && c.Min != nil && *c.Min < 0 {
		return errf(key+".min", "counts are non-negative")
	}
	if c.Role == RoleID && c.Missing.Action == MissingFill {
		return errf(key+".missing", "an identifier cannot be filled in")
	}
	if c.Role == RoleLabel {
		if c.Positive == "" {
			return errf(key+".positive", "missing: say which value means 1")
		}
		if c.Positive == c.Negative {
			return errf(key, "positive and negative are both %q", c.Positive)
		}
	}
	if c.Role == RoleTimestamp {
		if c.Layout == "" {
			return errf(key+".layout", "missing: give a Go time layout, e.g. \"2006-01-02 15:04:05\"")
		}
		if c.Timezone != "" {
			if _, err := time.LoadLocation(c.Timezone); err != nil {
				return errf(key+".timezone", "%v", err)
			}
		}
	}
	if len(c.Values) > 0 {
		seen := make(map[string]bool, len(c.Values))
		for _, v := range c.Values {
			if seen[v] {
				return errf(key+".values", "%q listed twice", v)
			}
			seen[v] = true
		}
		if len(c.Values) > MaxDictionary {
			return errf(key+".values", "%d values, limit %d", len(c.Values), MaxDictionary)
		}
	}
	for _, p := range c.ExcludePrefix {
		if p == "" {
			return errf(key+".exclude_prefix", "an empty prefix would exclude every row")
		}
	}
	if c.Missing.Action == MissingFill {
		if s.IsNA(c.Missing.Fill) {
			return errf(key+".missing.fill", "%q is itself a missing value", c.Missing.Fill)
		}
		if err := c.checkFill(); err != nil {
			return errf(key+".missing.fill", "%v", err)
		}
	}
	return nil
}

// checkFill parses the fill text as the column's type.
func (c *Column) checkFill() error {
	p, err := NewParser(c)
	if err != nil {
		return err
	}
	_, res, err := p.Parse(c.Missing.Fill)
	if err != nil {
		return err
	}
	switch res {
	case Excluded:
		return errors.New("the fill value is excluded by exclude_prefix")
	case OutOfRange:
		return errors.New("the fill value is outside the column's bounds or values")
	}
	return nil
}

func (s *Schema) validateRoles() error {
	count := map[Role][]string{}
	for _, c := range s.Columns {
		count[c.Role] = append(count[c.Role], c.Name)
	}
	for _, r := range singleRoles {
		if n := count[r]; len(n) > 1 {
			return errf("columns", "role %s is given to %d columns (%s); at most one is allowed", r, len(n), strings.Join(n, ", "))
		}
	}
	need := func(r Role, why string) error {
		if len(count[r]) == 0 {
			return errf("columns", "a %s dataset needs a column with role %s (%s)", s.Kind, r, why)
		}
		return nil
	}
	switch {
	case s.IDFrom != "":
		if len(count[RoleID]) > 0 {
			return errf("id_from", "column %s has role id already", count[RoleID][0])
		}
	case s.Format == FormatCSV:
		if err := need(RoleID, "the customer identifier, or set id_from = \"row-number\""); err != nil {
			return err
		}
	}
	switch s.Kind {
	case KindCustomers:
		for _, r := range []Role{RoleItem, RoleInvoice, RolePrice, RoleQuantity} {
			if len(count[r]) > 0 {
				return errf("columns", "role %s does not fit a customers dataset (one row per customer); use a transactions dataset", r)
			}
		}
	case KindTransactions:
		if len(count[RoleTimestamp]) == 0 && len(count[RoleInvoice]) == 0 {
			return errf("columns", "a transactions dataset needs a timestamp or an invoice column")
		}
	case KindCampaign:
		if err := need(RoleGroup, "the campaign arm"); err != nil {
			return err
		}
	}
	if (len(count[RolePrice]) > 0) != (len(count[RoleQuantity]) > 0) {
		return errf("columns", "roles price and quantity go together (line total = quantity × price)")
	}
	stored := 0
	for _, c := range s.Columns {
		if c.Role.StoredType() != TypeNone {
			stored++
		}
	}
	if stored == 0 {
		return errf("columns", "no column would be stored")
	}
	return nil
}
