// Package ingest reads a CSV export (plain or gzip) with a schema, checks and
// converts every cell, pseudonymises customer identifiers and hands encoded
// rows to a Sink, streaming: memory does not grow with the file.
//
// Input errors name the file, line and column and say what was expected.
// Cells of identifier columns never appear in errors or reports.
//
// This package must never write anything but encoded rows to its Sink, and
// never store or return a direct identifier or a dropped column.
package ingest

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/schema"
)

// Sink receives the encoded rows of one dataset version. seq orders the rows
// of one customer: Seq(line, item).
type Sink interface {
	Add(id pseudo.ID, seq uint64, row []byte) error
}

// Seq is the row sequence number of item number item (0 for one-row records)
// of the record that starts on line.
func Seq(line int64, item int) uint64 { return uint64(line)<<16 | uint64(item) }

// SeqLine returns the line of a row sequence number.
func SeqLine(seq uint64) int64 { return int64(seq >> 16) }

// MaxBasketItems bounds the items of one basket line.
const MaxBasketItems = 1<<16 - 1

// RowError is an input error at a position of a file. It wraps the cause.
type RowError struct {
	File   string
	Line   int64
	Column string // "" when the error is about the whole line
	Err    error
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, " column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// ErrHeader marks a header that does not fit the schema.
var ErrHeader = errors.New("header does not fit the schema")

// Options configure one ingest.
type Options struct {
	File     string                // name used in errors and reports (base name of the input)
	Schema   *schema.Schema        // the dataset's schema
	Pseudo   *pseudo.Pseudonymizer // keyed pseudonymiser; owned by this ingest while it runs
	Progress func(records int64)   // called every ProgressEvery records; may be nil
}

// ProgressEvery is how often, in records, Options.Progress is called.
const ProgressEvery = 1 << 16

// Skip counts the records skipped for one reason.
type Skip struct {
	Reason     string  `json:"reason"`
	Count      int64   `json:"count"`
	FirstLines []int64 `json:"first_lines"`
}

// maxSkipLines is how many line numbers a Skip keeps.
const maxSkipLines = 5

// Report says what an ingest read, stored and skipped.
type Report struct {
	File          string        `json:"file"`
	SHA256        string        `json:"sha256"` // of the input file as read (compressed if gzip)
	RecordsRead   int64         `json:"records_read"`
	RecordsStored int64         `json:"records_stored"`
	RowsStored    int64         `json:"rows_stored"` // equals RecordsStored except for basket files (one row per item)
	Skipped       []Skip        `json:"skipped,omitempty"`
	Filled        []Skip        `json:"filled,omitempty"` // missing values replaced by the column's fill value
	Layout        schema.Layout `json:"layout"`
}

func (r *Report) skip(reason string, line int64) { r.Skipped = tally(r.Skipped, reason, line) }

func (r *Report) fill(column string, line int64) { r.Filled = tally(r.Filled, column, line) }

func tally(ss []Skip, reason string, line int64) []Skip {
	for i := range ss {
		if ss[i].Reason == reason {
			s := &ss[i]
			s.Count++
			if len(s.FirstLines) < maxSkipLines {
				s.FirstLines = append(s.FirstLines, line)
			}
			return ss
		}
	}
	return append(ss, Skip{Reason: reason, Count: 1, FirstLines: []int64{line}})
}

// AddSkips records n skipped records for reason, with the first lines given.
func (r *Report) AddSkips(reason string, n int64, lines []int64) {
	if n == 0 {
		return
	}
	r.Skipped = append(r.Skipped, Skip{Reason: reason, Count: n, FirstLines: lines[:min(len(lines), maxSkipLines)]})
}

// SkippedTotal returns the number of skipped records.
func (r *Report) SkippedTotal() int64 {
	var n int64
	for _, s := range r.Skipped {
		n += s.Count
	}
	return n
}

// Run ingests one file read from in. On error nothing is promised about what
// reached the sink: the caller discards the version (see node/store.Stage).
func Run(ctx context.Context, in io.Reader, opts Options, sink Sink) (*Report, error) {
	if opts.Schema == nil || opts.Pseudo == nil {
		return nil, errors.New("ingest: schema and pseudonymiser are required")
	}
	h := sha256.New()
	r, err := decompress(io.TeeReader(in, h))
	if err != nil {
		return nil, &RowError{File: opts.File, Err: err}
	}
	cr := csv.NewReader(r)
	cr.Comma = opts.Schema.Delimiter
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	rep := &Report{File: opts.File}
	if opts.Schema.Format == schema.FormatBasket {
		err = runBasket(ctx, cr, opts, sink, rep)
	} else {
		err = runCSV(ctx, cr, opts, sink, rep)
	}
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, r); err != nil { // hash the whole input
		return nil, &RowError{File: opts.File, Err: err}
	}
	rep.SHA256 = hex.EncodeToString(h.Sum(nil))
	return rep, nil
}

