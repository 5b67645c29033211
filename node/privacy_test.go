package node

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/fednode/fednode/node/audit"
	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/ledger"
	"github.com/fednode/fednode/privacy/mechanism"
)

// churnNode returns an open node with a 500-customer dataset "churn" and,
// if eps > 0, a budget cap (eps, 1e-6) on it.
func churnNode(t testing.TB, eps float64) (*Node, string) {
	t.Helper()
	dir := initTest(t)
	n := openTest(t, dir)
	ingestString(t, n, "churn", custSchema, custCSV(500))
	if eps > 0 {
		if _, _, err := n.SetBudget("churn", accountant.Budget{Epsilon: eps, Delta: 1e-6}); err != nil {
			t.Fatal(err)
		}
	}
	return n, dir
}

func TestQueryChargesThenReleases(t *testing.T) {
	n, _ := churnNode(t, 2)
	res, err := n.Query(t.Context(), QueryRequest{Dataset: "churn", Stat: mechanism.StatMean, Column: "age",
		Request: mechanism.Request{Epsilon: 1, Delta: 1e-7}})
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for i := range 500 {
		want += float64(18 + i%60)
	}
	want /= 500
	if math.Abs(res.Result.Value-want) > 6*res.Result.Stddev+1 {
		t.Fatalf("mean age %g, true %g (noise sd %g)", res.Result.Value, want, res.Result.Stddev)
	}
	accts, _ := n.Budgets()
	if len(accts) != 1 || accts[0].Releases != 1 || accts[0].Spent.Rho != res.Result.Cost.Rho {
		t.Fatalf("ledger after one release: %+v (cost %v)", accts, res.Result.Cost)
	}
	var kinds []audit.Kind
	var digest string
	n.AuditEntries(func(e *audit.Entry) error {
		kinds = append(kinds, e.Record.Kind)
		if e.Record.Kind == audit.KindRelease {
			digest = e.Record.Digest
		}
		return nil
	})
	if fmt.Sprint(kinds) != "[budget.set charge release]" || digest != res.Result.Digest() {
		t.Fatalf("audit records %v, release digest %q vs result %q", kinds, digest, res.Result.Digest())
	}
	if _, err := n.AuditVerify(); err != nil {
		t.Fatal(err)
	}
}

// TestOverBudgetChangesNothing: a refused request releases nothing and
// leaves the ledger and the audit log exactly as they were.
func TestOverBudgetChangesNothing(t *testing.T) {
	n, _ := churnNode(t, 0.5)
	before := ledgerAndLog(t, n)
	_, err := n.Query(t.Context(), QueryRequest{Dataset: "churn", Stat: mechanism.StatCount, Request: mechanism.Request{Epsilon: 1}})
	var ex *ledger.ExceededError
	if !errors.As(err, &ex) || !errors.Is(err, accountant.ErrExceeded) || !strings.Contains(err.Error(), "churn") {
		t.Fatalf("over budget: %v", err)
	}
	if after := ledgerAndLog(t, n); after != before {
		t.Fatalf("refused request changed state:\n%s\n%s", before, after)
	}
	if _, err := n.Query(t.Context(), QueryRequest{Dataset: "churn", Stat: mechanism.StatCount, Request: mechanism.Request{Epsilon: 0.5}}); err != nil {
		t.Fatalf("a request of exactly the remaining budget: %v", err)
	}
}

func TestQueryWithoutBudgetRefused(t *testing.T) {
	n, _ := churnNode(t, 0)
	_, err := n.Query(t.Context(), QueryRequest{Dataset: "churn", Stat: mechanism.StatCount, Request: mechanism.Request{Epsilon: 0.1}})
	if !errors.Is(err, ledger.ErrNoCap) || !strings.Contains(err.Error(), "fednode budget set") {
		t.Fatalf("no cap: %v", err)
	}
}

