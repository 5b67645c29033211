package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fednode/fednode/node"
)

func cmdBench(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(e.stderr, "Usage: fednode bench ingest [flags]\n\nMeasure headline figures. Sub-commands:\n  ingest   ingest rows/s into the encrypted store against raw badger writes of the same rows")
		if len(args) == 0 {
			return usagef("missing sub-command")
		}
		return nil
	}
	switch args[0] {
	case "ingest":
		return benchIngest(ctx, e, args[1:])
	}
	return usagef("unknown bench %q", args[0])
}

func benchIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench ingest", "[--rows N] [--runs R] [--json]", `
Generate a customers file of N rows and, R times each, alternating, ingest it
into a fresh encrypted store (parse, check, pseudonymise, encode, write,
commit) and write the same keys and values to a fresh badger with the same
AES-256 encryption through a plain WriteBatch. Prints medians and their ratio.`)
	rows := fs.Int("rows", 200000, "rows in the generated file")
	runs := fs.Int("runs", 5, "runs of each")
	dir := fs.String("workdir", "", "directory for the temporary stores (default: a new temporary directory)")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *rows < 1 || *runs < 1 {
		return usagef("--rows and --runs must be positive")
	}
	wd := *dir
	if wd == "" {
		d, err := os.MkdirTemp("", "fednode-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		wd = d
	}
	fmt.Fprintf(e.stderr, "bench ingest: %s rows, %d runs each\n", count(int64(*rows)), *runs)
	res, err := node.BenchIngest(ctx, wd, *rows, *runs)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "rows %s (%s of CSV), %d runs each, medians:\n", count(int64(res.Rows)), humanBytes(int64(res.CSVBytes)), res.Runs)
	fmt.Fprintf(e.stdout, "  ingest into encrypted store     %10.0f rows/s\n", res.IngestRowsPS)
	fmt.Fprintf(e.stdout, "  raw badger WriteBatch (AES-256) %10.0f rows/s\n", res.RawRowsPS)
	fmt.Fprintf(e.stdout, "  ratio ingest / raw              %10.2f\n", res.Ratio)
	return nil
}