func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	// A UTF-8 byte order mark is not part of the first cell.
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3)
	}
	return br, nil
}

// readErr turns a csv.Reader error into a RowError.
func readErr(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = errors.New("wrong number of fields")
		}
		return &RowError{File: file, Line: int64(pe.Line), Err: fmt.Errorf("%w (column %d of the line)", msg, pe.Column)}
	}
	return &RowError{File: file, Err: err}
}

// binding is what to do with one input column.
type binding struct {
	col    *schema.Column
	parser *schema.Parser
	out    int  // index in the stored row, -1 if not stored
	id     bool // the customer identifier
}

func bind(opts Options, header []string) ([]binding, schema.Layout, int, error) {
	s := opts.Schema
	file := opts.File
	pos := make(map[string]int, len(header))
	var unnamed []string
	for i, h := range header {
		if _, ok := s.Column(h); !ok {
			unnamed = append(unnamed, strconv.Quote(h))
			continue
		}
		if _, dup := pos[h]; dup {
			return nil, schema.Layout{}, 0, &RowError{File: file, Line: 1, Column: h, Err: fmt.Errorf("%w: the column appears twice in the header", ErrHeader)}
		}
		pos[h] = i
	}
	var missing []string
	for _, c := range s.Columns {
		if _, ok := pos[c.Name]; !ok {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return nil, schema.Layout{}, 0, &RowError{File: file, Line: 1, Err: fmt.Errorf("%w: columns named in the schema are missing from the header: %s", ErrHeader, strings.Join(missing, ", "))}
	}
	if len(unnamed) > 0 && s.Others != schema.OthersIgnore {
		return nil, schema.Layout{}, 0, &RowError{File: file, Line: 1, Err: fmt.Errorf("%w: columns not named in the schema: %s (name them, or set others = \"ignore\")", ErrHeader, strings.Join(unnamed, ", "))}
	}
	b := make([]binding, len(header))
	lay := schema.Layout{Kind: s.Kind}
	idIdx := -1
	for i, h := range header {
		b[i].out = -1
		c, ok := s.Column(h)
		if !ok {
			continue
		}
		b[i].col = c
		switch {
		case c.Role == schema.RoleID:
			b[i].id = true
			idIdx = i
			lay.IDName = c.Name
		case c.Role.StoredType() != schema.TypeNone:
			p, err := schema.NewParser(c)
			if err != nil {
				return nil, schema.Layout{}, 0, err
			}
			b[i].parser = p
			b[i].out = len(lay.Columns)
			lay.Columns = append(lay.Columns, schema.StoredColumn{Name: c.Name, Role: c.Role, Type: c.Role.StoredType(), Min: c.Min, Max: c.Max})
		}
	}
	return b, lay, idIdx, nil
}

func runCSV(ctx context.Context, cr *csv.Reader, opts Options, sink Sink, rep *Report) error {
	file, s := opts.File, opts.Schema
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return &RowError{File: file, Err: errors.New("empty file: no header line")}
	}
	if err != nil {
		return readErr(file, err)
	}
	header = append([]string(nil), header...)
	bs, lay, idIdx, err := bind(opts, header)
	if err != nil {
		return err
	}
	vals := make([]schema.Value, len(lay.Columns))
	var row, idBuf []byte
	var id pseudo.ID
	var filled []string // columns filled in on the current record
	if s.IDFrom == schema.IDRowNumber {
		lay.IDName = "(" + string(schema.IDRowNumber) + ")"
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return readErr(file, err)
		}
		line, _ := cr.FieldPos(0)
		rep.RecordsRead++
		if rep.RecordsRead%ProgressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("ingest %s: %w", file, err)
			}
			if opts.Progress != nil {
				opts.Progress(rep.RecordsRead)
			}
		}
		if len(rec) != len(header) {
			return &RowError{File: file, Line: int64(line), Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(header))}
		}
		reason := ""
		filled = filled[:0]
		for i := range bs {
			b := &bs[i]
			if b.col == nil || (b.out < 0 && !b.id) {
				continue
			}
			cell := rec[i]
			if s.IsNA(cell) {
				switch b.col.Missing.Action {
				case schema.PolicySkip:
					reason = "missing " + b.col.Name
				case schema.MissingFill:
					cell = b.col.Missing.Fill
					filled = append(filled, b.col.Name)
				default:
					return &RowError{File: file, Line: int64(line), Column: b.col.Name, Err: errors.New("missing value (set missing = \"skip\" or { fill = VALUE } in the schema to accept it)")}
				}
				if reason != "" {
					break
				}
			}
			if b.id {
				continue // pseudonymised below, once the row is known to be kept
			}
			v, res, err := b.parser.Parse(cell)
			if err != nil {
				return &RowError{File: file, Line: int64(line), Column: b.col.Name, Err: err}
			}
			if res == schema.OutOfRange {
				reason = "out of range " + b.col.Name
				break
			}
			if res == schema.Excluded {
				reason = "excluded " + b.col.Name
				break
			}
			vals[b.out] = v
		}
		if reason != "" {
			rep.skip(reason, int64(line))
			continue
		}
		for _, col := range filled {
			rep.fill(col, int64(line))
		}
		if idIdx >= 0 {
			id = opts.Pseudo.Pseudonym([]byte(rec[idIdx]))
		} else { // id_from = "row-number"
			idBuf = strconv.AppendInt(idBuf[:0], rep.RecordsRead, 10)
			id = opts.Pseudo.Pseudonym(idBuf)
		}
		row = lay.AppendRow(row[:0], vals)
		if err := sink.Add(id, Seq(int64(line), 0), row); err != nil {
			return fmt.Errorf("ingest %s line %d: %w", file, line, err)
		}
		rep.RecordsStored++
		rep.RowsStored++
	}
	for i := range bs {
		if bs[i].parser != nil {
			lay.Columns[bs[i].out].Values = bs[i].parser.Dictionary()
		}
	}
	rep.Layout = lay
	return nil
}

