package node

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fednode/fednode/models/stats"
)

// TestControlSocket drives a serving node through its control socket, as
// fednode status and fednode job run do.
func TestControlSocket(t *testing.T) {
	ms := consortium(t, 3, 100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ms[0].f.ServeControl(ctx) }()
	sock := filepath.Join(ms[0].n.dir, ControlSocket)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("control socket never appeared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", st.Mode(), err)
	}
	raw, err := Control(t.Context(), ms[0].n.dir, ControlRequest{Op: "status"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var st ServeStatus
	if json.Unmarshal(raw, &st) != nil || st.Name != ms[0].n.cfg.Name || len(st.Connected) != 2 || !strings.Contains(st.Listen[0], "127.0.0.1") {
		t.Fatalf("status %+v", st)
	}
	spec := `id = "via-control"
kind = "stats"
dataset = "customers"
participants = ["` + ms[0].n.cfg.Name + `", "` + ms[1].n.cfg.Name + `", "` + ms[2].n.cfg.Name + `"]
threshold = 2
epsilon = 1.0
delta = 1e-6
[params]
stats = [{ stat = "count" }]
`
	var progress []string
	raw, err = Control(t.Context(), ms[0].n.dir, ControlRequest{Op: "job.run", Spec: spec}, func(s string) { progress = append(progress, s) })
	if err != nil {
		t.Fatal(err)
	}
	var res JobResult
	var out []stats.Result
	if json.Unmarshal(raw, &res) != nil || json.Unmarshal(res.Result, &out) != nil || len(out) != 1 || len(progress) < 3 {
		t.Fatalf("job via control: %s, progress %v", raw, progress)
	}
	if _, err := Control(t.Context(), ms[0].n.dir, ControlRequest{Op: "nope"}, nil); err == nil || !strings.Contains(err.Error(), "unknown op") {
		t.Fatalf("unknown op: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatal("control socket left behind")
	}
}
