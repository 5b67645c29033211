package audit

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// tamperLogSize is the size of the logs the tamper tests damage: every kind
// of test record, several times over.
const tamperLogSize = 50

// flipLogSize is the size of the log whose every bit position TestTamperBitFlip
// damages: each kind of test record three times. Each flip costs a Verify up
// to the flipped record, so the full 50-record log would take half a minute.
const flipLogSize = 12

// TestTamperBitFlip flips one bit at every byte offset of every stored entry
// (bit offset%8) and checks that Verify names that entry. Under the race
// detector, which slows Ed25519 tenfold and has nothing to find in this
// single goroutine, it damages the first, a middle and the last entry only.
func TestTamperBitFlip(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, flipLogSize, key)
	var records []uint64
	for seq := uint64(1); seq <= flipLogSize; seq++ {
		if !raceEnabled || seq == 1 || seq == flipLogSize/2 || seq == flipLogSize {
			records = append(records, seq)
		}
	}
	for _, seq := range records {
		k := string(entryKey(seq))
		v := tx.m[k]
		for off := range v {
			bit := byte(1) << (off % 8)
			v[off] ^= bit
			_, err := Verify(tx, pubOf(key))
			v[off] ^= bit
			if err == nil {
				t.Fatalf("record=%d offset=%d: flipped bit not detected", seq, off)
			}
			wantVerifyError(t, err, seq)
		}
	}
	if _, err := Verify(tx, pubOf(key)); err != nil {
		t.Fatalf("restored log does not verify: %v", err)
	}
}

func TestTamperDeleteEach(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, tamperLogSize, key)
	for seq := uint64(1); seq <= tamperLogSize; seq++ {
		t.Run(fmt.Sprintf("record=%d", seq), func(t *testing.T) {
			damaged := tx.clone()
			damaged.delete(entryKey(seq))
			_, err := Verify(damaged, pubOf(key))
			wantVerifyError(t, err, seq)
			if !strings.Contains(err.Error(), "missing") {
				t.Errorf("error %q does not say the record is missing", err)
			}
		})
	}
}

func TestTamperSwap(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, tamperLogSize, key)
	for _, p := range [][2]uint64{{1, 2}, {3, 17}, {24, 25}, {49, 50}, {1, tamperLogSize}} {
		t.Run(fmt.Sprintf("a=%d/b=%d", p[0], p[1]), func(t *testing.T) {
			damaged := tx.clone()
			a, b := string(entryKey(p[0])), string(entryKey(p[1]))
			damaged.m[a], damaged.m[b] = damaged.m[b], damaged.m[a]
			_, err := Verify(damaged, pubOf(key))
			wantVerifyError(t, err, p[0])
		})
	}
}

func TestTamperTruncate(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, tamperLogSize, key)
	for _, drop := range []uint64{1, 2, 10, tamperLogSize} {
		t.Run(fmt.Sprintf("drop=%d", drop), func(t *testing.T) {
			damaged := tx.clone()
			for seq := tamperLogSize - drop + 1; seq <= tamperLogSize; seq++ {
				damaged.delete(entryKey(seq))
			}
			_, err := Verify(damaged, pubOf(key))
			wantVerifyError(t, err, tamperLogSize-drop+1)
		})
	}
}

func TestTamperHead(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, tamperLogSize, key)
	older, _ := newLog(t, 40, key)
	foreign, _ := newLog(t, tamperLogSize, testKey(0x43))

	t.Run("damage=deleted", func(t *testing.T) {
		damaged := tx.clone()
		damaged.delete([]byte(headKey))
		_, err := Verify(damaged, pubOf(key))
		wantVerifyError(t, err, 0)
	})
	t.Run("damage=bit-flip", func(t *testing.T) {
		v := tx.m[headKey]
		for off := range v {
			bit := byte(1) << (off % 8)
			v[off] ^= bit
			_, err := Verify(tx, pubOf(key))
			v[off] ^= bit
			if err == nil {
				t.Fatalf("offset=%d: flipped head bit not detected", off)
			}
			wantVerifyError(t, err, 0)
		}
	})
	for _, tc := range []struct {
		name    string
		head    []byte
		wantSeq uint64
	}{
		{"damage=truncated", tx.m[headKey][:headSize-1], 0},
		{"damage=extended", append(append([]byte(nil), tx.m[headKey]...), 0), 0},
		{"damage=empty", []byte{}, 0},
		{"damage=older-head", older.m[headKey], 41},
		{"damage=other-node", foreign.m[headKey], 0},
		{"damage=seq-0", encodeHead(&Head{Seq: 0, Sig: make([]byte, ed25519.SignatureSize)}), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := tx.clone()
			damaged.m[headKey] = tc.head
			_, err := Verify(damaged, pubOf(key))
			wantVerifyError(t, err, tc.wantSeq)
		})
	}
	t.Run("damage=head-without-entries", func(t *testing.T) {
		damaged := newMemTx()
		damaged.m[headKey] = tx.m[headKey]
		_, err := Verify(damaged, pubOf(key))
		wantVerifyError(t, err, 1)
	})
}

