package node

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fednode/fednode/node/ingest"
	"github.com/fednode/fednode/node/keys"
)

const childEnv = "FEDNODE_NODE_TEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		holdOpen(dir)
		return
	}
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// holdOpen opens the node, says so, and waits for stdin to close.
func holdOpen(dir string) {
	n, err := Open(bgCtx(), dir, []byte(testPass), nil)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("OPEN")
	bufio.NewReader(os.Stdin).ReadString('\n')
	n.Close()
}

const testPass = "correct horse battery staple"

func initTest(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "node")
	if _, err := Init(dir, InitOptions{Name: "alpine-bank", Passphrase: []byte(testPass), KDF: keys.InsecureTestKDFParams()}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openTest(t testing.TB, dir string) *Node {
	t.Helper()
	n, err := Open(t.Context(), dir, []byte(testPass), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func TestInitCreatesNode(t *testing.T) {
	dir := initTest(t)
	for _, f := range []string{ConfigFile, KeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	n := openTest(t, dir)
	cfg := n.Config()
	if cfg.Name != "alpine-bank" || !strings.HasPrefix(cfg.PeerID, "12D3KooW") {
		t.Fatalf("config %+v", cfg)
	}
	pid, err := PeerID(n.identity)
	if err != nil || pid.String() != cfg.PeerID {
		t.Fatalf("peer ID %s does not match the identity key (%v)", cfg.PeerID, err)
	}
	st, err := n.Status()
	if err != nil || st.StoreBytes <= 0 || len(st.Datasets) != 0 {
		t.Fatalf("status %+v %v", st, err)
	}
}

func TestInitRefusesExistingNode(t *testing.T) {
	dir := initTest(t)
	before := snapshot(t, dir)
	_, err := Init(dir, InitOptions{Name: "other", Passphrase: []byte("x"), KDF: keys.InsecureTestKDFParams()})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second init: %v, want ErrExists", err)
	}
	if after := snapshot(t, dir); after != before {
		t.Fatal("refused init changed the directory")
	}
}

func TestInitDistinctIdentities(t *testing.T) {
	a := openTest(t, initTest(t)).Config().PeerID
	b := openTest(t, initTest(t)).Config().PeerID
	if a == b {
		t.Fatal("two nodes got the same peer ID")
	}
}

// TestWrongPassphraseTouchesNothing: a wrong passphrase is a clear error and
// leaves every file of the node as it was.
func TestWrongPassphraseTouchesNothing(t *testing.T) {
	dir := initTest(t)
	n := openTest(t, dir)
	ingestString(t, n, "churn", custSchema, custCSV(50))
	n.Close()
	before := snapshot(t, dir)
	_, err := Open(t.Context(), dir, []byte("wrong"), nil)
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("message %q does not say what is wrong", err)
	}
	if after := snapshot(t, dir); after != before {
		t.Fatal("a wrong passphrase changed the node directory")
	}
}

func TestOpenNotANode(t *testing.T) {
	if _, err := Open(t.Context(), t.TempDir(), []byte("x"), nil); !errors.Is(err, ErrNotNode) {
		t.Fatalf("got %v, want ErrNotNode", err)
	}
}

func TestDirectoryInUse(t *testing.T) {
	dir := initTest(t)
	n := openTest(t, dir)
	if _, err := Open(t.Context(), dir, []byte(testPass), nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("second open in one process: %v, want ErrInUse", err)
	}
	n.Close()
	openTest(t, dir) // released on Close
}

func TestDirectoryInUseAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := initTest(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, _ := bufio.NewReader(out).ReadString('\n'); strings.TrimSpace(line) != "OPEN" {
		t.Fatalf("child: %q", line)
	}
	_, err := Open(t.Context(), dir, []byte(testPass), nil)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("open while another process has the node: %v", err)
	}
}

func TestTamperedKeyFile(t *testing.T) {
	dir := initTest(t)
	path := filepath.Join(dir, KeyFile)
	data, _ := os.ReadFile(path)
	other := initTest(t)
	otherKey, _ := os.ReadFile(filepath.Join(other, KeyFile))
	if err := os.WriteFile(path, otherKey, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), dir, []byte(testPass), nil)
	if err == nil || !strings.Contains(err.Error(), "belongs to peer") {
		t.Fatalf("key file of another node accepted: %v", err)
	}
	os.WriteFile(path, data, 0o600)
	openTest(t, dir)
}

