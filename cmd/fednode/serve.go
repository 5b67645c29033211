package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/fednode/fednode/federation"
	"github.com/fednode/fednode/node"
	"github.com/libp2p/go-libp2p/gologshim"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "--dir DIR --consortium FILE [--listen ADDRS]", `
Run the node in its consortium until SIGINT or SIGTERM: a libp2p host (TCP
and QUIC, TLS or Noise) that admits only the consortium's members, serving
the jobs other members coordinate and the ones started here with
"fednode job run". The operator's tools talk to it through a control
socket in the node directory that only the operator's user can open.`)
	nf := addNodeFlags(fs)
	consFile := fs.String("consortium", "", "consortium file (required)")
	listen := fs.String("listen", "", "comma-separated listen multiaddresses (default: node.toml's)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *consFile == "" {
		return usagef("--consortium is required")
	}
	cons, err := readConsortium(*consFile)
	if err != nil {
		return err
	}
	// libp2p logs through slog too; only its warnings and errors are shown.
	gologshim.SetDefaultHandler(e.log.Handler())
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	var addrs []string
	for _, a := range strings.Split(*listen, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	f, err := n.Serve(ctx, cons, addrs)
	if err != nil {
		return err
	}
	defer f.Close()
	ctl := make(chan error, 1)
	go func() { ctl <- f.ServeControl(ctx) }()
	go connectLoop(ctx, f, e.log)
	cfg := n.Config()
	var la []string
	for _, a := range f.Host().Addrs() {
		la = append(la, a.String())
	}
	fmt.Fprintf(e.stdout, "serving node %s (peer %s) on %s\nconsortium %s: %d members\n",
		cfg.Name, cfg.PeerID, strings.Join(la, " "), cons.Name(), cons.Len())
	select {
	case <-ctx.Done():
	case err := <-ctl:
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, "shutting down")
	return nil
}

// connectLoop keeps dialling members that are not connected.
func connectLoop(ctx context.Context, f *node.Federation, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		ok, err := f.Host().ConnectAll(ctx)
		if err != nil && ctx.Err() == nil {
			log.Info("members not reachable yet", "connected", len(ok), "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func readConsortium(path string) (*federation.Consortium, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("consortium: %w", err)
	}
	return federation.ParseConsortium(b)
}

func cmdJob(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "job", "Federated jobs, coordinated by the node serving in DIR.", map[string]subcommand{
		"run": {"propose a job to its participants, run it, print the result", jobRun},
	}, args)
}

func jobRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job run", "--dir DIR --spec JOB.toml [--consortium FILE] [--json]", `
Start a federated job from the node serving in DIR (fednode serve), which
coordinates it: every participant's policy accepts or refuses it (dataset,
budget, threshold, parameters) and says why; the participants build a
collective key and each contributes its noised, encrypted local vector; at
least the threshold of them decrypt the sum together. Progress goes to
standard error, the result to standard output.`)
	dir := fs.String("dir", "", "node directory of the serving node (required)")
	specFile := fs.String("spec", "", "job spec, TOML (required)")
	consFile := fs.String("consortium", "", "consortium file, to check the participants before starting (optional)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *dir == "" || *specFile == "" {
		return usagef("--dir and --spec are required")
	}
	specText, err := os.ReadFile(*specFile)
	if err != nil {
		return err
	}
	if *consFile != "" {
		cons, err := readConsortium(*consFile)
		if err != nil {
			return err
		}
		spec, err := specParticipants(specText)
		if err != nil {
			return err
		}
		for _, p := range spec {
			if _, ok := cons.ByName(p); !ok {
				return fmt.Errorf("participant %s is not in the consortium file", p)
			}
		}
	}
	res, err := node.Control(ctx, *dir, node.ControlRequest{Op: "job.run", Spec: string(specText)},
		func(s string) { fmt.Fprintln(e.stderr, s) })
	if err != nil {
		return err
	}
	if *asJSON {
		fmt.Fprintln(e.stdout, string(res))
		return nil
	}
	return printJobResult(e, res)
}
