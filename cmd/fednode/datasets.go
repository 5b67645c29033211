package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fednode/fednode/node/store"
)

func cmdDatasets(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "datasets", "--dir DIR [--json]", `
List the node's datasets: name, kind, current version, rows, customers,
columns with their roles, and when the version was ingested.`)
	nf := addNodeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	ds, err := n.Datasets()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, datasetsJSON(ds))
	}
	printDatasets(e.stdout, ds)
	return nil
}

type datasetJSON struct {
	Name       string       `json:"name"`
	Kind       string       `json:"kind"`
	Version    uint64       `json:"version"`
	Rows       int64        `json:"rows"`
	Customers  int64        `json:"customers"`
	Columns    []columnJSON `json:"columns"`
	IngestedAt time.Time    `json:"ingested_at"`
	Source     string       `json:"source"`
	SHA256     string       `json:"source_sha256"`
	Skipped    int64        `json:"records_skipped"`
}

type columnJSON struct {
	Name   string   `json:"name"`
	Role   string   `json:"role"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Values int      `json:"distinct_values,omitempty"`
}

func datasetsJSON(ds []store.VersionInfo) []datasetJSON {
	out := make([]datasetJSON, 0, len(ds))
	for _, d := range ds {
		j := datasetJSON{Name: d.Dataset, Kind: string(d.Kind), Version: d.Version, Rows: d.Rows,
			Customers: d.Customers, IngestedAt: d.IngestedAt, Source: d.Source, SHA256: d.SourceSHA256, Skipped: d.RecordsSkipped}
		if d.Layout.IDName != "" {
			j.Columns = append(j.Columns, columnJSON{Name: d.Layout.IDName, Role: "id"})
		}
		for _, c := range d.Layout.Columns {
			j.Columns = append(j.Columns, columnJSON{Name: c.Name, Role: string(c.Role), Min: c.Min, Max: c.Max, Values: len(c.Values)})
		}
		out = append(out, j)
	}
	return out
}

func printDatasets(w io.Writer, ds []store.VersionInfo) {
	if len(ds) == 0 {
		fmt.Fprintln(w, "no datasets (ingest one with fednode ingest)")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "DATASET\tKIND\tVERSION\tROWS\tCUSTOMERS\tINGESTED\tSOURCE")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.Dataset, d.Kind, d.Version, count(d.Rows), count(d.Customers),
			d.IngestedAt.Format(time.RFC3339), d.Source)
	}
	tw.Flush()
	for _, j := range datasetsJSON(ds) {
		cols := make([]string, len(j.Columns))
		for i, c := range j.Columns {
			cols[i] = c.Name + ":" + c.Role
		}
		fmt.Fprintf(w, "\n%s columns: %s\n", j.Name, strings.Join(cols, " "))
	}
}
