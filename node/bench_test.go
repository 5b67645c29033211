package node

import (
	"testing"
)

// BenchmarkIngest measures ingest rows/s into the encrypted store and, in the
// same run, raw badger WriteBatch rows/s of the same rows with the same
// encryption (the baseline the ingest path is held to: ≥ 0.8×).
func BenchmarkIngest(b *testing.B) {
	const rows = 100000
	for b.Loop() {
		res, err := BenchIngest(b.Context(), b.TempDir(), rows, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.IngestRowsPS, "ingest-rows/s")
		b.ReportMetric(res.RawRowsPS, "raw-rows/s")
		b.ReportMetric(res.Ratio, "ratio")
	}
}
