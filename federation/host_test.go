package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fednode/fednode/federation/wire"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	msmux "github.com/multiformats/go-multistream"
)

// Message types of the test protocols.
const (
	msgPing wire.Type = 1
	msgPong wire.Type = 2
)

var echoLimits = wire.Limits{msgPing: 1 << 10, msgPong: 1 << 10}

// echo answers one ping with a pong carrying the sender's name as the
// handler saw it and the ping's body.
func echo(ctx context.Context, from Member, s *Stream) error {
	typ, body, err := s.Read(ctx)
	if err != nil {
		return err
	}
	if typ != msgPing {
		return fmt.Errorf("echo: message type %d, want %d", typ, msgPing)
	}
	return s.Write(ctx, msgPong, append([]byte(from.Name+":"), body...))
}

// within returns a context that ends after d, for steps that must not hang.
func within(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(tb.Context(), d)
	tb.Cleanup(cancel)
	return ctx
}

func TestMesh(t *testing.T) {
	for _, transports := range []string{tcpOnly, quicOnly, both} {
		t.Run("transports="+transports, func(t *testing.T) {
			nodes := startNodes(t, nil, specs(t, 3, 0, transports), 0)
			for _, n := range nodes {
				n.Handle("echo", echoLimits, echo)
			}
			for _, n := range nodes {
				connected, err := n.ConnectAll(within(t, 10*time.Second))
				if err != nil {
					t.Fatalf("%s ConnectAll: %v", n.Self().Name, err)
				}
				if len(connected) != 2 {
					t.Fatalf("%s connected to %s, want the 2 others", n.Self().Name, names(connected))
				}
			}
			for _, n := range nodes {
				got := n.Connected()
				want := n.others()
				if names(got) != names(want) {
					t.Errorf("%s Connected = %s, want %s", n.Self().Name, names(got), names(want))
				}
			}
			for _, from := range nodes {
				for _, to := range nodes {
					if from == to {
						continue
					}
					t.Run(fmt.Sprintf("from=%s/to=%s", from.Self().Name, to.Self().Name), func(t *testing.T) {
						typ, body, err := from.Request(within(t, 10*time.Second), to.ID(), "echo", msgPing, []byte("hello"), echoLimits)
						if err != nil {
							t.Fatal(err)
						}
						if want := from.Self().Name + ":hello"; typ != msgPong || string(body) != want {
							t.Fatalf("reply type %d %q, want type %d %q", typ, body, msgPong, want)
						}
					})
				}
			}
		})
	}
}

// TestRequestToSelfAndStrangers checks the requests refused before any
// network traffic.
func TestRequestToSelfAndStrangers(t *testing.T) {
	nodes := startNodes(t, nil, specs(t, 2, 0, tcpOnly), 0)
	a := nodes[0]
	ctx := within(t, 10*time.Second)
	if _, _, err := a.Request(ctx, a.ID(), "echo", msgPing, nil, echoLimits); err == nil {
		t.Error("request to self succeeded")
	}
	if _, _, err := a.Request(ctx, testID(t, 99), "echo", msgPing, nil, echoLimits); !errors.Is(err, ErrNotMember) {
		t.Errorf("request to a stranger: %v, want ErrNotMember", err)
	}
	if _, err := a.OpenStream(ctx, nodes[1].ID(), "Not A Name", echoLimits); err == nil {
		t.Error("opened a stream with an invalid protocol name")
	}
}

