// Package federation is a node's place in its consortium's mesh: a libp2p
// host that connects only to the members listed in the consortium file, and
// request/response and streaming protocols between them, framed by
// federation/wire.
//
// # Membership
//
// A [Consortium] lists every member's name, peer ID and addresses. The
// [Host] refuses, in both directions and at every stage of a connection, any
// peer that is not listed, and refuses to start under an identity that is not
// listed. There is no discovery, relay, NAT traversal or DHT: members dial
// each other at the addresses in the file.
//
// # Protocols
//
// Each protocol is a libp2p stream protocol /fednode/<name>/1.0.0. A handler
// registered with [Host.Handle] gets the authenticated [Member] and a
// [Stream] whose reads are checked against the protocol's [wire.Limits] and
// bounded by a per-message timeout. A handler that fails (a malformed
// message is a failure) has its stream reset and logged; the node keeps
// serving. [Host.Request] is the one-message-each-way case.
//
// # Logging
//
// The Host logs to the [log/slog.Logger] in its [Config]. It never touches
// process-wide logging: libp2p's own logs go wherever the program routes
// them, which for fednode is cmd/fednode calling gologshim.SetDefaultHandler
// once at start-up (the handler is process-global and fixed by libp2p's
// first log line, so a library must not set it).
//
// This package moves the bytes its own node hands it and nothing else: it
// never sees plaintext data beyond what its node gives it, never lets a
// non-member in, and never crashes or changes state on anything a peer
// sends. It never imports privacy, models or the store.
package federation

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/fednode/fednode/federation/wire"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	tls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// Protocol naming: every fednode protocol is ProtocolPrefix + name + "/" +
// ProtocolVersion.
const (
	ProtocolPrefix  = "/fednode/"
	ProtocolVersion = "1.0.0"
)

// ServiceName is the libp2p resource-manager service every fednode stream is
// attached to; its limits cap the streams a member can hold open at once.
const ServiceName = "fednode"

// Defaults for the zero values of [Config].
const (
	DefaultStreamTimeout = 30 * time.Second
	DefaultDialTimeout   = 10 * time.Second
)

// Stream limits of the fednode service (see [ServiceName]): at most this
// many fednode streams open at once from or to one member, and in total.
const (
	maxStreamsPerPeer = 32
	maxStreams        = 1024
)

// ErrNotMember is returned for an operation on a peer that is not a member
// of the consortium.
var ErrNotMember = errors.New("not a consortium member")

// ProtocolID returns the libp2p protocol ID of the fednode protocol name:
// /fednode/<name>/1.0.0.
func ProtocolID(name string) protocol.ID {
	return protocol.ID(ProtocolPrefix + name + "/" + ProtocolVersion)
}

// Config configures a [Host].
type Config struct {
	// Identity is the node's Ed25519 private key; its peer ID must be a
	// member of Consortium.
	Identity ed25519.PrivateKey
	// Listen are the multiaddresses to listen on (TCP and QUIC v1), for
	// example /ip4/0.0.0.0/tcp/4001 and /ip4/0.0.0.0/udp/4001/quic-v1. Every
	// one must be bound or New fails. Empty: dial out only.
	Listen []string
	// Consortium lists the members; it is the only source of peers.
	Consortium *Consortium
	// Logger receives the host's logs. Nil: logs are discarded.
	Logger *slog.Logger
	// StreamTimeout bounds each message read or written on a stream, and
	// how long a stream may sit idle before its first message. Zero:
	// DefaultStreamTimeout.
	StreamTimeout time.Duration
	// DialTimeout bounds each connection attempt. Zero: DefaultDialTimeout.
	DialTimeout time.Duration
}

