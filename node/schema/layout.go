package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// StoredColumn describes one column of a stored dataset version.
type StoredColumn struct {
	Name   string   `json:"name"`
	Role   Role     `json:"role"`
	Type   Type     `json:"type"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Values []string `json:"values,omitempty"` // dictionary of categorical columns, in index order
}

// Layout is the stored shape of a dataset version: the columns of its rows,
// in input order. The identifier column is the row key, not a column.
type Layout struct {
	Kind    Kind           `json:"kind"`
	IDName  string         `json:"id_column,omitempty"`
	Columns []StoredColumn `json:"columns"`
}

// Index returns the position of the column named name, or -1.
func (l *Layout) Index(name string) int {
	for i, c := range l.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// RoleIndex returns the position of the first column with role r, or -1.
func (l *Layout) RoleIndex(r Role) int {
	for i, c := range l.Columns {
		if c.Role == r {
			return i
		}
	}
	return -1
}

// Validate checks a decoded layout, so that rows decoded with it cannot index
// outside its dictionaries.
func (l *Layout) Validate() error {
	switch l.Kind {
	case KindCustomers, KindTransactions, KindCampaign:
	default:
		return fmt.Errorf("layout: unknown kind %q", l.Kind)
	}
	for _, c := range l.Columns {
		if c.Type == TypeNone || c.Type != c.Role.StoredType() {
			return fmt.Errorf("layout: column %s: type %s does not fit role %s", c.Name, c.Type, c.Role)
		}
	}
	return nil
}

// ErrCorruptRow marks a stored row that does not decode with its layout.
var ErrCorruptRow = errors.New("corrupt row")

// AppendRow appends the encoding of vals (one per column) to dst.
//
// The encoding is, per column: float64 as 8 bytes little-endian; int and time
// as a zig-zag varint; category as an unsigned varint index; bool as one byte;
// string as an unsigned varint length and the bytes.
func (l *Layout) AppendRow(dst []byte, vals []Value) []byte {
	for i, c := range l.Columns {
		v := vals[i]
		switch c.Type {
		case TypeFloat:
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Num))
		case TypeInt, TypeTime:
			dst = binary.AppendVarint(dst, v.Int)
		case TypeCat:
			dst = binary.AppendUvarint(dst, uint64(v.Int))
		case TypeBool:
			dst = append(dst, byte(v.Int&1))
		case TypeString:
			dst = binary.AppendUvarint(dst, uint64(len(v.Str)))
			dst = append(dst, v.Str...)
		}
	}
	return dst
}

// DecodeRow decodes a row into vals, which it grows to one value per column.
// It checks every length and dictionary index against the layout.
func (l *Layout) DecodeRow(data []byte, vals []Value) ([]Value, error) {
	vals = vals[:0]
	for _, c := range l.Columns {
		var v Value
		switch c.Type {
		case TypeFloat:
			if len(data) < 8 {
				return nil, fmt.Errorf("column %s: %w: short float", c.Name, ErrCorruptRow)
			}
			v.Num = math.Float64frombits(binary.LittleEndian.Uint64(data))
			data = data[8:]
		case TypeInt, TypeTime:
			x, n := binary.Varint(data)
			if n <= 0 || n != varintLen(x) {
				return nil, fmt.Errorf("column %s: %w: bad varint", c.Name, ErrCorruptRow)
			}
			v.Int, data = x, data[n:]
		case TypeCat:
			x, n := binary.Uvarint(data)
			if n <= 0 || n != uvarintLen(x) || x >= uint64(len(c.Values)) {
				return nil, fmt.Errorf("column %s: %w: bad category index", c.Name, ErrCorruptRow)
			}
			v.Int, data = int64(x), data[n:]
		case TypeBool:
			if len(data) < 1 || data[0] > 1 {
				return nil, fmt.Errorf("column %s: %w: bad bool", c.Name, ErrCorruptRow)
			}
			v.Int, data = int64(data[0]), data[1:]
		case TypeString:
			x, n := binary.Uvarint(data)
			if n <= 0 || n != uvarintLen(x) || x > MaxString || x > uint64(len(data)-n) {
				return nil, fmt.Errorf("column %s: %w: bad string length", c.Name, ErrCorruptRow)
			}
			v.Str, data = string(data[n:n+int(x)]), data[n+int(x):]
		default:
			return nil, fmt.Errorf("column %s: %w: unknown type %d", c.Name, ErrCorruptRow, c.Type)
		}
		vals = append(vals, v)
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptRow, len(data))
	}
	return vals, nil
}

// uvarintLen and varintLen give the length of the shortest encoding of x;
// DecodeRow accepts only that one, so every row has a single encoding.
func uvarintLen(x uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], x)
}

func varintLen(x int64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutVarint(b[:], x)
}
