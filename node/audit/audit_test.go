package audit

import (
	"bytes"
	"errors"
	"maps"
	"math"
	"strings"
	"testing"
	"time"
)

func TestAppendVerify(t *testing.T) {
	const n = 50
	key := testKey(0x42)
	tx, appended := newLog(t, n, key)

	sum, err := Verify(tx, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != n {
		t.Errorf("summary has %d records, want %d", sum.Records, n)
	}
	if sum.Head != appended[n-1].Hash {
		t.Errorf("summary head %x, want the last record's hash %x", sum.Head, appended[n-1].Hash)
	}
	if want := testRecord(0).Time; !sum.First.Equal(want) {
		t.Errorf("first time %v, want %v", sum.First, want)
	}
	if want := testRecord(n - 1).Time; !sum.Last.Equal(want) {
		t.Errorf("last time %v, want %v", sum.Last, want)
	}
	if want := kindsOf(n); !maps.Equal(sum.Kinds, want) {
		t.Errorf("kinds %v, want %v", sum.Kinds, want)
	}

	h, ok, err := ReadHead(tx)
	if err != nil || !ok {
		t.Fatalf("read head: ok=%v err=%v", ok, err)
	}
	if h.Seq != n || h.Hash != appended[n-1].Hash {
		t.Errorf("head (%d, %x), want (%d, %x)", h.Seq, h.Hash, n, appended[n-1].Hash)
	}

	var got []*Entry
	if err := Entries(tx, func(e *Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("Entries returned %d entries, want %d", len(got), n)
	}
	for i, e := range got {
		a := appended[i]
		if e.Record.Seq != uint64(i+1) || !bytes.Equal(e.Raw, a.Raw) || e.Hash != a.Hash || !bytes.Equal(e.Sig, a.Sig) {
			t.Errorf("entry %d read back differs from the one appended", i+1)
		}
		if !e.Record.Time.Equal(testRecord(i).Time) || e.Record.Kind != testRecord(i).Kind {
			t.Errorf("entry %d: record %+v does not hold test record %d", i+1, e.Record, i)
		}
	}
}

func TestVerifyOtherKey(t *testing.T) {
	tx, _ := newLog(t, 5, testKey(0x42))
	_, err := Verify(tx, pubOf(testKey(0x43)))
	wantVerifyError(t, err, 1)
	if !strings.Contains(err.Error(), "audit record 1: signature does not verify") {
		t.Errorf("error %q does not say the signature fails", err)
	}
}

func TestVerifyEmptyLog(t *testing.T) {
	sum, err := Verify(newMemTx(), pubOf(testKey(0x42)))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 0 || sum.Head != [32]byte{} || len(sum.Kinds) != 0 {
		t.Errorf("empty log summary %+v", sum)
	}
	if _, ok, err := ReadHead(newMemTx()); ok || err != nil {
		t.Errorf("empty log has a head: ok=%v err=%v", ok, err)
	}
}

func TestAppendSetsSeqPrevAndUTC(t *testing.T) {
	key := testKey(0x42)
	tx := newMemTx()
	r := testRecord(1)
	r.Time = time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	r.Seq, r.Prev = 99, "caller's value"
	e1, err := Append(tx, key, r)
	if err != nil {
		t.Fatal(err)
	}
	if e1.Record.Seq != 1 || e1.Record.Prev != strings.Repeat("0", 64) {
		t.Errorf("first record seq=%d prev=%s, want 1 and 64 zeros", e1.Record.Seq, e1.Record.Prev)
	}
	if e1.Record.Time.Location() != time.UTC || !e1.Record.Time.Equal(r.Time) {
		t.Errorf("time %v, want %v in UTC", e1.Record.Time, r.Time)
	}
	if !bytes.Contains(e1.Raw, []byte(`"time":"2026-03-01T09:00:00Z"`)) {
		t.Errorf("raw %s does not hold the UTC time", e1.Raw)
	}
	e2, err := Append(tx, key, testRecord(2))
	if err != nil {
		t.Fatal(err)
	}
	if e2.Record.Seq != 2 || e2.Record.Prev != hexHash(e1.Hash) {
		t.Errorf("second record seq=%d prev=%s, want 2 and %s", e2.Record.Seq, e2.Record.Prev, hexHash(e1.Hash))
	}
}

func TestAppendRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Record)
	}{
		{"reason=zero-time", func(r *Record) { r.Time = time.Time{} }},
		{"reason=no-kind", func(r *Record) { r.Kind = "" }},
		{"reason=kind-upper-case", func(r *Record) { r.Kind = "Charge" }},
		{"reason=kind-too-long", func(r *Record) { r.Kind = Kind(strings.Repeat("k", 65)) }},
		{"reason=negative-rho", func(r *Record) { r.Rho = -0.1 }},
		{"reason=nan-epsilon", func(r *Record) { r.Epsilon = math.NaN() }},
		{"reason=inf-delta", func(r *Record) { r.Delta = math.Inf(1) }},
		{"reason=digest-short", func(r *Record) { r.Digest = "abcd" }},
		{"reason=digest-upper-case", func(r *Record) { r.Digest = strings.Repeat("AB", 32) }},
		{"reason=invalid-utf8-job", func(r *Record) { r.Job = "job\xff" }},
		{"reason=invalid-utf8-param", func(r *Record) { r.Params = map[string]string{"sigma": "\xc3"} }},
		{"reason=invalid-utf8-peer", func(r *Record) { r.Peers = []string{"\xed\xa0\x80"} }},
		{"reason=year-10000", func(r *Record) { r.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"reason=too-large", func(r *Record) { r.Params = map[string]string{"blob": strings.Repeat("x", MaxRecordSize)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := newMemTx()
			r := testRecord(1)
			tc.edit(&r)
			if _, err := Append(tx, testKey(0x42), r); err == nil {
				t.Fatal("accepted")
			}
			if len(tx.m) != 0 {
				t.Errorf("a rejected record wrote %d keys", len(tx.m))
			}
		})
	}
	t.Run("reason=bad-key", func(t *testing.T) {
		if _, err := Append(newMemTx(), testKey(0x42)[:32], testRecord(1)); err == nil {
			t.Fatal("accepted a 32-byte private key")
		}
	})
}

// TestAppendRefusesDamagedLog checks that Append never extends, or
// overwrites, a log whose head is missing, forged or inconsistent.
func TestAppendRefusesDamagedLog(t *testing.T) {
	key := testKey(0x42)
	other, _ := newLog(t, 3, testKey(0x43))
	for _, tc := range []struct {
		name    string
		damage  func(tx *memTx)
		wantSeq uint64
	}{
		{"damage=head-deleted", func(tx *memTx) { tx.delete([]byte(headKey)) }, 0},
		{"damage=head-other-key", func(tx *memTx) { tx.m[headKey] = other.m[headKey] }, 0},
		{"damage=head-bit-flip", func(tx *memTx) { tx.m[headKey][20] ^= 1 }, 0},
		{"damage=head-truncated", func(tx *memTx) { tx.m[headKey] = tx.m[headKey][:50] }, 0},
		{"damage=last-entry-deleted", func(tx *memTx) { tx.delete(entryKey(3)) }, 3},
		{"damage=last-entry-replaced", func(tx *memTx) { tx.m[string(entryKey(3))] = tx.m[string(entryKey(2))] }, 0},
		{"damage=last-entry-bad-frame", func(tx *memTx) { tx.m[string(entryKey(3))] = []byte{2} }, 3},
		{"damage=entry-beyond-head", func(tx *memTx) { tx.m[string(entryKey(4))] = tx.m[string(entryKey(3))] }, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, _ := newLog(t, 3, key)
			tc.damage(tx)
			before := tx.clone()
			_, err := Append(tx, key, testRecord(3))
			wantVerifyError(t, err, tc.wantSeq)
			if !maps.EqualFunc(tx.m, before.m, bytes.Equal) {
				t.Error("a refused append changed the log")
			}
		})
	}
	t.Run("damage=none-other-key", func(t *testing.T) {
		tx, _ := newLog(t, 3, key)
		_, err := Append(tx, testKey(0x43), testRecord(3))
		wantVerifyError(t, err, 0)
	})
}

func TestEntriesStopsOnCallbackError(t *testing.T) {
	tx, _ := newLog(t, 5, testKey(0x42))
	stop := errors.New("stop")
	calls := 0
	err := Entries(tx, func(*Entry) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("Entries returned %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func TestEntriesRejectsBadEntry(t *testing.T) {
	tx, _ := newLog(t, 5, testKey(0x42))
	tx.m[string(entryKey(4))][0] = 9
	err := Entries(tx, func(*Entry) error { return nil })
	wantVerifyError(t, err, 4)
}
