package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// testLimits is the table the tests read with: a type with an empty body
// only, small, medium and large ones, and a chunked type.
var testLimits = Limits{
	0:   0,
	1:   16,
	2:   1 << 20,
	3:   64 << 10, // chunked
	4:   64 << 20,
	255: 4,
}

func frame(version byte, typ Type, n uint32, body []byte) []byte {
	b := []byte{version, byte(typ), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	return append(b, body...)
}

func TestFrameRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		typ Type
		n   int
	}{
		{0, 0}, {1, 0}, {1, 1}, {1, 16}, {2, coalesceBody}, {2, coalesceBody + 1},
		{2, 1 << 20}, {4, EagerBody + 1}, {4, 3*EagerBody + 17}, {255, 4},
	} {
		t.Run(fmt.Sprintf("type=%d/len=%d", tc.typ, tc.n), func(t *testing.T) {
			body := bytes.Repeat([]byte{byte(tc.n), 0xa5, byte(tc.typ)}, tc.n/3+1)[:tc.n]
			var buf bytes.Buffer
			if err := WriteFrame(&buf, tc.typ, body); err != nil {
				t.Fatal(err)
			}
			if want := AppendFrame(nil, tc.typ, body); !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("WriteFrame and AppendFrame disagree")
			}
			if buf.Len() != HeaderLen+tc.n {
				t.Fatalf("frame is %d bytes, want %d", buf.Len(), HeaderLen+tc.n)
			}
			typ, got, err := ReadFrame(&buf, testLimits)
			if err != nil {
				t.Fatal(err)
			}
			if typ != tc.typ || !bytes.Equal(got, body) {
				t.Fatalf("read type %d body of %d bytes, want type %d body of %d", typ, len(got), tc.typ, tc.n)
			}
			if cap(got) > tc.n {
				t.Errorf("body buffer has capacity %d for %d bytes", cap(got), tc.n)
			}
			if _, _, err := ReadFrame(&buf, testLimits); err != io.EOF {
				t.Fatalf("after the frame: err %v, want io.EOF", err)
			}
		})
	}
}

func TestReadFrameSequence(t *testing.T) {
	var buf bytes.Buffer
	msgs := []string{"", "a", "hello", strings.Repeat("x", 16)}
	for _, m := range msgs {
		if err := WriteFrame(&buf, 1, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range msgs {
		typ, body, err := ReadFrame(&buf, testLimits)
		if err != nil || typ != 1 || string(body) != m {
			t.Fatalf("frame %d: type %d body %q err %v, want type 1 body %q", i, typ, body, err, m)
		}
	}
	if _, _, err := ReadFrame(&buf, testLimits); err != io.EOF {
		t.Fatalf("end: %v, want io.EOF", err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadFrameRefuses(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 64)
	for _, tc := range []struct {
		name  string
		in    []byte
		want  error
		reads int // bytes the reader may consume; -1: any
	}{
		{"empty", nil, io.EOF, 0},
		{"version=0", frame(0, 1, 1, []byte{1}), ErrVersion, HeaderLen},
		{"version=2", frame(2, 1, 1, []byte{1}), ErrVersion, HeaderLen},
		{"version=ascii", []byte("GET / HTTP/1.1\r\n\r\n"), ErrVersion, HeaderLen},
		{"type=unknown", frame(1, 9, 1, []byte{1}), ErrUnknownType, HeaderLen},
		{"type=empty-only", frame(1, 0, 1, []byte{1}), ErrTooLarge, HeaderLen},
		{"len=limit+1", frame(1, 1, 17, big[:17]), ErrTooLarge, HeaderLen},
		{"len=max", frame(1, 4, MaxBody, big), ErrTooLarge, HeaderLen},
		{"header=truncated", []byte{1, 1, 0}, io.ErrUnexpectedEOF, -1},
		{"body=truncated", frame(1, 1, 10, big[:9]), io.ErrUnexpectedEOF, -1},
		{"body=missing", frame(1, 2, 1<<20, nil), io.ErrUnexpectedEOF, -1},
		{"body=large-truncated", frame(1, 4, 64<<20, big), io.ErrUnexpectedEOF, -1},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			cr := &countingReader{r: bytes.NewReader(tc.in)}
			_, _, err := ReadFrame(cr, testLimits)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if tc.want == io.EOF && err != io.EOF {
				t.Fatalf("clean end returned %v, want io.EOF unwrapped", err)
			}
			if tc.reads >= 0 && cr.n != tc.reads {
				t.Fatalf("read %d bytes before refusing, want %d", cr.n, tc.reads)
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadFrameMemory checks that a peer's declared length never buys it
// memory: a refused length costs nothing, and an accepted large length
// costs what the peer actually sent, not what it declared.
func TestReadFrameMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		max  uint64
	}{
		{"refused=4GiB", frame(1, 2, MaxBody, nil), 64 << 10},
		{"accepted=64MiB/sent=1KiB", frame(1, 4, 64<<20, make([]byte, 1<<10)), EagerBody + 256<<10},
		{"accepted=64MiB/sent=3MiB", frame(1, 4, 64<<20, make([]byte, 3<<20)), EagerBody + 8<<20},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			r := bytes.NewReader(tc.in)
			got := allocated(func() { _, _, _ = ReadFrame(r, testLimits) })
			if got > tc.max {
				t.Fatalf("allocated %d bytes, want at most %d", got, tc.max)
			}
		})
	}
}

func TestIsProtocolViolation(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("x: %w", ErrVersion), true},
		{fmt.Errorf("x: %w", ErrUnknownType), true},
		{fmt.Errorf("x: %w", ErrTooLarge), true},
		{fmt.Errorf("x: %w", ErrMalformed), true},
		{fmt.Errorf("x: %w", io.ErrUnexpectedEOF), true},
		{io.EOF, false},
		{errors.New("connection reset"), false},
	} {
		if got := IsProtocolViolation(tc.err); got != tc.want {
			t.Errorf("IsProtocolViolation(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
