package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/fednode/fednode/node"
	"github.com/fednode/fednode/node/audit"
)

func cmdAudit(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "audit", "The node's append-only audit log: every budget change, charge and release,\nhash-chained and signed with the node's Ed25519 identity.", map[string]subcommand{
		"verify": {"check the log on the node (--dir) or an export offline (--file --peer-id)", auditVerify},
		"show":   {"list the records", auditShow},
		"export": {"write the log as JSON (verifiable offline) or CSV", auditExport},
	}, args)
}

func auditVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit verify", "--dir DIR | --file EXPORT.json --peer-id ID", `
Verify the audit log: every record's signature, the hash chain (no record
edited, removed, reordered or inserted) and the signed head (no truncation).
With --dir, the node's own log; with --file and --peer-id, an export, offline,
against the node's pinned identity. Exit status 0 when intact; 1, naming the
first bad record, otherwise.`)
	nf := addNodeFlags(fs)
	file := fs.String("file", "", "exported log (JSON) to verify offline")
	peerID := fs.String("peer-id", "", "the exporting node's peer ID (with --file)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var sum *audit.Summary
	var who string
	switch {
	case *file != "" && *nf.dir != "":
		return usagef("give --dir or --file, not both")
	case *file != "":
		if *peerID == "" {
			return usagef("--file needs --peer-id, the identity to verify against")
		}
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		exp, s, err := node.VerifyAuditExport(f, *peerID)
		if err != nil {
			return auditFailure(err)
		}
		sum, who = s, fmt.Sprintf("export of node %s (peer %s), exported %s", exp.Node, exp.PeerID, exp.ExportedAt.Format(time.RFC3339))
	default:
		n, err := nf.open(ctx, e)
		if err != nil {
			return err
		}
		defer n.Close()
		s, err := n.AuditVerify()
		if err != nil {
			return auditFailure(err)
		}
		cfg := n.Config()
		sum, who = s, fmt.Sprintf("node %s (peer %s)", cfg.Name, cfg.PeerID)
	}
	if *asJSON {
		return writeJSON(e.stdout, summaryJSON(sum))
	}
	fmt.Fprintf(e.stdout, "audit log intact: %s\n  %d records", who, sum.Records)
	if sum.Records > 0 {
		fmt.Fprintf(e.stdout, " from %s to %s", sum.First.Format(time.RFC3339), sum.Last.Format(time.RFC3339))
	}
	fmt.Fprintf(e.stdout, "\n  head %x\n", sum.Head)
	kinds := make([]string, 0, len(sum.Kinds))
	for k, c := range sum.Kinds {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, c))
	}
	sort.Strings(kinds)
	if len(kinds) > 0 {
		fmt.Fprintf(e.stdout, "  %s\n", strings.Join(kinds, ", "))
	}
	return nil
}

func auditFailure(err error) error {
	if errors.Is(err, audit.ErrTampered) {
		return fmt.Errorf("audit log NOT intact: %w", err)
	}
	return err
}

func summaryJSON(s *audit.Summary) map[string]any {
	return map[string]any{"intact": true, "records": s.Records, "head": fmt.Sprintf("%x", s.Head),
		"first": s.First, "last": s.Last, "kinds": s.Kinds}
}

func auditShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit show", "--dir DIR [--json]", `
List the audit records: sequence, time, kind, dataset, release, mechanism,
privacy charged and the digest of the released value.`)
	nf := addNodeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON (one record per array element)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	var recs []audit.Record
	if err := n.AuditEntries(func(en *audit.Entry) error { recs = append(recs, en.Record); return nil }); err != nil {
		return err
	}
	if *asJSON {
		if recs == nil {
			recs = []audit.Record{}
		}
		return writeJSON(e.stdout, recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(e.stdout, "no audit records")
		return nil
	}
	tw := table(e.stdout)
	fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tDATASET\tRELEASE\tMECHANISM\tCHARGED\tDIGEST")
	for _, r := range recs {
		charged := ""
		switch {
		case r.Kind == audit.KindBudgetSet:
			charged = "cap ε=" + r.Params["epsilon"] + " δ=" + r.Params["delta"]
		case r.Rho > 0:
			charged = fmt.Sprintf("ρ=%.6g", r.Rho)
		case r.Epsilon > 0:
			charged = fmt.Sprintf("ε=%.6g δ=%.3g", r.Epsilon, r.Delta)
		}
		digest := r.Digest
		if len(digest) > 16 {
			digest = digest[:16] + "…"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.Format(time.RFC3339), r.Kind, r.Dataset, r.Release, r.Mechanism, charged, digest)
	}
	return tw.Flush()
}

func auditExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit export", "--dir DIR [--format json|csv] [--out FILE]", `
Write the audit log, after verifying it. JSON keeps each record's exact signed
bytes, so "fednode audit verify --file FILE --peer-id ID" checks it offline;
CSV is for spreadsheets.`)
	nf := addNodeFlags(fs)
	format := fs.String("format", "json", "json or csv")
	out := fs.String("out", "", "write to this file instead of standard output")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *format != "json" && *format != "csv" {
		return usagef("--format must be json or csv")
	}
	n, err := nf.open(ctx, e)
	if err != nil {
		return err
	}
	defer n.Close()
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return n.AuditExport(w, *format)
}