// TestRollbackVerifies pins the documented limit: a log rolled back as a
// whole (entries and head together) to an earlier state verifies. Only a
// head kept elsewhere can tell.
func TestRollbackVerifies(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, tamperLogSize, key)
	older, _ := newLog(t, 40, key)
	for seq := uint64(41); seq <= tamperLogSize; seq++ {
		tx.delete(entryKey(seq))
	}
	tx.m[headKey] = older.m[headKey]
	sum, err := Verify(tx, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 40 {
		t.Errorf("rolled-back log has %d records, want 40", sum.Records)
	}
}

func TestTamperForeignKey(t *testing.T) {
	key := testKey(0x42)
	tx, _ := newLog(t, tamperLogSize, key)
	last := tx.m[string(entryKey(tamperLogSize))]
	beyond := func(n uint64) string { return string(entryKey(tamperLogSize + n)) }
	for _, tc := range []struct {
		name    string
		key     string
		value   []byte
		wantSeq uint64
	}{
		{"key=before-entries", "a", []byte("x"), 0},
		{"key=after-head", "z", []byte("x"), 0},
		{"key=short-entry", "e\x00\x01", last, 0},
		{"key=long-entry", string(entryKey(3)) + "\x00", last, 0},
		{"key=entry-0", string(entryKey(0)), last, 0},
		{"key=head-suffix", "hh", []byte("x"), 0},
		{"key=empty", "", []byte("x"), 0},
		{"key=copy-beyond-head", beyond(1), last, tamperLogSize + 1},
		{"key=gap-beyond-head", beyond(2), last, tamperLogSize + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := tx.clone()
			damaged.m[tc.key] = tc.value
			_, err := Verify(damaged, pubOf(key))
			wantVerifyError(t, err, tc.wantSeq)
		})
	}
}

// appendRaw stores raw as the next record with a valid hash, signature and
// head, as a node holding the key could: only the checks on the bytes
// themselves can reject it.
func appendRaw(t testing.TB, tx *memTx, key ed25519.PrivateKey, seq uint64, raw []byte) {
	t.Helper()
	h := recordHash(raw)
	tx.m[string(entryKey(seq))] = encodeEntry(raw, ed25519.Sign(key, entrySigMessage(h)))
	head := &Head{Seq: seq, Hash: h, Sig: ed25519.Sign(key, headSigMessage(seq, h))}
	tx.m[headKey] = encodeHead(head)
}

