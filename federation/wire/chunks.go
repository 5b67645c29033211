package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// chunkPrefix is the length of a chunk count or a chunk length, in bytes.
const chunkPrefix = 4

// ChunkedLen returns the body length of a chunked body holding chunks of the
// given sizes, and false if it would not fit in a frame.
func ChunkedLen(sizes []int) (uint32, bool) {
	n := uint64(chunkPrefix)
	for _, s := range sizes {
		if s < 0 || uint64(s) > MaxBody {
			return 0, false
		}
		n += chunkPrefix + uint64(s)
		if n > MaxBody {
			return 0, false
		}
	}
	return uint32(n), true
}

// AppendChunks appends the chunked body holding chunks to dst. It panics if
// the body would not fit in a frame, a programmer error.
func AppendChunks(dst []byte, chunks [][]byte) []byte {
	if _, ok := ChunkedLen(chunkSizes(chunks)); !ok {
		panic("wire: AppendChunks: chunks do not fit in a frame")
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(chunks)))
	for _, c := range chunks {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(c)))
		dst = append(dst, c...)
	}
	return dst
}

func chunkSizes(chunks [][]byte) []int {
	sizes := make([]int, len(chunks))
	for i, c := range chunks {
		sizes[i] = len(c)
	}
	return sizes
}

// SplitChunks parses a chunked body read whole (by [ReadFrame]) into its
// chunks, which alias body. It refuses a body whose count or lengths do not
// add up, that has bytes after the last chunk, or that holds a chunk longer
// than maxChunk, with [ErrMalformed] or [ErrTooLarge].
func SplitChunks(body []byte, maxChunk uint32) ([][]byte, error) {
	if len(body) < chunkPrefix {
		return nil, fmt.Errorf("%w: %d-byte body has no chunk count", ErrMalformed, len(body))
	}
	count := binary.BigEndian.Uint32(body)
	rest := body[chunkPrefix:]
	if uint64(count) > uint64(len(rest)/chunkPrefix) {
		return nil, fmt.Errorf("%w: %d chunks cannot fit in %d bytes", ErrMalformed, count, len(rest))
	}
	chunks := make([][]byte, count)
	for i := range chunks {
		if len(rest) < chunkPrefix {
			return nil, fmt.Errorf("%w: chunk %d of %d: body ends before its length", ErrMalformed, i, count)
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[chunkPrefix:]
		if n > maxChunk {
			return nil, fmt.Errorf("%w: chunk %d of %d is %d bytes, limit %d", ErrTooLarge, i, count, n, maxChunk)
		}
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: chunk %d of %d is %d bytes, body has %d left", ErrMalformed, i, count, n, len(rest))
		}
		chunks[i], rest = rest[:n:n], rest[n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after chunk %d", ErrMalformed, len(rest), count)
	}
	return chunks, nil
}

// A ChunkWriter writes one frame with a chunked body, one chunk at a time, so
// that a large payload (a vector of ciphertexts) can be marshalled chunk by
// chunk into a reused buffer and never held whole. The sizes of all chunks
// are fixed up front, since the frame header carries the body length.
//
// The chunked body is:
//
//	u32 count
//	count times: u32 length, length bytes
//
// with every integer big-endian and no bytes after the last chunk. The bytes
// on the wire are those of [WriteFrame] with an [AppendChunks] body.
type ChunkWriter struct {
	w     io.Writer
	typ   Type
	sizes []int
	next  int
	hdr   []byte
}

// NewChunkWriter writes the frame header and chunk count for a chunked body
// holding chunks of the given sizes, in order, to w.
func NewChunkWriter(w io.Writer, typ Type, sizes []int) (*ChunkWriter, error) {
	n, ok := ChunkedLen(sizes)
	if !ok {
		return nil, fmt.Errorf("%w: %d chunks of type %d do not fit in a frame", ErrTooLarge, len(sizes), typ)
	}
	hdr := appendHeader(make([]byte, 0, HeaderLen+2*chunkPrefix), typ, n)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(sizes)))
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("write chunked frame type %d header: %w", typ, err)
	}
	return &ChunkWriter{w: w, typ: typ, sizes: sizes, hdr: hdr[:0]}, nil
}

// Write writes the next chunk, which must have the size announced for it.
func (c *ChunkWriter) Write(chunk []byte) error {
	if c.next >= len(c.sizes) {
		return fmt.Errorf("write chunk %d of type %d: only %d announced", c.next, c.typ, len(c.sizes))
	}
	if len(chunk) != c.sizes[c.next] {
		return fmt.Errorf("write chunk %d of type %d: %d bytes, announced %d", c.next, c.typ, len(chunk), c.sizes[c.next])
	}
	if len(chunk) <= coalesceBody {
		c.hdr = binary.BigEndian.AppendUint32(c.hdr[:0], uint32(len(chunk)))
		c.hdr = append(c.hdr, chunk...)
		if _, err := c.w.Write(c.hdr); err != nil {
			return fmt.Errorf("write chunk %d of type %d: %w", c.next, c.typ, err)
		}
	} else {
		c.hdr = binary.BigEndian.AppendUint32(c.hdr[:0], uint32(len(chunk)))
		if _, err := c.w.Write(c.hdr); err != nil {
			return fmt.Errorf("write chunk %d of type %d: %w", c.next, c.typ, err)
		}
		if _, err := c.w.Write(chunk); err != nil {
			return fmt.Errorf("write chunk %d of type %d: %w", c.next, c.typ, err)
		}
	}
	c.next++
	return nil
}

