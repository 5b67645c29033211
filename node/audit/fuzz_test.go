package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodeEntry feeds arbitrary stored values to the entry decoder: it
// never panics, and a frame it accepts re-encodes to the same bytes (one
// encoding per entry). Accepted records re-marshal to their bytes.
func FuzzDecodeEntry(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, sig, err := decodeEntry(data)
		if err != nil {
			return
		}
		if got := encodeEntry(raw, sig); !bytes.Equal(got, data) {
			t.Fatalf("accepted frame %x re-encodes as %x", data, got)
		}
		if len(raw) > MaxRecordSize || len(sig) != 64 {
			t.Fatalf("accepted a %d-byte record with a %d-byte signature", len(raw), len(sig))
		}
		r, err := decodeRecord(raw)
		if err != nil {
			return
		}
		if b, err := json.Marshal(&r); err != nil || !bytes.Equal(b, raw) {
			t.Fatalf("accepted record %q re-marshals as %q (%v)", raw, b, err)
		}
	})
}

// fuzzExportLimit bounds the exports FuzzReadExport reads.
const fuzzExportLimit = 1 << 16

// FuzzReadExport feeds arbitrary bytes to ReadExport: it never panics,
// rejects anything over the limit, and what it accepts verifies or not
// without panicking, writes back, and reads back the same.
func FuzzReadExport(f *testing.F) {
	pub := pubOf(testKey(0x42))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ReadExport(bytes.NewReader(data), fuzzExportLimit)
		if err != nil {
			return
		}
		if len(data) > fuzzExportLimit {
			t.Fatalf("accepted %d bytes with a limit of %d", len(data), fuzzExportLimit)
		}
		_, verr := VerifyExport(e, pub)

		var head *Head
		if e.Head.Seq != 0 {
			head = &e.Head
		}
		entries := make([]*Entry, len(e.Entries))
		for i := range e.Entries {
			entries[i] = &e.Entries[i]
		}
		var buf bytes.Buffer
		if err := WriteExportJSON(&buf, e.Node, e.PeerID, e.ExportedAt, head, entries); err != nil {
			t.Fatalf("accepted export does not write back: %v", err)
		}
		e2, err := ReadExport(&buf, int64(buf.Len()))
		if err != nil {
			t.Fatalf("written export does not read back: %v\n%s", err, buf.Bytes())
		}
		if !sameExport(e, e2) {
			t.Fatalf("export changed in a write and read:\n%s", buf.Bytes())
		}
		if _, err := VerifyExport(e2, pub); (err == nil) != (verr == nil) {
			t.Fatalf("verification changed in a write and read: %v, then %v", verr, err)
		}
	})
}

// sameExport reports whether two exports hold the same head and signed
// entries and the same description.
func sameExport(a, b *Export) bool {
	if a.Format != b.Format || a.Node != b.Node || a.PeerID != b.PeerID || !a.ExportedAt.Equal(b.ExportedAt) ||
		a.Head.Seq != b.Head.Seq || a.Head.Hash != b.Head.Hash || !bytes.Equal(a.Head.Sig, b.Head.Sig) ||
		len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		x, y := &a.Entries[i], &b.Entries[i]
		if !bytes.Equal(x.Raw, y.Raw) || x.Hash != y.Hash || !bytes.Equal(x.Sig, y.Sig) {
			return false
		}
	}
	return true
}
