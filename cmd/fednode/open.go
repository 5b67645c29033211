package main

import (
	"context"
	"flag"

	"github.com/fednode/fednode/node"
)

// nodeFlags are the flags of every command that opens a node.
type nodeFlags struct {
	dir      *string
	passFile *string
}

func addNodeFlags(fs *flag.FlagSet) nodeFlags {
	return nodeFlags{
		dir:      fs.String("dir", "", "node directory (required)"),
		passFile: fs.String("passphrase-file", "", "read the passphrase from this file"),
	}
}

func (f nodeFlags) open(ctx context.Context, e *env) (*node.Node, error) {
	if *f.dir == "" {
		return nil, usagef("--dir is required")
	}
	pass, err := passphrase(e, *f.passFile, false)
	if err != nil {
		return nil, err
	}
	return node.Open(ctx, *f.dir, pass, e.log)
}
