package synth

import (
	"testing"
)

func BenchmarkWriteOrg(b *testing.B) {
	p := Consortium(1, 5000, 1)[0]
	dir := b.TempDir()
	rows := 0
	for b.Loop() {
		f, err := WriteOrg(dir, p)
		if err != nil {
			b.Fatal(err)
		}
		rows += f.CustomerRows + f.TransactionRows + f.CampaignRows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
