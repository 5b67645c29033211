package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// compliance sets up a node with a dataset and returns its directory and
// peer ID.
func compliance(t *testing.T) (dir, peerID string) {
	t.Helper()
	tmp := t.TempDir()
	dir = filepath.Join(tmp, "node")
	code, out, errs := cli(t, pass, "init", "--dir", dir, "--name", "bank", "--json")
	if code != exitOK {
		t.Fatal(errs)
	}
	var init struct {
		PeerID string `json:"peer_id"`
	}
	json.Unmarshal([]byte(out), &init)
	schema := filepath.Join(tmp, "s.toml")
	os.WriteFile(schema, []byte("kind = \"customers\"\n[columns]\nid = \"id\"\nage = { role = \"numeric\", min = 18, max = 100 }\nseg = \"categorical\"\n"), 0o600)
	data := filepath.Join(tmp, "d.csv")
	var b strings.Builder
	b.WriteString("id,age,seg\n")
	for i := range 300 {
		b.WriteString("c" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + ",40," + []string{"gold", "silver"}[i%2] + "\n")
	}
	os.WriteFile(data, []byte(b.String()), 0o600)
	if code, _, errs := cli(t, pass, "ingest", "--dir", dir, "--dataset", "cust", "--schema", schema, data); code != exitOK {
		t.Fatal(errs)
	}
	return dir, init.PeerID
}

func TestComplianceFlow(t *testing.T) {
	dir, peerID := compliance(t)
	if code, _, errs := cli(t, pass, "query", "--dir", dir, "--dataset", "cust", "--stat", "count", "--epsilon", "0.5"); code != exitFailure || !strings.Contains(errs, "no privacy budget") {
		t.Fatalf("query without budget: %d %s", code, errs)
	}
	if code, out, errs := cli(t, pass, "budget", "set", "--dir", dir, "--dataset", "cust", "--epsilon", "1", "--delta", "1e-6"); code != exitOK || !strings.Contains(out, "cap set") {
		t.Fatalf("budget set: %d %s %s", code, out, errs)
	}
	code, out, errs := cli(t, pass, "query", "--dir", dir, "--dataset", "cust", "--stat", "histogram", "--column", "seg", "--epsilon", "0.4", "--json")
	if code != exitOK {
		t.Fatalf("query: %s", errs)
	}
	var res struct {
		Labels []string
		Result struct{ Counts []float64 }
	}
	if json.Unmarshal([]byte(out), &res) != nil || len(res.Result.Counts) != 2 || res.Labels[0] != "gold" {
		t.Fatalf("histogram: %s", out)
	}
	// Over budget: refused, exit 1, nothing changes.
	_, before, _ := cli(t, pass, "budget", "show", "--dir", dir, "--json")
	_, logBefore, _ := cli(t, pass, "audit", "show", "--dir", dir, "--json")
	code, _, errs = cli(t, pass, "query", "--dir", dir, "--dataset", "cust", "--stat", "mean", "--column", "age", "--epsilon", "0.9")
	if code != exitFailure || !strings.Contains(errs, "privacy budget exceeded") {
		t.Fatalf("over budget: %d %s", code, errs)
	}
	_, after, _ := cli(t, pass, "budget", "show", "--dir", dir, "--json")
	_, logAfter, _ := cli(t, pass, "audit", "show", "--dir", dir, "--json")
	if before != after || logBefore != logAfter {
		t.Fatal("a refused query changed the ledger or the log")
	}
	var accts []budgetJSON
	if json.Unmarshal([]byte(after), &accts) != nil || len(accts) != 1 || accts[0].Releases != 1 || accts[0].SpentEpsilon > 0.4 || accts[0].RemainingEps < 0.6 {
		t.Fatalf("budget show: %s", after)
	}
	if code, _, errs := cli(t, pass, "budget", "set", "--dir", dir, "--dataset", "cust", "--epsilon", "0.1"); code != exitFailure || !strings.Contains(errs, "below") {
		t.Fatalf("lowering below spent: %d %s", code, errs)
	}

	// The log verifies on the node and as an export, offline.
	if code, out, _ := cli(t, pass, "audit", "verify", "--dir", dir); code != exitOK || !strings.Contains(out, "intact") || !strings.Contains(out, "3 records") {
		t.Fatalf("audit verify: %d %s", code, out)
	}
	export := filepath.Join(t.TempDir(), "audit.json")
	if code, _, errs := cli(t, pass, "audit", "export", "--dir", dir, "--out", export); code != exitOK {
		t.Fatal(errs)
	}
	if code, out, errs := cli(t, nil, "audit", "verify", "--file", export, "--peer-id", peerID); code != exitOK || !strings.Contains(out, "intact") {
		t.Fatalf("offline verify: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, pass, "audit", "export", "--dir", dir, "--format", "csv"); code != exitOK || strings.Count(out, "\n") != 4 {
		t.Fatalf("csv export: %q", out)
	}

	// Tampering with the export is detected offline, naming the record.
	data, _ := os.ReadFile(export)
	for name, edit := range map[string]func(string) string{
		"edit-epsilon": func(s string) string {
			return regexp.MustCompile(`"epsilon":0\.\d`).ReplaceAllStringFunc(s, func(m string) string { return m[:len(m)-1] + "9" })
		},
		"delete-record": func(s string) string {
			lines := strings.Split(s, "\n")
			for i, l := range lines {
				if strings.Contains(l, `"kind":"charge"`) {
					return strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")
				}
			}
			return s
		},
		"truncate": func(s string) string {
			i := strings.LastIndex(s, `,
    {"record"`)
			return s[:i] + "\n  ]\n}\n"
		},
	} {
		t.Run("tamper="+name, func(t *testing.T) {
			bad := edit(string(data))
			if bad == string(data) {
				t.Fatal("edit did not apply")
			}
			f := filepath.Join(t.TempDir(), "bad.json")
			os.WriteFile(f, []byte(bad), 0o600)
			code, _, errs := cli(t, nil, "audit", "verify", "--file", f, "--peer-id", peerID)
			t.Log(errs)
			if code != exitFailure || !strings.Contains(errs, "NOT intact") {
				t.Fatalf("tampered export: exit %d %s", code, errs)
			}
		})
	}
	// Another node's identity does not verify this export.
	_, other := compliance(t)
	if code, _, _ := cli(t, nil, "audit", "verify", "--file", export, "--peer-id", other); code != exitFailure {
		t.Fatal("export verified against another peer ID")
	}
}