// Remaining returns how many announced chunks are still to be written.
func (c *ChunkWriter) Remaining() int { return len(c.sizes) - c.next }

// WriteChunks writes one frame of typ whose body is the chunked encoding of
// chunks, without concatenating them.
func WriteChunks(w io.Writer, typ Type, chunks [][]byte) error {
	cw, err := NewChunkWriter(w, typ, chunkSizes(chunks))
	if err != nil {
		return err
	}
	for _, c := range chunks {
		if err := cw.Write(c); err != nil {
			return err
		}
	}
	return nil
}

// A ChunkReader reads one frame with a chunked body (see [ChunkWriter]) a
// chunk at a time, holding at most one chunk in memory. Every count and
// length is checked before the bytes it describes are read: the count must
// fit in the body, each chunk must fit in what is left of the body and in the
// per-chunk limit. The frame has been read whole and is valid only once Next
// returns io.EOF; a chunk returned earlier may belong to a frame that turns
// out to be malformed.
type ChunkReader struct {
	r         io.Reader
	typ       Type
	count     uint32
	next      uint32
	remaining uint64 // body bytes not yet read
	maxChunk  uint32
	buf       []byte
}

// NewChunkReader reads a frame header checked against limits and the chunk
// count from r. Chunks longer than maxChunk bytes are refused. It returns
// io.EOF, unwrapped, if r ends cleanly before the frame.
func NewChunkReader(r io.Reader, limits Limits, maxChunk uint32) (*ChunkReader, error) {
	typ, n, err := ReadHeader(r, limits)
	if err != nil {
		return nil, err
	}
	if n < chunkPrefix {
		return nil, fmt.Errorf("%w: type %d body of %d bytes has no chunk count", ErrMalformed, typ, n)
	}
	var cnt [chunkPrefix]byte
	if _, err := io.ReadFull(r, cnt[:]); err != nil {
		return nil, fmt.Errorf("read chunk count of type %d: %w", typ, unexpectedEOF(err))
	}
	count, rest := binary.BigEndian.Uint32(cnt[:]), uint64(n-chunkPrefix)
	if uint64(count) > rest/chunkPrefix {
		return nil, fmt.Errorf("%w: type %d: %d chunks cannot fit in %d bytes", ErrMalformed, typ, count, rest)
	}
	if count == 0 && rest != 0 {
		return nil, fmt.Errorf("%w: type %d: %d bytes after chunk 0", ErrMalformed, typ, rest)
	}
	return &ChunkReader{r: r, typ: typ, count: count, remaining: rest, maxChunk: maxChunk}, nil
}

// Type returns the frame's message type.
func (c *ChunkReader) Type() Type { return c.typ }

// Len returns the number of chunks the frame announced.
func (c *ChunkReader) Len() int { return int(c.count) }

// Next returns the next chunk, or io.EOF once every chunk has been read and
// the body has been found to end exactly after the last one. The returned
// slice is only valid until the next call: the reader reuses its buffer.
func (c *ChunkReader) Next() ([]byte, error) {
	if c.next == c.count {
		return nil, io.EOF
	}
	// INVARIANT: remaining >= (count-next)*chunkPrefix, checked by
	// NewChunkReader and kept by every chunk accepted below.
	var lb [chunkPrefix]byte
	if _, err := io.ReadFull(c.r, lb[:]); err != nil {
		return nil, fmt.Errorf("read type %d chunk %d of %d: %w", c.typ, c.next, c.count, unexpectedEOF(err))
	}
	c.remaining -= chunkPrefix
	n := binary.BigEndian.Uint32(lb[:])
	if n > c.maxChunk {
		return nil, fmt.Errorf("%w: type %d chunk %d of %d is %d bytes, limit %d", ErrTooLarge, c.typ, c.next, c.count, n, c.maxChunk)
	}
	if uint64(n) > c.remaining {
		return nil, fmt.Errorf("%w: type %d chunk %d of %d is %d bytes, body has %d left", ErrMalformed, c.typ, c.next, c.count, n, c.remaining)
	}
	// The last chunk must end the body; the others must leave room for the
	// length prefixes of the chunks still to come.
	left := uint64(c.count - c.next - 1)
	if left == 0 && uint64(n) != c.remaining {
		return nil, fmt.Errorf("%w: type %d: %d bytes after chunk %d", ErrMalformed, c.typ, c.remaining-uint64(n), c.count)
	}
	if c.remaining-uint64(n) < left*chunkPrefix {
		return nil, fmt.Errorf("%w: type %d chunk %d of %d is %d bytes, leaving too little for %d more", ErrMalformed, c.typ, c.next, c.count, n, left)
	}
	buf, err := readFull(c.r, c.buf, int(n))
	if err != nil {
		return nil, fmt.Errorf("read type %d chunk %d of %d (%d bytes): %w", c.typ, c.next, c.count, n, err)
	}
	c.buf = buf
	c.remaining -= uint64(n)
	c.next++
	return buf, nil
}
