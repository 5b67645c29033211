package audit

import (
	"fmt"
	"testing"
)

// BenchmarkAppend measures Append on the in-memory Tx: one head check (one
// Ed25519 verification, three reads), two signatures and two writes per
// record.
func BenchmarkAppend(b *testing.B) {
	key := testKey(0x42)
	for _, kind := range []int{0, 1, 2} {
		r := testRecord(kind)
		b.Run(fmt.Sprintf("kind=%s", r.Kind), func(b *testing.B) {
			tx := newMemTx()
			var size int
			for b.Loop() {
				e, err := Append(tx, key, r)
				if err != nil {
					b.Fatal(err)
				}
				size = len(e.Raw)
			}
			b.ReportMetric(float64(size), "B/record")
		})
	}
}
