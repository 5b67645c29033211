package node

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fednode/fednode/federation"
	"github.com/fednode/fednode/federation/job"
	"github.com/fednode/fednode/federation/mhe"
	"github.com/fednode/fednode/federation/wire"
)

// JobResult is what a coordinated job published.
type JobResult struct {
	Job          string            `json:"job"`
	Kind         string            `json:"kind"`
	Dataset      string            `json:"dataset"`
	Participants []string          `json:"participants"`
	Rounds       []RoundResult     `json:"rounds"`
	Result       json.RawMessage   `json:"result"`
	Cost         map[string]string `json:"cost"`
}

// RoundResult describes one round.
type RoundResult struct {
	Round        int      `json:"round"`
	Attempt      int      `json:"attempt"`
	Contributors []string `json:"contributors"`
	Quorum       []string `json:"quorum"`
}

// MaxAttempts bounds the attempts of one round. An attempt that fails after
// decryption shares were asked for is never retried on the same
// ciphertexts: the next attempt is fresh encryptions, charged again.
const MaxAttempts = 3

// RunJob coordinates a job from this node: it signs the spec, proposes it,
// sets up the collective key and runs every round. progress receives
// human-readable progress lines (may be nil).
func (f *Federation) RunJob(ctx context.Context, spec *job.Spec, progress func(string)) (*JobResult, error) {
	say := func(format string, a ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, a...))
		}
	}
	self := f.n.cfg.Name
	if spec.Index(self) < 0 {
		return nil, fmt.Errorf("run job: this node (%s) must be a participant", self)
	}
	info, err := f.n.store.Dataset(spec.Dataset)
	if err != nil {
		return nil, err
	}
	if spec.Kind == "stats" {
		if err := completeStatsParams(spec, info); err != nil {
			return nil, err
		}
	}
	seed, err := newSeed()
	if err != nil {
		return nil, err
	}
	signed, err := job.Sign(spec, self, f.n.identity, f.n.now(), seed)
	if err != nil {
		return nil, err
	}
	sgBytes, _ := json.Marshal(signed)
	members := make([]federation.Member, len(spec.Participants))
	for i, name := range spec.Participants {
		m, ok := f.host.Consortium().ByName(name)
		if !ok {
			return nil, fmt.Errorf("run job: participant %s is not in the consortium", name)
		}
		members[i] = m
	}
	abort := func(reason string) {
		b, _ := json.Marshal(abortMsg{Job: spec.ID, Reason: reason})
		f.each(ctx, members, func(ctx context.Context, m federation.Member) ([]byte, error) {
			if m.Name == self {
				f.mu.Lock()
				delete(f.jobs, spec.ID)
				f.mu.Unlock()
				return nil, nil
			}
			_, _, err := f.host.Request(ctx, m.ID, protoJob, tAbort, b, jobLimits())
			return nil, err
		})
	}

	// Propose: every participant's policy accepts or refuses, with a reason.
	say("proposing job %s (%s on %s) to %d participants", spec.ID, spec.Kind, spec.Dataset, len(members))
	replies := f.each(ctx, members, func(ctx context.Context, m federation.Member) ([]byte, error) {
		if m.Name == self {
			return f.acceptLocal(signed, spec)
		}
		typ, body, err := f.host.Request(ctx, m.ID, protoJob, tPropose, sgBytes, jobLimits())
		if err == nil && typ != tAccept {
			err = fmt.Errorf("unexpected reply %d", typ)
		}
		return body, err
	})
	var refusals []string
	for i, r := range replies {
		var a accept
		if r.err == nil {
			r.err = json.Unmarshal(r.body, &a)
		}
		switch {
		case r.err != nil:
			refusals = append(refusals, fmt.Sprintf("%s: %v", members[i].Name, r.err))
		case !a.OK:
			refusals = append(refusals, fmt.Sprintf("%s: %s", members[i].Name, a.Reason))
		}
	}
	if len(refusals) > 0 {
		abort("refused")
		return nil, fmt.Errorf("%w: %s", ErrRefused, joinLines(refusals))
	}
	p, err := f.get(spec.ID)
	if err != nil {
		return nil, err
	}

	// Setup: keys, Shamir shares, collective public key (needs everyone).
	say("setting up the collective key (%d of %d threshold)", spec.Threshold, len(members))
	setupBody, _ := json.Marshal(setupMsg{Job: spec.ID})
	replies = f.each(ctx, members, func(ctx context.Context, m federation.Member) ([]byte, error) {
		if m.Name == self {
			return f.setup(ctx, p)
		}
		typ, body, err := f.host.Request(ctx, m.ID, protoJob, tSetup, setupBody, jobLimits())
		if err == nil && typ != tKeyShare {
			err = fmt.Errorf("unexpected reply %d", typ)
		}
		return body, err
	})
	shares := make([][]byte, len(members))
	for i, r := range replies {
		if r.err != nil {
			abort("setup failed")
			return nil, fmt.Errorf("run job %s: setup at %s: %w", spec.ID, members[i].Name, r.err)
		}
		shares[i] = r.body
	}
	keyBody, _ := json.Marshal(keyMsg{Job: spec.ID, Shares: shares})
	own, err := f.deriveKey(p, shares)
	if err != nil {
		abort("key failed")
		return nil, err
	}
	replies = f.each(ctx, members, func(ctx context.Context, m federation.Member) ([]byte, error) {
		if m.Name == self {
			return []byte(hex.EncodeToString(own[:])), nil
		}
		typ, body, err := f.host.Request(ctx, m.ID, protoJob, tKey, keyBody, jobLimits())
		if err == nil && typ != tKeyOK {
			err = fmt.Errorf("unexpected reply %d", typ)
		}
		return body, err
	})
	for i, r := range replies {
		if r.err != nil || string(r.body) != hex.EncodeToString(own[:]) {
			abort("key mismatch")
			return nil, fmt.Errorf("run job %s: %s derived another collective key (%v)", spec.ID, members[i].Name, r.err)
		}
	}

	res := &JobResult{Job: spec.ID, Kind: spec.Kind, Dataset: spec.Dataset, Participants: spec.Participants, Cost: p.kind.Params()}
	res.Cost["rho_per_round"] = fmt.Sprint(p.kind.Cost().Rho)
	var state []byte
	for round := 1; round <= p.kind.Rounds(); round++ {
		var out json.RawMessage
		var rr *RoundResult
		for attempt := 1; ; attempt++ {
			say("round %d attempt %d", round, attempt)
			out, state, rr, err = f.runRound(ctx, p, members, round, attempt, state, say)
			if err == nil {
				break
			}
			if attempt == MaxAttempts || ctx.Err() != nil || errors.Is(err, errTooFew) {
				abort(err.Error())
				return nil, fmt.Errorf("run job %s round %d: %w", spec.ID, round, err)
			}
			say("round %d attempt %d failed (%v); retrying with fresh encryptions", round, attempt, err)
		}
		res.Rounds = append(res.Rounds, *rr)
		res.Result = out
	}
	return res, nil
}

