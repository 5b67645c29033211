package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs fednode in-process with the given environment variables.
func cli(t testing.TB, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, &env{
		stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] },
	})
	return code, out.String(), errb.String()
}

var pass = map[string]string{passphraseEnv: "test passphrase"}

func TestUsageAndHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"nope"}, exitUsage, `unknown command "nope"`},
		{[]string{"help"}, exitOK, "ingest"},
		{[]string{"--log-level", "loud", "status"}, exitUsage, "--log-level"},
		{[]string{"init"}, exitUsage, "--dir and --name are required"},
		{[]string{"init", "--dir", "x", "--name", "Bad Name"}, exitUsage, "node name"},
		{[]string{"ingest", "--dir", "x"}, exitUsage, "--dataset, --schema and one FILE are required"},
		{[]string{"status"}, exitUsage, "--dir is required"},
		{[]string{"status", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"bench"}, exitUsage, "missing sub-command"},
		{[]string{"bench", "nope"}, exitUsage, "unknown bench"},
	} {
		t.Run("args="+strings.Join(tc.args, "_"), func(t *testing.T) {
			code, out, errs := cli(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Fatalf("exit %d (want %d), output %q, want it to contain %q", code, tc.code, out+errs, tc.want)
			}
		})
	}
	for name := range commands() {
		t.Run("help="+name, func(t *testing.T) {
			code, out, errs := cli(t, nil, name, "--help")
			if code != exitOK || !strings.Contains(out+errs, "Usage: fednode "+name) {
				t.Fatalf("%s --help: exit %d, %q", name, code, out+errs)
			}
		})
	}
}

func TestNoPassphrase(t *testing.T) {
	code, _, errs := cli(t, nil, "init", "--dir", filepath.Join(t.TempDir(), "n"), "--name", "a")
	if code != exitFailure || !strings.Contains(errs, "FEDNODE_PASSPHRASE") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// TestOperatorFlow runs init, ingest, datasets and status as an operator
// would, and checks the failure paths keep the node as it was.
func TestOperatorFlow(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "node")
	code, out, errs := cli(t, pass, "init", "--dir", dir, "--name", "alpine-bank")
	if code != exitOK || !strings.Contains(out, "peer ID: 12D3KooW") {
		t.Fatalf("init: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, pass, "init", "--dir", dir, "--name", "alpine-bank"); code != exitFailure || !strings.Contains(errs, "already exists") {
		t.Fatalf("re-init: %d %s", code, errs)
	}

	schema := filepath.Join(tmp, "s.toml")
	os.WriteFile(schema, []byte("kind = \"customers\"\n[columns]\nid = \"id\"\nname = \"drop\"\nage = { role = \"numeric\", min = 18, max = 100 }\nchurned = { role = \"label\", positive = \"1\" }\n"), 0o600)
	good := filepath.Join(tmp, "good.csv")
	os.WriteFile(good, []byte("id,name,age,churned\na,Ann,30,1\nb,Bob,40,0\nc,Cy,50,0\n"), 0o600)
	code, out, errs = cli(t, pass, "ingest", "--dir", dir, "--dataset", "churn", "--schema", schema, good)
	if code != exitOK || !strings.Contains(out, "records stored   3") {
		t.Fatalf("ingest: %d %s %s", code, out, errs)
	}

	bad := filepath.Join(tmp, "bad.csv")
	os.WriteFile(bad, []byte("id,name,age,churned\nd,Di,30,1\ne,Ed,abc,0\n"), 0o600)
	code, _, errs = cli(t, pass, "ingest", "--dir", dir, "--dataset", "churn", "--schema", schema, bad)
	if code != exitFailure || !strings.Contains(errs, `bad.csv line 3 column age: "abc" is not a number`) {
		t.Fatalf("bad ingest: %d %s", code, errs)
	}

	code, out, errs = cli(t, pass, "datasets", "--dir", dir, "--json")
	if code != exitOK {
		t.Fatalf("datasets: %d %s", code, errs)
	}
	var ds []datasetJSON
	if err := json.Unmarshal([]byte(out), &ds); err != nil {
		t.Fatalf("datasets --json: %v\n%s", err, out)
	}
	if len(ds) != 1 || ds[0].Name != "churn" || ds[0].Rows != 3 || ds[0].Version != 1 || ds[0].Kind != "customers" || len(ds[0].Columns) != 3 {
		t.Fatalf("datasets after the rejected ingest: %+v", ds)
	}
	if ds[0].Columns[0].Role != "id" || ds[0].Columns[1].Name != "age" {
		t.Fatalf("columns %+v", ds[0].Columns)
	}

	code, out, _ = cli(t, pass, "status", "--dir", dir, "--json")
	var st map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || st["name"] != "alpine-bank" || st["store_bytes"].(float64) <= 0 {
		t.Fatalf("status --json: %d %s", code, out)
	}
	code, out, _ = cli(t, pass, "status", "--dir", dir)
	if code != exitOK || !strings.Contains(out, "alpine-bank") || !strings.Contains(out, "churn") {
		t.Fatalf("status: %s", out)
	}

	code, _, errs = cli(t, map[string]string{passphraseEnv: "wrong"}, "status", "--dir", dir)
	if code != exitFailure || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("wrong passphrase: %d %s", code, errs)
	}
	pf := filepath.Join(tmp, "pass")
	os.WriteFile(pf, []byte("test passphrase\n"), 0o600)
	if code, _, errs := cli(t, nil, "datasets", "--dir", dir, "--passphrase-file", pf); code != exitOK {
		t.Fatalf("--passphrase-file: %d %s", code, errs)
	}
}

