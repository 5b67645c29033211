package ledger

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package's boundary (STYLE.md §2): privacy/ uses the
// standard library and other privacy/ packages only — never badger (the
// store is reached through Tx), networking, models or node/. Test files may
// import node/store.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const privacy = "github.com/fednode/fednode/privacy/"
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if !strings.Contains(first, ".") || strings.HasPrefix(path, privacy) {
				continue
			}
			t.Errorf("%s imports %s: privacy/ may use only the standard library and privacy/ packages", name, path)
		}
	}
	if checked == 0 {
		t.Fatal("no non-test files found")
	}
}
