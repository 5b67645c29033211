package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/fednode/fednode/node/pseudo"
)

// The crash test re-runs this test binary as a child that writes a staged
// version forever; the parent kills it with SIGKILL mid-ingest.
const childEnv = "FEDNODE_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild stages a new version of "churn", prints READY once 400,000 rows (several badger commits)
// were handed to the store, and keeps writing until it is killed.
func crashChild(dir string) {
	s, err := Open(Options{Dir: dir, EncryptionKey: testKey})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	st, err := s.Stage("churn")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	row := []byte("0123456789abcdef0123456789abcdef")
	for i := uint64(0); ; i++ {
		var id pseudo.ID
		id[0], id[1], id[2], id[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		if err := st.Add(id, i<<16, row); err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		if i == 400000 {
			fmt.Println("READY")
		}
	}
}

// TestCrashMidIngest kills a process in the middle of an ingest and checks
// that the previous version is current and unchanged after reopening, and
// that the crashed version's rows are gone.
func TestCrashMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	s := openTest(t, dir)
	if _, err := ingestCSV(t, s, "churn", fmt.Sprintf(customersSchema, "error"), csvRows(3000, false)); err != nil {
		t.Fatal(err)
	}
	before, infoBefore := digest(t, s, "churn")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child: %q %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s = openTest(t, dir)
	defer s.Close()
	after, infoAfter := digest(t, s, "churn")
	if after != before || infoAfter.Version != infoBefore.Version {
		t.Fatalf("after the crash the dataset changed: v%d -> v%d", infoBefore.Version, infoAfter.Version)
	}
	if n := countKeys(t, s, pRow); n != 3000 {
		t.Fatalf("%d row keys after recovery, want the 3000 of the current version", n)
	}
	if n := countKeys(t, s, pStaging); n != 0 {
		t.Fatalf("%d staging markers after recovery", n)
	}
	// The store still takes new versions, numbered after the crashed one.
	res, err := ingestCSV(t, s, "churn", fmt.Sprintf(customersSchema, "error"), csvRows(10, false))
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.Version != 3 || res.Info.Rows != 10 {
		t.Fatalf("ingest after recovery: %+v", res.Info)
	}
}
