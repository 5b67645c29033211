package federation

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps federation below the layers it must not know: it
// moves encrypted vectors and never sees what privacy, models or the store
// hold, so none of them may be linked in, even indirectly.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "./", "./wire").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	banned := map[string]string{
		"github.com/fednode/fednode/privacy":  "federation never sees budgets or noise",
		"github.com/fednode/fednode/models":   "federation never sees local statistics",
		"github.com/fednode/fednode/node":     "only cmd wires the node",
		"github.com/dgraph-io/badger":         "federation never touches the store",
		"github.com/libp2p/go-libp2p-kad-dht": "no DHT: the consortium file is the membership",
		"github.com/libp2p/go-libp2p-pubsub":  "ciphertexts travel on streams, never on gossipsub",
		"github.com/libp2p/zeroconf":          "no mDNS",
		"github.com/fednode/fednode/configs":  "only cmd reads configuration",
		"github.com/fednode/fednode/cmd":      "only cmd imports cmd",
	}
	for _, dep := range strings.Fields(string(out)) {
		for prefix, why := range banned {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("federation depends on %s: %s", dep, why)
			}
		}
	}
}
