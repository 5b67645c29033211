package federation

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fednode/fednode/federation/wire"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// A Stream is one fednode protocol stream with an authenticated member. Each
// Read and Write handles one framed message (see federation/wire) under its
// own deadline: the earlier of the host's stream timeout from the start of
// the call and ctx's deadline. Reads refuse any message its limits do not
// allow before reading its body.
//
// A Stream may be read by one goroutine while another writes; concurrent
// reads, or concurrent writes, are not allowed.
type Stream struct {
	s       network.Stream
	remote  Member
	limits  wire.Limits
	timeout time.Duration
	nread   int64 // bytes read from s, for tests
}

func newStream(s network.Stream, remote Member, limits wire.Limits, timeout time.Duration) *Stream {
	return &Stream{s: s, remote: remote, limits: limits, timeout: timeout}
}

// network.Stream takes deadlines the way wire's helpers need.
var (
	_ wire.ReadStream  = network.Stream(nil)
	_ wire.WriteStream = network.Stream(nil)
)

// reader counts what a Stream reads, and takes read deadlines.
type reader Stream

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.s.Read(p)
	r.nread += int64(n)
	return n, err
}

func (r *reader) SetReadDeadline(t time.Time) error { return r.s.SetReadDeadline(t) }

// Remote returns the member at the other end.
func (s *Stream) Remote() Member { return s.remote.clone() }

// Protocol returns the stream's protocol ID.
func (s *Stream) Protocol() protocol.ID { return s.s.Protocol() }

func (s *Stream) errorf(op string, err error) error {
	return fmt.Errorf("%s %s %s: %w", s.s.Protocol(), op, s.remote.Name, err)
}

// Read reads the next message. It returns io.EOF, unwrapped, if the peer
// closed its side of the stream cleanly before the message.
func (s *Stream) Read(ctx context.Context) (wire.Type, []byte, error) {
	typ, body, err := wire.ReadMsg(ctx, (*reader)(s), s.limits, s.timeout)
	if err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		return 0, nil, s.errorf("read from", err)
	}
	return typ, body, nil
}

// Write writes one message of typ carrying body.
func (s *Stream) Write(ctx context.Context, typ wire.Type, body []byte) error {
	if err := wire.WriteMsg(ctx, s.s, typ, body, s.timeout); err != nil {
		return s.errorf("write to", err)
	}
	return nil
}

// WriteChunks writes one message of typ whose body is the chunked encoding
// of chunks (see [wire.ChunkWriter]), without concatenating them. Each chunk
// gets its own deadline, so the timeout bounds progress rather than the
// whole payload.
func (s *Stream) WriteChunks(ctx context.Context, typ wire.Type, chunks [][]byte) error {
	sizes := make([]int, len(chunks))
	for i, c := range chunks {
		sizes[i] = len(c)
	}
	var cw *wire.ChunkWriter
	err := wire.During(ctx, s.s.SetWriteDeadline, s.timeout, func() (err error) {
		cw, err = wire.NewChunkWriter(s.s, typ, sizes)
		return err
	})
	if err != nil {
		return s.errorf("write to", err)
	}
	for _, c := range chunks {
		if err := wire.During(ctx, s.s.SetWriteDeadline, s.timeout, func() error { return cw.Write(c) }); err != nil {
			return s.errorf("write to", err)
		}
	}
	return nil
}

// ReadChunks reads one message with a chunked body (see [wire.ChunkReader])
// and calls each with its type and every chunk in order; chunk is only valid
// during the call. Chunks longer than maxChunk are refused. Each chunk gets
// its own deadline. It returns the message type and the number of chunks,
// and io.EOF, unwrapped, if the peer closed its side cleanly before the
// message. The message is complete and well formed only if ReadChunks
// returns nil: a caller must not act on chunks before then.
func (s *Stream) ReadChunks(ctx context.Context, maxChunk uint32, each func(typ wire.Type, chunk []byte) error) (wire.Type, int, error) {
	r := (*reader)(s)
	var cr *wire.ChunkReader
	err := wire.During(ctx, r.SetReadDeadline, s.timeout, func() (err error) {
		cr, err = wire.NewChunkReader(r, s.limits, maxChunk)
		return err
	})
	if err != nil {
		if err == io.EOF {
			return 0, 0, io.EOF
		}
		return 0, 0, s.errorf("read from", err)
	}
	for {
		var chunk []byte
		err := wire.During(ctx, r.SetReadDeadline, s.timeout, func() (err error) {
			chunk, err = cr.Next()
			return err
		})
		if err == io.EOF {
			return cr.Type(), cr.Len(), nil
		}
		if err != nil {
			return 0, 0, s.errorf("read from", err)
		}
		if err := each(cr.Type(), chunk); err != nil {
			return 0, 0, err
		}
	}
}

// CloseWrite closes the stream for writing: the peer's next Read returns
// io.EOF. Reading is still possible.
func (s *Stream) CloseWrite() error { return s.s.CloseWrite() }

// Close closes the stream in both directions.
func (s *Stream) Close() error { return s.s.Close() }

// Reset aborts the stream in both directions; the peer's pending and next
// operations fail.
func (s *Stream) Reset() error { return s.s.Reset() }

// fail resets the stream after err, telling the peer it broke the protocol
// when err says so.
func (s *Stream) fail(err error) {
	if wire.IsProtocolViolation(err) {
		_ = s.s.ResetWithError(network.StreamProtocolViolation)
		return
	}
	_ = s.s.Reset()
}