func TestSetBudgetLowerBelowSpentRefused(t *testing.T) {
	n, _ := churnNode(t, 1)
	if _, err := n.Query(t.Context(), QueryRequest{Dataset: "churn", Stat: mechanism.StatCount, Request: mechanism.Request{Epsilon: 0.6}}); err != nil {
		t.Fatal(err)
	}
	before := ledgerAndLog(t, n)
	if _, _, err := n.SetBudget("churn", accountant.Budget{Epsilon: 0.5, Delta: 1e-6}); !errors.Is(err, ledger.ErrCapBelowSpent) {
		t.Fatalf("lowering below spent: %v", err)
	}
	if after := ledgerAndLog(t, n); after != before {
		t.Fatal("refused cap change changed state")
	}
	prev, now, err := n.SetBudget("churn", accountant.Budget{Epsilon: 3, Delta: 1e-6})
	if err != nil || prev.Cap.Epsilon != 1 || now.Cap.Epsilon != 3 || now.Releases != 1 {
		t.Fatalf("raising: %+v %+v %v", prev, now, err)
	}
	if _, _, err := n.SetBudget("nope", accountant.Budget{Epsilon: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cap on a missing dataset: %v", err)
	}
}

func TestQueryRejectsBadRequests(t *testing.T) {
	n, _ := churnNode(t, 10)
	for name, req := range map[string]QueryRequest{
		"stat=median":      {Dataset: "churn", Stat: "median", Request: mechanism.Request{Epsilon: 1}},
		"column=missing":   {Dataset: "churn", Stat: mechanism.StatSum, Column: "nope", Request: mechanism.Request{Epsilon: 1}},
		"count+column":     {Dataset: "churn", Stat: mechanism.StatCount, Column: "age", Request: mechanism.Request{Epsilon: 1}},
		"histogram+noedge": {Dataset: "churn", Stat: mechanism.StatHistogram, Column: "age", Request: mechanism.Request{Epsilon: 1}},
		"dataset=missing":  {Dataset: "nope", Stat: mechanism.StatCount, Request: mechanism.Request{Epsilon: 1}},
	} {
		before := ledgerAndLog(t, n)
		if _, err := n.Query(t.Context(), req); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if ledgerAndLog(t, n) != before {
			t.Errorf("%s: a rejected request changed state", name)
		}
	}
	res, err := n.Query(t.Context(), QueryRequest{Dataset: "churn", Stat: mechanism.StatHistogram, Column: "age", Edges: []float64{30, 50},
		Request: mechanism.Request{Epsilon: 1}})
	if err != nil || len(res.Result.Counts) != 3 || res.Labels[1] != "[30, 50)" {
		t.Fatalf("numeric histogram: %+v %v", res, err)
	}
}

// TestAuditTamperDetectedOnNode flips one byte of a stored audit record.
func TestAuditTamperDetectedOnNode(t *testing.T) {
	n, _ := churnNode(t, 2)
	if _, err := n.Query(t.Context(), QueryRequest{Dataset: "churn", Stat: mechanism.StatCount, Request: mechanism.Request{Epsilon: 0.1}}); err != nil {
		t.Fatal(err)
	}
	err := n.store.Update(func(tx *store.Txn) error {
		sp := tx.In(store.SpaceAudit)
		var key, val []byte
		sp.Scan([]byte("e"), func(k, v []byte) error {
			if key == nil {
				key, val = append([]byte(nil), k...), append([]byte(nil), v...)
			}
			return nil
		})
		val[len(val)/2] ^= 1
		return sp.Set(key, val)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AuditVerify(); !errors.Is(err, audit.ErrTampered) {
		t.Fatalf("tampered log verified: %v", err)
	}
}

// ledgerAndLog renders the ledger accounts and the audit head.
func ledgerAndLog(t testing.TB, n *Node) string {
	t.Helper()
	accts, err := n.Budgets()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%+v\n", accts)
	n.AuditEntries(func(e *audit.Entry) error { fmt.Fprintf(&b, "%d %x\n", e.Record.Seq, e.Hash); return nil })
	return b.String()
}

// The crash test's child opens the node, charges a release and is killed
// by the parent between the charge and the release.
const crashEnv = "FEDNODE_NODE_CRASH_CHILD"

func crashChild(dir string) {
	n, err := Open(bgCtx(), dir, []byte(testPass), nil)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	n.afterCharge = func() {
		fmt.Println("CHARGED")
		select {} // wait to be killed
	}
	_, err = n.Query(bgCtx(), QueryRequest{Dataset: "churn", Stat: mechanism.StatCount, Request: mechanism.Request{Epsilon: 0.25}})
	fmt.Println("ERROR released", err)
	os.Exit(1)
}

// TestCrashBetweenChargeAndRelease kills a process right after its charge
// became durable and before the release: after restart the charge is there,
// nothing was released, and the audit log verifies.
func TestCrashBetweenChargeAndRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	n, dir := churnNode(t, 1)
	n.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if strings.TrimSpace(line) != "CHARGED" {
		t.Fatalf("child said %q", line)
	}
	n = openTest(t, dir)
	accts, err := n.Budgets()
	if err != nil || len(accts) != 1 || accts[0].Releases != 1 || accts[0].Spent.PureEpsilon+accts[0].Spent.FoldedRho == 0 {
		t.Fatalf("after the crash the charge is missing: %+v %v", accts, err)
	}
	var kinds []audit.Kind
	n.AuditEntries(func(e *audit.Entry) error { kinds = append(kinds, e.Record.Kind); return nil })
	if fmt.Sprint(kinds) != "[budget.set charge]" {
		t.Fatalf("audit records after the crash: %v, want a charge and no release", kinds)
	}
	if _, err := n.AuditVerify(); err != nil {
		t.Fatalf("audit log after the crash: %v", err)
	}
}