// TestNonMember runs an outsider, a node whose identity is not in the
// members' consortium file, that knows a member's address and lets it in.
// Neither side can connect, and the member's handler never runs.
func TestNonMember(t *testing.T) {
	for _, transports := range []string{tcpOnly, quicOnly} {
		t.Run("transport="+transports, func(t *testing.T) {
			sp := specs(t, 2, 0, transports)
			members := startNodes(t, nil, sp, 0)
			a := members[0]
			var calls atomic.Int32
			a.Handle("echo", echoLimits, func(ctx context.Context, from Member, s *Stream) error {
				calls.Add(1)
				return echo(ctx, from, s)
			})

			outSpec := nodeSpec{name: "outsider", key: 50, listen: loopbackListen(t, transports)}
			outsider := startNode(t, consortiumOf(t, []nodeSpec{sp[0], outSpec}), outSpec, 0)

			// Inbound: the member refuses the outsider.
			before := a.logs.count()
			connected, err := outsider.ConnectAll(within(t, 10*time.Second))
			if err == nil || len(connected) != 0 {
				t.Fatalf("outsider connected to %q (err %v), want a failure", names(connected), err)
			}
			t.Logf("outsider's ConnectAll: %v", err)
			_, _, err = outsider.Request(within(t, 10*time.Second), a.ID(), "echo", msgPing, []byte("let me in"), echoLimits)
			if err == nil {
				t.Fatal("outsider's request to a member succeeded")
			}
			rec, _ := a.logs.wait(within(t, 10*time.Second), t, before, "refusing the outsider", func(r slog.Record) bool {
				s, _ := attrs(r)
				return r.Level == slog.LevelWarn && r.Message == "refused connection from non-member" && s["peer"] == outsider.ID().String()
			})
			t.Logf("member logged: %s", rec.Message)

			// Outbound: the member's gater refuses to dial the outsider,
			// whatever address it is given.
			err = a.h.Connect(within(t, 10*time.Second), peer.AddrInfo{ID: outsider.ID(), Addrs: outsider.Addrs()})
			if !errors.Is(err, swarm.ErrGaterDisallowedConnection) {
				t.Fatalf("member dialling the outsider: %v, want %v", err, swarm.ErrGaterDisallowedConnection)
			}
			if _, err := a.OpenStream(within(t, 10*time.Second), outsider.ID(), "echo", echoLimits); !errors.Is(err, ErrNotMember) {
				t.Fatalf("member opening a stream to the outsider: %v, want ErrNotMember", err)
			}

			if c := a.h.Network().Connectedness(outsider.ID()); c == network.Connected {
				t.Fatalf("member is connected to the outsider (%v)", c)
			}
			// The members still talk to each other; the handler has run
			// only for that.
			if _, _, err := members[1].Request(within(t, 10*time.Second), a.ID(), "echo", msgPing, nil, echoLimits); err != nil {
				t.Fatalf("member request after the outsider: %v", err)
			}
			if n := calls.Load(); n != 1 {
				t.Fatalf("member's handler ran %d times, want 1 (for the other member only)", n)
			}
		})
	}
}

// rawStream opens a stream of protocol name from n to to and negotiates it,
// without the framing of Stream, so a test can write anything.
func rawStream(tb testing.TB, ctx context.Context, n *testNode, to peer.ID, name string) network.Stream {
	tb.Helper()
	if err := n.h.Connect(ctx, peer.AddrInfo{ID: to}); err != nil {
		tb.Fatal(err)
	}
	// The swarm's stream is raw: host.NewStream would negotiate lazily,
	// sending nothing until the first write.
	s, err := n.h.Network().NewStream(ctx, to)
	if err != nil {
		tb.Fatal(err)
	}
	if err := msmux.SelectProtoOrFail(ProtocolID(name), s); err != nil {
		_ = s.Reset()
		tb.Fatal(err)
	}
	return s
}

// isProtocolViolation reports whether err is a stream reset by the peer for
// a protocol violation.
func isProtocolViolation(err error) bool {
	var se *network.StreamError
	return errors.As(err, &se) && se.Remote && se.ErrorCode == network.StreamProtocolViolation
}

// TestMalformedFrames sends a member's handler every kind of bad frame. Each
// time the stream is reset as a protocol violation, the handler's failure is
// logged as a warning naming the peer and the protocol, and the next
// well-formed request from the same member succeeds.
func TestMalformedFrames(t *testing.T) {
	for _, transports := range []string{tcpOnly, quicOnly} {
		t.Run("transport="+transports, func(t *testing.T) {
			nodes := startNodes(t, nil, specs(t, 2, 0, transports), 0)
			a, b := nodes[0], nodes[1]
			a.Handle("echo", echoLimits, echo)
			if _, err := b.ConnectAll(within(t, 10*time.Second)); err != nil {
				t.Fatal(err)
			}
			garbage := make([]byte, 64)
			for i := range garbage {
				garbage[i] = byte(0xff - 7*i)
			}
			from := 0
			for _, tc := range []struct {
				name string
				in   []byte
				want error
			}{
				{"version=2", append([]byte{2}, wire.AppendFrame(nil, msgPing, []byte("x"))[1:]...), wire.ErrVersion},
				{"type=unknown", wire.AppendFrame(nil, 77, []byte("x")), wire.ErrUnknownType},
				{"length=above-limit", wire.AppendFrame(nil, msgPing, make([]byte, 1<<10+1)), wire.ErrTooLarge},
				{"body=truncated", wire.AppendFrame(nil, msgPing, []byte("0123456789"))[:wire.HeaderLen+4], io.ErrUnexpectedEOF},
				{"header=truncated", []byte{wire.Version, byte(msgPing), 0}, io.ErrUnexpectedEOF},
				{"garbage=http", []byte("GET / HTTP/1.1\r\nHost: fednode\r\n\r\n"), wire.ErrVersion},
				{"garbage=bytes", garbage, wire.ErrVersion},
			} {
				t.Run("case="+tc.name, func(t *testing.T) {
					ctx := within(t, 10*time.Second)
					s := rawStream(t, ctx, b, a.ID(), "echo")
					defer s.Reset()
					// The handler may reset the stream before the whole
					// input is written: only the outcome is checked.
					_, _ = s.Write(tc.in)
					_ = s.CloseWrite()
					_, err := s.Read(make([]byte, 1))
					if !isProtocolViolation(err) {
						t.Fatalf("sender read %v, want a reset for a protocol violation", err)
					}
					var rec slog.Record
					rec, from = a.logs.wait(ctx, t, from, "for the handler failure", func(r slog.Record) bool {
						return r.Message == "stream handler failed"
					})
					s2, errs := attrs(rec)
					if rec.Level != slog.LevelWarn || s2["peer"] != b.ID().String() || s2["member"] != b.Self().Name || s2["proto"] != string(ProtocolID("echo")) {
						t.Fatalf("log record %s %q %v, want a warning with peer, member and proto", rec.Level, rec.Message, s2)
					}
					if !errors.Is(errs["err"], tc.want) {
						t.Fatalf("handler failed with %v, want %v", errs["err"], tc.want)
					}
					typ, body, err := b.Request(ctx, a.ID(), "echo", msgPing, []byte("still there?"), echoLimits)
					if err != nil || typ != msgPong || string(body) != b.Self().Name+":still there?" {
						t.Fatalf("well-formed request after the bad frame: type %d %q %v", typ, body, err)
					}
				})
			}
		})
	}
}