// Validate checks c, naming the first bad field.
func (c *Config) Validate() error {
	if len(c.Identity) != ed25519.PrivateKeySize {
		return fmt.Errorf("federation config Identity: %d bytes, want an Ed25519 private key of %d", len(c.Identity), ed25519.PrivateKeySize)
	}
	if c.Consortium == nil {
		return errors.New("federation config Consortium: missing")
	}
	seen := make(map[string]bool, len(c.Listen))
	for _, s := range c.Listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("federation config Listen: %q: %w", s, err)
		}
		if seen[a.String()] {
			return fmt.Errorf("federation config Listen: %s listed twice", a)
		}
		seen[a.String()] = true
	}
	if c.StreamTimeout < 0 {
		return fmt.Errorf("federation config StreamTimeout: %v is negative", c.StreamTimeout)
	}
	if c.DialTimeout < 0 {
		return fmt.Errorf("federation config DialTimeout: %v is negative", c.DialTimeout)
	}
	return nil
}

// A Host is a node's libp2p host in the consortium mesh. Its methods are safe
// for concurrent use.
type Host struct {
	h           host.Host
	members     *Consortium
	self        Member
	log         *slog.Logger
	timeout     time.Duration
	dialTimeout time.Duration

	// ctx is the context handlers run under: it lives as long as the host
	// and is cancelled by Close.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	handlers sync.WaitGroup // running stream handlers

	closeOnce sync.Once
	closeErr  error
}

// A HandlerFunc serves one inbound stream of a protocol from member from. It
// must return when ctx is done (the host is closing) and must not panic on
// anything the peer sends. Returning an error resets the stream and logs a
// warning; returning nil closes the stream.
type HandlerFunc func(ctx context.Context, from Member, s *Stream) error

// New starts a host with cfg: TCP and QUIC v1 transports, TLS 1.3 and Noise
// security, yamux, a connection gater that admits only members, and none of
// relay, NAT port mapping, hole punching, address discovery, DHT, mDNS, ping
// or metrics. Members' addresses from the consortium file are the only ones
// it dials.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("federation host: %w", err)
	}
	key, err := crypto.UnmarshalEd25519PrivateKey(cfg.Identity)
	if err != nil {
		return nil, fmt.Errorf("federation host identity: %w", err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("federation host identity: %w", err)
	}
	self, ok := cfg.Consortium.Member(id)
	if !ok {
		return nil, fmt.Errorf("federation host identity %s: %w", id, ErrNotMember)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("node", self.Name)
	timeout := orDefault(cfg.StreamTimeout, DefaultStreamTimeout)
	dialTimeout := orDefault(cfg.DialTimeout, DefaultDialTimeout)

	rm, err := newResourceManager(cfg.Consortium.Len())
	if err != nil {
		return nil, fmt.Errorf("federation host resource manager: %w", err)
	}
	lh, err := libp2p.New(
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(cfg.Listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(tls.ID, tls.New),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionGater(&gater{members: cfg.Consortium, log: log}),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(connmgr.NullConnMgr{}),
		libp2p.DisableRelay(),
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.Ping(false),
		libp2p.DisableMetrics(),
		libp2p.UserAgent("fednode"),
		libp2p.WithDialTimeout(dialTimeout),
	)
	if err != nil {
		_ = rm.Close()
		return nil, fmt.Errorf("federation host: %w", err)
	}
	// libp2p starts if any listen address is bound; a node that silently
	// lacks a transport it was told to offer is misconfigured.
	if got := lh.Network().ListenAddresses(); len(got) < len(cfg.Listen) {
		_ = lh.Close()
		return nil, fmt.Errorf("federation host: bound only %v of %v (is a port in use?)", got, cfg.Listen)
	}
	for _, m := range cfg.Consortium.Members() {
		if m.ID != id && len(m.Addrs) > 0 {
			lh.Peerstore().AddAddrs(m.ID, m.Addrs, peerstore.PermanentAddrTTL)
		}
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h := &Host{
		h:           lh,
		members:     cfg.Consortium,
		self:        self,
		log:         log,
		timeout:     timeout,
		dialTimeout: dialTimeout,
		ctx:         hctx,
		cancel:      cancel,
	}
	log.Info("federation host started", "peer", id, "addrs", lh.Addrs(), "members", cfg.Consortium.Len())
	return h, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// newResourceManager returns libp2p's default limits, scaled to this
// machine, with room for every member to hold a connection per transport in
// each direction, and the fednode service capped per peer.
func newResourceManager(members int) (network.ResourceManager, error) {
	// A copy of the package-level defaults, with maps of its own, so that
	// adding limits never writes to state other hosts share.
	limits := rcmgr.DefaultLimits
	limits.ServiceLimits = maps.Clone(limits.ServiceLimits)
	limits.ServicePeerLimits = maps.Clone(limits.ServicePeerLimits)
	limits.ProtocolLimits = maps.Clone(limits.ProtocolLimits)
	limits.ProtocolPeerLimits = maps.Clone(limits.ProtocolPeerLimits)
	limits.PeerLimits = maps.Clone(limits.PeerLimits)
	libp2p.SetDefaultServiceLimits(&limits)
	conns := 4 * members
	sys := &limits.SystemBaseLimit
	sys.ConnsInbound = max(sys.ConnsInbound, conns)
	sys.ConnsOutbound = max(sys.ConnsOutbound, conns)
	sys.Conns = max(sys.Conns, 2*conns)
	sys.FD = max(sys.FD, 2*conns)
	limits.AddServiceLimit(ServiceName,
		rcmgr.BaseLimit{StreamsInbound: maxStreams, StreamsOutbound: maxStreams, Streams: 2 * maxStreams, Memory: 64 << 20},
		rcmgr.BaseLimitIncrease{})
	limits.AddServicePeerLimit(ServiceName,
		rcmgr.BaseLimit{StreamsInbound: maxStreamsPerPeer, StreamsOutbound: maxStreamsPerPeer, Streams: 2 * maxStreamsPerPeer, Memory: 16 << 20},
		rcmgr.BaseLimitIncrease{})
	return rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
}

// Close stops serving, closes every connection and listener, and waits for
// running handlers to return. It is safe to call more than once.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		h.mu.Lock()
		h.closed = true
		h.mu.Unlock()
		h.cancel()
		if err := h.h.Close(); err != nil {
			h.closeErr = fmt.Errorf("federation host close: %w", err)
		}
		h.handlers.Wait()
		h.log.Info("federation host closed")
	})
	return h.closeErr
}

// enter registers a handler about to run, unless the host is closing.
func (h *Host) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.handlers.Add(1)
	return true
}

