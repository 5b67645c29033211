package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/fednode/fednode/node"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "status", "--dir DIR [--json]", `
Show the node's name, peer ID, listen addresses, store size and datasets.`)
	nf := addNodeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	n, err := nf.open(ctx, e)
	if errors.Is(err, node.ErrInUse) {
		return serveStatus(ctx, e, *nf.dir, *asJSON)
	}
	if err != nil {
		return err
	}
	defer n.Close()
	st, err := n.Status()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{
			"name": st.Name, "peer_id": st.PeerID, "dir": st.Dir, "listen": st.Listen,
			"store_bytes": st.StoreBytes, "datasets": datasetsJSON(st.Datasets),
		})
	}
	fmt.Fprintf(e.stdout, "node     %s\npeer ID  %s\ndir      %s\nlisten   %s\nstore    %s\n\n",
		st.Name, st.PeerID, st.Dir, strings.Join(st.Listen, " "), humanBytes(st.StoreBytes))
	printDatasets(e.stdout, st.Datasets)
	return nil
}

// serveStatus asks the node serving in dir for its status.
func serveStatus(ctx context.Context, e *env, dir string, asJSON bool) error {
	raw, err := node.Control(ctx, dir, node.ControlRequest{Op: "status"}, nil)
	if err != nil {
		return fmt.Errorf("the node is in use by another process, which does not answer on its control socket: %w", err)
	}
	var st node.ServeStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{
			"name": st.Name, "peer_id": st.PeerID, "dir": st.Dir, "listen": st.Listen, "serving": true,
			"store_bytes": st.StoreBytes, "datasets": datasetsJSON(st.Datasets), "connected": st.Connected, "members": st.Members,
		})
	}
	fmt.Fprintf(e.stdout, "node     %s (serving)\npeer ID  %s\ndir      %s\nlisten   %s\nstore    %s\nmembers  %s\nconnected %s\n\n",
		st.Name, st.PeerID, st.Dir, strings.Join(st.Listen, " "), humanBytes(st.StoreBytes), strings.Join(st.Members, ", "), strings.Join(st.Connected, ", "))
	printDatasets(e.stdout, st.Datasets)
	return nil
}
