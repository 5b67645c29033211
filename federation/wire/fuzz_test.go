package wire

import (
	"bytes"
	"io"
	"runtime"
	"testing"
)

// fuzzMaxChunk caps the chunks FuzzReadFrame reads from type 3 frames.
const fuzzMaxChunk = 64

// FuzzReadFrame feeds arbitrary bytes to the frame and chunk readers. They
// never panic; every frame ReadFrame accepts fits its type's limit,
// re-encodes to exactly the bytes it was read from, and was read into a
// buffer no larger than the limit; memory follows the bytes supplied, not
// the lengths declared; and ChunkReader accepts a chunked frame exactly when
// ReadFrame plus SplitChunks does, with the same chunks.
func FuzzReadFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc

		r := bytes.NewReader(data)
		for {
			start := len(data) - r.Len()
			typ, body, err := ReadFrame(r, testLimits)
			if err != nil {
				if err == io.EOF && r.Len() != 0 {
					t.Fatalf("io.EOF with %d bytes unread", r.Len())
				}
				break
			}
			limit, ok := testLimits[typ]
			if !ok || uint64(len(body)) > uint64(limit) || uint64(cap(body)) > uint64(limit) {
				t.Fatalf("accepted type %d with a %d-byte body (cap %d), limit %d (known %v)", typ, len(body), cap(body), limit, ok)
			}
			if got, want := AppendFrame(nil, typ, body), data[start:len(data)-r.Len()]; !bytes.Equal(got, want) {
				t.Fatalf("accepted frame %x re-encodes as %x", want, got)
			}
		}

		runtime.ReadMemStats(&ms)
		// One frame may be cut short, costing at most EagerBody beyond what
		// was sent; growth by doubling costs at most four times the rest.
		if used, bound := ms.TotalAlloc-before, uint64(2*EagerBody+4*len(data)+64<<10); used > bound {
			t.Fatalf("allocated %d bytes reading %d bytes of input, bound %d", used, len(data), bound)
		}

		// The streaming and whole-body chunk readers agree.
		styp, schunks, serr := readAllChunks(bytes.NewReader(data), testLimits, fuzzMaxChunk)
		wtyp, body, werr := ReadFrame(bytes.NewReader(data), testLimits)
		var wchunks [][]byte
		if werr == nil {
			wchunks, werr = SplitChunks(body, fuzzMaxChunk)
		}
		if (serr == nil) != (werr == nil) {
			t.Fatalf("ChunkReader err %v, ReadFrame+SplitChunks err %v", serr, werr)
		}
		if serr != nil {
			if IsProtocolViolation(serr) != IsProtocolViolation(werr) {
				t.Fatalf("ChunkReader err %v and ReadFrame+SplitChunks err %v classify differently", serr, werr)
			}
			return
		}
		if styp != wtyp || len(schunks) != len(wchunks) {
			t.Fatalf("ChunkReader type %d %d chunks, SplitChunks type %d %d chunks", styp, len(schunks), wtyp, len(wchunks))
		}
		for i := range schunks {
			if len(schunks[i]) > fuzzMaxChunk || !bytes.Equal(schunks[i], wchunks[i]) {
				t.Fatalf("chunk %d: %x vs %x", i, schunks[i], wchunks[i])
			}
		}
		if got := AppendChunks(nil, wchunks); !bytes.Equal(got, body) {
			t.Fatalf("chunked body %x re-encodes as %x", body, got)
		}
	})
}