func runBasket(ctx context.Context, cr *csv.Reader, opts Options, sink Sink, rep *Report) error {
	file, s := opts.File, opts.Schema
	itemCol, _ := s.Column(schema.BasketItem)
	txCol, _ := s.Column(schema.BasketTransaction)
	items, err := schema.NewParser(itemCol)
	if err != nil {
		return err
	}
	lay := schema.Layout{Kind: s.Kind, IDName: schema.BasketTransaction, Columns: []schema.StoredColumn{
		{Name: txCol.Name, Role: txCol.Role, Type: txCol.Role.StoredType()},
		{Name: itemCol.Name, Role: itemCol.Role, Type: itemCol.Role.StoredType()},
	}}
	vals := make([]schema.Value, 2)
	var row []byte
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return readErr(file, err)
		}
		line, _ := cr.FieldPos(0)
		rep.RecordsRead++
		if rep.RecordsRead%ProgressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("ingest %s: %w", file, err)
			}
			if opts.Progress != nil {
				opts.Progress(rep.RecordsRead)
			}
		}
		if len(rec) > MaxBasketItems {
			return &RowError{File: file, Line: int64(line), Err: fmt.Errorf("%d items, a basket holds at most %d", len(rec), MaxBasketItems)}
		}
		tx := strconv.FormatInt(int64(line), 10)
		id := opts.Pseudo.Pseudonym([]byte(tx))
		vals[0] = schema.Value{Str: tx}
		stored := 0
		for j, cell := range rec {
			if s.IsNA(cell) {
				continue
			}
			v, res, err := items.Parse(cell)
			if err != nil {
				return &RowError{File: file, Line: int64(line), Column: fmt.Sprintf("%s %d", schema.BasketItem, j+1), Err: err}
			}
			if res != schema.Accepted {
				continue
			}
			vals[1] = v
			row = lay.AppendRow(row[:0], vals)
			if err := sink.Add(id, Seq(int64(line), j), row); err != nil {
				return fmt.Errorf("ingest %s line %d: %w", file, line, err)
			}
			stored++
		}
		if stored == 0 {
			rep.skip("empty basket", int64(line))
			continue
		}
		rep.RecordsStored++
		rep.RowsStored += int64(stored)
	}
	lay.Columns[1].Values = items.Dictionary()
	rep.Layout = lay
	return nil
}
