package federation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fednode/fednode/federation/wire"
)

// BenchmarkThroughput sends a 64 MiB body from one member to another over
// loopback and waits for a 1-byte acknowledgement, on a connection opened
// beforehand. mode=frame sends one 64 MiB frame, read whole; mode=chunks
// sends one chunked frame of 64 chunks of 1 MiB, read a chunk at a time.
// It reports MiB/s (MiB = 2^20 bytes).
//
//	go test -run='^$' -bench=Throughput -benchtime=10x ./federation/
func BenchmarkThroughput(b *testing.B) {
	const (
		size  = 64 << 20
		chunk = 1 << 20
	)
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	chunks := make([][]byte, size/chunk)
	for i := range chunks {
		chunks[i] = payload[i*chunk : (i+1)*chunk]
	}
	// A chunked body adds 4 bytes of count and 4 per chunk.
	limits := wire.Limits{msgPing: size + 4*(size/chunk+1), msgPong: 1}

	for _, transport := range []string{tcpOnly, quicOnly} {
		for _, mode := range []string{"frame", "chunks"} {
			b.Run(fmt.Sprintf("transport=%s/mode=%s", transport, mode), func(b *testing.B) {
				nodes := startNodes(b, nil, specs(b, 2, 0, transport), time.Minute)
				recv, send := nodes[0], nodes[1]
				recv.Handle("sink", limits, func(ctx context.Context, from Member, s *Stream) error {
					n := 0
					if mode == "frame" {
						_, body, err := s.Read(ctx)
						if err != nil {
							return err
						}
						n = len(body)
					} else {
						if _, _, err := s.ReadChunks(ctx, chunk, func(_ wire.Type, c []byte) error {
							n += len(c)
							return nil
						}); err != nil {
							return err
						}
					}
					if n != size {
						return fmt.Errorf("received %d bytes, want %d", n, size)
					}
					return s.Write(ctx, msgPong, []byte{1})
				})
				ctx := b.Context()
				if _, err := send.ConnectAll(ctx); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(size)
				for b.Loop() {
					s, err := send.OpenStream(ctx, recv.ID(), "sink", limits)
					if err != nil {
						b.Fatal(err)
					}
					if mode == "frame" {
						err = s.Write(ctx, msgPing, payload)
					} else {
						err = s.WriteChunks(ctx, msgPing, chunks)
					}
					if err != nil {
						b.Fatal(err)
					}
					if _, _, err := s.Read(ctx); err != nil {
						b.Fatal(err)
					}
					_ = s.Close()
				}
				b.ReportMetric(float64(size)*float64(b.N)/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
			})
		}
	}
}
