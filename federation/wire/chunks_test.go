package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
)

// readAllChunks reads one chunked frame from r with a ChunkReader, copying
// each chunk, until io.EOF or an error.
func readAllChunks(r io.Reader, limits Limits, maxChunk uint32) (Type, [][]byte, error) {
	cr, err := NewChunkReader(r, limits, maxChunk)
	if err != nil {
		return 0, nil, err
	}
	var chunks [][]byte
	for {
		c, err := cr.Next()
		if err == io.EOF {
			if len(chunks) != cr.Len() {
				return 0, nil, fmt.Errorf("io.EOF after %d of %d chunks", len(chunks), cr.Len())
			}
			return cr.Type(), chunks, nil
		}
		if err != nil {
			return 0, nil, err
		}
		chunks = append(chunks, bytes.Clone(c))
	}
}

func TestChunksRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
	}{
		{"none", nil},
		{"one-empty", []int{0}},
		{"small", []int{1, 2, 3}},
		{"mixed", []int{0, coalesceBody, coalesceBody + 1, 7, 0}},
		{"large", []int{EagerBody + 5, 3, EagerBody * 2}},
	} {
		t.Run("sizes="+tc.name, func(t *testing.T) {
			chunks := make([][]byte, len(tc.sizes))
			for i, n := range tc.sizes {
				chunks[i] = bytes.Repeat([]byte{byte(i + 1)}, n)
			}
			var streamed bytes.Buffer
			if err := WriteChunks(&streamed, 4, chunks); err != nil {
				t.Fatal(err)
			}
			whole := AppendFrame(nil, 4, AppendChunks(nil, chunks))
			if !bytes.Equal(streamed.Bytes(), whole) {
				t.Fatal("WriteChunks and AppendFrame(AppendChunks) disagree")
			}
			n, ok := ChunkedLen(tc.sizes)
			if !ok || int(n) != len(whole)-HeaderLen {
				t.Fatalf("ChunkedLen = %d, %v; body is %d bytes", n, ok, len(whole)-HeaderLen)
			}

			typ, got, err := readAllChunks(bytes.NewReader(whole), testLimits, 4<<20)
			if err != nil || typ != 4 {
				t.Fatalf("ChunkReader: type %d err %v", typ, err)
			}
			_, body, err := ReadFrame(bytes.NewReader(whole), testLimits)
			if err != nil {
				t.Fatal(err)
			}
			split, err := SplitChunks(body, 4<<20)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(chunks) || len(split) != len(chunks) {
				t.Fatalf("read %d and split %d chunks, want %d", len(got), len(split), len(chunks))
			}
			for i := range chunks {
				if !bytes.Equal(got[i], chunks[i]) || !bytes.Equal(split[i], chunks[i]) {
					t.Fatalf("chunk %d differs", i)
				}
			}
		})
	}
}

// chunked builds a chunked frame of type 3 from a raw body.
func chunked(body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	return frame(1, 3, uint32(len(b)), b)
}

func u32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func TestChunksRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"body=empty", chunked(), ErrMalformed},
		{"body=short-count", chunked([]byte{0, 0}), ErrMalformed},
		{"count=too-many", chunked(u32(3), u32(0), u32(0)), ErrMalformed},
		{"count=huge", chunked(u32(1<<31), u32(0)), ErrMalformed},
		{"count=0/trailing", chunked(u32(0), []byte{9}), ErrMalformed},
		{"chunk=beyond-body", chunked(u32(1), u32(5), []byte{1, 2}), ErrMalformed},
		{"chunk=above-max", chunked(u32(1), u32(9), make([]byte, 9)), ErrTooLarge},
		{"chunk=leaves-no-room", chunked(u32(2), u32(4), make([]byte, 4), []byte{0, 0}), ErrMalformed},
		{"last=trailing", chunked(u32(1), u32(1), []byte{1, 2}), ErrMalformed},
		{"frame=truncated", chunked(u32(1), u32(4), []byte{1, 2, 3, 4})[:12], io.ErrUnexpectedEOF},
		{"frame=unknown-type", frame(1, 9, 4, u32(0)), ErrUnknownType},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			if _, _, err := readAllChunks(bytes.NewReader(tc.in), testLimits, 8); !errors.Is(err, tc.want) {
				t.Errorf("ChunkReader: err %v, want %v", err, tc.want)
			}
			_, body, err := ReadFrame(bytes.NewReader(tc.in), testLimits)
			if err == nil {
				_, err = SplitChunks(body, 8)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("ReadFrame+SplitChunks: err %v, want %v", err, tc.want)
			}
		})
	}
}

// TestChunkReaderMemory checks that a chunked frame is read holding one
// chunk at a time: reading 16 chunks of 1 MiB allocates about 1 MiB.
func TestChunkReaderMemory(t *testing.T) {
	const n, size = 16, 1 << 20
	chunks := make([][]byte, n)
	for i := range chunks {
		chunks[i] = make([]byte, size)
	}
	var buf bytes.Buffer
	if err := WriteChunks(&buf, 4, chunks); err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(buf.Bytes())
	var read int
	got := allocated(func() {
		cr, err := NewChunkReader(r, testLimits, size)
		if err != nil {
			t.Error(err)
			return
		}
		for {
			c, err := cr.Next()
			if err != nil {
				if err != io.EOF {
					t.Error(err)
				}
				return
			}
			read += len(c)
		}
	})
	if read != n*size {
		t.Fatalf("read %d bytes, want %d", read, n*size)
	}
	if got > 2*size {
		t.Fatalf("allocated %d bytes to read %d chunks of %d", got, n, size)
	}
}

func TestChunkWriterSizes(t *testing.T) {
	var buf bytes.Buffer
	cw, err := NewChunkWriter(&buf, 4, []int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := cw.Write([]byte{1}); err == nil {
		t.Fatal("accepted a 1-byte chunk announced as 2")
	}
	if err := cw.Write([]byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := cw.Write([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if cw.Remaining() != 0 {
		t.Fatalf("Remaining = %d after every chunk", cw.Remaining())
	}
	if err := cw.Write(nil); err == nil {
		t.Fatal("accepted a chunk beyond those announced")
	}
	if _, ok := ChunkedLen([]int{MaxBody}); ok {
		t.Fatal("ChunkedLen accepted a body above MaxBody")
	}
	if _, err := NewChunkWriter(&buf, 4, []int{-1}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("negative size: %v", err)
	}
}
