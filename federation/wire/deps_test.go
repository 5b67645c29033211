package wire

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsStandardLibraryOnly keeps the frame codec, which every byte a
// peer sends goes through, on the standard library alone.
func TestImportsStandardLibraryOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("imports %s: federation/wire uses the standard library only", imp)
		}
	}
}
