package federation

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// testKey returns a deterministic Ed25519 key, different for each i.
func testKey(i int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, fmt.Sprintf("fednode-federation-test-key-%04d", i))
	return ed25519.NewKeyFromSeed(seed)
}

// testID returns the peer ID of testKey(i).
func testID(tb testing.TB, i int) peer.ID {
	tb.Helper()
	pub, err := crypto.UnmarshalEd25519PublicKey(testKey(i).Public().(ed25519.PublicKey))
	if err != nil {
		tb.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// Transports a test node listens on.
const (
	tcpOnly  = "tcp"
	quicOnly = "quic"
	both     = "tcp+quic"
)

// freePort returns a port on 127.0.0.1 that was free a moment ago for
// network ("tcp" or "udp"). Hosts must know each other's addresses before
// they start, so tests reserve ports rather than listening on port 0. If
// another process took the port in between, New fails (it requires every
// listen address to be bound): a loud failure, never a wrong result.
func freePort(tb testing.TB, network string) int {
	tb.Helper()
	switch network {
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	default:
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
}

// loopbackListen returns listen addresses on 127.0.0.1 for transports.
func loopbackListen(tb testing.TB, transports string) []string {
	tb.Helper()
	var addrs []string
	if transports != quicOnly {
		addrs = append(addrs, fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", freePort(tb, "tcp")))
	}
	if transports != tcpOnly {
		addrs = append(addrs, fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", freePort(tb, "udp")))
	}
	return addrs
}

// nodeSpec describes one test node: its name, key index and listen
// addresses.
type nodeSpec struct {
	name   string
	key    int
	listen []string
}

// consortiumOf builds a consortium from specs.
func consortiumOf(tb testing.TB, specs []nodeSpec) *Consortium {
	tb.Helper()
	members := make([]Member, len(specs))
	for i, s := range specs {
		addrs := make([]ma.Multiaddr, len(s.listen))
		for j, a := range s.listen {
			addrs[j] = ma.StringCast(a)
		}
		members[i] = Member{Name: s.name, ID: testID(tb, s.key), Addrs: addrs}
	}
	c, err := NewConsortium("test-consortium", members)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// logRecorder is a slog.Handler that keeps warnings and errors for tests to
// wait on, and writes every record to the test's output while the test runs.
type logRecorder struct {
	mu      sync.Mutex
	out     slog.Handler // nil once the test has finished
	records []slog.Record
	changed chan struct{} // closed and replaced on every kept record
	attrs   []slog.Attr
	shared  *logRecorder // the recorder holding state; self for the root
}

func newLogRecorder(tb testing.TB) *logRecorder {
	level := slog.LevelDebug
	if _, ok := tb.(*testing.B); ok {
		level = slog.LevelWarn // benchmark output is always printed
	}
	r := &logRecorder{
		out:     slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: level}),
		changed: make(chan struct{}),
	}
	r.shared = r
	tb.Cleanup(func() {
		r.mu.Lock()
		r.out = nil
		r.mu.Unlock()
	})
	return r
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(ctx context.Context, rec slog.Record) error {
	s := r.shared
	rec = rec.Clone()
	rec.AddAttrs(r.attrs...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out != nil && s.out.Enabled(ctx, rec.Level) {
		_ = s.out.Handle(ctx, rec)
	}
	if rec.Level >= slog.LevelWarn {
		s.records = append(s.records, rec)
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return nil
}

func (r *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logRecorder{shared: r.shared, attrs: append(slices.Clone(r.attrs), as...)}
}

func (r *logRecorder) WithGroup(string) slog.Handler { return r }

// attrs returns a record's attributes as strings, and its errors.
func attrs(rec slog.Record) (map[string]string, map[string]error) {
	s, e := map[string]string{}, map[string]error{}
	rec.Attrs(func(a slog.Attr) bool {
		s[a.Key] = a.Value.String()
		if err, ok := a.Value.Any().(error); ok {
			e[a.Key] = err
		}
		return true
	})
	return s, e
}

// wait returns the first kept record, from index from on, for which match
// is true, and the index after it; it fails the test if none comes before
// ctx ends.
func (r *logRecorder) wait(ctx context.Context, tb testing.TB, from int, what string, match func(slog.Record) bool) (slog.Record, int) {
	tb.Helper()
	s := r.shared
	for {
		s.mu.Lock()
		for i := from; i < len(s.records); i++ {
			if match(s.records[i]) {
				rec := s.records[i]
				s.mu.Unlock()
				return rec, i + 1
			}
		}
		from = len(s.records)
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			tb.Fatalf("no log record %s: %v", what, ctx.Err())
		}
	}
}

// count returns the number of kept records.
func (r *logRecorder) count() int {
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	return len(r.shared.records)
}

// testNode is a running host with its recorder.
type testNode struct {
	*Host
	logs *logRecorder
}

// startNodes starts one host per spec, all under consortium c (nil: the
// consortium of specs), and closes them at the end of the test.
func startNodes(tb testing.TB, c *Consortium, specs []nodeSpec, timeout time.Duration) []*testNode {
	tb.Helper()
	if c == nil {
		c = consortiumOf(tb, specs)
	}
	nodes := make([]*testNode, len(specs))
	for i, s := range specs {
		nodes[i] = startNode(tb, c, s, timeout)
	}
	return nodes
}

func startNode(tb testing.TB, c *Consortium, s nodeSpec, timeout time.Duration) *testNode {
	tb.Helper()
	logs := newLogRecorder(tb)
	h, err := New(tb.Context(), Config{
		Identity:      testKey(s.key),
		Listen:        s.listen,
		Consortium:    c,
		Logger:        slog.New(logs),
		StreamTimeout: timeout,
		DialTimeout:   5 * time.Second,
	})
	if err != nil {
		tb.Fatalf("start %s: %v", s.name, err)
	}
	tb.Cleanup(func() {
		if err := h.Close(); err != nil {
			tb.Errorf("close %s: %v", s.name, err)
		}
	})
	return &testNode{Host: h, logs: logs}
}

// specs returns n node specs named org-0... listening on transports, with
// key indices from base.
func specs(tb testing.TB, n, base int, transports string) []nodeSpec {
	tb.Helper()
	out := make([]nodeSpec, n)
	for i := range out {
		out[i] = nodeSpec{name: fmt.Sprintf("org-%d", base+i), key: base + i, listen: loopbackListen(tb, transports)}
	}
	return out
}

// names returns the names of members.
func names(ms []Member) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.Name
	}
	return strings.Join(s, ",")
}
