package ledger_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/ledger"
)

// node/store's transaction satisfies the ledger's Tx.
var _ ledger.Tx = (*store.SpaceTxn)(nil)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// The crash test re-runs this test binary as a child that charges a release
// and then waits to be killed, as a node would be between charge and
// release.
const crashChildEnv = "FEDNODE_LEDGER_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(store.Options{Dir: dir, EncryptionKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// update runs fn on the ledger's key space in a store transaction.
func update(s *store.Store, fn func(ledger.Tx) error) error {
	return s.Update(func(tx *store.Txn) error { return fn(tx.In(store.SpaceLedger)) })
}

// view runs fn on the ledger's key space in a read-only store transaction.
func view(t testing.TB, s *store.Store, fn func(ledger.Tx) error) {
	t.Helper()
	if err := s.View(func(tx *store.Txn) error { return fn(tx.In(store.SpaceLedger)) }); err != nil {
		t.Fatal(err)
	}
}

func setCap(t testing.TB, s *store.Store, dataset string, b accountant.Budget) {
	t.Helper()
	if err := update(s, func(tx ledger.Tx) error {
		_, err := ledger.SetCap(tx, dataset, b, t0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func newCharge(dataset, release string, cost accountant.Cost) ledger.Charge {
	return ledger.Charge{Release: release, Dataset: dataset, Job: "job-1", Mechanism: "discrete-gaussian", Cost: cost, Time: t0}
}

// charge charges c through Store.Update: when it returns nil the charge is
// committed and synced.
func charge(s *store.Store, c ledger.Charge) (acct ledger.Account, dup bool, err error) {
	err = update(s, func(tx ledger.Tx) error {
		acct, dup, err = ledger.ChargeRelease(tx, c)
		return err
	})
	return acct, dup, err
}

func get(t testing.TB, s *store.Store, dataset string) ledger.Account {
	t.Helper()
	var a ledger.Account
	view(t, s, func(tx ledger.Tx) error {
		var err error
		a, err = ledger.Get(tx, dataset)
		return err
	})
	return a
}

func recompute(t testing.TB, s *store.Store, dataset string) accountant.Total {
	t.Helper()
	var total accountant.Total
	view(t, s, func(tx ledger.Tx) error {
		var err error
		total, err = ledger.Recompute(tx, dataset)
		return err
	})
	return total
}

func chargesOf(t testing.TB, s *store.Store, dataset string) []ledger.Charge {
	t.Helper()
	var out []ledger.Charge
	view(t, s, func(tx ledger.Tx) error {
		return ledger.Charges(tx, dataset, func(c ledger.Charge) error {
			out = append(out, c)
			return nil
		})
	})
	return out
}

// TestStoreDurability charges through Store.Update, closes and reopens the
// store, and finds the account and the charge as they were.
func TestStoreDurability(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	budget := accountant.Budget{Epsilon: 1, Delta: 1e-6}
	setCap(t, s, "churn", budget)
	c := newCharge("churn", "job-1:round-1", accountant.ZCDP(0.01))
	acct, _, err := charge(s, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir)
	defer s.Close()
	if got := get(t, s, "churn"); got != acct || got.Releases != 1 || got.Cap != budget {
		t.Errorf("after reopening: %+v, want %+v", got, acct)
	}
	cs := chargesOf(t, s, "churn")
	c.Seq, c.Cap = 1, budget
	if len(cs) != 1 || cs[0] != c {
		t.Errorf("charges after reopening: %+v, want [%+v]", cs, c)
	}
	if total := recompute(t, s, "churn"); total != acct.Spent {
		t.Errorf("Recompute = %v, want %v", total, acct.Spent)
	}
	// A retry after the restart is recognised.
	if _, dup, err := charge(s, c); err != nil || !dup {
		t.Errorf("retry after reopening: duplicate=%v, %v", dup, err)
	}
}

// crashChild charges one release, prints CHARGED once Store.Update returned,
// and waits to be killed before it would release.
func crashChild(dir string) {
	s, err := store.Open(store.Options{Dir: dir, EncryptionKey: make([]byte, 32)})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	if _, _, err := charge(s, newCharge("churn", "job-1:round-2", accountant.ZCDP(0.02))); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("CHARGED")
	bufio.NewReader(os.Stdin).ReadString('\n') // the parent kills us first
	os.Exit(2)
}

// TestStoreCrashBeforeRelease kills (SIGKILL) a process right after its
// charge returned and before it released: the charge must survive, since
// the contract is to release only after Store.Update returned nil.
func TestStoreCrashBeforeRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	s := openStore(t, dir)
	setCap(t, s, "churn", accountant.Budget{Epsilon: 2, Delta: 1e-6})
	if _, _, err := charge(s, newCharge("churn", "job-1:round-1", accountant.ZCDP(0.01))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if kerr := cmd.Process.Kill(); kerr != nil {
		t.Fatal(kerr)
	}
	cmd.Wait()
	if err != nil || strings.TrimSpace(line) != "CHARGED" {
		t.Fatalf("child: %q %v", line, err)
	}

	s = openStore(t, dir)
	defer s.Close()
	acct := get(t, s, "churn")
	want, err := accountant.Compose(accountant.ZCDP(0.01), accountant.ZCDP(0.02))
	if err != nil {
		t.Fatal(err)
	}
	if acct.Releases != 2 || acct.Spent != want {
		t.Fatalf("after the crash: %+v, want both charges (%v)", acct, want)
	}
	if total := recompute(t, s, "churn"); total != acct.Spent {
		t.Errorf("Recompute = %v, want %v", total, acct.Spent)
	}
}

// TestStoreConcurrentCharges: 8 goroutines make 25 charges each through
// Store.Update against a cap that admits exactly 150 of them. Every charge
// costs Approx(1/256, 1e-12), so ε sums are exact and 150/256 is reached
// exactly; the δ sums never bind. Exactly 150 succeed, each is retried once
// and recognised, and the account is the composition of the accepted
// charges: no update is lost.
func TestStoreConcurrentCharges(t *testing.T) {
	const (
		workers = 8
		each    = 25
		admit   = 150
	)
	s := openStore(t, t.TempDir())
	defer s.Close()
	cost := accountant.Approx(1.0/256, 1e-12)
	setCap(t, s, "churn", accountant.Budget{Epsilon: admit * (1.0 / 256), Delta: 1e-6})

	var (
		mu       sync.Mutex
		accepted []accountant.Cost
		refused  int
		wg       sync.WaitGroup
	)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c := newCharge("churn", fmt.Sprintf("w%d:r%d", w, i), cost)
				_, dup, err := charge(s, c)
				var exceeded *ledger.ExceededError
				switch {
				case errors.As(err, &exceeded):
					mu.Lock()
					refused++
					mu.Unlock()
					continue
				case err != nil || dup:
					errs <- fmt.Errorf("charge %s: duplicate=%v, %v", c.Release, dup, err)
					continue
				}
				mu.Lock()
				accepted = append(accepted, c.Cost)
				mu.Unlock()
				if _, dup, err := charge(s, c); err != nil || !dup {
					errs <- fmt.Errorf("retry %s: duplicate=%v, %v", c.Release, dup, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(accepted) != admit || refused != workers*each-admit {
		t.Fatalf("%d accepted, %d refused; want %d and %d", len(accepted), refused, admit, workers*each-admit)
	}
	want, err := accountant.Compose(accepted...)
	if err != nil {
		t.Fatal(err)
	}
	acct := get(t, s, "churn")
	if acct.Spent != want || acct.Releases != admit {
		t.Errorf("account %+v, want the composition of the accepted charges %v", acct, want)
	}
	if n := len(chargesOf(t, s, "churn")); n != admit {
		t.Errorf("%d charge records, want %d", n, admit)
	}
	if total := recompute(t, s, "churn"); total != acct.Spent {
		t.Errorf("Recompute = %v, want %v", total, acct.Spent)
	}
}

// TestStoreCorrupt damages a stored account through the store: reading it
// is an error wrapping ErrCorrupt.
func TestStoreCorrupt(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	setCap(t, s, "churn", accountant.Budget{Epsilon: 1, Delta: 1e-6})
	if _, _, err := charge(s, newCharge("churn", "r-1", accountant.ZCDP(0.01))); err != nil {
		t.Fatal(err)
	}
	if err := update(s, func(tx ledger.Tx) error {
		v, _, err := tx.Get([]byte("a/churn"))
		if err != nil {
			return err
		}
		v[len(v)/2] ^= 0x04
		return tx.Set([]byte("a/churn"), v)
	}); err != nil {
		t.Fatal(err)
	}
	err := s.View(func(tx *store.Txn) error {
		_, err := ledger.Get(tx.In(store.SpaceLedger), "churn")
		return err
	})
	if !errors.Is(err, ledger.ErrCorrupt) {
		t.Errorf("Get = %v, want ErrCorrupt", err)
	}
	if _, _, err := charge(s, newCharge("churn", "r-2", accountant.ZCDP(0.01))); !errors.Is(err, ledger.ErrCorrupt) {
		t.Errorf("ChargeRelease = %v, want ErrCorrupt", err)
	}
}

// TestDatasetNames keeps the ledger's copy of the dataset name rule in step
// with node/store.ValidName.
func TestDatasetNames(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	names := []string{
		"churn", "a", "0", "bank-full.v2_1", strings.Repeat("x", 64), strings.Repeat("x", 65),
		"", "Churn", "-a", ".a", "_a", "a/b", "a b", "a\x00", "é", "a:b", "9-", "a..b",
	}
	for _, name := range names {
		t.Run(fmt.Sprintf("name=%q", name), func(t *testing.T) {
			view(t, s, func(tx ledger.Tx) error {
				_, err := ledger.Get(tx, name)
				storeOK := store.ValidName(name) == nil
				if storeOK != (err == nil) || !storeOK && !errors.Is(err, ledger.ErrInvalid) {
					t.Errorf("ledger: %v; store.ValidName ok=%v", err, storeOK)
				}
				return nil
			})
		})
	}
}

// BenchmarkChargeSync measures what a release waits for: one charge
// committed and fsynced by Store.Update.
func BenchmarkChargeSync(b *testing.B) {
	s := openStore(b, b.TempDir())
	defer s.Close()
	setCap(b, s, "churn", accountant.Budget{Epsilon: 1e3, Delta: 1e-6})
	n := 0
	for b.Loop() {
		if _, _, err := charge(s, newCharge("churn", fmt.Sprint("r-", n), accountant.ZCDP(1e-9))); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/charge")
}
