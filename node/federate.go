package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fednode/fednode/federation"
	"github.com/fednode/fednode/federation/job"
	"github.com/fednode/fednode/federation/mhe"
	"github.com/fednode/fednode/federation/wire"
	"github.com/fednode/fednode/node/audit"
	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/ledger"
)

// Protocol names and message types of federated jobs.
const (
	protoJob    = "job"
	protoShamir = "shamir"
)

const (
	tPropose      wire.Type = 1  // coordinator → participant: signed spec
	tAccept       wire.Type = 2  // participant: accepted or refused, with reason
	tSetup        wire.Type = 3  // coordinator: generate keys, exchange Shamir shares
	tKeyShare     wire.Type = 4  // participant: collective-key share
	tKey          wire.Type = 5  // coordinator: every participant's key share
	tKeyOK        wire.Type = 6  // participant: digest of the collective key it derived
	tRound        wire.Type = 7  // coordinator: contribute to a round
	tContribution wire.Type = 8  // participant: signed header, then ciphertext chunks
	tDecrypt      wire.Type = 9  // coordinator: signed contributions to sum and decrypt
	tShare        wire.Type = 10 // participant: decryption share chunks
	tResult       wire.Type = 11 // coordinator: the noised result of a round
	tAck          wire.Type = 12
	tAbort        wire.Type = 13
	tChallenge    wire.Type = 14 // quorum member: a fresh seed for the linear-hash check
	tHashReq      wire.Type = 15 // coordinator → contributor: hash your contribution under this seed
	tHash         wire.Type = 16 // contributor: its signed hash
	tHashes       wire.Type = 17 // coordinator → quorum member: every contributor's signed hash
	tShamirShare  wire.Type = 20 // participant → participant: a Shamir share, privately
)

// maxControl bounds control messages; chunked messages are bounded by the
// job's size (chunks × ciphertext size) and a hard cap.
const (
	maxControl = 1 << 20
	maxBulk    = 2 << 30
)

func jobLimits() wire.Limits {
	return wire.Limits{tPropose: maxControl, tAccept: maxControl, tSetup: maxControl, tKeyShare: maxControl,
		tKey: 8 * maxControl, tKeyOK: maxControl, tRound: maxControl, tContribution: maxBulk, tDecrypt: maxBulk,
		tShare: maxBulk, tResult: maxControl, tAck: maxControl, tAbort: maxControl,
		tChallenge: maxControl, tHashReq: maxControl, tHash: maxControl, tHashes: maxControl}
}

func shamirLimits() wire.Limits { return wire.Limits{tShamirShare: maxControl, tAck: maxControl} }

// Errors of federated jobs.
var (
	ErrRefused     = errors.New("job refused")
	ErrShareReused = errors.New("a decryption share was already produced for this ciphertext")
	ErrUnknownJob  = errors.New("unknown job or round")
)

// Federation is a node serving its consortium: it takes part in jobs other
// members coordinate and coordinates the jobs its operator starts.
type Federation struct {
	n    *Node
	host *federation.Host
	log  *slog.Logger

	mu         sync.Mutex
	jobs       map[string]*participation
	stopExpire context.CancelFunc

	noiseOff bool // tests only: contributions carry no noise (their cost is still charged)

	benchValues int           // > 0: this node accepts "bench-sum" jobs of random vectors (benchmarks only)
	metrics     *roundMetrics // timings of this node's roles, when set

	// Failure injection, tests only: an error stops the node at that point.
	afterCharge func() error // between a round's durable charge and its contribution
	beforeShare func() error // when asked for a decryption share, before the digest is recorded
}

// Serve starts the node's libp2p host in the consortium and registers the
// job protocols. Close the Federation before the Node.
func (n *Node) Serve(ctx context.Context, cons *federation.Consortium, listen []string) (*Federation, error) {
	if listen == nil {
		listen = n.cfg.Listen
	}
	h, err := federation.New(ctx, federation.Config{Identity: n.identity, Listen: listen, Consortium: cons, Logger: n.log})
	if err != nil {
		return nil, err
	}
	f := &Federation{n: n, host: h, log: n.log, jobs: map[string]*participation{}}
	ectx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.stopExpire = cancel
	go f.expireLoop(ectx)
	h.Handle(protoJob, jobLimits(), f.serveJob)
	h.Handle(protoShamir, shamirLimits(), f.serveShamir)
	return f, nil
}

// Host returns the node's libp2p host.
func (f *Federation) Host() *federation.Host { return f.host }

