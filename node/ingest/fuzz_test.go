package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// fuzzSchema has an identifier, a bounded numeric, a categorical with values,
// a timestamp, a label and a numeric with a fill value.
const fuzzSchema = `kind = "customers"
na = ["", "NA"]
[columns]
id      = "id"
name    = "drop"
age     = { role = "numeric", min = 18, max = 100, out_of_range = "skip" }
region  = { role = "categorical", values = ["north", "south", "east"] }
since   = { role = "timestamp", layout = "2006-01-02" }
churned = { role = "label", positive = "1", negative = "0" }
spend   = { role = "numeric", min = 0, max = 1000, out_of_range = "clamp", missing = { fill = 0 } }
`

// marker is part of every identifier of the seed corpus.
const marker = "SECRETID"

// markerOutsideIDs reports whether marker occurs in input anywhere but the
// identifier column of data records, as Run reads them: in the header, in
// another column or in a record of the wrong length. ok is false if the
// input cannot be examined (a gzip stream that does not decompress).
func markerOutsideIDs(data []byte) (outside, ok bool) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return false, false
		}
		plain, err := io.ReadAll(io.LimitReader(zr, 64<<20))
		if err != nil {
			return false, false
		}
		data = plain
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	found := func(cell string) bool {
		return strings.Contains(cell, marker) || strings.Contains(strconv.Quote(cell), marker)
	}
	header, err := cr.Read()
	if err != nil {
		return false, true
	}
	header = append([]string(nil), header...)
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	idIdx := -1
	for i, h := range header {
		if found(h) {
			return true, true
		}
		if h == "id" && idIdx < 0 {
			idIdx = i
		}
	}
	for {
		rec, err := cr.Read()
		if err != nil {
			return false, true
		}
		for i, cell := range rec {
			if (i != idIdx || len(rec) != len(header)) && found(cell) {
				return true, true
			}
		}
	}
}

func TestMarkerOutsideIDs(t *testing.T) {
	const h = "id,name\n"
	for _, tc := range []struct {
		name    string
		input   []byte
		outside bool
		ok      bool
	}{
		{"id-column", []byte(h + "SECRETID1,a\n"), false, true},
		{"other-column", []byte(h + "x,SECRETID1\n"), true, true},
		{"header", []byte("id,SECRETID\n"), true, true},
		{"wrong-length", []byte(h + "SECRETID1\n"), true, true},
		{"bom-header", []byte("\ufeffid,name\nSECRETID1,a\n"), false, true},
		{"quoted-control", []byte(h + "a,\"SECRET\x01ID\"\n"), false, true},
		{"gzip", gzipBytes(t, []byte(h+"a,SECRETID1\n")), true, true},
		{"bad-gzip", []byte{0x1f, 0x8b, 0}, false, false},
	} {
		outside, ok := markerOutsideIDs(tc.input)
		if outside != tc.outside || ok != tc.ok {
			t.Errorf("case=%s: markerOutsideIDs = %v, %v; want %v, %v", tc.name, outside, ok, tc.outside, tc.ok)
		}
	}
}

func FuzzIngest(f *testing.F) {
	s := parseSchema(f, fuzzSchema)
	f.Add([]byte("id,name,age,region,since,churned,spend\nSECRETID1,Ann,30,north,2020-01-02,1,10.5\nSECRETID2,Bob,45,east,2019-12-31,0,\n"))
	f.Add(gzipBytes(f, []byte("id,name,age,region,since,churned,spend\nSECRETID1,Ann,30,north,2020-01-02,1,10.5\n")))
	f.Add([]byte("\ufeff\"id\",name,age,region,since,churned,spend\r\n\"SECRETID3\",\"Smith, J\",17,south,2020-01-02,1,5000\r\n"))
	f.Add([]byte("id,name,age,region,since,churned,spend\nSECRETID4,x,abc,north,2020-01-02,1,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sink := &memSink{}
		rep, err := Run(context.Background(), bytes.NewReader(data), Options{File: "fuzz.csv", Schema: s, Pseudo: newPseudo(t)}, sink)
		var texts []string
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %T (%v) is not a *RowError", err, err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.csv") || re.File != "fuzz.csv" {
				t.Fatalf("error %q does not name the file", err)
			}
			if rep != nil {
				t.Fatal("report returned with an error")
			}
			texts = append(texts, err.Error())
		} else {
			if rep.RowsStored != int64(len(sink.rows)) || rep.RecordsStored != rep.RowsStored {
				t.Fatalf("RowsStored %d RecordsStored %d, sink got %d", rep.RowsStored, rep.RecordsStored, len(sink.rows))
			}
			if rep.RecordsRead != rep.RecordsStored+rep.SkippedTotal() {
				t.Fatalf("read %d != stored %d + skipped %d", rep.RecordsRead, rep.RecordsStored, rep.SkippedTotal())
			}
			if err := rep.Layout.Validate(); err != nil {
				t.Fatal(err)
			}
			var last int64
			for i, r := range sink.rows {
				vals, err := rep.Layout.DecodeRow(r.row, nil)
				if err != nil {
					t.Fatalf("row %d does not decode: %v", i, err)
				}
				if again := rep.Layout.AppendRow(nil, vals); !bytes.Equal(again, r.row) {
					t.Fatalf("row %d: re-encoding differs", i)
				}
				if line := SeqLine(r.seq); line <= last {
					t.Fatalf("row %d: line %d after line %d", i, line, last)
				} else {
					last = line
				}
			}
			j, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			texts = append(texts, string(j))
		}
		outside, ok := markerOutsideIDs(data)
		if !ok || outside {
			return
		}
		for _, text := range texts {
			if strings.Contains(text, marker) {
				t.Fatalf("an identifier cell reached the output: %s", text)
			}
		}
	})
}
