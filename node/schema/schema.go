// Package schema describes datasets: the schema file that maps the columns of
// a CSV export to roles (which are stored, how, and which are never stored),
// the layout of a stored dataset version, and the binary encoding of its rows.
//
// A schema is operator input: Parse rejects unknown keys, unknown roles and
// contradictory options with an error naming the key, and never panics.
//
// This package must never read files or hold data rows; it describes them.
package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the kind of a dataset.
type Kind string

// The dataset kinds.
const (
	// KindCustomers has one row per customer (features and a label).
	KindCustomers Kind = "customers"
	// KindTransactions has invoice lines: customer, time, amount, items.
	KindTransactions Kind = "transactions"
	// KindCampaign has campaign exposures: customer, campaign, arm, counts, cost, revenue.
	KindCampaign Kind = "campaign"
)

// Role says what a column means and whether and how it is stored.
type Role string

// The column roles.
const (
	RoleID          Role = "id"          // direct identifier: pseudonymised, never stored in clear
	RoleDrop        Role = "drop"        // direct identifier or other sensitive column: never stored
	RoleIgnore      Role = "ignore"      // column not needed: never stored
	RoleLabel       Role = "label"       // binary outcome (churned, subscribed)
	RoleNumeric     Role = "numeric"     // real-valued feature
	RoleCategorical Role = "categorical" // categorical feature
	RoleTimestamp   Role = "timestamp"   // point in time
	RoleAmount      Role = "amount"      // line total
	RolePrice       Role = "price"       // unit price: line total = quantity × price
	RoleQuantity    Role = "quantity"    // units on the line
	RoleItem        Role = "item"        // product or item category
	RoleInvoice     Role = "invoice"     // invoice or basket identifier
	RoleGroup       Role = "group"       // campaign arm
	RoleCount       Role = "count"       // non-negative integer count (exposures, clicks, conversions)
	RoleCost        Role = "cost"        // cost attributed to the row
	RoleRevenue     Role = "revenue"     // revenue attributed to the row
)

var roles = map[Role]Type{
	RoleID: TypeNone, RoleDrop: TypeNone, RoleIgnore: TypeNone,
	RoleLabel: TypeBool, RoleNumeric: TypeFloat, RoleCategorical: TypeCat,
	RoleTimestamp: TypeTime, RoleAmount: TypeFloat, RolePrice: TypeFloat,
	RoleQuantity: TypeFloat, RoleItem: TypeCat, RoleInvoice: TypeString,
	RoleGroup: TypeCat, RoleCount: TypeInt, RoleCost: TypeFloat, RoleRevenue: TypeFloat,
}

// singleRoles may appear at most once in a schema.
var singleRoles = []Role{RoleID, RoleLabel, RoleTimestamp, RoleAmount, RolePrice,
	RoleQuantity, RoleItem, RoleInvoice, RoleGroup, RoleCost, RoleRevenue}

// Type is how a stored column's values are represented.
type Type uint8

// The stored types.
const (
	TypeNone   Type = iota // not stored
	TypeFloat              // float64
	TypeInt                // int64
	TypeCat                // index into the column's dictionary
	TypeString             // short string
	TypeTime               // Unix seconds
	TypeBool               // 0 or 1
)

var typeNames = [...]string{"none", "float", "int", "category", "string", "time", "bool"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText encodes t by name.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText decodes a type name.
func (t *Type) UnmarshalText(b []byte) error {
	for i, n := range typeNames {
		if n == string(b) {
			*t = Type(i)
			return nil
		}
	}
	return fmt.Errorf("unknown column type %q", b)
}

// StoredType returns the stored type of a role, TypeNone for roles that are
// never stored as a column (id is the row key, drop and ignore vanish).
func (r Role) StoredType() Type {
	switch r { // a switch, not the map: this runs for every cell
	case RoleNumeric, RoleAmount, RolePrice, RoleQuantity, RoleCost, RoleRevenue:
		return TypeFloat
	case RoleCount:
		return TypeInt
	case RoleCategorical, RoleItem, RoleGroup:
		return TypeCat
	case RoleInvoice:
		return TypeString
	case RoleTimestamp:
		return TypeTime
	case RoleLabel:
		return TypeBool
	}
	return TypeNone
}

// Numeric reports whether the role holds numbers that take bounds.
func (r Role) Numeric() bool { t := r.StoredType(); return t == TypeFloat || t == TypeInt }

// Categorical reports whether the role's values come from a dictionary.
func (r Role) Categorical() bool { return r.StoredType() == TypeCat }

// Policy says what to do with a value outside a column's bounds or values list.
type Policy string

// The out-of-range policies.
const (
	PolicyError Policy = "error" // the ingest fails, naming file, line and column
	PolicySkip  Policy = "skip"  // the row is dropped and counted in the report
	PolicyClamp Policy = "clamp" // the value is clamped into [min, max] (numeric roles only)
)

// Missing says what to do with a missing value (one of the schema's NA strings).
type Missing struct {
	Action Policy // PolicyError, PolicySkip, or "fill"
	Fill   string // the replacement text when Action is MissingFill; parsed like a cell
}

// MissingFill is the Missing action that replaces a missing value.
const MissingFill Policy = "fill"

// Format is the layout of the input file.
type Format string

// The input formats.
const (
	FormatCSV    Format = "csv"    // header row, one record per line
	FormatBasket Format = "basket" // no header, one transaction per line, items separated by the delimiter
)

// Duplicates says what to do with a customer that appears twice in a
// customers dataset.
type Duplicates string

// The duplicate policies.
const (
	DuplicatesError    Duplicates = "error"
	DuplicatesKeepLast Duplicates = "keep-last"
)

// Column is one column of a schema.
type Column struct {
	Name          string
	Role          Role
	Min, Max      *float64 // bounds of numeric roles; nil if unset
	OutOfRange    Policy   // numeric and categorical roles
	Missing       Missing
	Values        []string // allowed values of categorical roles (nil: any value)
	Positive      string   // label: the value meaning 1
	Negative      string   // label: the value meaning 0 ("" : every other value)
	Layout        string   // timestamp: Go time layout
	Timezone      string   // timestamp: IANA zone of zone-less times ("" : UTC)
	ExcludePrefix []string // rows whose value starts with one of these are skipped
}

// Schema maps the columns of an input file to roles.
type Schema struct {
	Kind       Kind
	Format     Format
	Delimiter  rune
	NA         []string   // cell texts that mean "missing"
	Others     Policy     // PolicyError or "ignore": columns the schema does not name
	Duplicates Duplicates // customers kind only
	IDFrom     IDFrom     // where the customer identifier comes from when no column has role id
	Columns    []Column   // sorted by name
	Source     string     // the schema file's text, kept with each dataset version
}

// IDFrom names a source of customer identifiers other than a column.
type IDFrom string

// IDRowNumber makes the 1-based number of each data record (the first
// record after the header is 1) its customer identifier, for exports whose
// rows are customers but carry no identifier column.
const IDRowNumber IDFrom = "row-number"

// OthersIgnore is the Others policy that ignores unnamed columns.
const OthersIgnore Policy = "ignore"

// Column returns the column named name.
func (s *Schema) Column(name string) (*Column, bool) {
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return &s.Columns[i], true
		}
	}
	return nil, false
}

// IsNA reports whether a cell text means "missing".
func (s *Schema) IsNA(v string) bool {
	for _, na := range s.NA {
		if v == na {
			return true
		}
	}
	return false
}

// Excluded reports whether v starts with one of the column's excluded prefixes.
func (c *Column) Excluded(v string) bool {
	for _, p := range c.ExcludePrefix {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}