// Close stops serving; jobs in flight are abandoned.
func (f *Federation) Close() error {
	f.stopExpire()
	return f.host.Close()
}

// participation is this node's state in one job.
type participation struct {
	spec   *job.Spec
	signed *job.Signed
	coord  federation.Member
	kind   kindPlan
	party  *mhe.Party
	pk     *mhe.PublicKey
	keyShr map[string][]byte // coordinator only: key shares by participant

	mu         sync.Mutex
	seen       atomic.Int64    // Unix nanoseconds of the last message about this job
	shamirIn   chan struct{}   // closed when every Shamir share arrived
	shamirFrom map[uint64]bool // points whose share arrived
	round      int             // last round contributed to
	attempt    int
	contribOK  bool
	own        []*mhe.Ciphertext // this node's contribution to that attempt, for hash challenges
	digest     string
}

func (f *Federation) get(id string) (*participation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.jobs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownJob, id)
	}
	p.seen.Store(time.Now().UnixNano())
	return p, nil
}

// JobIdleTimeout is how long a job this node takes part in may go without a
// message from its coordinator before the node forgets it (and its key
// shares). A coordinator that vanished mid-job leaves nothing behind.
const JobIdleTimeout = 15 * time.Minute

// expire forgets the jobs idle since before cutoff and returns their ids.
func (f *Federation) expire(cutoff time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var gone []string
	for id, p := range f.jobs {
		if p.seen.Load() < cutoff.UnixNano() {
			delete(f.jobs, id)
			gone = append(gone, id)
		}
	}
	return gone
}

// expireLoop runs expire until ctx is done.
func (f *Federation) expireLoop(ctx context.Context) {
	t := time.NewTicker(JobIdleTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, id := range f.expire(now.Add(-JobIdleTimeout)) {
				f.log.Warn("job forgotten: no word from its coordinator", "job", id, "idle", JobIdleTimeout)
			}
		}
	}
}

// serveJob handles one message of the job protocol from a coordinator.
func (f *Federation) serveJob(ctx context.Context, from federation.Member, s *federation.Stream) error {
	typ, body, err := s.Read(ctx)
	if err != nil {
		return err
	}
	switch typ {
	case tPropose:
		return f.onPropose(ctx, from, s, body)
	case tSetup:
		return f.onSetup(ctx, from, s, body)
	case tKey:
		return f.onKey(ctx, from, s, body)
	case tRound:
		return f.onRound(ctx, from, s, body)
	case tDecrypt:
		return f.onDecrypt(ctx, from, s, body)
	case tResult:
		return f.onResult(ctx, from, s, body)
	case tHashReq:
		return f.onHashReq(ctx, from, s, body)
	case tAbort:
		var m abortMsg
		if decodeMsg(body, &m) == nil {
			f.mu.Lock()
			if p, ok := f.jobs[m.Job]; ok && p.coord.ID == from.ID {
				delete(f.jobs, m.Job)
			}
			f.mu.Unlock()
			f.log.Warn("job aborted by its coordinator", "job", m.Job, "peer", from.Name, "reason", m.Reason)
		}
		return s.Write(ctx, tAck, nil)
	}
	return fmt.Errorf("unexpected message type %d", typ)
}

type accept struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

func (f *Federation) onPropose(ctx context.Context, from federation.Member, s *federation.Stream, body []byte) error {
	var sm signedMsg
	if err := decodeMsg(body, &sm); err != nil {
		return fmt.Errorf("propose: %w", err)
	}
	sg := job.Signed(sm)
	spec, err := f.openSpec(&sg, from)
	if err != nil {
		return fmt.Errorf("propose: %w", err)
	}
	reply := accept{OK: true}
	plan, err := f.policy(spec)
	if err != nil {
		reply = accept{OK: false, Reason: err.Error()}
		f.log.Warn("job refused", "job", spec.ID, "peer", from.Name, "reason", err)
	} else {
		f.mu.Lock()
		if _, dup := f.jobs[spec.ID]; dup || f.n.jobSeen(spec.ID) {
			reply = accept{OK: false, Reason: "job id already used"}
		} else {
			f.jobs[spec.ID] = newParticipation(spec, &sg, from, plan)
		}
		f.mu.Unlock()
	}
	b, _ := json.Marshal(reply)
	return s.Write(ctx, tAccept, b)
}