var errTooFew = errors.New("fewer contributions than the threshold")

type reply struct {
	body []byte
	err  error
}

// each calls fn for every member concurrently and returns the replies in
// member order.
func (f *Federation) each(ctx context.Context, members []federation.Member, fn func(context.Context, federation.Member) ([]byte, error)) []reply {
	out := make([]reply, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := fn(ctx, m)
			out[i] = reply{b, err}
		}()
	}
	wg.Wait()
	return out
}

// acceptLocal runs the coordinator's own policy on its spec.
func (f *Federation) acceptLocal(sg *job.Signed, spec *job.Spec) ([]byte, error) {
	reply := accept{OK: true}
	plan, err := f.policy(spec)
	f.mu.Lock()
	switch {
	case err != nil:
		reply = accept{OK: false, Reason: err.Error()}
	case f.jobs[spec.ID] != nil || f.n.jobSeen(spec.ID):
		reply = accept{OK: false, Reason: "job id already used"}
	default:
		f.jobs[spec.ID] = newParticipation(spec, sg, f.host.Self(), plan)
	}
	f.mu.Unlock()
	return json.Marshal(reply)
}

// contribution is a participant's signed contribution, decoded as it
// arrived.
type contribution struct {
	hdr contribHeader
	cts []*mhe.Ciphertext
}