func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errs := cli(t, nil, "demo", "--nodes", "2", "--customers", "150", "--dir", dir)
	if code != exitOK {
		t.Fatalf("demo: %d %s", code, errs)
	}
	for _, want := range []string{"== node alpine-bank", "== node coastal-retail", "dataset transactions version 1", "campaign", "mean of age", "audit log: 5 records", "federated stats job across 2 nodes", "mean of churned"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	code, out, _ = cli(t, map[string]string{passphraseEnv: demoPassphrase}, "datasets", "--dir", filepath.Join(dir, "alpine-bank"))
	if code != exitOK || strings.Count(out, "\n") < 4 {
		t.Fatalf("the demo's node does not open with its passphrase: %s", out)
	}
}

// TestReferenceDatasets ingests the public reference data with the shipped
// schemas (skipped when ../shared is absent).
func TestReferenceDatasets(t *testing.T) {
	const shared = "../../../shared/data"
	if _, err := os.Stat(shared); err != nil {
		t.Skip("reference data (../shared) not present")
	}
	dir := filepath.Join(t.TempDir(), "node")
	if code, _, errs := cli(t, pass, "init", "--dir", dir, "--name", "ref"); code != exitOK {
		t.Fatal(errs)
	}
	for _, tc := range []struct {
		dataset, file                 string
		rows, customers, stored, slow int64
	}{
		{"bank-churn", "bank-churn/Churn_Modelling.csv", 10000, 10000, 10000, 0},
		{"bank-marketing", "bank-marketing/bank-full.csv", 45211, 45211, 45211, 0},
		{"groceries", "groceries/groceries.csv", 43367, 9835, 9835, 0},
		{"cdnow", "cdnow/cdnowElog.csv", 6919, 2357, 6919, 0},
		{"online-retail", "online-retail/online-retail.csv.gz", 397884, 4338, 397884, 1},
	} {
		t.Run("dataset="+tc.dataset, func(t *testing.T) {
			if tc.slow == 1 && testing.Short() {
				t.Skip("large file")
			}
			code, out, errs := cli(t, pass, "ingest", "--dir", dir, "--dataset", tc.dataset, "--json",
				"--schema", "../../configs/schemas/"+tc.dataset+".toml", filepath.Join(shared, tc.file))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var res struct {
				Report struct {
					RecordsStored int64 `json:"records_stored"`
				} `json:"report"`
				Version struct{ Rows, Customers int64 } `json:"version"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			if res.Version.Rows != tc.rows || res.Version.Customers != tc.customers || res.Report.RecordsStored != tc.stored {
				t.Fatalf("rows %d customers %d stored %d; want %d %d %d", res.Version.Rows, res.Version.Customers, res.Report.RecordsStored, tc.rows, tc.customers, tc.stored)
			}
		})
	}
}