// openSpec verifies a signed spec against its coordinator's identity.
func (f *Federation) openSpec(sg *job.Signed, from federation.Member) (*job.Spec, error) {
	pub, err := PublicKeyOf(from.ID.String())
	if err != nil {
		return nil, err
	}
	spec, err := job.Open(sg, from.Name, pub)
	if err != nil {
		return nil, err
	}
	for _, name := range spec.Participants {
		if _, ok := f.host.Consortium().ByName(name); !ok {
			return nil, fmt.Errorf("%w: participant %s is not a consortium member", job.ErrInvalid, name)
		}
	}
	if spec.Index(f.n.cfg.Name) < 0 {
		return nil, fmt.Errorf("%w: this node is not a participant", job.ErrInvalid)
	}
	return spec, nil
}

// policy decides whether this node takes part: the dataset exists, the
// kind's parameters fit it, and the budget can pay for every round.
func (f *Federation) policy(spec *job.Spec) (kindPlan, error) {
	info, err := f.n.store.Dataset(spec.Dataset)
	if err != nil {
		return nil, fmt.Errorf("unknown dataset %s", spec.Dataset)
	}
	var plan kindPlan
	if spec.Kind == benchKind && f.benchValues > 0 {
		plan, err = planBench(spec, f.benchValues)
	} else {
		plan, err = planKind(spec, info)
	}
	if err != nil {
		return nil, err
	}
	err = f.n.store.View(func(tx *store.Txn) error {
		acct, err := ledger.Get(tx.In(store.SpaceLedger), spec.Dataset)
		if err != nil {
			return err
		}
		if !acct.HasCap {
			return fmt.Errorf("no privacy budget set for dataset %s", spec.Dataset)
		}
		spent := acct.Spent
		for range plan.Rounds() {
			if spent, _, err = accountant.Charge(spent, plan.Cost(), acct.Cap); err != nil {
				return fmt.Errorf("over budget: %w", err)
			}
		}
		return nil
	})
	return plan, err
}

func points(spec *job.Spec) []mhe.ShamirPoint {
	ps := make([]mhe.ShamirPoint, len(spec.Participants))
	for i := range ps {
		ps[i] = mhe.ShamirPoint(i + 1)
	}
	return ps
}

func (f *Federation) onSetup(ctx context.Context, from federation.Member, s *federation.Stream, body []byte) error {
	var m setupMsg
	if err := decodeMsg(body, &m); err != nil {
		return err
	}
	p, err := f.get(m.Job)
	if err != nil || p.coord.ID != from.ID {
		return fmt.Errorf("setup: %w", ErrUnknownJob)
	}
	share, err := f.setup(ctx, p)
	if err != nil {
		return fmt.Errorf("setup %s: %w", m.Job, err)
	}
	return s.Write(ctx, tKeyShare, share)
}

