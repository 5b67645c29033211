package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

var exportTime = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// exportOf returns the JSON export of the log in tx.
func exportOf(t testing.TB, tx Tx) string {
	t.Helper()
	head, ok, err := ReadHead(tx)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		head = nil
	}
	var entries []*Entry
	if err := Entries(tx, func(e *Entry) error { entries = append(entries, e); return nil }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteExportJSON(&buf, "bank-a", "12D3KooWBankA", exportTime, head, entries); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// readVerify reads an export text and verifies it with pub.
func readVerify(text string, pub ed25519.PublicKey) (*Summary, error) {
	e, err := ReadExport(strings.NewReader(text), 1<<20)
	if err != nil {
		return nil, err
	}
	return VerifyExport(e, pub)
}

func TestExportRoundTrip(t *testing.T) {
	const n = 50
	key := testKey(0x42)
	tx, appended := newLog(t, n, key)
	text := exportOf(t, tx)

	e, err := ReadExport(strings.NewReader(text), int64(len(text)))
	if err != nil {
		t.Fatal(err)
	}
	if e.Format != ExportFormat || e.Node != "bank-a" || e.PeerID != "12D3KooWBankA" || !e.ExportedAt.Equal(exportTime) {
		t.Errorf("export header %q %q %q %v", e.Format, e.Node, e.PeerID, e.ExportedAt)
	}
	if len(e.Entries) != n {
		t.Fatalf("export has %d entries, want %d", len(e.Entries), n)
	}
	for i, en := range e.Entries {
		a := appended[i]
		if !bytes.Equal(en.Raw, a.Raw) || en.Hash != a.Hash || !bytes.Equal(en.Sig, a.Sig) {
			t.Errorf("entry %d differs from the one appended", i+1)
		}
		if !strings.Contains(text, "\n    {\"record\":"+string(a.Raw)+",") {
			t.Errorf("entry %d: the signed bytes are not in the export verbatim", i+1)
		}
	}
	got, err := VerifyExport(e, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Verify(tx, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	if got.Records != want.Records || got.Head != want.Head || !got.First.Equal(want.First) ||
		!got.Last.Equal(want.Last) || !maps.Equal(got.Kinds, want.Kinds) {
		t.Errorf("export summary %+v, log summary %+v", got, want)
	}

	_, err = VerifyExport(e, pubOf(testKey(0x43)))
	wantVerifyError(t, err, 1)
}

func TestExportEmptyLog(t *testing.T) {
	text := exportOf(t, newMemTx())
	if !strings.Contains(text, `"head": null`) || !strings.Contains(text, `"entries": []`) {
		t.Errorf("empty export:\n%s", text)
	}
	sum, err := readVerify(text, pubOf(testKey(0x42)))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 0 {
		t.Errorf("empty export verifies with %d records", sum.Records)
	}
}

// exportLines is an export split into lines, with the index of each
// entry's line.
type exportLines struct {
	lines   []string
	entries []int // entries[i] is the line of record i+1
	head    int
}

func splitExport(t testing.TB, text string) *exportLines {
	t.Helper()
	x := &exportLines{lines: strings.Split(text, "\n"), head: -1}
	for i, l := range x.lines {
		switch {
		case strings.HasPrefix(l, `    {"record":`):
			x.entries = append(x.entries, i)
		case strings.HasPrefix(l, `  "head": `):
			x.head = i
		}
	}
	if x.head < 0 || len(x.entries) == 0 {
		t.Fatalf("export has no head or no entry lines:\n%s", text)
	}
	return x
}

func (x *exportLines) text() string { return strings.Join(x.lines, "\n") }

// entry returns the line of record seq.
func (x *exportLines) entry(seq int) *string { return &x.lines[x.entries[seq-1]] }

// replace replaces old by new once in *line, failing t if old is not there.
func replace(t testing.TB, line *string, old, new string) {
	t.Helper()
	if !strings.Contains(*line, old) {
		t.Fatalf("line %s does not contain %s", *line, old)
	}
	*line = strings.Replace(*line, old, new, 1)
}

// TestExportTamper edits an export as text and checks that reading and
// verifying it fails, naming the first bad record (0: the head).
func TestExportTamper(t *testing.T) {
	const n = 50
	key := testKey(0x42)
	tx, appended := newLog(t, n, key)
	text := exportOf(t, tx)
	olderTx, _ := newLog(t, 40, key)
	older := splitExport(t, exportOf(t, olderTx))
	olderHead := older.lines[older.head]

	for _, tc := range []struct {
		name    string
		edit    func(t testing.TB, x *exportLines)
		wantSeq uint64
	}{
		{"edit=epsilon-digit", func(t testing.TB, x *exportLines) {
			replace(t, x.entry(2), `"epsilon":0.601`, `"epsilon":0.701`)
		}, 2},
		{"edit=epsilon-digit-and-hash", func(t testing.TB, x *exportLines) {
			r := testRecord(1)
			r.Seq, r.Prev, r.Epsilon = 2, hexHash(appended[0].Hash), 0.701
			raw, _ := json.Marshal(&r)
			replace(t, x.entry(2), string(appended[1].Raw), string(raw))
			replace(t, x.entry(2), hexHash(appended[1].Hash), hexHash(recordHash(raw)))
		}, 2},
		{"edit=delete-line", func(t testing.TB, x *exportLines) {
			x.lines = slices.Delete(x.lines, x.entries[6], x.entries[6]+1)
		}, 7},
		{"edit=swap-lines", func(t testing.TB, x *exportLines) {
			a, b := x.entry(3), x.entry(9)
			*a, *b = *b, *a
		}, 3},
		{"edit=duplicate-line", func(t testing.TB, x *exportLines) {
			x.lines = slices.Insert(x.lines, x.entries[4], *x.entry(5))
		}, 6},
		{"edit=drop-last-entry", func(t testing.TB, x *exportLines) {
			x.lines = slices.Delete(x.lines, x.entries[n-1], x.entries[n-1]+1)
			*x.entry(n - 1) = strings.TrimSuffix(*x.entry(n - 1), ",")
		}, n},
		{"edit=drop-all-entries", func(t testing.TB, x *exportLines) {
			x.lines = slices.Delete(x.lines, x.entries[0]-1, x.entries[n-1]+2)
			x.lines = slices.Insert(x.lines, x.entries[0]-1, `  "entries": []`)
		}, 1},
		{"edit=head-seq-down", func(t testing.TB, x *exportLines) {
			replace(t, &x.lines[x.head], `{"seq":50,`, `{"seq":49,`)
		}, 0},
		{"edit=head-seq-up", func(t testing.TB, x *exportLines) {
			replace(t, &x.lines[x.head], `{"seq":50,`, `{"seq":51,`)
		}, 0},
		{"edit=head-hash", func(t testing.TB, x *exportLines) {
			replace(t, &x.lines[x.head], hexHash(appended[n-1].Hash), hexHash(appended[n-2].Hash))
		}, 0},
		{"edit=head-null", func(t testing.TB, x *exportLines) {
			x.lines[x.head] = `  "head": null,`
		}, 0},
		{"edit=head-from-older-export", func(t testing.TB, x *exportLines) {
			x.lines[x.head] = olderHead
		}, 41},
		{"edit=entry-hash", func(t testing.TB, x *exportLines) {
			replace(t, x.entry(4), hexHash(appended[3].Hash), hexHash(appended[4].Hash))
		}, 4},
		{"edit=entry-sig", func(t testing.TB, x *exportLines) {
			sig := func(i int) string { return base64.StdEncoding.EncodeToString(appended[i].Sig) }
			replace(t, x.entry(4), sig(3), sig(4))
		}, 4},
		{"edit=record-whitespace", func(t testing.TB, x *exportLines) {
			replace(t, x.entry(4), `{"seq":4,`, `{"seq":4, `)
		}, 4},
		{"edit=record-key-case", func(t testing.TB, x *exportLines) {
			replace(t, x.entry(4), `"kind":`, `"Kind":`)
		}, 4},
		{"edit=record-unknown-field", func(t testing.TB, x *exportLines) {
			replace(t, x.entry(4), `{"seq":4,`, `{"seq":4,"note":"ok",`)
		}, 4},
		{"edit=hash-upper-case", func(t testing.TB, x *exportLines) {
			h := hexHash(appended[3].Hash)
			replace(t, x.entry(4), h, strings.ToUpper(h))
		}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := splitExport(t, text)
			tc.edit(t, x)
			_, err := readVerify(x.text(), pubOf(key))
			wantVerifyError(t, err, tc.wantSeq)
		})
	}
}

// TestReadExportRejects checks the strict reading of the export's structure.
func TestReadExportRejects(t *testing.T) {
	tx, _ := newLog(t, 3, testKey(0x42))
	text := exportOf(t, tx)
	for _, tc := range []struct {
		name string
		text string
		max  int64
	}{
		{"reason=empty", "", 1 << 20},
		{"reason=cut-in-half", text[:len(text)/2], 1 << 20},
		{"reason=trailing-data", text + "{}", 1 << 20},
		{"reason=unknown-field", strings.Replace(text, `"node":`, `"extra": 1, "node":`, 1), 1 << 20},
		{"reason=unknown-entry-field", strings.Replace(text, `,"sig":"`, `,"note":"x","sig":"`, 1), 1 << 20},
		{"reason=other-format", strings.Replace(text, ExportFormat, "fednode-audit/2", 1), 1 << 20},
		{"reason=no-export-time", strings.Replace(text, `"exported_at": "2026-03-02T08:00:00Z",`, "", 1), 1 << 20},
		{"reason=too-large", text, int64(len(text) - 1)},
		{"reason=no-limit", text, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.text == text && tc.max >= int64(len(text)) {
				t.Fatal("test case does not change the export")
			}
			if _, err := ReadExport(strings.NewReader(tc.text), tc.max); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := ReadExport(strings.NewReader(text), int64(len(text))); err != nil {
		t.Fatalf("export of exactly the limit rejected: %v", err)
	}
}

// TestExportIndependentVerifier checks an export the way a third party
// would, from the format's description alone: no code of this package.
func TestExportIndependentVerifier(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, 10, key)
	var x struct {
		Head struct {
			Seq       uint64
			Hash, Sig string
		}
		Entries []struct {
			Record    json.RawMessage
			Hash, Sig string
		}
	}
	if err := json.Unmarshal([]byte(exportOf(t, tx)), &x); err != nil {
		t.Fatal(err)
	}
	prev := strings.Repeat("0", 64)
	for i, e := range x.Entries {
		var link struct {
			Seq  uint64
			Prev string
		}
		if err := json.Unmarshal(e.Record, &link); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(append([]byte("fednode audit v1\x00"), e.Record...))
		sig, _ := base64.StdEncoding.DecodeString(e.Sig)
		if hex.EncodeToString(h[:]) != e.Hash || link.Seq != uint64(i+1) || link.Prev != prev ||
			!ed25519.Verify(pubOf(key), append([]byte("fednode audit entry signature v1\x00"), h[:]...), sig) {
			t.Fatalf("entry %d does not verify independently", i+1)
		}
		prev = e.Hash
	}
	msg := binary.BigEndian.AppendUint64([]byte("fednode audit head signature v1\x00"), x.Head.Seq)
	h, _ := hex.DecodeString(x.Head.Hash)
	sig, _ := base64.StdEncoding.DecodeString(x.Head.Sig)
	if x.Head.Seq != 10 || x.Head.Hash != prev || !ed25519.Verify(pubOf(key), append(msg, h...), sig) {
		t.Fatal("head does not verify independently")
	}
}

func TestVerifyExportRecordMustMatchRaw(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, 3, key)
	e, err := ReadExport(strings.NewReader(exportOf(t, tx)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	e.Entries[1].Record.Epsilon = 100
	_, err = VerifyExport(e, pubOf(key))
	wantVerifyError(t, err, 2)
}

func TestWriteExportJSONRejects(t *testing.T) {
	key := testKey(0x42)
	_, entries := newLog(t, 2, key)
	bad := *entries[1]
	bad.Raw = append([]byte(" "), bad.Raw...)
	var buf bytes.Buffer
	if err := WriteExportJSON(&buf, "n", "p", exportTime, nil, []*Entry{entries[0], &bad}); err == nil {
		t.Error("wrote a record that is not canonical")
	}
	if err := WriteExportJSON(&buf, "n", "p", time.Time{}, nil, nil); err == nil {
		t.Error("wrote an export without a time")
	}
	if err := WriteExportJSON(&buf, "n", "p", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), nil, nil); err == nil {
		t.Error("wrote an export time JSON cannot hold")
	}
	if buf.Len() != 0 {
		t.Errorf("refused exports wrote %q", buf.String())
	}
	if err := WriteExportJSON(failWriter{}, "n", "p", exportTime, nil, entries); err == nil {
		t.Error("write error not reported")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestExportCSV(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, 6, key)
	special := testRecord(1)
	special.Time = baseTime.Add(time.Hour)
	special.Job = "q1, \"churn\"\nsecond line"
	special.Release = `=HYPERLINK("http://example.com")`
	special.Params = map[string]string{"sigma": "1%", "a=b": "c;d"}
	special.Peers = []string{"p;1", "p2"}
	se, err := Append(tx, key, special)
	if err != nil {
		t.Fatal(err)
	}
	var entries []*Entry
	if err := Entries(tx, func(e *Entry) error { entries = append(entries, e); return nil }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteExportCSV(&buf, entries); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"seq", "time", "kind", "job", "release", "dataset", "mechanism", "params",
		"rho", "epsilon", "delta", "digest", "peers", "prev", "hash", "sig"}
	if !slices.Equal(rows[0], header) {
		t.Errorf("header %q, want %q", rows[0], header)
	}
	if len(rows) != 1+len(entries) {
		t.Fatalf("%d rows, want a header and %d records", len(rows), len(entries))
	}
	for i, row := range rows[1:] {
		e := entries[i]
		sig, _ := base64.StdEncoding.DecodeString(row[15])
		h, err := parseHash(row[14])
		if row[0] != fmt.Sprint(i+1) || row[2] != string(e.Record.Kind) || row[13] != e.Record.Prev ||
			err != nil || !ed25519.Verify(pubOf(key), entrySigMessage(h), sig) {
			t.Errorf("row %d: %q does not hold record %d with its hash and signature", i+1, row, i+1)
		}
	}
	charge := rows[2]
	if charge[7] != "scale=2^16;sensitivity=1;sigma=12.5" || charge[8] != "0.0125" || charge[9] != "0.601" || charge[10] != "1e-07" {
		t.Errorf("charge row %q", charge)
	}
	got := rows[len(rows)-1]
	for _, c := range []struct {
		col       int
		name, val string
	}{
		{1, "time", "2026-03-01T10:30:00.123456789Z"},
		{3, "job", special.Job},
		{4, "release", "'" + special.Release},
		{7, "params", "a%3Db=c%3Bd;sigma=1%25"},
		{12, "peers", "p%3B1;p2"},
		{14, "hash", hexHash(se.Hash)},
	} {
		if got[c.col] != c.val {
			t.Errorf("column %s = %q, want %q", c.name, got[c.col], c.val)
		}
	}
}