// handlerResult is what a test handler saw.
type handlerResult struct {
	err     error
	read    int64 // bytes the handler's stream read
	elapsed time.Duration
}

// recordingHandler reads one message and reports what happened on results.
func recordingHandler(results chan<- handlerResult) HandlerFunc {
	return func(ctx context.Context, from Member, s *Stream) error {
		start := time.Now()
		_, _, err := s.Read(ctx)
		results <- handlerResult{err: err, read: s.nread, elapsed: time.Since(start)}
		return err
	}
}

// TestOversized sends a 64 MiB body to a handler whose limit is 1 MiB. The
// receiver refuses it having read only the frame header, the sender's
// request fails with a protocol-violation reset, and the node still serves.
func TestOversized(t *testing.T) {
	for _, transports := range []string{tcpOnly, quicOnly} {
		t.Run("transport="+transports, func(t *testing.T) {
			nodes := startNodes(t, nil, specs(t, 2, 0, transports), 0)
			a, b := nodes[0], nodes[1]
			results := make(chan handlerResult, 1)
			a.Handle("sink", wire.Limits{msgPing: 1 << 20}, recordingHandler(results))
			a.Handle("echo", echoLimits, echo)

			ctx := within(t, 20*time.Second)
			_, _, err := b.Request(ctx, a.ID(), "sink", msgPing, make([]byte, 64<<20), echoLimits)
			if !isProtocolViolation(err) {
				t.Fatalf("sender: %v, want a reset for a protocol violation", err)
			}
			res := <-results
			if !errors.Is(res.err, wire.ErrTooLarge) {
				t.Fatalf("handler: %v, want wire.ErrTooLarge", res.err)
			}
			if res.read != wire.HeaderLen {
				t.Fatalf("handler read %d bytes, want only the %d-byte header", res.read, wire.HeaderLen)
			}
			if _, _, err := b.Request(ctx, a.ID(), "echo", msgPing, []byte("after"), echoLimits); err != nil {
				t.Fatalf("request after the oversized one: %v", err)
			}
		})
	}
}

// TestStreamTimeout opens streams that stall: before the first byte, inside
// a header, inside a body. The handler is cut off after the stream timeout
// and returns, the stream is reset, and the node still serves.
func TestStreamTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"stall=before-message", nil},
		{"stall=in-header", []byte{wire.Version, byte(msgPing), 0}},
		{"stall=in-body", wire.AppendFrame(nil, msgPing, []byte("0123456789"))[:wire.HeaderLen+3]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := specs(t, 2, 0, tcpOnly)
			c := consortiumOf(t, sp)
			a := startNode(t, c, sp[0], timeout)
			b := startNode(t, c, sp[1], 0)
			results := make(chan handlerResult, 1)
			a.Handle("sink", echoLimits, recordingHandler(results))
			a.Handle("echo", echoLimits, echo)

			ctx := within(t, 10*time.Second)
			s := rawStream(t, ctx, b, a.ID(), "sink")
			defer s.Reset()
			if len(tc.in) > 0 {
				if _, err := s.Write(tc.in); err != nil {
					t.Fatal(err)
				}
			}
			var res handlerResult
			select {
			case res = <-results:
			case <-ctx.Done():
				t.Fatal("handler still running after 10 s")
			}
			if !errors.Is(res.err, os.ErrDeadlineExceeded) {
				t.Fatalf("handler: %v, want os.ErrDeadlineExceeded", res.err)
			}
			if res.elapsed < timeout-10*time.Millisecond {
				t.Fatalf("handler cut off after %v, before the %v timeout", res.elapsed, timeout)
			}
			if _, err := s.Read(make([]byte, 1)); !errors.Is(err, network.ErrReset) {
				t.Fatalf("staller read %v, want a reset", err)
			}
			if _, _, err := b.Request(ctx, a.ID(), "echo", msgPing, nil, echoLimits); err != nil {
				t.Fatalf("request after the stall: %v", err)
			}
		})
	}
}