const custSchema = `
kind = "customers"
[columns]
id   = "id"
name = "drop"
age  = { role = "numeric", min = 18, max = 100 }
`

func custCSV(n int) string {
	var b strings.Builder
	b.WriteString("id,name,age\n")
	for i := range n {
		fmt.Fprintf(&b, "c%d,Name %d,%d\n", i, i, 18+i%60)
	}
	return b.String()
}

func ingestString(t testing.TB, n *Node, dataset, schemaText, data string) *IngestResult {
	t.Helper()
	res, err := n.Ingest(t.Context(), IngestRequest{Dataset: dataset, Schema: []byte(schemaText), File: dataset + ".csv", Data: strings.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestIngestReportAndVersions(t *testing.T) {
	n := openTest(t, initTest(t))
	res := ingestString(t, n, "churn", custSchema, custCSV(120))
	if res.Version.Rows != 120 || res.Version.Customers != 120 || res.Report.RecordsRead != 120 || res.Replaced {
		t.Fatalf("first ingest: %+v %+v", res.Version, res.Report)
	}
	if res.Version.Schema != custSchema || res.Version.SourceSHA256 != fmt.Sprintf("%x", sha256.Sum256([]byte(custCSV(120)))) {
		t.Fatal("version does not record its schema and source digest")
	}
	res = ingestString(t, n, "churn", custSchema, custCSV(7))
	if !res.Replaced || res.Version.Version != 2 || res.Version.Rows != 7 {
		t.Fatalf("second ingest: %+v", res.Version)
	}
	_, err := n.Ingest(t.Context(), IngestRequest{Dataset: "churn", Schema: []byte(custSchema), File: "bad.csv", Data: strings.NewReader("id,name,age\nx,y,abc\n")})
	var re *ingest.RowError
	if !errors.As(err, &re) || err.Error() != `bad.csv line 2 column age: "abc" is not a number` {
		t.Fatalf("bad ingest: %v", err)
	}
	ds, _ := n.Datasets()
	if len(ds) != 1 || ds[0].Version != 2 || ds[0].Rows != 7 {
		t.Fatalf("after a rejected ingest: %+v", ds)
	}
	if _, err := n.Ingest(t.Context(), IngestRequest{Dataset: "Bad Name", Schema: []byte(custSchema), Data: strings.NewReader("")}); err == nil {
		t.Fatal("invalid dataset name accepted")
	}
}

func TestDuplicateCustomerNamesBothLines(t *testing.T) {
	n := openTest(t, initTest(t))
	_, err := n.Ingest(t.Context(), IngestRequest{Dataset: "c", Schema: []byte(custSchema), File: "c.csv",
		Data: strings.NewReader("id,name,age\na,x,20\nb,y,30\na,z,40\n")})
	if err == nil || err.Error() != "c.csv line 4 column id: customer appears more than once (first at line 2)" {
		t.Fatalf("duplicate: %v", err)
	}
	keep := strings.Replace(custSchema, `kind = "customers"`, "kind = \"customers\"\nduplicates = \"keep-last\"", 1)
	res := ingestString(t, n, "c", keep, "id,name,age\na,x,20\nb,y,30\na,z,40\n")
	if res.Version.Rows != 2 || res.Report.RecordsStored != 2 || res.Report.SkippedTotal() != 1 || res.Report.Skipped[0].FirstLines[0] != 2 {
		t.Fatalf("keep-last: %+v %+v", res.Version, res.Report)
	}
}

// TestNothingSecretInNodeDir checks that the dropped column, the raw ids and
// the passphrase are nowhere in the node directory after an ingest.
func TestNothingSecretInNodeDir(t *testing.T) {
	dir := initTest(t)
	n := openTest(t, dir)
	ingestString(t, n, "churn", custSchema, strings.ReplaceAll(custCSV(3000), "Name", "SURNAMEMARKER"))
	n.Close()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		for _, m := range []string{"SURNAMEMARKER", "c2999", testPass} {
			if bytes.Contains(data, []byte(m)) {
				t.Errorf("%s holds %q", p, m)
			}
		}
		return nil
	})
}

// snapshot hashes every file's name, mode and content under dir.
func snapshot(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		if d.IsDir() {
			lines = append(lines, p+" dir")
			return nil
		}
		data, _ := os.ReadFile(p)
		lines = append(lines, fmt.Sprintf("%s %v %x", p, info.Mode(), sha256.Sum256(data)))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