// ID returns the node's peer ID.
func (h *Host) ID() peer.ID { return h.h.ID() }

// Self returns the node's own entry in the consortium.
func (h *Host) Self() Member { return h.self.clone() }

// Consortium returns the consortium the host admits.
func (h *Host) Consortium() *Consortium { return h.members }

// Addrs returns the addresses the host listens on, as peers can dial them.
func (h *Host) Addrs() []ma.Multiaddr { return h.h.Addrs() }

// ConnectAll dials every other member at the addresses in the consortium
// file, concurrently, each within the dial timeout. It returns the members
// now connected, in file order, and the failures joined, one per member.
//
// A member counts as connected if it already was, or once identify has
// succeeded on the new connection: libp2p's own Connect reports success as
// soon as this side of the handshake is done and identify has ended,
// successfully or not, even when the peer's gater has closed the connection
// because its consortium file does not list this node.
func (h *Host) ConnectAll(ctx context.Context) ([]Member, error) {
	others := h.others()
	w, err := h.watchIdentify(others)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	errs := make([]error, len(others))
	var wg sync.WaitGroup
	for i, m := range others {
		wg.Go(func() {
			if h.connected(m.ID) {
				return
			}
			dctx, cancel := context.WithTimeout(ctx, h.dialTimeout)
			defer cancel()
			if err := h.h.Connect(dctx, peer.AddrInfo{ID: m.ID, Addrs: m.Addrs}); err != nil {
				errs[i] = fmt.Errorf("connect %s: %w", m, err)
				return
			}
			if !h.connected(m.ID) {
				errs[i] = fmt.Errorf("connect %s: %w", m, errRefused)
				return
			}
			if err := w.wait(dctx, m.ID); err != nil {
				errs[i] = fmt.Errorf("connect %s: %w: identify: %w", m, errRefused, err)
			}
		})
	}
	wg.Wait()
	w.close()
	var connected []Member
	for i, m := range others {
		if errs[i] == nil {
			connected = append(connected, m)
		}
	}
	return connected, errors.Join(errs...)
}

