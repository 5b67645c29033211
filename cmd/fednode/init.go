package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/fednode/fednode/node"
)

func cmdInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "init", "--dir DIR --name NAME [flags]", `
Create a node directory: a random master secret wrapped under the operator's
passphrase (Argon2id), the node's Ed25519 identity derived from it, node.toml
and an empty encrypted store. Prints the node's peer ID. Refuses to overwrite
an existing node.`)
	dir := fs.String("dir", "", "node directory to create (required)")
	name := fs.String("name", "", "organisation name, unique in the consortium: a-z 0-9 - (required)")
	listen := fs.String("listen", strings.Join(node.DefaultListen(), ","), "comma-separated libp2p listen multiaddresses")
	passFile := fs.String("passphrase-file", "", "read the passphrase from this file")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || *name == "" {
		return usagef("--dir and --name are required")
	}
	if err := node.ValidateName(*name); err != nil {
		return &usageError{err.Error()}
	}
	pass, err := passphrase(e, *passFile, true)
	if err != nil {
		return err
	}
	var addrs []string
	for _, a := range strings.Split(*listen, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	cfg, err := node.Init(*dir, node.InitOptions{Name: *name, Passphrase: pass, Listen: addrs})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"name": cfg.Name, "peer_id": cfg.PeerID, "dir": *dir, "listen": cfg.Listen})
	}
	fmt.Fprintf(e.stdout, "initialised node %s in %s\npeer ID: %s\n", cfg.Name, *dir, cfg.PeerID)
	return nil
}