// setup creates this node's party, sends its Shamir shares to every other
// participant directly, waits for theirs and returns its key share.
func (f *Federation) setup(ctx context.Context, p *participation) ([]byte, error) {
	self := mhe.ShamirPoint(p.spec.Index(f.n.cfg.Name) + 1)
	party, err := mhe.NewParty(mhe.Params(), p.spec.SeedBytes(), self, points(p.spec), p.spec.Threshold)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.party = party
	p.mu.Unlock()
	errs := make(chan error, len(p.spec.Participants))
	for i, name := range p.spec.Participants {
		if name == f.n.cfg.Name {
			continue
		}
		to := mhe.ShamirPoint(i + 1)
		go func() {
			b, err := party.ShamirShareFor(to)
			if err == nil {
				err = f.sendShamir(ctx, p.spec.ID, name, self, b)
			}
			errs <- err
		}()
	}
	for range len(p.spec.Participants) - 1 {
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	select {
	case <-p.shamirIn:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return party.PublicKeyShare()
}

type shamirMsg struct {
	Job   string `json:"job"`
	From  uint64 `json:"from"`
	Share []byte `json:"share"`
}

func (f *Federation) sendShamir(ctx context.Context, jobID, to string, from mhe.ShamirPoint, share []byte) error {
	m, ok := f.host.Consortium().ByName(to)
	if !ok {
		return fmt.Errorf("participant %s is not a member", to)
	}
	b, _ := json.Marshal(shamirMsg{Job: jobID, From: uint64(from), Share: share})
	// Participants send their shares to each other at the same moment; two
	// members dialling each other at once can both fail. The receiver
	// acknowledges a share it already holds, so a retry is safe.
	var err error
	for attempt, wait := 0, 50*time.Millisecond; attempt < 8; attempt, wait = attempt+1, wait*2 {
		var typ wire.Type
		typ, _, err = f.host.Request(ctx, m.ID, protoShamir, tShamirShare, b, shamirLimits())
		if err == nil && typ != tAck {
			return fmt.Errorf("send Shamir share to %s: unexpected reply %d", to, typ)
		}
		if err == nil {
			return nil
		}
		f.log.Debug("Shamir share not delivered; retrying", "job", jobID, "peer", to, "err", err)
		// Random jitter, so that two members retrying dials to each other
		// do not collide again.
		jitter := time.Duration(mrand.Int64N(int64(wait)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait + jitter):
		}
	}
	return fmt.Errorf("send Shamir share to %s: %w", to, err)
}

func (f *Federation) serveShamir(ctx context.Context, from federation.Member, s *federation.Stream) error {
	typ, body, err := s.Read(ctx)
	if err != nil {
		return err
	}
	if typ != tShamirShare {
		return fmt.Errorf("unexpected message type %d", typ)
	}
	var m shamirMsg
	if err := decodeMsg(body, &m); err != nil {
		return err
	}
	// The party may not exist yet if the sender got its setup first: wait.
	deadline := time.Now().Add(f.streamWait())
	for {
		p, err := f.get(m.Job)
		if err != nil {
			return err
		}
		if i := p.spec.Index(from.Name); i < 0 || uint64(i+1) != m.From {
			return fmt.Errorf("Shamir share from %s claims point %d", from.Name, m.From)
		}
		p.mu.Lock()
		party := p.party
		if party != nil && !p.shamirFrom[m.From] {
			err = party.AddShamirShare(mhe.ShamirPoint(m.From), m.Share)
			if err == nil {
				p.shamirFrom[m.From] = true
				if party.ThresholdReady() {
					close(p.shamirIn)
				}
			}
		}
		p.mu.Unlock()
		if party != nil {
			if err != nil {
				return err
			}
			return s.Write(ctx, tAck, nil)
		}
		if time.Now().After(deadline) {
			return errors.New("Shamir share for a job not set up")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (f *Federation) streamWait() time.Duration { return 30 * time.Second }

type keyMsg struct {
	Job    string   `json:"job"`
	Shares [][]byte `json:"shares"` // in participant order
}

func (f *Federation) onKey(ctx context.Context, from federation.Member, s *federation.Stream, body []byte) error {
	var m keyMsg
	if err := decodeMsg(body, &m); err != nil {
		return err
	}
	p, err := f.get(m.Job)
	if err != nil || p.coord.ID != from.ID {
		return fmt.Errorf("key: %w", ErrUnknownJob)
	}
	digest, err := f.deriveKey(p, m.Shares)
	if err != nil {
		return fmt.Errorf("key %s: %w", m.Job, err)
	}
	return s.Write(ctx, tKeyOK, []byte(hex.EncodeToString(digest[:])))
}

// deriveKey aggregates every participant's key share itself, so the
// coordinator cannot substitute a key of its own.
func (f *Federation) deriveKey(p *participation, shares [][]byte) ([32]byte, error) {
	if len(shares) != len(p.spec.Participants) {
		return [32]byte{}, fmt.Errorf("%d key shares for %d participants", len(shares), len(p.spec.Participants))
	}
	pk, raw, err := mhe.AggregatePublicKey(mhe.Params(), p.spec.SeedBytes(), shares)
	if err != nil {
		return [32]byte{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.party.SetPublicKey(raw); err != nil {
		return [32]byte{}, err
	}
	p.pk = pk
	return pk.Digest(), nil
}

type roundMsg struct {
	Job     string `json:"job"`
	Round   int    `json:"round"`
	Attempt int    `json:"attempt"`
	State   []byte `json:"state,omitempty"` // the kind's published state from the previous round
}

// releaseID names the release of one attempt of one round of a job.
func releaseID(jobID string, round, attempt int) string {
	return fmt.Sprintf("%s:r%d:a%d", jobID, round, attempt)
}

// contribHeader is what a contributor signs: it binds the ciphertexts to the
// job, round, attempt and sender.
type contribHeader struct {
	Job     string `json:"job"`
	Round   int    `json:"round"`
	Attempt int    `json:"attempt"`
	From    string `json:"from"`
	Chunks  int    `json:"chunks"`
	Digest  string `json:"digest"` // hex SHA-256 over the chunks
	Sig     []byte `json:"sig"`
}

const contribDomain = "fednode contribution v1\x00"

func (h *contribHeader) message() []byte {
	b := []byte(contribDomain)
	b = append(b, h.Job...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Round))
	b = binary.BigEndian.AppendUint64(b, uint64(h.Attempt))
	b = append(b, h.From...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Chunks))
	return append(b, h.Digest...)
}

// chunksDigest is SHA-256 over each chunk's length and bytes.
func chunksDigest(chunks [][]byte) string {
	d := newChunksDigest()
	for _, c := range chunks {
		d.add(c)
	}
	return d.hex()
}

type chunksHasher struct{ h hash.Hash }

func newChunksDigest() *chunksHasher { return &chunksHasher{sha256.New()} }

func (d *chunksHasher) add(c []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(c)))
	d.h.Write(n[:])
	d.h.Write(c)
}

func (d *chunksHasher) hex() string { return hex.EncodeToString(d.h.Sum(nil)) }

func (f *Federation) onRound(ctx context.Context, from federation.Member, s *federation.Stream, body []byte) error {
	var m roundMsg
	if err := decodeMsg(body, &m); err != nil {
		return err
	}
	p, err := f.get(m.Job)
	if err != nil || p.coord.ID != from.ID {
		return fmt.Errorf("round: %w", ErrUnknownJob)
	}
	hdr, chunks, err := f.contribute(ctx, p, m)
	if err != nil {
		return fmt.Errorf("round %s/%d: %w", m.Job, m.Round, err)
	}
	hb, _ := json.Marshal(hdr)
	if err := s.Write(ctx, tContribution, hb); err != nil {
		return err
	}
	return s.WriteChunks(ctx, tContribution, chunks)
}

// contribute computes this node's noised vector for a round, charges its
// cost durably, encrypts and signs it.
func (f *Federation) contribute(ctx context.Context, p *participation, m roundMsg) (*contribHeader, [][]byte, error) {
	p.mu.Lock()
	if p.pk == nil {
		p.mu.Unlock()
		return nil, nil, errors.New("no collective key yet")
	}
	if m.Round < p.round || (m.Round == p.round && m.Attempt <= p.attempt && p.contribOK) || m.Round > p.kind.Rounds() || m.Round < 1 {
		p.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: round %d attempt %d (at round %d attempt %d)", ErrUnknownJob, m.Round, m.Attempt, p.round, p.attempt)
	}
	p.round, p.attempt, p.contribOK = m.Round, m.Attempt, true
	pk := p.pk
	p.mu.Unlock()

	vec, err := p.kind.Local(ctx, f.n.store, m.Round, m.State)
	if err != nil {
		return nil, nil, err
	}
	release := releaseID(p.spec.ID, m.Round, m.Attempt)
	if err := f.n.charge(p.spec, release, p.kind, from(p)); err != nil {
		return nil, nil, err
	}
	if f.afterCharge != nil {
		if err := f.afterCharge(); err != nil {
			return nil, nil, err
		}
	}
	if !f.noiseOff {
		if err := p.kind.AddNoise(vec); err != nil {
			return nil, nil, err
		}
	}
	start := time.Now()
	chunks, err := mhe.Encrypt(pk, vec)
	if err != nil {
		return nil, nil, err
	}
	f.metrics.add(roleencrypt, start)
	hdr := &contribHeader{Job: p.spec.ID, Round: m.Round, Attempt: m.Attempt, From: f.n.cfg.Name, Chunks: len(chunks), Digest: chunksDigest(chunks)}
	hdr.Sig = ed25519.Sign(f.n.identity, hdr.message())
	own, err := mhe.DecodeCiphertexts(mhe.Params(), chunks, len(chunks))
	if err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	if p.round == m.Round && p.attempt == m.Attempt {
		p.own, p.digest = own, hdr.Digest
	}
	p.mu.Unlock()
	return hdr, chunks, nil
}

func from(p *participation) []string { return p.spec.Participants }

// charge records a round's cost on this node's dataset and in its audit log,
// durably, before the contribution exists.
func (n *Node) charge(spec *job.Spec, release string, plan kindPlan, peers []string) error {
	at := n.now()
	cost := plan.Cost()
	err := n.store.Update(func(tx *store.Txn) error {
		_, dup, err := ledger.ChargeRelease(tx.In(store.SpaceLedger), ledger.Charge{
			Release: release, Dataset: spec.Dataset, Job: spec.ID, Mechanism: "distributed-discrete-gaussian", Cost: cost, Time: at,
		})
		if err != nil {
			return err
		}
		if dup {
			return fmt.Errorf("release %s was charged before: it is not produced twice", release)
		}
		if err := markJob(tx, spec.ID); err != nil {
			return err
		}
		_, err = audit.Append(tx.In(store.SpaceAudit), n.identity, audit.Record{
			Time: at, Kind: audit.KindCharge, Job: spec.ID, Release: release, Dataset: spec.Dataset,
			Mechanism: "distributed-discrete-gaussian", Params: plan.Params(), Rho: cost.Rho, Epsilon: cost.Epsilon, Delta: cost.Delta, Peers: peers,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("charge %s: %w", release, err)
	}
	return nil
}

// markJob records that this node took part in a job, so a restarted node
// refuses the job's id for good.
func markJob(tx *store.Txn, id string) error {
	return tx.In(store.SpaceJobs).Set([]byte("j/"+id), []byte{1})
}

func (n *Node) jobSeen(id string) bool {
	seen := false
	n.store.View(func(tx *store.Txn) error {
		_, seen, _ = tx.In(store.SpaceJobs).Get([]byte("j/" + id))
		return nil
	})
	return seen
}

// decryptMsg asks a quorum member for its decryption share of the sum of
// the contributions listed.
type decryptMsg struct {
	Job     string          `json:"job"`
	Round   int             `json:"round"`
	Attempt int             `json:"attempt"`
	Active  []uint64        `json:"active"` // the quorum's Shamir points
	Headers []contribHeader `json:"headers"`
}

func (f *Federation) onDecrypt(ctx context.Context, from federation.Member, s *federation.Stream, body []byte) error {
	var m decryptMsg
	if err := decodeMsg(body, &m); err != nil {
		return err
	}
	p, err := f.get(m.Job)
	if err != nil || p.coord.ID != from.ID {
		return fmt.Errorf("decrypt: %w", ErrUnknownJob)
	}
	if err := f.checkHeaders(p, m); err != nil {
		return fmt.Errorf("decrypt %s/%d: %w", m.Job, m.Round, err)
	}
	// The aggregate's c1 half follows: all a decryption share depends on.
	params := mhe.Params()
	var chunks [][]byte
	if _, _, err := s.ReadChunks(ctx, uint32(params.ShareSize()), func(_ wire.Type, c []byte) error {
		chunks = append(chunks, slices.Clone(c))
		return nil
	}); err != nil {
		return err
	}
	c1, err := mhe.DecodeC1(params, chunks, p.kind.Chunks())
	if err != nil {
		return fmt.Errorf("decrypt %s/%d: %w", m.Job, m.Round, err)
	}
	// Challenge: a fresh seed, so the coordinator cannot have prepared an
	// aggregate that hashes like the sum without being the sum.
	seed := make([]byte, mhe.HashSeedSize)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	if err := s.Write(ctx, tChallenge, seed); err != nil {
		return err
	}
	typ, hb, err := s.Read(ctx)
	if err != nil {
		return err
	}
	var hs hashesMsg
	if typ != tHashes {
		return fmt.Errorf("unexpected message type %d", typ)
	}
	if err := decodeMsg(hb, &hs); err != nil {
		return err
	}
	if err := f.verifyHashes(m, seed, hs.Responses, c1); err != nil {
		return fmt.Errorf("decrypt %s/%d: %w", m.Job, m.Round, err)
	}
	shares, err := f.shareOnce(p, m, c1)
	if err != nil {
		return fmt.Errorf("decrypt %s/%d: %w", m.Job, m.Round, err)
	}
	return s.WriteChunks(ctx, tShare, shares)
}

// checkHeaders checks that a decryption request names at least threshold
// contributions to this round, each signed by a distinct participant.
func (f *Federation) checkHeaders(p *participation, m decryptMsg) error {
	seen := map[string]bool{}
	for _, h := range m.Headers {
		if h.Job != p.spec.ID || h.Round != m.Round || h.Attempt != m.Attempt {
			return fmt.Errorf("a contribution to another round (%s/%d/%d)", h.Job, h.Round, h.Attempt)
		}
		if p.spec.Index(h.From) < 0 || seen[h.From] {
			return fmt.Errorf("contribution from %q: not a distinct participant", h.From)
		}
		seen[h.From] = true
		pub, err := f.memberKey(h.From)
		if err != nil {
			return err
		}
		if !ed25519.Verify(pub, h.message(), h.Sig) {
			return fmt.Errorf("contribution of %s: signature does not verify", h.From)
		}
	}
	if len(seen) < p.spec.Threshold {
		return fmt.Errorf("only %d signed contributions; at least %d are needed before this node decrypts anything", len(seen), p.spec.Threshold)
	}
	return nil
}

func (f *Federation) memberKey(name string) (ed25519.PublicKey, error) {
	mem, ok := f.host.Consortium().ByName(name)
	if !ok {
		return nil, fmt.Errorf("%s is not a member", name)
	}
	return PublicKeyOf(mem.ID.String())
}

// verifyHashes checks that c1 is the sum of the listed contributions: every
// contributor's signed linear hash of its own contribution, under this
// node's fresh seed, must add up to the hash of c1.
func (f *Federation) verifyHashes(m decryptMsg, seed []byte, resps []hashResp, c1 []*mhe.Ciphertext) error {
	params := mhe.Params()
	byFrom := map[string]*hashResp{}
	for i := range resps {
		byFrom[resps[i].From] = &resps[i]
	}
	if len(byFrom) != len(m.Headers) {
		return fmt.Errorf("%d hash answers for %d contributions", len(byFrom), len(m.Headers))
	}
	sum := make([]uint64, 2)
	for _, h := range m.Headers {
		r, ok := byFrom[h.From]
		if !ok {
			return fmt.Errorf("no hash from %s", h.From)
		}
		if r.Job != h.Job || r.Round != h.Round || r.Attempt != h.Attempt || r.Digest != h.Digest || !bytesEqual(r.Seed, seed) {
			return fmt.Errorf("the hash of %s answers another challenge or contribution", h.From)
		}
		pub, err := f.memberKey(h.From)
		if err != nil {
			return err
		}
		if !ed25519.Verify(pub, r.message(), r.Sig) {
			return fmt.Errorf("the hash of %s: signature does not verify", h.From)
		}
		if err := mhe.AddHashes(params, sum, r.Hash); err != nil {
			return err
		}
	}
	got, err := mhe.LinearHash(params, seed, c1)
	if err != nil {
		return err
	}
	if got[0] != sum[0] || got[1] != sum[1] {
		return errors.New("the ciphertext to decrypt is not the sum of the signed contributions")
	}
	return nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// shareOnce records the digest of c1 durably and only then produces this
// node's one decryption share of it.
func (f *Federation) shareOnce(p *participation, m decryptMsg, c1 []*mhe.Ciphertext) ([][]byte, error) {
	if f.beforeShare != nil {
		if err := f.beforeShare(); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	atRound, atAttempt := p.round, p.attempt
	p.mu.Unlock()
	if m.Round != atRound || m.Attempt != atAttempt {
		return nil, fmt.Errorf("%w: decrypt for round %d attempt %d, this node is at %d/%d", ErrUnknownJob, m.Round, m.Attempt, atRound, atAttempt)
	}
	active := make([]mhe.ShamirPoint, len(m.Active))
	for i, a := range m.Active {
		active[i] = mhe.ShamirPoint(a)
	}
	digest := mhe.DigestC1(c1)
	// INVARIANT: one decryption share per ciphertext, ever. The digest of
	// what the share depends on (c1) is recorded, and synced, before the
	// share exists.
	err := f.n.store.Update(func(tx *store.Txn) error {
		sp := tx.In(store.SpaceShares)
		if _, dup, err := sp.Get(digest[:]); err != nil {
			return err
		} else if dup {
			return ErrShareReused
		}
		rec, _ := json.Marshal(map[string]any{"job": m.Job, "round": m.Round, "attempt": m.Attempt, "time": f.n.now()})
		return sp.Set(digest[:], rec)
	})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	defer f.metrics.add(roleshare, start)
	return p.party.DecryptShare(c1, active)
}

// hashReq asks a contributor for the linear hash of its contribution.
type hashReq struct {
	Job     string `json:"job"`
	Round   int    `json:"round"`
	Attempt int    `json:"attempt"`
	Seed    []byte `json:"seed"`
}

// hashResp is a contributor's signed linear hash.
type hashResp struct {
	Job     string   `json:"job"`
	Round   int      `json:"round"`
	Attempt int      `json:"attempt"`
	From    string   `json:"from"`
	Seed    []byte   `json:"seed"`
	Digest  string   `json:"digest"` // of the contribution, as in its header
	Hash    []uint64 `json:"hash"`
	Sig     []byte   `json:"sig"`
}

type hashesMsg struct {
	Responses []hashResp `json:"responses"`
}

const hashDomain = "fednode contribution hash v1\x00"

func (r *hashResp) message() []byte {
	b := []byte(hashDomain)
	b = append(b, r.Job...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Round))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Attempt))
	b = append(b, r.From...)
	b = append(b, 0)
	b = append(b, r.Seed...)
	b = append(b, r.Digest...)
	for _, h := range r.Hash {
		b = binary.BigEndian.AppendUint64(b, h)
	}
	return b
}

func (f *Federation) onHashReq(ctx context.Context, from federation.Member, s *federation.Stream, body []byte) error {
	var m hashReq
	if err := decodeMsg(body, &m); err != nil {
		return err
	}
	p, err := f.get(m.Job)
	if err != nil || p.coord.ID != from.ID {
		return fmt.Errorf("hash: %w", ErrUnknownJob)
	}
	r, err := f.hashOwn(p, m)
	if err != nil {
		return fmt.Errorf("hash %s/%d: %w", m.Job, m.Round, err)
	}
	b, _ := json.Marshal(r)
	return s.Write(ctx, tHash, b)
}

// hashOwn signs the linear hash of this node's contribution to the current
// attempt, under a decryptor's seed.
func (f *Federation) hashOwn(p *participation, m hashReq) (*hashResp, error) {
	p.mu.Lock()
	own, digest, round, attempt := p.own, p.digest, p.round, p.attempt
	p.mu.Unlock()
	if own == nil || m.Round != round || m.Attempt != attempt {
		return nil, fmt.Errorf("%w: no contribution to round %d attempt %d", ErrUnknownJob, m.Round, m.Attempt)
	}
	h, err := mhe.LinearHash(mhe.Params(), m.Seed, own)
	if err != nil {
		return nil, err
	}
	r := &hashResp{Job: m.Job, Round: m.Round, Attempt: m.Attempt, From: f.n.cfg.Name, Seed: m.Seed, Digest: digest, Hash: h}
	r.Sig = ed25519.Sign(f.n.identity, r.message())
	return r, nil
}

type resultMsg struct {
	Job     string          `json:"job"`
	Round   int             `json:"round"`
	Attempt int             `json:"attempt"`
	Result  json.RawMessage `json:"result"`
	Peers   []string        `json:"peers"` // contributors
}

func (f *Federation) onResult(ctx context.Context, from federation.Member, s *federation.Stream, body []byte) error {
	var m resultMsg
	if err := decodeMsg(body, &m); err != nil {
		return err
	}
	p, err := f.get(m.Job)
	if err != nil || p.coord.ID != from.ID {
		return fmt.Errorf("result: %w", ErrUnknownJob)
	}
	if err := f.n.recordRelease(p.spec, releaseID(m.Job, m.Round, m.Attempt), m.Result, m.Peers); err != nil {
		return err
	}
	if m.Round >= p.kind.Rounds() {
		f.mu.Lock()
		delete(f.jobs, m.Job)
		f.mu.Unlock()
	}
	return s.Write(ctx, tAck, nil)
}

// recordRelease writes the audit record of a federated release.
func (n *Node) recordRelease(spec *job.Spec, release string, result []byte, peers []string) error {
	d := sha256.Sum256(result)
	return n.store.Update(func(tx *store.Txn) error {
		_, err := audit.Append(tx.In(store.SpaceAudit), n.identity, audit.Record{
			Time: n.now(), Kind: audit.KindRelease, Job: spec.ID, Release: release, Dataset: spec.Dataset,
			Mechanism: "distributed-discrete-gaussian", Digest: hex.EncodeToString(d[:]), Peers: peers,
		})
		return err
	})
}

// newSeed draws a job's common reference string seed.
func newSeed() ([]byte, error) {
	b := make([]byte, job.SeedSize)
	_, err := rand.Read(b)
	return b, err
}

func cryptoRead(b []byte) (int, error) { return rand.Read(b) }

func newParticipation(spec *job.Spec, sg *job.Signed, coord federation.Member, plan kindPlan) *participation {
	p := &participation{spec: spec, signed: sg, coord: coord, kind: plan, shamirIn: make(chan struct{}), shamirFrom: map[uint64]bool{}}
	p.seen.Store(time.Now().UnixNano())
	return p
}
