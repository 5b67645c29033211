package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fednode/fednode/node"
	"github.com/fednode/fednode/node/ingest"
	"github.com/fednode/fednode/node/store"
	"golang.org/x/term"
)

func cmdIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "ingest", "--dir DIR --dataset NAME --schema SCHEMA.toml FILE", `
Ingest FILE (CSV, or gzip-compressed CSV) as a new version of a dataset. The
schema maps columns to roles: identifiers are pseudonymised, dropped columns
are never stored, every cell is checked. The new version becomes current only
when the whole file is in; any error leaves the previous version current.`)
	nf := addNodeFlags(fs)
	dataset := fs.String("dataset", "", "dataset name: a-z 0-9 . _ - (required)")
	schemaPath := fs.String("schema", "", "schema file (required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *dataset == "" || *schemaPath == "" || len(pos) != 1 {
		return usagef("--dataset, --schema and one FILE are required")
	}
	if err := store.ValidName(*dataset); err != nil {
		return &usageError{err.Error()}
	}
	schemaData, err := os.ReadFile(*schemaPath)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	req := node.IngestRequest{Dataset: *dataset, Schema: schemaData, File: filepath.Base(pos[0]), Data: f}
	if isTerminal(e.stderr) {
		req.Progress = func(r int64) { fmt.Fprintf(e.stderr, "\r%s records read", count(r)) }
	}
	res, err := n.Ingest(ctx, req)
	if req.Progress != nil {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	printIngest(e.stdout, *dataset, res)
	return nil
}

func printIngest(w io.Writer, dataset string, res *node.IngestResult) {
	r, v := res.Report, res.Version
	fmt.Fprintf(w, "dataset %s version %d (%s) from %s\n", dataset, v.Version, v.Kind, r.File)
	fmt.Fprintf(w, "  records read     %s\n", count(r.RecordsRead))
	fmt.Fprintf(w, "  records stored   %s", count(r.RecordsStored))
	if r.RowsStored != r.RecordsStored {
		fmt.Fprintf(w, " (%s rows)", count(r.RowsStored))
	}
	fmt.Fprintf(w, "\n  customers        %s\n", count(v.Customers))
	fmt.Fprintf(w, "  records skipped  %s\n", count(r.SkippedTotal()))
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "    %-34s %s (lines %s)\n", s.Reason, count(s.Count), lineList(s))
	}
	for _, s := range r.Filled {
		fmt.Fprintf(w, "  missing %s filled in: %s (lines %s)\n", s.Reason, count(s.Count), lineList(s))
	}
	fmt.Fprintf(w, "  sha256           %s\n", r.SHA256)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lineList formats the first lines of a tally.
func lineList(s ingest.Skip) string {
	lines := make([]string, len(s.FirstLines))
	for i, l := range s.FirstLines {
		lines[i] = fmt.Sprint(l)
	}
	if s.Count > int64(len(s.FirstLines)) {
		lines = append(lines, "…")
	}
	return strings.Join(lines, ", ")
}
