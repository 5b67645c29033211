package ingest

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/schema"
)

// testKey is the pseudonymisation key of these tests.
var testKey = bytes.Repeat([]byte{0x5a}, pseudo.MinKeySize)

func newPseudo(t testing.TB) *pseudo.Pseudonymizer {
	t.Helper()
	p, err := pseudo.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pseudonym is the pseudonym of id under testKey.
func pseudonym(t testing.TB, id string) pseudo.ID {
	t.Helper()
	return newPseudo(t).Pseudonym([]byte(id))
}

func parseSchema(t testing.TB, src string) *schema.Schema {
	t.Helper()
	s, err := schema.Parse([]byte(src))
	if err != nil {
		t.Fatalf("schema.Parse:\n%s\n%v", src, err)
	}
	return s
}

// exampleSchema parses configs/schemas/NAME.toml.
func exampleSchema(t testing.TB, name string) *schema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "configs", "schemas", name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Parse(b)
	if err != nil {
		t.Fatalf("%s.toml: %v", name, err)
	}
	return s
}

// sharedData returns the path of a file of the public reference data beside
// the repository, skipping the test when it is absent.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data absent: %v", err)
	}
	return p
}

// stored is one row handed to a sink.
type stored struct {
	id  pseudo.ID
	seq uint64
	row []byte
}

// memSink keeps every row. If failAt > 0, Add returns err for row number
// failAt (1-based).
type memSink struct {
	rows   []stored
	failAt int
	err    error
}

func (m *memSink) Add(id pseudo.ID, seq uint64, row []byte) error {
	if m.failAt > 0 && len(m.rows)+1 == m.failAt {
		return m.err
	}
	m.rows = append(m.rows, stored{id, seq, bytes.Clone(row)})
	return nil
}

// idSink counts rows per pseudonym and keeps the rows, to be decoded with
// the layout Run returns.
type idSink struct {
	rows int64
	ids  map[pseudo.ID]int
	keep [][]byte
}

func newIDSink() *idSink { return &idSink{ids: make(map[pseudo.ID]int)} }

func (s *idSink) Add(id pseudo.ID, seq uint64, row []byte) error {
	s.rows++
	s.ids[id]++
	s.keep = append(s.keep, bytes.Clone(row))
	return nil
}

// discardSink counts rows and calls each every n rows, if set.
type discardSink struct {
	rows  int64
	every int64
	each  func()
}

func (d *discardSink) Add(pseudo.ID, uint64, []byte) error {
	d.rows++
	if d.each != nil && d.rows%d.every == 0 {
		d.each()
	}
	return nil
}

// run ingests input as file with the schema source, into a memSink.
func run(t testing.TB, schemaSrc, file, input string) (*Report, *memSink, error) {
	t.Helper()
	sink := &memSink{}
	rep, err := Run(context.Background(), bytes.NewReader([]byte(input)), Options{File: file, Schema: parseSchema(t, schemaSrc), Pseudo: newPseudo(t)}, sink)
	return rep, sink, err
}

// mustRun is run that fails the test on error.
func mustRun(t testing.TB, schemaSrc, file, input string) (*Report, *memSink) {
	t.Helper()
	rep, sink, err := run(t, schemaSrc, file, input)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, sink
}

// decodeAll decodes every row of the sink with the report's layout.
func decodeAll(t testing.TB, rep *Report, rows []stored) [][]schema.Value {
	t.Helper()
	if err := rep.Layout.Validate(); err != nil {
		t.Fatalf("report layout: %v", err)
	}
	out := make([][]schema.Value, len(rows))
	for i, r := range rows {
		v, err := rep.Layout.DecodeRow(r.row, nil)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		out[i] = v
	}
	return out
}

// generator is an io.Reader that produces a CSV lazily: a header, then rows
// 1..n made by row, never holding more than one row.
type generator struct {
	header string
	n      int
	row    func(dst []byte, i int) []byte
	next   int // next row to produce; 0 is the header
	buf    []byte
	off    int
}

func (g *generator) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		if g.next > g.n {
			return 0, io.EOF
		}
		if g.next == 0 {
			g.buf = append(g.buf[:0], g.header...)
		} else {
			g.buf = g.row(g.buf[:0], g.next)
		}
		g.off = 0
		g.next++
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

// Produced returns the number of data rows produced so far.
func (g *generator) Produced() int { return max(g.next-1, 0) }

const genSchema = `kind = "customers"
[columns]
customer_id = "id"
age = { role = "numeric", min = 18, max = 100 }
region = { role = "categorical", values = ["north", "south", "east", "west"] }
since = { role = "timestamp", layout = "2006-01-02" }
churned = { role = "label", positive = "1", negative = "0" }
note = "ignore"
`

const genHeader = "customer_id,age,region,since,churned,note\n"

var regions = []string{"north", "south", "east", "west"}

// genRow appends customer row i.
func genRow(dst []byte, i int) []byte {
	dst = append(dst, "CUST"...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(18+i%80), 10)
	dst = append(dst, ".5,"...)
	dst = append(dst, regions[i%4]...)
	dst = append(dst, ",2020-0"...)
	dst = strconv.AppendInt(dst, int64(1+i%9), 10)
	dst = append(dst, "-1"...)
	dst = strconv.AppendInt(dst, int64(i%10), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(i%2), 10)
	dst = append(dst, ",free text that is never stored and pads the row out\n"...)
	return dst
}

func newGenerator(n int) *generator {
	return &generator{header: genHeader, n: n, row: genRow}
}