// TestNonCanonical signs record bytes that decode to a valid record but are
// not its canonical encoding, or hold more than a record, and checks that
// Verify rejects them.
func TestNonCanonical(t *testing.T) {
	key := testKey(0x42)
	base, entries := newLog(t, 2, key)
	r := testRecord(1) // a charge: params, rho, epsilon, delta
	r.Seq, r.Prev = 3, hexHash(entries[1].Hash)
	canon, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	must := func(old string) string {
		if !strings.Contains(string(canon), old) {
			t.Fatalf("canonical record %s does not contain %s", canon, old)
		}
		return old
	}
	for _, tc := range []struct {
		name     string
		old, new string // replace old by new once in the canonical bytes
		wrap     func(string) string
	}{
		{name: "case=key-upper-case", old: `"kind":`, new: `"Kind":`},
		{name: "case=key-mixed-case", old: `"epsilon":`, new: `"EPSILON":`},
		{name: "case=space-after-comma", old: `,"kind"`, new: `, "kind"`},
		{name: "case=space-after-colon", old: `"seq":`, new: `"seq": `},
		{name: "case=newline-after", wrap: func(s string) string { return s + "\n" }},
		{name: "case=space-before", wrap: func(s string) string { return " " + s }},
		{name: "case=trailing-object", wrap: func(s string) string { return s + "{}" }},
		{name: "case=unknown-field", old: `{"seq":3,`, new: `{"seq":3,"note":"x",`},
		{name: "case=duplicate-key", old: `{"seq":3,`, new: `{"seq":3,"seq":3,`},
		{name: "case=escaped-letter", old: `"kind":"charge"`, new: `"kind":"\u0063harge"`},
		{name: "case=float-exponent", old: `"rho":0.0125`, new: `"rho":1.25e-2`},
		{name: "case=float-trailing-zero", old: `"rho":0.0125`, new: `"rho":0.01250`},
		{name: "case=explicit-zero", old: `"dataset":`, new: `"job":"","dataset":`},
		{name: "case=params-unsorted", old: `{"scale":"2^16","sensitivity":"1","sigma":"12.5"}`, new: `{"sigma":"12.5","scale":"2^16","sensitivity":"1"}`},
		{name: "case=time-offset", old: `"2026-03-01T09:31:00.123456789Z"`, new: `"2026-03-01T10:31:00.123456789+01:00"`},
		{name: "case=null", wrap: func(string) string { return "null" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := string(canon)
			if tc.wrap != nil {
				raw = tc.wrap(raw)
			} else {
				raw = strings.Replace(raw, must(tc.old), tc.new, 1)
			}
			tx := base.clone()
			appendRaw(t, tx, key, 3, []byte(raw))
			_, err := Verify(tx, pubOf(key))
			wantVerifyError(t, err, 3)
		})
	}
	t.Run("case=canonical", func(t *testing.T) {
		tx := base.clone()
		appendRaw(t, tx, key, 3, canon)
		if _, err := Verify(tx, pubOf(key)); err != nil {
			t.Fatalf("the canonical bytes, signed the same way, do not verify: %v", err)
		}
	})
}

// TestEntryKeyOrder checks the property Verify's walk relies on: entry keys
// sort in sequence order, and before the head.
func TestEntryKeyOrder(t *testing.T) {
	for _, seq := range []uint64{1, 255, 256, 1 << 32, 1<<64 - 2} {
		a, b := string(entryKey(seq)), string(entryKey(seq+1))
		if a >= b || b >= headKey {
			t.Errorf("seq=%d: keys %x, %x and head %x out of order", seq, a, b, headKey)
		}
		if got, ok := parseEntryKey([]byte(a)); !ok || got != seq {
			t.Errorf("seq=%d: parsed back as %d, %v", seq, got, ok)
		}
	}
	if binary.BigEndian.Uint64(entryKey(7)[1:]) != 7 {
		t.Error("entry key is not big-endian")
	}
}

// TestErrorsQuoteNoContent checks that verification errors describe the
// damage without quoting what the damaged bytes hold.
func TestErrorsQuoteNoContent(t *testing.T) {
	const marker = "SECRET"
	key := testKey(0x42)
	for _, tc := range []struct{ name, raw string }{
		{"case=unknown-field", `{"seq":1,"SECRET":1}`},
		{"case=params-key", `{"seq":1,"params":{"SECRET":1}}`},
		{"case=time-value", `{"seq":1,"time":"SECRET"}`},
		{"case=kind-value", `{"seq":1,"time":"2026-03-01T09:30:00Z","kind":"SECRET","prev":""}`},
		{"case=syntax", `{"seq":1,SECRET}`},
		{"case=trailing", `{"seq":1}SECRET`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := newMemTx()
			appendRaw(t, tx, key, 1, []byte(tc.raw))
			_, err := Verify(tx, pubOf(key))
			wantVerifyError(t, err, 1)
			if strings.Contains(err.Error(), marker) {
				t.Errorf("error %q quotes the record", err)
			}
		})
	}
	t.Run("case=foreign-key", func(t *testing.T) {
		tx, _ := newLog(t, 1, key)
		tx.m[strings.Repeat("z", 100)] = []byte(marker)
		_, err := Verify(tx, pubOf(key))
		wantVerifyError(t, err, 0)
		if len(err.Error()) > 100 {
			t.Errorf("error %q quotes all of a long key", err)
		}
	})
}
