package mhe

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora in testdata/fuzz from freshly generated objects")

// FuzzDecodeCiphertext holds that no byte string makes the ciphertext
// decoder panic, and that whatever it accepts is canonical (re-marshals to
// the same bytes) and safe to add and digest.
func FuzzDecodeCiphertext(f *testing.F) {
	params := Params()
	f.Add([]byte{})
	f.Add(params.ctHeader)
	f.Fuzz(func(t *testing.T, b []byte) {
		cts, err := DecodeCiphertexts(params, [][]byte{b}, 1)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		out, err := cts[0].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, b) {
			t.Fatal("accepted bytes are not canonical")
		}
		acc := cts[0].CopyNew()
		if err := Add(params, []*rlwe.Ciphertext{acc}, cts); err != nil {
			t.Fatal(err)
		}
		_ = Digest(cts)
	})
}

// FuzzDecodeShare holds that no byte string makes the share decoder panic,
// and that an accepted share is canonical and aggregates with a real one
// (the lattigo v5.0.7 panic a foreign ring degree caused).
func FuzzDecodeShare(f *testing.F) {
	params := Params()
	cks, err := mhe.NewKeySwitchProtocol(params.he, keySwitchNoise())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		sh, err := params.decodeShare(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		out, err := sh.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, b) {
			t.Fatal("accepted bytes are not canonical")
		}
		acc := cks.AllocateShare(params.he.MaxLevel())
		if err := cks.AggregateShares(acc, sh, &acc); err != nil {
			t.Fatal(err)
		}
	})
}

// corpusEntry is one seed file: its name, its bytes and whether the decoder
// must accept it.
type corpusEntry struct {
	name  string
	b     []byte
	valid bool
}

// seedCorpora builds the seed corpora from real objects: one valid object
// per target in full, and truncations and mutations of real objects, cut
// short after the byte that makes them invalid to keep testdata small.
func seedCorpora(tb testing.TB) map[string][]corpusEntry {
	tb.Helper()
	params := Params()
	c := newConsortium(tb, params, 3, 2)
	goodCt, badCt := badCiphertexts(tb, c)
	active := []ShamirPoint{1, 2}
	agg, _ := c.contribute(tb, map[ShamirPoint][]int64{1: {1, 2, 3}, 2: {-1, -2, -3}})
	goodSh, badSh := badShares(tb, c, agg, active)

	const keep = 512 // bytes kept after the header of a rejected object
	cut := func(b []byte, n int) []byte { return b[:min(len(b), n)] }
	ct := []corpusEntry{{name: "valid", b: goodCt, valid: true}}
	for _, name := range []string{"logN=11", "level=0", "degree=2", "metadata=not-ntt", "metadata=scale", "polynomials=2^40", "rows=2^40", "degree=2048", "truncated=header", "garbage=short"} {
		ct = append(ct, corpusEntry{name: name, b: cut(badCt[name], len(params.ctHeader)+keep)})
	}
	ct = append(ct,
		corpusEntry{name: "coefficient=q0", b: cut(badCt["coefficient=q0"], firstCoeff(params)+keep)},
		corpusEntry{name: "truncated=row", b: cut(goodCt, firstCoeff(params)+keep)},
	)
	sh := []corpusEntry{{name: "valid", b: goodSh, valid: true}}
	for _, name := range []string{"logN=11", "level=0", "rows=2^40", "rows=3", "degree=2^40", "truncated=header"} {
		sh = append(sh, corpusEntry{name: name, b: cut(badSh[name], keep)})
	}
	sh = append(sh,
		corpusEntry{name: "coefficient=q0", b: cut(badSh["coefficient=q0"], keep)},
		corpusEntry{name: "truncated=row", b: cut(goodSh, keep)},
		corpusEntry{name: "garbage", b: cut(badSh["garbage"], keep)},
	)
	return map[string][]corpusEntry{"FuzzDecodeCiphertext": ct, "FuzzDecodeShare": sh}
}

// TestFuzzCorpus checks the committed seed corpora: every file parses, the
// valid ones decode and the others are rejected. With -update-corpus it
// rewrites them first.
func TestFuzzCorpus(t *testing.T) {
	params := Params()
	if *updateCorpus {
		for target, entries := range seedCorpora(t) {
			dir := filepath.Join("testdata", "fuzz", target)
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				name := strings.NewReplacer("=", "-", "^", "e").Replace(e.name)
				if e.valid {
					name = "valid"
				}
				data := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(e.b)))
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	decoders := map[string]func([]byte) error{
		"FuzzDecodeCiphertext": func(b []byte) error { _, err := params.decodeCiphertext(b); return err },
		"FuzzDecodeShare":      func(b []byte) error { _, err := params.decodeShare(b); return err },
	}
	for target, decode := range decoders {
		dir := filepath.Join("testdata", "fuzz", target)
		files, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, fi := range files {
			names = append(names, fi.Name())
		}
		if !slices.Contains(names, "valid") || len(names) < 8 {
			t.Fatalf("%s: seed corpus %v lacks a valid object or mutations", target, names)
		}
		for _, name := range names {
			t.Run(target+"/"+name, func(t *testing.T) {
				raw, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				b, err := parseCorpusFile(raw)
				if err != nil {
					t.Fatal(err)
				}
				err = decode(b)
				if name == "valid" && err != nil {
					t.Fatalf("the valid seed no longer decodes: %v", err)
				}
				if name != "valid" && !errors.Is(err, ErrMalformed) {
					t.Fatalf("decode = %v, want ErrMalformed", err)
				}
			})
		}
	}
}

// parseCorpusFile reads a one-value "go test fuzz v1" file of a []byte.
func parseCorpusFile(raw []byte) ([]byte, error) {
	header, rest, ok := strings.Cut(string(raw), "\n")
	if !ok || header != "go test fuzz v1" {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "[]byte(") || !strings.HasSuffix(rest, ")") {
		return nil, errors.New("not a []byte value")
	}
	s, err := strconv.Unquote(rest[len("[]byte(") : len(rest)-1])
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}