// runRound runs one attempt of a round: contributions, the sum, a quorum's
// decryption shares, the result.
func (f *Federation) runRound(ctx context.Context, p *participation, members []federation.Member, round, attempt int, state []byte, say func(string, ...any)) (json.RawMessage, []byte, *RoundResult, error) {
	self := f.n.cfg.Name
	rb, _ := json.Marshal(roundMsg{Job: p.spec.ID, Round: round, Attempt: attempt, State: state})
	contribs := make([]*contribution, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.collect(ctx, p, m, rb, roundMsg{Job: p.spec.ID, Round: round, Attempt: attempt, State: state})
			if err != nil {
				f.log.Warn("no contribution", "job", p.spec.ID, "round", round, "peer", m.Name, "err", err)
				return
			}
			contribs[i] = c
		}()
	}
	wg.Wait()
	var got []*contribution
	var names []string
	var active []mhe.ShamirPoint
	for i, c := range contribs {
		if c != nil {
			got = append(got, c)
			names = append(names, members[i].Name)
			active = append(active, mhe.ShamirPoint(i+1))
		}
	}
	say("round %d: %d of %d contributions", round, len(got), len(members))
	if len(got) < p.spec.Threshold {
		return nil, nil, nil, fmt.Errorf("%w: %d of %d", errTooFew, len(got), p.spec.Threshold)
	}
	quorum, err := mhe.Quorum(active, p.spec.Threshold)
	if err != nil {
		return nil, nil, nil, err
	}
	params := mhe.Params()
	aggStart := time.Now()
	var sum []*mhe.Ciphertext
	for _, c := range got {
		if sum == nil {
			sum = c.cts // the first contribution becomes the sum
		} else if err := mhe.Add(params, sum, c.cts); err != nil {
			return nil, nil, nil, err
		}
	}
	f.metrics.add(roleaggregate, aggStart)
	dm := decryptMsg{Job: p.spec.ID, Round: round, Attempt: attempt}
	for _, q := range quorum {
		dm.Active = append(dm.Active, uint64(q))
	}
	for _, c := range got {
		dm.Headers = append(dm.Headers, c.hdr)
	}
	dmb, _ := json.Marshal(dm)
	qm := make([]federation.Member, len(quorum))
	for i, q := range quorum {
		qm[i] = members[q-1]
	}
	c1, err := mhe.MarshalC1(sum)
	if err != nil {
		return nil, nil, nil, err
	}
	say("round %d: asking %d participants for decryption shares", round, len(qm))
	replies := f.each(ctx, qm, func(ctx context.Context, m federation.Member) ([]byte, error) {
		if m.Name == self {
			if err := f.checkHeaders(p, dm); err != nil {
				return nil, err
			}
			shs, err := f.shareOnce(p, dm, sum)
			return joinChunks(shs), err
		}
		return f.requestShare(ctx, p, m, dmb, c1, got)
	})
	shares := map[mhe.ShamirPoint][][]byte{}
	for i, r := range replies {
		if r.err != nil {
			return nil, nil, nil, fmt.Errorf("decryption share of %s: %w", qm[i].Name, r.err)
		}
		shares[quorum[i]] = splitChunks(r.body, params.ShareSize())
	}
	combStart := time.Now()
	vals, err := mhe.Combine(params, sum, quorum, shares, p.spec.Threshold)
	if err != nil {
		return nil, nil, nil, err
	}
	f.metrics.add(rolecombine, combStart)
	out, next, err := p.kind.Global(round, vals)
	if err != nil {
		return nil, nil, nil, err
	}
	// Publish to every contributor; each records the release.
	resb, _ := json.Marshal(resultMsg{Job: p.spec.ID, Round: round, Attempt: attempt, Result: out, Peers: names})
	contributors := make([]federation.Member, 0, len(got))
	for i, c := range contribs {
		if c != nil {
			contributors = append(contributors, members[i])
		}
	}
	f.each(ctx, contributors, func(ctx context.Context, m federation.Member) ([]byte, error) {
		if m.Name == self {
			return nil, f.n.recordRelease(p.spec, releaseID(p.spec.ID, round, attempt), out, names)
		}
		_, _, err := f.host.Request(ctx, m.ID, protoJob, tResult, resb, jobLimits())
		if err != nil {
			f.log.Warn("result not delivered", "job", p.spec.ID, "peer", m.Name, "err", err)
		}
		return nil, err
	})
	qn := make([]string, len(qm))
	for i, m := range qm {
		qn[i] = m.Name
	}
	return out, next, &RoundResult{Round: round, Attempt: attempt, Contributors: names, Quorum: qn}, nil
}

