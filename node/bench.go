package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/fednode/fednode/configs"
	"github.com/fednode/fednode/node/ingest"
	"github.com/fednode/fednode/node/keys"
	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/schema"
	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/node/synth"
)

// IngestBenchResult compares the ingest path with raw badger writes of the
// same keys and values, with the same encryption, measured in the same run.
type IngestBenchResult struct {
	Rows          int       `json:"rows"`
	CSVBytes      int       `json:"csv_bytes"`
	Runs          int       `json:"runs"`
	IngestSeconds []float64 `json:"ingest_seconds"` // per run: parse, check, pseudonymise, encode, write, commit
	RawSeconds    []float64 `json:"raw_seconds"`    // per run: WriteBatch of the pre-built rows, flush, sync
	IngestRowsPS  float64   `json:"ingest_rows_per_second"`
	RawRowsPS     float64   `json:"raw_rows_per_second"`
	Ratio         float64   `json:"ratio"` // median ingest rows/s over median raw rows/s
}

// BenchIngest generates a customers file of rows rows and, runs times each,
// alternating, ingests it into a fresh encrypted store and writes the same
// rows to a fresh encrypted badger with a plain WriteBatch. It reports the
// medians. workdir receives the stores and is left empty.
func BenchIngest(ctx context.Context, workdir string, rows, runs int) (*IngestBenchResult, error) {
	if rows < 1 || runs < 1 {
		return nil, fmt.Errorf("bench ingest: rows and runs must be positive")
	}
	p := synth.Consortium(1, rows, 1)[0]
	p.Customers = rows
	var csv bytes.Buffer
	if err := p.WriteCustomers(&csv); err != nil {
		return nil, err
	}
	schemaText, err := configs.Schema("demo-customers")
	if err != nil {
		return nil, err
	}
	s, err := schema.Parse(schemaText)
	if err != nil {
		return nil, err
	}
	master, err := keys.NewMaster(rand.Reader)
	if err != nil {
		return nil, err
	}
	storeKey, _ := master.Derive(keys.LabelStore, 32)
	pk, _ := master.Derive(keys.LabelPseudonym, 32)
	ps, err := pseudo.New(pk.Bytes())
	if err != nil {
		return nil, err
	}
	// The raw baseline writes exactly the keys and values the ingest writes.
	var pairs memSink
	if _, err := ingest.Run(ctx, bytes.NewReader(csv.Bytes()), ingest.Options{File: "bench.csv", Schema: s, Pseudo: ps.Clone()}, &pairs); err != nil {
		return nil, err
	}
	res := &IngestBenchResult{Rows: rows, CSVBytes: csv.Len(), Runs: runs}
	quiet := slog.New(slog.DiscardHandler)
	for i := range runs {
		dir := filepath.Join(workdir, fmt.Sprintf("ingest-%d", i))
		st, err := store.Open(store.Options{Dir: dir, EncryptionKey: storeKey.Bytes()})
		if err != nil {
			return nil, err
		}
		start := time.Now()
		_, err = ingestInto(ctx, st, ps.Clone(), quiet, s, IngestRequest{Dataset: "bench", File: "bench.csv", Data: bytes.NewReader(csv.Bytes())})
		el := time.Since(start)
		st.Close()
		os.RemoveAll(dir)
		if err != nil {
			return nil, err
		}
		res.IngestSeconds = append(res.IngestSeconds, el.Seconds())

		dir = filepath.Join(workdir, fmt.Sprintf("raw-%d", i))
		el, err = rawWrite(dir, storeKey.Bytes(), pairs)
		os.RemoveAll(dir)
		if err != nil {
			return nil, err
		}
		res.RawSeconds = append(res.RawSeconds, el.Seconds())
	}
	res.IngestRowsPS = float64(rows) / median(res.IngestSeconds)
	res.RawRowsPS = float64(rows) / median(res.RawSeconds)
	res.Ratio = res.IngestRowsPS / res.RawRowsPS
	return res, nil
}

// memSink keeps the rows an ingest produces, keyed as the store keys them.
type memSink struct{ keys, vals [][]byte }

func (m *memSink) Add(id pseudo.ID, seq uint64, row []byte) error {
	m.keys = append(m.keys, store.RowKey("bench", 1, id, seq))
	m.vals = append(m.vals, slices.Clone(row))
	return nil
}

func rawWrite(dir string, key []byte, pairs memSink) (time.Duration, error) {
	db, err := badger.Open(store.BadgerOptions(store.Options{Dir: dir, EncryptionKey: key}))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	wb := db.NewWriteBatch()
	for i := range pairs.keys {
		if err := wb.Set(pairs.keys[i], pairs.vals[i]); err != nil {
			wb.Cancel()
			return 0, err
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, err
	}
	if err := db.Sync(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
