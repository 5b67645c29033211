package schema

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxDictionary bounds the number of distinct values of one categorical column.
const MaxDictionary = 1 << 20

// MaxString bounds the length in bytes of a stored string value.
const MaxString = 256

// Value is one stored cell. Float columns use Num; int, time, category and
// bool columns use Int; string columns use Str.
type Value struct {
	Num float64
	Int int64
	Str string
}

// Result is the outcome of parsing one cell.
type Result uint8

// The parse results.
const (
	Accepted   Result = iota // the value is stored
	OutOfRange               // outside the bounds or values list, and the column skips such rows
	Excluded                 // matches the column's exclude_prefix: the row is skipped
)

// ValueError says why a cell was rejected. Its message quotes the cell; callers
// that must not reveal the cell (identifiers) use Reason.
type ValueError struct {
	Value  string
	Reason string
}

func (e *ValueError) Error() string {
	v := e.Value
	if utf8.RuneCountInString(v) > 40 {
		r := []rune(v)
		v = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q %s", v, e.Reason)
}

// Parser turns the cell texts of one column into values. A parser of a
// categorical column without a values list builds the column's dictionary as
// it goes; it is not safe for concurrent use.
type Parser struct {
	col  *Column
	typ  Type
	loc  *time.Location
	dict map[string]uint32
	keys []string
}

// NewParser returns a parser for column c.
func NewParser(c *Column) (*Parser, error) {
	p := &Parser{col: c, typ: c.Role.StoredType(), loc: time.UTC}
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		p.loc = loc
	}
	if c.Role.Categorical() {
		p.dict = make(map[string]uint32, len(c.Values))
		for _, v := range c.Values {
			p.add(v)
		}
	}
	return p, nil
}

func (p *Parser) add(v string) uint32 {
	i := uint32(len(p.keys))
	p.dict[v] = i
	p.keys = append(p.keys, v)
	return i
}

// Dictionary returns the values of a categorical column in index order.
func (p *Parser) Dictionary() []string { return p.keys }

var errNotNumber = errors.New("not a number")

// Parse converts one cell. It returns an error for a value the column rejects
// outright, and OutOfRange or Excluded for a row the column skips.
func (p *Parser) Parse(s string) (Value, Result, error) {
	c := p.col
	if len(c.ExcludePrefix) > 0 && c.Excluded(s) {
		return Value{}, Excluded, nil
	}
	switch p.typ {
	case TypeFloat, TypeInt:
		return p.number(s)
	case TypeCat:
		if i, ok := p.dict[s]; ok {
			return Value{Int: int64(i)}, Accepted, nil
		}
		if len(c.Values) > 0 {
			if c.OutOfRange == PolicySkip {
				return Value{}, OutOfRange, nil
			}
			return Value{}, Accepted, &ValueError{s, "is not one of the listed values " + listValues(c.Values)}
		}
		if len(s) > MaxString {
			return Value{}, Accepted, &ValueError{s, fmt.Sprintf("is longer than %d bytes", MaxString)}
		}
		if len(p.keys) >= MaxDictionary {
			return Value{}, Accepted, &ValueError{s, fmt.Sprintf("would be distinct value number %d; a column holds at most %d (give it a values list or role ignore)", len(p.keys)+1, MaxDictionary)}
		}
		return Value{Int: int64(p.add(s))}, Accepted, nil
	case TypeString:
		if len(s) > MaxString {
			return Value{}, Accepted, &ValueError{s, fmt.Sprintf("is longer than %d bytes", MaxString)}
		}
		return Value{Str: s}, Accepted, nil
	case TypeTime:
		t, err := time.ParseInLocation(c.Layout, s, p.loc)
		if err != nil {
			return Value{}, Accepted, &ValueError{s, fmt.Sprintf("is not a time in layout %q", c.Layout)}
		}
		return Value{Int: t.Unix()}, Accepted, nil
	case TypeBool:
		switch {
		case s == c.Positive:
			return Value{Int: 1}, Accepted, nil
		case c.Negative == "" || s == c.Negative:
			return Value{Int: 0}, Accepted, nil
		}
		return Value{}, Accepted, &ValueError{s, fmt.Sprintf("is neither the positive value %q nor the negative value %q", c.Positive, c.Negative)}
	}
	return Value{}, Accepted, fmt.Errorf("column %s: role %s is not stored", c.Name, c.Role)
}

func (p *Parser) number(s string) (Value, Result, error) {
	c := p.col
	lo, hi := c.Min, c.Max
	if c.Role == RoleCount && (lo == nil || *lo < 0) {
		zero := 0.0
		lo = &zero // counts are never negative
	}
	if p.typ == TypeInt {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f, ferr := parseFloat(s)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return Value{}, Accepted, &ValueError{s, "is not an integer"}
			}
			i = int64(f)
		}
		// INVARIANT: bounds are integral-checked against the exact integer;
		// float64(i) is only used for comparison, never stored.
		if (lo != nil && float64(i) < *lo) || (hi != nil && float64(i) > *hi) {
			switch c.OutOfRange {
			case PolicySkip:
				return Value{}, OutOfRange, nil
			case PolicyClamp:
				if lo != nil && float64(i) < *lo {
					i = int64(math.Ceil(*lo))
				}
				if hi != nil && float64(i) > *hi {
					i = int64(math.Floor(*hi))
				}
			default:
				return Value{}, Accepted, &ValueError{s, "is outside [" + bound(lo, "-inf") + ", " + bound(hi, "+inf") + "]"}
			}
		}
		return Value{Int: i}, Accepted, nil
	}
	x, err := parseFloat(s)
	if err != nil {
		return Value{}, Accepted, &ValueError{s, "is not a number"}
	}
	if (lo != nil && x < *lo) || (hi != nil && x > *hi) {
		switch c.OutOfRange {
		case PolicySkip:
			return Value{}, OutOfRange, nil
		case PolicyClamp:
			if lo != nil {
				x = math.Max(x, *lo)
			}
			if hi != nil {
				x = math.Min(x, *hi)
			}
		default:
			return Value{}, Accepted, &ValueError{s, "is outside [" + bound(lo, "-inf") + ", " + bound(hi, "+inf") + "]"}
		}
	}
	return Value{Num: x}, Accepted, nil
}

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errNotNumber
	}
	return f, nil
}

func bound(b *float64, none string) string {
	if b == nil {
		return none
	}
	return strconv.FormatFloat(*b, 'g', -1, 64)
}

func listValues(v []string) string {
	const show = 6
	q := make([]string, 0, show+1)
	for i, s := range v {
		if i == show {
			q = append(q, fmt.Sprintf("… %d more", len(v)-show))
			break
		}
		q = append(q, strconv.Quote(s))
	}
	return "[" + strings.Join(q, " ") + "]"
}
