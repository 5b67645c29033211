package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"encoding/json"

	"github.com/fednode/fednode/configs"
	"github.com/fednode/fednode/federation/job"
	"github.com/fednode/fednode/models/stats"
	"github.com/fednode/fednode/node"
	"github.com/fednode/fednode/node/synth"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/mechanism"
)

// demoPassphrase protects the demo's throw-away nodes. It is printed, because
// the demo's nodes hold generated data only.
const demoPassphrase = "fednode-demo"

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "[--nodes N] [--customers N] [--dir DIR] [--json]", `
Create a consortium of nodes on this machine, each an organisation with its
own generated, realistic and deliberately different (non-IID) customers,
transactions and campaign data; ingest the data into each node's encrypted
store, show what each node holds, and on each node set a privacy budget,
make local differentially private releases (charged before they are drawn)
and verify the signed audit log.`)
	nodes := fs.Int("nodes", 3, "number of organisations (nodes)")
	customers := fs.Int("customers", 3000, "customers per organisation (roughly; sizes differ by organisation)")
	seed := fs.Uint64("seed", 1, "seed of the generated data")
	dir := fs.String("dir", "", "keep the consortium in this directory (default: a temporary directory, removed at exit)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *nodes < 1 || *nodes > 20 || *customers < 10 {
		return usagef("--nodes must be 1 to 20 and --customers at least 10")
	}
	root := *dir
	if root == "" {
		d, err := os.MkdirTemp("", "fednode-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		root = d
	}
	type nodeOut struct {
		Status  *node.Status         `json:"status"`
		Ingests []*node.IngestResult `json:"ingests"`
		Privacy *demoReleases        `json:"privacy"`
	}
	var out []nodeOut
	var open []*node.Node
	defer func() {
		for _, n := range open {
			n.Close()
		}
	}()
	for _, p := range synth.Consortium(*nodes, *customers, *seed) {
		if err := ctx.Err(); err != nil {
			return err
		}
		ndir := filepath.Join(root, p.Name)
		data := filepath.Join(ndir, "data")
		if err := os.MkdirAll(data, 0o700); err != nil {
			return err
		}
		files, err := synth.WriteOrg(data, p)
		if err != nil {
			return err
		}
		if _, err := node.Init(ndir, node.InitOptions{Name: p.Name, Passphrase: []byte(demoPassphrase)}); err != nil {
			return err
		}
		n, err := node.Open(ctx, ndir, []byte(demoPassphrase), e.log)
		if err != nil {
			return err
		}
		o := nodeOut{}
		for _, ds := range []struct{ name, schema, file string }{
			{"customers", "demo-customers", files.Customers},
			{"transactions", "demo-transactions", files.Transactions},
			{"campaign", "demo-campaign", files.Campaign},
		} {
			res, err := demoIngest(ctx, n, ds.name, ds.schema, ds.file)
			if err != nil {
				n.Close()
				return fmt.Errorf("node %s: %w", p.Name, err)
			}
			o.Ingests = append(o.Ingests, res)
		}
		if o.Privacy, err = demoPrivacy(ctx, n); err != nil {
			n.Close()
			return fmt.Errorf("node %s: %w", p.Name, err)
		}
		if o.Status, err = n.Status(); err != nil {
			n.Close()
			return err
		}
		open = append(open, n)
		out = append(out, o)
		if !*asJSON {
			fmt.Fprintf(e.stdout, "== node %s  (peer %s)\n", o.Status.Name, o.Status.PeerID)
			for _, r := range o.Ingests {
				printIngest(e.stdout, r.Version.Dataset, r)
			}
			fmt.Fprintf(e.stdout, "  store on disk: %s, encrypted (AES-256)\n\n", humanBytes(o.Status.StoreBytes))
			printDatasets(e.stdout, o.Status.Datasets)
			fmt.Fprintln(e.stdout)
			o.Privacy.print(e.stdout)
			fmt.Fprintln(e.stdout)
		}
	}
	fed, err := demoFederated(ctx, e, open, *asJSON)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"nodes": out, "federated": fed})
	}
	if *dir != "" {
		fmt.Fprintf(e.stdout, "The consortium is in %s; each node's passphrase is %q.\nTry: FEDNODE_PASSPHRASE=%s fednode status --dir %s\n",
			root, demoPassphrase, demoPassphrase, filepath.Join(root, out[0].Status.Name))
	}
	return nil
}

// demoReleases is what the demo releases from one node's own data.
type demoReleases struct {
	Budget   budgetJSON          `json:"budget"`
	Releases []*node.QueryResult `json:"releases"`
	Audit    map[string]any      `json:"audit"`
}

