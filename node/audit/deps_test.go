package audit

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsStandardLibraryOnly keeps the package's code on the standard
// library: it is the verifier a compliance officer trusts, and the store it
// runs on is reached through Tx, never imported.
func TestImportsStandardLibraryOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("imports %s: node/audit uses the standard library only", imp)
		}
	}
}
