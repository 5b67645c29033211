// Package wire frames the messages fednode nodes exchange on libp2p streams.
//
// A frame is a 6-byte header followed by a body:
//
//	offset  size  field
//	0       1     version (1)
//	1       1     message type
//	2       4     body length, big-endian
//	6       n     body
//
// The receiver passes a [Limits] table naming every message type it accepts
// and the largest body it accepts for each. The header is checked against the
// table before a single body byte is read: a frame of another version, of a
// type not in the table or longer than its type's limit is refused, and the
// receiver never allocates memory because a peer declared a length. Bodies
// above [EagerBody] are read into a buffer that grows as bytes actually
// arrive, so a peer that announces a large body and then stalls costs little.
//
// Large payloads (a vector of ciphertexts is tens of MiB) travel as a chunked
// body, written with [WriteChunks] or a [ChunkWriter] and read chunk by chunk
// with a [ChunkReader], so that neither side needs the whole payload as one
// contiguous copy. See [ChunkWriter] for the body layout.
//
// [ReadMsg] and [WriteMsg] bound each message in time: they set the stream's
// deadline from a per-message timeout and the context's deadline, and unblock
// the operation when the context is cancelled.
//
// This package must never panic, allocate without bound or read past a frame
// on any bytes a peer sends; it knows nothing of peers, membership or what the
// bodies mean.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Version is the only frame version this package reads and writes.
const Version = 1

// HeaderLen is the length of a frame header in bytes.
const HeaderLen = 6

// MaxBody is the largest body a frame header can describe, in bytes.
const MaxBody = math.MaxUint32

// EagerBody is the largest body, in bytes, for which the reader allocates the
// whole buffer as soon as the header is accepted. Longer bodies start with a
// buffer of this size that doubles as bytes arrive.
const EagerBody = 1 << 20

// coalesceBody is the largest body WriteFrame copies behind the header to
// write the frame in a single Write call.
const coalesceBody = 16 << 10

// Type identifies a message within a protocol. Each protocol assigns its own
// types; the frame layer only checks them against [Limits].
type Type uint8

// Limits maps each message type a reader accepts to the largest body it
// accepts for that type, in bytes. A type that is not in the table is
// refused with [ErrUnknownType]. A nil or empty table accepts nothing.
type Limits map[Type]uint32

// Errors a reader returns for a frame it refuses, always wrapped with the
// offending values. A frame cut short returns [io.ErrUnexpectedEOF], wrapped;
// a stream that ends cleanly between frames returns [io.EOF], unwrapped.
var (
	ErrVersion     = errors.New("wire: unsupported version")
	ErrUnknownType = errors.New("wire: unknown message type")
	ErrTooLarge    = errors.New("wire: message too large")
	ErrMalformed   = errors.New("wire: malformed chunked body")
)

// IsProtocolViolation reports whether err shows that the peer broke the wire
// protocol (as opposed to a network failure, a timeout or a local error):
// the frame had a bad version, type, length or chunk layout, or ended early.
func IsProtocolViolation(err error) bool {
	return errors.Is(err, ErrVersion) || errors.Is(err, ErrUnknownType) ||
		errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// AppendFrame appends the frame of typ and body to dst and returns the
// extended slice. It panics if body is longer than [MaxBody], a programmer
// error.
func AppendFrame(dst []byte, typ Type, body []byte) []byte {
	if uint64(len(body)) > MaxBody {
		panic(fmt.Sprintf("wire: AppendFrame with a %d-byte body", len(body)))
	}
	dst = appendHeader(dst, typ, uint32(len(body)))
	return append(dst, body...)
}

func appendHeader(dst []byte, typ Type, n uint32) []byte {
	dst = append(dst, Version, byte(typ))
	return binary.BigEndian.AppendUint32(dst, n)
}

// WriteFrame writes one frame of typ carrying body to w. A short body is
// written with the header in a single Write; a long one is written as is,
// after the header, without being copied.
func WriteFrame(w io.Writer, typ Type, body []byte) error {
	if uint64(len(body)) > MaxBody {
		return fmt.Errorf("%w: type %d body %d bytes, frame maximum %d", ErrTooLarge, typ, len(body), uint64(MaxBody))
	}
	if len(body) <= coalesceBody {
		if _, err := w.Write(AppendFrame(make([]byte, 0, HeaderLen+len(body)), typ, body)); err != nil {
			return fmt.Errorf("write frame type %d: %w", typ, err)
		}
		return nil
	}
	if _, err := w.Write(appendHeader(make([]byte, 0, HeaderLen), typ, uint32(len(body)))); err != nil {
		return fmt.Errorf("write frame type %d header: %w", typ, err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("write frame type %d body: %w", typ, err)
	}
	return nil
}

// ReadHeader reads a frame header from r and checks it against limits. It
// returns the type and body length of a frame the caller may now read; the
// body is left unread. It returns io.EOF, unwrapped, if r ends before the
// first header byte.
func ReadHeader(r io.Reader, limits Limits) (Type, uint32, error) {
	var hdr [HeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return 0, 0, io.EOF
		}
		return 0, 0, fmt.Errorf("read frame header: %w", err)
	}
	typ, n := Type(hdr[1]), binary.BigEndian.Uint32(hdr[2:])
	if err := checkHeader(hdr[0], typ, n, limits); err != nil {
		return 0, 0, err
	}
	return typ, n, nil
}

func checkHeader(version byte, typ Type, n uint32, limits Limits) error {
	if version != Version {
		return fmt.Errorf("%w %d (want %d)", ErrVersion, version, Version)
	}
	limit, ok := limits[typ]
	if !ok {
		return fmt.Errorf("%w %d", ErrUnknownType, typ)
	}
	if n > limit {
		return fmt.Errorf("%w: type %d body %d bytes, limit %d", ErrTooLarge, typ, n, limit)
	}
	return nil
}

// ReadFrame reads one frame from r, refusing it as described in the package
// documentation before reading its body if its header does not fit limits.
// The returned body is newly allocated and never longer than the limit of
// its type. It returns io.EOF, unwrapped, if r ends cleanly before the frame.
func ReadFrame(r io.Reader, limits Limits) (Type, []byte, error) {
	typ, n, err := ReadHeader(r, limits)
	if err != nil {
		return 0, nil, err
	}
	body, err := readFull(r, nil, int(n))
	if err != nil {
		return 0, nil, fmt.Errorf("read frame type %d body (%d bytes): %w", typ, n, err)
	}
	return typ, body, nil
}

// readFull reads exactly n bytes from r into buf, reusing buf's capacity. If
// buf is too small and n exceeds EagerBody, the buffer grows by doubling as
// bytes arrive, never beyond n, so memory follows what the peer has sent
// rather than what it announced. A short read returns io.ErrUnexpectedEOF.
func readFull(r io.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) >= n || n <= EagerBody {
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, unexpectedEOF(err)
		}
		return buf, nil
	}
	if cap(buf) < EagerBody {
		buf = make([]byte, 0, EagerBody)
	}
	buf = buf[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, unexpectedEOF(err)
		}
	}
	return buf, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
