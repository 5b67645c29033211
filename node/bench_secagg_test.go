package node

import "testing"

// TestBenchSecaggSmall runs the secure-aggregation benchmark's round once,
// small, so that the benchmark path stays correct.
func TestBenchSecaggSmall(t *testing.T) {
	res, err := BenchSecagg(t.Context(), t.TempDir(), 3, 5000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Round <= 0 || res.Encrypt <= 0 || res.Share <= 0 || res.Combine <= 0 || res.BytesPerValueNode < 40 || res.PaillierPerValue <= res.EncryptPerValue {
		t.Fatalf("implausible measurements: %+v", res)
	}
}

// BenchmarkSecagg reports one round's wall time and per-role costs.
func BenchmarkSecagg(b *testing.B) {
	for _, tc := range []struct{ nodes, values int }{{3, 1000}, {3, 100000}} {
		b.Run("nodes="+itoa(tc.nodes)+"/values="+itoa(tc.values), func(b *testing.B) {
			for b.Loop() {
				res, err := BenchSecagg(b.Context(), b.TempDir(), tc.nodes, tc.values, 1)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.Round.Seconds(), "round-s")
				b.ReportMetric(res.BytesPerValueNode, "B/value/node")
				b.ReportMetric(float64(res.PaillierPerValue)/float64(res.EncryptPerValue), "paillier-ratio")
			}
		})
	}
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		if i /= 10; i == 0 {
			return s
		}
	}
}