// demoPrivacy sets a budget on the customers dataset, makes two local
// differentially private releases through the charge-then-release path and
// verifies the audit log.
func demoPrivacy(ctx context.Context, n *node.Node) (*demoReleases, error) {
	if _, _, err := n.SetBudget("customers", accountant.Budget{Epsilon: 2, Delta: 1e-6}); err != nil {
		return nil, err
	}
	out := &demoReleases{}
	for _, q := range []node.QueryRequest{
		{Dataset: "customers", Stat: mechanism.StatMean, Column: "age", Request: mechanism.Request{Epsilon: 0.5, Delta: 1e-7}},
		{Dataset: "customers", Stat: mechanism.StatHistogram, Column: "region", Request: mechanism.Request{Epsilon: 0.5}},
	} {
		r, err := n.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		out.Releases = append(out.Releases, r)
	}
	accts, err := n.Budgets()
	if err != nil || len(accts) != 1 {
		return nil, fmt.Errorf("budget after the releases: %v", err)
	}
	out.Budget = accountJSON(accts[0])
	sum, err := n.AuditVerify()
	if err != nil {
		return nil, err
	}
	out.Audit = summaryJSON(sum)
	return out, nil
}

func (d *demoReleases) print(w io.Writer) {
	fmt.Fprintf(w, "  local differentially private releases (each charged to the budget before it was drawn):\n")
	for _, r := range d.Releases {
		res := r.Result
		if res.Stat == mechanism.StatHistogram {
			parts := make([]string, len(res.Counts))
			for i, c := range res.Counts {
				parts[i] = fmt.Sprintf("%s %.0f", r.Labels[i], c)
			}
			fmt.Fprintf(w, "    histogram of %s: %s (noise sd %.2g; %s)\n", r.Column, strings.Join(parts, ", "), res.Stddev, res.Cost)
		} else {
			fmt.Fprintf(w, "    %s of %s: %.2f (noise sd %.2g; %s)\n", res.Stat, r.Column, res.Value, res.Stddev, res.Cost)
		}
	}
	b := d.Budget
	fmt.Fprintf(w, "  budget of customers: cap ε=%g δ=%g, spent ε=%.3f, remaining ε=%.3f, %d releases\n", b.CapEpsilon, b.CapDelta, b.SpentEpsilon, b.RemainingEps, b.Releases)
	fmt.Fprintf(w, "  audit log: %v records, signed and hash-chained, verified intact\n", d.Audit["records"])
}

// demoFederated runs a federated stats job across the demo's nodes: each
// node's noised contribution is encrypted under the consortium's collective
// key, summed, and decrypted by a threshold of nodes together.
func demoFederated(ctx context.Context, e *env, nodes []*node.Node, asJSON bool) (*node.JobResult, error) {
	if len(nodes) < 2 {
		return nil, nil
	}
	fs, err := node.StartLocal(ctx, nodes)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range fs {
			f.Close()
		}
	}()
	var names []string
	for _, n := range nodes {
		names = append(names, `"`+n.Config().Name+`"`)
	}
	t := max(2, (len(nodes)+1)/2)
	spec, err := job.ParseTOML([]byte(fmt.Sprintf(`
id = "demo-stats"
kind = "stats"
dataset = "customers"
participants = [%s]
threshold = %d
epsilon = 0.5
delta = 1e-7
[params]
stats = [{ stat = "count" }, { stat = "mean", column = "age" }, { stat = "mean", column = "churned" }, { stat = "histogram", column = "channel" }]
`, strings.Join(names, ", "), t)))
	if err != nil {
		return nil, err
	}
	if !asJSON {
		fmt.Fprintf(e.stdout, "== federated stats job across %d nodes (any %d of them decrypt together)\n", len(nodes), t)
	}
	res, err := fs[0].RunJob(ctx, spec, func(s string) {
		if !asJSON {
			fmt.Fprintf(e.stdout, "  %s\n", s)
		}
	})
	if err != nil {
		return nil, err
	}
	if !asJSON {
		var out []stats.Result
		if err := json.Unmarshal(res.Result, &out); err != nil {
			return nil, err
		}
		fmt.Fprintf(e.stdout, "  consortium-wide, with distributed noise (ρ=%s charged on every node's customers budget):\n", res.Cost["rho_per_round"])
		printStats(e, out)
		fmt.Fprintln(e.stdout, "  no node saw another's contribution or the un-noised total; each recorded the charge and the release in its audit log")
	}
	return res, nil
}

func demoIngest(ctx context.Context, n *node.Node, dataset, schemaName, file string) (*node.IngestResult, error) {
	sch, err := configs.Schema(schemaName)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return n.Ingest(ctx, node.IngestRequest{Dataset: dataset, Schema: sch, File: filepath.Base(file), Data: f})
}
