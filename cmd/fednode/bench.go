package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/fednode/fednode/node"
)

func cmdBench(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "bench", "Measure headline figures.", map[string]subcommand{
		"ingest": {"ingest rows/s into the encrypted store against raw badger writes of the same rows", benchIngest},
		"secagg": {"one secure-aggregation round over loopback, per role, against plaintext and Paillier", benchSecagg},
	}, args)
}

// workdir returns dir, or a new temporary directory and a function that
// removes it.
func workdir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	d, err := os.MkdirTemp("", "fednode-bench-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
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
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *rows < 1 || *runs < 1 {
		return usagef("--rows and --runs must be positive")
	}
	wd, cleanup, err := workdir(*dir)
	if err != nil {
		return err
	}
	defer cleanup()
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

func benchSecagg(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench secagg", "[--nodes N] [--values V] [--json]", `
Start N throwaway nodes on loopback and run one round of secure aggregation
of V random values per node through the job engine every federated job uses
(policy, collective key, charged and noised contributions, verified
threshold decryption). Reports the round's wall time, the time of each role,
bytes sent per value, and in the same run a plaintext sum of N vectors and a
Paillier-2048 baseline (1,000 encryptions timed, extrapolated per value).`)
	nodes := fs.Int("nodes", 3, "nodes")
	values := fs.Int("values", 100000, "values per node")
	runs := fs.Int("runs", 3, "rounds to run (the round time reported is their median)")
	dir := fs.String("workdir", "", "directory for the throwaway nodes (default: a new temporary directory)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *nodes < 2 || *nodes > 32 || *values < 1 || *values > 10_000_000 || *runs < 1 {
		return usagef("--nodes must be 2 to 32, --values 1 to 10,000,000 and --runs positive")
	}
	wd, cleanup, err := workdir(*dir)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(e.stderr, "bench secagg: %d nodes, %s values each\n", *nodes, count(int64(*values)))
	r, err := node.BenchSecagg(ctx, wd, *nodes, *values, *runs)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	w := e.stdout
	fmt.Fprintf(w, "nodes %d, values %s, threshold %d, %d rounds (wall times: medians; roles: means)\n", r.Nodes, count(int64(r.Values)), r.Threshold, r.Runs)
	fmt.Fprintf(w, "  round wall time (loopback streams)   %v\n", r.Round.Round(time.Millisecond))
	fmt.Fprintf(w, "  setup (proposal, collective key)     %v\n", r.Setup.Round(time.Millisecond))
	fmt.Fprintf(w, "  encrypt, per node                    %v (%.0f ns/value)\n", r.Encrypt.Round(time.Millisecond), float64(r.EncryptPerValue))
	fmt.Fprintf(w, "  distributed noise, per node          %v\n", r.Noise.Round(time.Millisecond))
	fmt.Fprintf(w, "  aggregate (coordinator)              %v\n", r.Aggregate.Round(time.Millisecond))
	fmt.Fprintf(w, "  decryption share, per quorum member  %v\n", r.Share.Round(time.Millisecond))
	fmt.Fprintf(w, "  combine (coordinator)                %v\n", r.Combine.Round(time.Millisecond))
	fmt.Fprintf(w, "  sent per value by each node          %.1f B (ciphertext and decryption share)\n", r.BytesPerValueNode)
	fmt.Fprintf(w, "  sent per value by the coordinator    %.1f B (the aggregate's c1 half to each other quorum member)\n", r.BytesPerValueCoordinator)
	fmt.Fprintf(w, "  plaintext sum of the same vectors    %v\n", r.Plaintext)
	fmt.Fprintf(w, "  Paillier-2048 encryption             %v per value (1,000 timed, extrapolated: %v for %s values)\n",
		r.PaillierPerValue, (r.PaillierPerValue * time.Duration(r.Values)).Round(time.Millisecond), count(int64(r.Values)))
	fmt.Fprintf(w, "  Paillier / our encryption, per value %.0f×\n", float64(r.PaillierPerValue)/float64(r.EncryptPerValue))
	return nil
}