// collect asks one participant (or this node) for its contribution.
func (f *Federation) collect(ctx context.Context, p *participation, m federation.Member, rb []byte, rm roundMsg) (*contribution, error) {
	if m.Name == f.n.cfg.Name {
		hdr, chunks, err := f.contribute(ctx, p, rm)
		if err != nil {
			return nil, err
		}
		cts, err := mhe.DecodeCiphertexts(mhe.Params(), chunks, len(chunks))
		if err != nil {
			return nil, err
		}
		return &contribution{hdr: *hdr, cts: cts}, nil
	}
	s, err := f.host.OpenStream(ctx, m.ID, protoJob, jobLimits())
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := s.Write(ctx, tRound, rb); err != nil {
		return nil, err
	}
	typ, hb, err := s.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != tContribution {
		return nil, fmt.Errorf("unexpected reply %d", typ)
	}
	var c contribution
	if err := decodeMsg(hb, &c.hdr); err != nil {
		return nil, err
	}
	if c.hdr.From != m.Name || c.hdr.Job != rm.Job || c.hdr.Round != rm.Round || c.hdr.Attempt != rm.Attempt || c.hdr.Chunks != p.kind.Chunks() {
		return nil, errors.New("contribution header does not match the request")
	}
	// Each chunk is hashed and decoded (validated) as it arrives, so the
	// bytes are never held twice.
	params := mhe.Params()
	dg := newChunksDigest()
	if _, _, err := s.ReadChunks(ctx, uint32(params.CiphertextSize()), func(_ wire.Type, b []byte) error {
		if len(c.cts) >= c.hdr.Chunks {
			return errors.New("more chunks than the header announced")
		}
		dg.add(b)
		ct, err := mhe.DecodeCiphertexts(params, [][]byte{b}, 1)
		if err != nil {
			return fmt.Errorf("contribution of %s chunk %d: %w", m.Name, len(c.cts), err)
		}
		c.cts = append(c.cts, ct[0])
		return nil
	}); err != nil {
		return nil, err
	}
	if len(c.cts) != c.hdr.Chunks || dg.hex() != c.hdr.Digest {
		return nil, errors.New("contribution does not match its signed digest")
	}
	return &c, nil
}

// requestShare sends a quorum member the signed contribution headers and
// the aggregate's c1 half, answers its hash challenge with every
// contributor's signed hash, and reads its share.
func (f *Federation) requestShare(ctx context.Context, p *participation, m federation.Member, dmb []byte, c1 [][]byte, got []*contribution) ([]byte, error) {
	s, err := f.host.OpenStream(ctx, m.ID, protoJob, jobLimits())
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := s.Write(ctx, tDecrypt, dmb); err != nil {
		return nil, err
	}
	if err := s.WriteChunks(ctx, tDecrypt, c1); err != nil {
		return nil, err
	}
	typ, seed, err := s.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != tChallenge || len(seed) != mhe.HashSeedSize {
		return nil, fmt.Errorf("unexpected reply %d", typ)
	}
	req := hashReq{Job: p.spec.ID, Round: got[0].hdr.Round, Attempt: got[0].hdr.Attempt, Seed: seed}
	rb, _ := json.Marshal(req)
	contributors := make([]federation.Member, len(got))
	for i, c := range got {
		mem, ok := f.host.Consortium().ByName(c.hdr.From)
		if !ok {
			return nil, fmt.Errorf("contributor %s is not a member", c.hdr.From)
		}
		contributors[i] = mem
	}
	replies := f.each(ctx, contributors, func(ctx context.Context, c federation.Member) ([]byte, error) {
		if c.Name == f.n.cfg.Name {
			r, err := f.hashOwn(p, req)
			if err != nil {
				return nil, err
			}
			return json.Marshal(r)
		}
		typ, body, err := f.host.Request(ctx, c.ID, protoJob, tHashReq, rb, jobLimits())
		if err == nil && typ != tHash {
			err = fmt.Errorf("unexpected reply %d", typ)
		}
		return body, err
	})
	var hs hashesMsg
	for i, r := range replies {
		if r.err != nil {
			return nil, fmt.Errorf("hash of %s: %w", contributors[i].Name, r.err)
		}
		var h hashResp
		if err := decodeMsg(r.body, &h); err != nil {
			return nil, fmt.Errorf("hash of %s: %w", contributors[i].Name, err)
		}
		hs.Responses = append(hs.Responses, h)
	}
	hb, _ := json.Marshal(hs)
	if err := s.Write(ctx, tHashes, hb); err != nil {
		return nil, err
	}
	var out []byte
	typ, _, err = s.ReadChunks(ctx, uint32(mhe.Params().ShareSize()), func(_ wire.Type, b []byte) error {
		out = append(out, b...)
		return nil
	})
	if err == nil && typ != tShare {
		err = fmt.Errorf("unexpected reply %d", typ)
	}
	return out, err
}

func joinChunks(cs [][]byte) []byte {
	var out []byte
	for _, c := range cs {
		out = append(out, c...)
	}
	return out
}

func splitChunks(b []byte, size int) [][]byte {
	var out [][]byte
	for len(b) >= size {
		out = append(out, b[:size:size])
		b = b[size:]
	}
	if len(b) > 0 {
		out = append(out, b)
	}
	return out
}

func joinLines(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}
