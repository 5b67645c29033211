package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// A ReadStream is the part of a stream [ReadMsg] uses. libp2p's
// network.Stream and net.Conn satisfy it.
type ReadStream interface {
	io.Reader
	SetReadDeadline(time.Time) error
}

// A WriteStream is the part of a stream [WriteMsg] uses. libp2p's
// network.Stream and net.Conn satisfy it.
type WriteStream interface {
	io.Writer
	SetWriteDeadline(time.Time) error
}

// Deadline returns the deadline for an operation that starts now and may
// take timeout: the earlier of now+timeout and ctx's deadline. A timeout of
// zero or less means no per-operation bound.
func Deadline(ctx context.Context, timeout time.Duration) time.Time {
	var d time.Time
	if timeout > 0 {
		d = time.Now().Add(timeout)
	}
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
	}
	return d
}

// During runs op, a blocking operation on a stream, under a deadline: it
// calls set (a stream's SetReadDeadline, SetWriteDeadline or SetDeadline)
// with [Deadline](ctx, timeout) first, and with the current time if ctx is
// cancelled while op runs, so op returns promptly. The deadline stays set
// when During returns.
//
// If op fails because ctx ended, the error wraps ctx's error; if it fails
// because the deadline passed, the error wraps [os.ErrDeadlineExceeded].
func During(ctx context.Context, set func(time.Time) error, timeout time.Duration, op func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := set(Deadline(ctx, timeout)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		_ = set(time.Now()) // the operation's own error reports what happened
	})
	err := op()
	if !stop() {
		<-fired // the deadline was moved: wait, so it cannot land on a later operation
	}
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if cd, ok := ctx.Deadline(); ok && !time.Now().Before(cd) {
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	if isTimeout(err) && !errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %w", os.ErrDeadlineExceeded, err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ReadMsg reads one frame from s, checked against limits (see [ReadFrame]),
// within timeout and ctx (see [During]).
func ReadMsg(ctx context.Context, s ReadStream, limits Limits, timeout time.Duration) (Type, []byte, error) {
	var (
		typ  Type
		body []byte
	)
	err := During(ctx, s.SetReadDeadline, timeout, func() error {
		var err error
		typ, body, err = ReadFrame(s, limits)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return typ, body, nil
}

// WriteMsg writes one frame of typ carrying body to s within timeout and ctx
// (see [During]).
func WriteMsg(ctx context.Context, s WriteStream, typ Type, body []byte, timeout time.Duration) error {
	return During(ctx, s.SetWriteDeadline, timeout, func() error {
		return WriteFrame(s, typ, body)
	})
}
