package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fednode/fednode/configs"
	"github.com/fednode/fednode/node"
	"github.com/fednode/fednode/node/synth"
)

// demoPassphrase protects the demo's throw-away nodes. It is printed, because
// the demo's nodes hold generated data only.
const demoPassphrase = "fednode-demo"

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "[--nodes N] [--customers N] [--dir DIR] [--json]", `
Create a consortium of nodes on this machine, each an organisation with its
own generated, realistic and deliberately different (non-IID) customers,
transactions and campaign data; ingest the data into each node's encrypted
store and show what each node holds.`)
	nodes := fs.Int("nodes", 3, "number of organisations (nodes)")
	customers := fs.Int("customers", 3000, "customers per organisation (roughly; sizes differ by organisation)")
	seed := fs.Uint64("seed", 1, "seed of the generated data")
	dir := fs.String("dir", "", "keep the consortium in this directory (default: a temporary directory, removed at exit)")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
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
	}
	var out []nodeOut
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
		if o.Status, err = n.Status(); err != nil {
			n.Close()
			return err
		}
		if err := n.Close(); err != nil {
			return err
		}
		out = append(out, o)
		if !*asJSON {
			fmt.Fprintf(e.stdout, "== node %s  (peer %s)\n", o.Status.Name, o.Status.PeerID)
			for _, r := range o.Ingests {
				printIngest(e.stdout, r.Version.Dataset, r)
			}
			fmt.Fprintf(e.stdout, "  store on disk: %s, encrypted (AES-256)\n\n", humanBytes(o.Status.StoreBytes))
			printDatasets(e.stdout, o.Status.Datasets)
			fmt.Fprintln(e.stdout)
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	if *dir != "" {
		fmt.Fprintf(e.stdout, "The consortium is in %s; each node's passphrase is %q.\nTry: FEDNODE_PASSPHRASE=%s fednode status --dir %s\n",
			root, demoPassphrase, demoPassphrase, filepath.Join(root, out[0].Status.Name))
	}
	return nil
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
