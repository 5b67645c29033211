package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/fednode/fednode/node/ingest"
	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/schema"
	"github.com/fednode/fednode/node/store"
)

// IngestRequest is one file to ingest as a new version of a dataset.
type IngestRequest struct {
	Dataset  string
	Schema   []byte    // the schema file's content
	File     string    // the input's name, for errors and the report
	Data     io.Reader // CSV or gzip-compressed CSV
	Progress func(records int64)
}

// IngestResult is what an ingest stored.
type IngestResult struct {
	Report   *ingest.Report     `json:"report"`
	Version  *store.VersionInfo `json:"version"`
	Replaced bool               `json:"replaced"` // a previous version existed and was replaced
}

// Ingest reads req.Data with the schema into a new version of the dataset
// and makes it current. On any error the previous version stays current and
// unchanged.
func (n *Node) Ingest(ctx context.Context, req IngestRequest) (*IngestResult, error) {
	if err := store.ValidName(req.Dataset); err != nil {
		return nil, err
	}
	s, err := schema.Parse(req.Schema)
	if err != nil {
		return nil, err
	}
	mu := n.datasetLock(req.Dataset)
	mu.Lock()
	defer mu.Unlock()
	return ingestInto(ctx, n.store, n.pseudo.Clone(), n.log, s, req)
}

// ingestInto is the ingest path shared by Node.Ingest and the ingest benchmark.
func ingestInto(ctx context.Context, st *store.Store, ps *pseudo.Pseudonymizer, logger *slog.Logger, s *schema.Schema, req IngestRequest) (*IngestResult, error) {
	start := time.Now()
	stage, err := st.Stage(req.Dataset)
	if err != nil {
		return nil, err
	}
	log := logger.With("dataset", req.Dataset, "version", stage.Version())
	log.Info("ingest started", "file", req.File)
	rep, err := ingest.Run(ctx, req.Data, ingest.Options{File: req.File, Schema: s, Pseudo: ps, Progress: req.Progress}, stage)
	if err != nil {
		if aerr := stage.Abort(); aerr != nil {
			log.Error("discard staged version", "err", aerr)
		}
		log.Warn("ingest rejected", "err", err)
		return nil, err
	}
	dedupe := store.DedupeNone
	switch s.Duplicates {
	case schema.DuplicatesError:
		dedupe = store.DedupeError
	case schema.DuplicatesKeepLast:
		dedupe = store.DedupeKeepLast
	}
	res, err := stage.Commit(ctx, store.VersionInfo{
		Kind: s.Kind, Layout: rep.Layout, IngestedAt: time.Now().UTC().Truncate(time.Second),
		Source: req.File, SourceSHA256: rep.SHA256, RecordsRead: rep.RecordsRead,
		RecordsSkipped: rep.SkippedTotal(), Schema: s.Source,
	}, dedupe)
	if err != nil {
		var de *store.DuplicateError
		if errors.As(err, &de) {
			err = &ingest.RowError{File: req.File, Line: ingest.SeqLine(de.Seq), Column: rep.Layout.IDName, Err: de}
		}
		log.Warn("ingest rejected", "err", err)
		return nil, err
	}
	if res.RemovedRows > 0 {
		rep.AddSkips("duplicate customer (an earlier row; the last one is kept)", res.RemovedRows, res.RemovedLines)
		rep.RecordsStored -= res.RemovedRows
		rep.RowsStored -= res.RemovedRows
	}
	log.Info("ingest committed", "rows", res.Info.Rows, "customers", res.Info.Customers,
		"skipped", rep.SkippedTotal(), "elapsed", time.Since(start).Round(time.Millisecond))
	return &IngestResult{Report: rep, Version: res.Info, Replaced: res.PreviousExists}, nil
}

func (n *Node) datasetLock(name string) *sync.Mutex {
	n.ingestMu.Lock()
	defer n.ingestMu.Unlock()
	mu, ok := n.ingests[name]
	if !ok {
		mu = new(sync.Mutex)
		n.ingests[name] = mu
	}
	return mu
}