// TestChunked moves a chunked message each way over a stream.
func TestChunked(t *testing.T) {
	const maxChunk = 64 << 10
	limits := wire.Limits{msgPing: 1 << 20, msgPong: 16}
	nodes := startNodes(t, nil, specs(t, 2, 0, both), 0)
	a, b := nodes[0], nodes[1]
	a.Handle("sum", limits, func(ctx context.Context, from Member, s *Stream) error {
		var total, n int
		typ, count, err := s.ReadChunks(ctx, maxChunk, func(typ wire.Type, chunk []byte) error {
			for _, c := range chunk {
				total += int(c)
			}
			n++
			return nil
		})
		if err != nil {
			return err
		}
		if typ != msgPing || count != n {
			return fmt.Errorf("type %d, %d chunks announced, %d read", typ, count, n)
		}
		return s.Write(ctx, msgPong, fmt.Appendf(nil, "%d/%d", n, total))
	})
	chunks := make([][]byte, 9)
	want := 0
	for i := range chunks {
		chunks[i] = make([]byte, i*7000)
		for j := range chunks[i] {
			chunks[i][j] = byte(i + j)
			want += int(byte(i + j))
		}
	}
	ctx := within(t, 10*time.Second)
	s, err := b.OpenStream(ctx, a.ID(), "sum", limits)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteChunks(ctx, msgPing, chunks); err != nil {
		t.Fatal(err)
	}
	typ, body, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%d/%d", len(chunks), want); typ != msgPong || string(body) != got {
		t.Fatalf("reply type %d %q, want %q", typ, body, got)
	}
	if s.Remote().Name != a.Self().Name || s.Protocol() != ProtocolID("sum") {
		t.Fatalf("stream to %s on %s", s.Remote().Name, s.Protocol())
	}
}

// TestCloseStopsHandlers checks that Close cancels the handlers' context
// and waits for them.
func TestCloseStopsHandlers(t *testing.T) {
	sp := specs(t, 2, 0, tcpOnly)
	c := consortiumOf(t, sp)
	a := startNode(t, c, sp[0], time.Hour)
	b := startNode(t, c, sp[1], 0)
	started, returned := make(chan struct{}), make(chan error, 1)
	a.Handle("wait", echoLimits, func(ctx context.Context, from Member, s *Stream) error {
		close(started)
		<-ctx.Done()
		returned <- ctx.Err()
		return ctx.Err()
	})
	ctx := within(t, 10*time.Second)
	s, err := b.OpenStream(ctx, a.ID(), "wait", echoLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Reset()
	if err := s.Write(ctx, msgPing, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("handler did not start")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-returned:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("handler context ended with %v", err)
		}
	default:
		t.Fatal("Close returned before the handler did")
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// strangerConn and strangerStream stand in for a stream from a peer the
// gater would have refused: the handler wrapper must refuse it again.
type strangerConn struct {
	network.Conn
	id peer.ID
}

func (c strangerConn) RemotePeer() peer.ID { return c.id }

type strangerStream struct {
	network.Stream
	conn  strangerConn
	reset chan struct{}
}

func (s *strangerStream) Conn() network.Conn { return s.conn }
func (s *strangerStream) Reset() error       { close(s.reset); return nil }

func TestServeRefusesNonMemberStream(t *testing.T) {
	nodes := startNodes(t, nil, specs(t, 1, 0, tcpOnly), 0)
	a := nodes[0]
	s := &strangerStream{conn: strangerConn{id: testID(t, 77)}, reset: make(chan struct{})}
	ran := false
	a.serve(ProtocolID("echo"), echoLimits, func(context.Context, Member, *Stream) error { ran = true; return nil }, s)
	if ran {
		t.Fatal("handler ran for a non-member")
	}
	select {
	case <-s.reset:
	default:
		t.Fatal("stream from a non-member was not reset")
	}
	rec, _ := a.logs.wait(within(t, time.Second), t, 0, "for the stranger", func(r slog.Record) bool {
		return r.Message == "unauthenticated stream"
	})
	if s2, _ := attrs(rec); rec.Level != slog.LevelWarn || s2["peer"] != testID(t, 77).String() || s2["proto"] != string(ProtocolID("echo")) {
		t.Fatalf("logged %s %q %v", rec.Level, rec.Message, s2)
	}
}