// errRefused explains a connection the peer closed right after the
// handshake: its gater refused this node.
var errRefused = errors.New("the peer closed the connection after the handshake (does its consortium file list this node?)")

// An identifyWatch records, per peer, the first outcome of identify seen
// while it watches: nil for success, the reason for failure.
type identifyWatch struct {
	sub     event.Subscription
	drained chan struct{}
	mu      sync.Mutex
	results map[peer.ID]*identifyResult
}

type identifyResult struct {
	done chan struct{} // closed once err is set
	err  error
}

// watchIdentify starts recording identify outcomes for members. The caller
// must call close.
func (h *Host) watchIdentify(members []Member) (*identifyWatch, error) {
	sub, err := h.h.EventBus().Subscribe(
		[]any{new(event.EvtPeerIdentificationCompleted), new(event.EvtPeerIdentificationFailed)},
		eventbus.BufSize(64))
	if err != nil {
		return nil, fmt.Errorf("watch identify: %w", err)
	}
	w := &identifyWatch{sub: sub, drained: make(chan struct{}), results: make(map[peer.ID]*identifyResult, len(members))}
	for _, m := range members {
		w.results[m.ID] = &identifyResult{done: make(chan struct{})}
	}
	go w.drain()
	return w, nil
}

// drain reads events until the subscription closes; it never blocks the
// event bus for long, since emitters wait on a full buffer.
func (w *identifyWatch) drain() {
	defer close(w.drained)
	for e := range w.sub.Out() {
		switch e := e.(type) {
		case event.EvtPeerIdentificationCompleted:
			w.settle(e.Peer, nil)
		case event.EvtPeerIdentificationFailed:
			w.settle(e.Peer, e.Reason)
		}
	}
}

func (w *identifyWatch) settle(id peer.ID, err error) {
	r, ok := w.results[id]
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-r.done:
	default:
		r.err = err
		close(r.done)
	}
}

// wait returns identify's outcome for id. libp2p emits it before Connect
// returns, so after a Connect it only waits for drain to catch up.
func (w *identifyWatch) wait(ctx context.Context, id peer.ID) error {
	r := w.results[id]
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *identifyWatch) close() {
	_ = w.sub.Close()
	<-w.drained
}

// Connected returns the other members the host has a live connection to, in
// file order.
func (h *Host) Connected() []Member {
	return slices.DeleteFunc(h.others(), func(m Member) bool { return !h.connected(m.ID) })
}

// connected reports whether the host has an open connection to id.
func (h *Host) connected(id peer.ID) bool {
	for _, c := range h.h.Network().ConnsToPeer(id) {
		if !c.IsClosed() {
			return true
		}
	}
	return false
}

func (h *Host) others() []Member {
	return slices.DeleteFunc(h.members.Members(), func(m Member) bool { return m.ID == h.self.ID })
}

// Handle serves protocol name (see [ProtocolID]) with handler, replacing any
// handler it had. Each inbound stream is checked to come from a member (it
// is reset otherwise), is read with limits and gets the host's stream
// timeout as its deadline until its first message. Handle panics if name is
// not a valid protocol name (as a member name), limits is empty or handler
// is nil: all are programmer errors.
func (h *Host) Handle(name string, limits wire.Limits, handler HandlerFunc) {
	if err := validateName(name); err != nil {
		panic("federation: Handle: protocol name " + err.Error())
	}
	if len(limits) == 0 {
		panic("federation: Handle " + name + ": no message types in limits")
	}
	if handler == nil {
		panic("federation: Handle " + name + ": nil handler")
	}
	limits = maps.Clone(limits)
	pid := ProtocolID(name)
	h.h.SetStreamHandler(pid, func(s network.Stream) { h.serve(pid, limits, handler, s) })
}

// RemoveHandler stops serving protocol name. Streams already open continue.
func (h *Host) RemoveHandler(name string) { h.h.RemoveStreamHandler(ProtocolID(name)) }

