package wire

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func TestDeadline(t *testing.T) {
	now := time.Now()
	soon, cancel := context.WithDeadline(context.Background(), now.Add(time.Second))
	defer cancel()
	late, cancel2 := context.WithDeadline(context.Background(), now.Add(time.Hour))
	defer cancel2()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		timeout time.Duration
		lo, hi  time.Duration // bounds on the deadline's distance from now; zero: no deadline
	}{
		{"ctx=none/timeout=none", context.Background(), 0, 0, 0},
		{"ctx=none/timeout=1m", context.Background(), time.Minute, time.Minute, time.Minute + time.Second},
		{"ctx=1s/timeout=1m", soon, time.Minute, 0, time.Second},
		{"ctx=1h/timeout=1m", late, time.Minute, time.Minute, time.Minute + time.Second},
		{"ctx=1s/timeout=none", soon, 0, 0, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Deadline(tc.ctx, tc.timeout)
			if tc.hi == 0 {
				if !d.IsZero() {
					t.Fatalf("deadline %v, want none", d)
				}
				return
			}
			if dist := d.Sub(now); dist < tc.lo || dist > tc.hi {
				t.Fatalf("deadline in %v, want within [%v, %v]", dist, tc.lo, tc.hi)
			}
		})
	}
}

func TestReadMsgTimeout(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	const timeout = 50 * time.Millisecond
	start := time.Now()
	_, _, err := ReadMsg(t.Context(), a, testLimits, timeout)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err %v, want os.ErrDeadlineExceeded", err)
	}
	if el := time.Since(start); el < timeout {
		t.Fatalf("returned after %v, before the %v timeout", el, timeout)
	}
}

func TestReadMsgContextDeadline(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, _, err := ReadMsg(ctx, a, testLimits, time.Hour)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want context.DeadlineExceeded", err)
	}
}

// enteringConn signals when a Read has started.
type enteringConn struct {
	net.Conn
	entered chan struct{}
}

func (c *enteringConn) Read(p []byte) (int, error) {
	select {
	case c.entered <- struct{}{}:
	default:
	}
	return c.Conn.Read(p)
}

func TestReadMsgCancel(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &enteringConn{Conn: a, entered: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, _, err := ReadMsg(ctx, c, testLimits, time.Hour)
		errc <- err
	}()
	<-c.entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// The stream is usable again under a fresh context.
	go func() { _ = WriteFrame(b, 1, []byte("after")) }()
	typ, body, err := ReadMsg(t.Context(), a, testLimits, time.Minute)
	if err != nil || typ != 1 || string(body) != "after" {
		t.Fatalf("after cancel: type %d body %q err %v", typ, body, err)
	}
}

func TestWriteMsgRoundTrip(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	body := bytes.Repeat([]byte("fednode"), 5000)
	errc := make(chan error, 1)
	go func() { errc <- WriteMsg(t.Context(), a, 2, body, time.Minute) }()
	typ, got, err := ReadMsg(t.Context(), b, testLimits, time.Minute)
	if err != nil || typ != 2 || !bytes.Equal(got, body) {
		t.Fatalf("type %d, %d bytes, err %v", typ, len(got), err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestWriteMsgTimeout(t *testing.T) {
	a, b := net.Pipe() // unbuffered: a write blocks until read
	defer a.Close()
	defer b.Close()
	err := WriteMsg(t.Context(), a, 1, []byte("x"), 50*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err %v, want os.ErrDeadlineExceeded", err)
	}
}

func TestDuringDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := During(ctx, func(time.Time) error { return nil }, time.Second, func() error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err %v ran %v, want context.Canceled without running", err, ran)
	}
}