// serve runs handler on inbound stream s of protocol pid.
func (h *Host) serve(pid protocol.ID, limits wire.Limits, handler HandlerFunc, s network.Stream) {
	remote := s.Conn().RemotePeer()
	from, ok := h.members.Member(remote)
	if !ok {
		// The gater makes this unreachable; checked again because a
		// handler must never run for a non-member.
		h.log.Warn("unauthenticated stream", "peer", remote, "proto", pid)
		_ = s.Reset()
		return
	}
	if !h.enter() {
		_ = s.Reset()
		return
	}
	defer h.handlers.Done()
	if err := s.Scope().SetService(ServiceName); err != nil {
		h.log.Warn("refused stream", "peer", remote, "member", from.Name, "proto", pid, "reason", "stream limit", "err", err)
		_ = s.ResetWithError(network.StreamResourceLimitExceeded)
		return
	}
	st := newStream(s, from, limits, h.timeout)
	if err := s.SetDeadline(time.Now().Add(h.timeout)); err != nil {
		h.log.Warn("refused stream", "peer", remote, "member", from.Name, "proto", pid, "reason", "deadline", "err", err)
		_ = s.Reset()
		return
	}
	h.log.Debug("stream opened", "peer", remote, "member", from.Name, "proto", pid)
	if err := handler(h.ctx, from, st); err != nil {
		h.log.Warn("stream handler failed", "peer", remote, "member", from.Name, "proto", pid, "err", err)
		st.fail(err)
		return
	}
	_ = s.Close()
}

// OpenStream opens a stream of protocol name (see [ProtocolID]) to member
// to, dialling it if needed; replies are read with limits. The caller must
// Close or Reset the stream.
func (h *Host) OpenStream(ctx context.Context, to peer.ID, name string, limits wire.Limits) (*Stream, error) {
	if err := validateName(name); err != nil {
		return nil, fmt.Errorf("open stream: protocol name %w", err)
	}
	pid := ProtocolID(name)
	m, ok := h.members.Member(to)
	if !ok {
		return nil, fmt.Errorf("open %s to %s: %w", pid, to, ErrNotMember)
	}
	if to == h.self.ID {
		return nil, fmt.Errorf("open %s to %s: that is this node", pid, m.Name)
	}
	s, err := h.h.NewStream(ctx, to, pid)
	if err != nil {
		return nil, fmt.Errorf("open %s to %s: %w", pid, m.Name, err)
	}
	if err := s.Scope().SetService(ServiceName); err != nil {
		_ = s.ResetWithError(network.StreamResourceLimitExceeded)
		return nil, fmt.Errorf("open %s to %s: %w", pid, m.Name, err)
	}
	if err := s.SetDeadline(time.Now().Add(h.timeout)); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("open %s to %s: %w", pid, m.Name, err)
	}
	return newStream(s, m, maps.Clone(limits), h.timeout), nil
}

// Request sends one message of typ carrying body to member to on protocol
// name and returns its one reply, read with limits: the common exchange.
// Each message is bounded by the stream timeout and by ctx.
func (h *Host) Request(ctx context.Context, to peer.ID, name string, typ wire.Type, body []byte, limits wire.Limits) (wire.Type, []byte, error) {
	s, err := h.OpenStream(ctx, to, name, limits)
	if err != nil {
		return 0, nil, err
	}
	if err := s.Write(ctx, typ, body); err != nil {
		_ = s.Reset()
		return 0, nil, err
	}
	// Closing the write side tells the handler no second message follows.
	// It can fail without harm: a handler that has read its message may
	// close its read side first, and over QUIC that cancels our write side.
	// The reply decides the outcome.
	_ = s.CloseWrite()
	rt, rb, err := s.Read(ctx)
	if err != nil {
		_ = s.Reset()
		if errors.Is(err, io.EOF) {
			return 0, nil, fmt.Errorf("%s to %s: stream closed without a reply: %w", s.Protocol(), s.remote.Name, err)
		}
		return 0, nil, err
	}
	_ = s.Close()
	return rt, rb, nil
}
