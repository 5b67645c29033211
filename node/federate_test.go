package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fednode/fednode/configs"
	"github.com/fednode/fednode/federation"
	"github.com/fednode/fednode/federation/job"
	"github.com/fednode/fednode/federation/mhe"
	"github.com/fednode/fednode/models/stats"
	"github.com/fednode/fednode/node/audit"
	"github.com/fednode/fednode/node/keys"
	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/node/synth"
	"github.com/fednode/fednode/privacy/accountant"
)

type testMember struct {
	n    *Node
	f    *Federation
	addr string
}

func freeTCP(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// consortium starts k nodes with generated customers data (each with a
// budget) on loopback, serving one consortium.
func consortium(t *testing.T, k, customers int) []*testMember {
	t.Helper()
	var ms []*testMember
	var b strings.Builder
	sch, _ := configs.Schema("demo-customers")
	for i, p := range synth.Consortium(k, customers, 7) {
		dir := filepath.Join(t.TempDir(), p.Name)
		if _, err := Init(dir, InitOptions{Name: p.Name, Passphrase: []byte(testPass), KDF: keys.InsecureTestKDFParams()}); err != nil {
			t.Fatal(err)
		}
		n := openTest(t, dir)
		var csv bytes.Buffer
		if err := p.WriteCustomers(&csv); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Ingest(t.Context(), IngestRequest{Dataset: "customers", Schema: sch, File: "c.csv", Data: &csv}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := n.SetBudget("customers", accountant.Budget{Epsilon: 10, Delta: 1e-5}); err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", freeTCP(t))
		fmt.Fprintf(&b, "[[member]]\nname = %q\npeer_id = %q\naddrs = [%q]\n", p.Name, n.cfg.PeerID, addr)
		ms = append(ms, &testMember{n: n, addr: addr})
		_ = i
	}
	cons, err := federation.ParseConsortium([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		f, err := m.n.Serve(t.Context(), cons, []string{m.addr})
		if err != nil {
			t.Fatal(err)
		}
		m.f = f
		t.Cleanup(func() { f.Close() })
	}
	if _, err := ms[0].f.Host().ConnectAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	return ms
}

func statsSpec(t *testing.T, id string, ms []*testMember, threshold int) *job.Spec {
	t.Helper()
	var names []string
	for _, m := range ms {
		names = append(names, m.n.cfg.Name)
	}
	s, err := job.ParseTOML([]byte(fmt.Sprintf(`
id = %q
kind = "stats"
dataset = "customers"
participants = [%s]
threshold = %d
epsilon = 1.0
delta = 1e-6
[params]
stats = [{ stat = "count" }, { stat = "mean", column = "age" }, { stat = "histogram", column = "region" }]
`, id, `"`+strings.Join(names, `", "`)+`"`, threshold)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// plaintext computes the exact answers the job must reproduce.
func plaintext(t *testing.T, ms []*testMember) (count int, ageSum float64, regions map[string]int) {
	regions = map[string]int{}
	for _, m := range ms {
		info, _ := m.n.store.Dataset("customers")
		age, reg := info.Layout.Index("age"), info.Layout.Index("region")
		_, err := m.n.store.Scan(t.Context(), "customers", func(c *store.Customer) error {
			count++
			ageSum += c.Rows[0].Values[age].Num
			regions[info.Layout.Columns[reg].Values[c.Rows[0].Values[reg].Int]]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return
}

func TestFederatedStatsExact(t *testing.T) {
	ms := consortium(t, 3, 300)
	for _, m := range ms {
		m.f.noiseOff = true
	}
	res, err := ms[0].f.RunJob(t.Context(), statsSpec(t, "stats-exact", ms, 2), func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	var out []stats.Result
	if err := json.Unmarshal(res.Result, &out); err != nil {
		t.Fatal(err)
	}
	count, ageSum, regions := plaintext(t, ms)
	if out[0].Value != float64(count) {
		t.Errorf("count %v, plaintext %d", out[0].Value, count)
	}
	if math.Abs(out[1].Value-ageSum/float64(count)) > 1e-9 {
		t.Errorf("mean age %v, plaintext %v", out[1].Value, ageSum/float64(count))
	}
	for i, l := range out[2].Labels {
		if out[2].Counts[i] != float64(regions[l]) {
			t.Errorf("region %s: %v, plaintext %d", l, out[2].Counts[i], regions[l])
		}
	}
	// Every node charged the round once and recorded the release.
	for _, m := range ms {
		accts, _ := m.n.Budgets()
		if accts[0].Releases != 1 || accts[0].Spent.Rho == 0 {
			t.Errorf("%s ledger: %+v", m.n.cfg.Name, accts[0])
		}
		var kinds []string
		m.n.AuditEntries(func(e *audit.Entry) error { kinds = append(kinds, string(e.Record.Kind)); return nil })
		if fmt.Sprint(kinds) != "[budget.set charge release]" {
			t.Errorf("%s audit: %v", m.n.cfg.Name, kinds)
		}
		if _, err := m.n.AuditVerify(); err != nil {
			t.Error(err)
		}
	}
}

func TestFederatedStatsNoised(t *testing.T) {
	ms := consortium(t, 3, 300)
	start := time.Now()
	res, err := ms[1].f.RunJob(t.Context(), statsSpec(t, "stats-noised", ms, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("job in %v", time.Since(start))
	var out []stats.Result
	json.Unmarshal(res.Result, &out)
	count, ageSum, regions := plaintext(t, ms)
	if math.Abs(out[0].Value-float64(count)) > 6*out[0].Stddev {
		t.Errorf("count %v (sd %v), plaintext %d", out[0].Value, out[0].Stddev, count)
	}
	// Noise is there: with σ ≈ 9 per value, all six counts exact has
	// probability below 1e-8.
	exact := out[0].Value == float64(count)
	for i, l := range out[2].Labels {
		exact = exact && out[2].Counts[i] == float64(regions[l])
	}
	if exact {
		t.Error("every released count equals the plaintext: no noise was added")
	}
	if math.Abs(out[1].Value-ageSum/float64(count)) > 6*out[1].Stddev+0.1 {
		t.Errorf("mean %v (sd %v), plaintext %v", out[1].Value, out[1].Stddev, ageSum/float64(count))
	}
	// The same job id is refused from now on.
	if _, err := ms[1].f.RunJob(t.Context(), statsSpec(t, "stats-noised", ms, 2), nil); err == nil {
		t.Fatal("a job id was reused")
	}
}

// shareRecords counts the decryption-share records a node keeps.
func shareRecords(t *testing.T, n *Node) int {
	c := 0
	n.store.View(func(tx *store.Txn) error {
		return tx.In(store.SpaceShares).Scan(nil, func(k, v []byte) error { c++; return nil })
	})
	return c
}

func crash(f *Federation) error {
	go f.Close()
	return fmt.Errorf("node crashed")
}

// TestKillContributorMidRound: one of 5 nodes dies after charging its
// contribution; with t = 3 the round completes with the other 4.
func TestKillContributorMidRound(t *testing.T) {
	ms := consortium(t, 5, 150)
	for _, m := range ms {
		m.f.noiseOff = true
	}
	victim := ms[3]
	victim.f.afterCharge = func() error { return crash(victim.f) }
	res, err := ms[0].f.RunJob(t.Context(), statsSpec(t, "kill-contributor", ms, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rounds) != 1 || len(res.Rounds[0].Contributors) != 4 || res.Rounds[0].Attempt != 1 {
		t.Fatalf("rounds %+v", res.Rounds)
	}
	var out []stats.Result
	json.Unmarshal(res.Result, &out)
	count, _, _ := plaintext(t, append(append([]*testMember{}, ms[:3]...), ms[4]))
	if out[0].Value != float64(count) {
		t.Fatalf("count %v, want the 4 survivors' %d", out[0].Value, count)
	}
	// The victim was charged once (budget lost, nothing released).
	accts, _ := victim.n.Budgets()
	if accts[0].Releases != 1 {
		t.Fatalf("victim charged %d times", accts[0].Releases)
	}
	for _, m := range ms {
		if n := shareRecords(t, m.n); n > 1 {
			t.Errorf("%s produced %d decryption shares", m.n.cfg.Name, n)
		}
	}
}

// TestKillQuorumMemberRetries: a quorum member dies when asked for its
// decryption share. The round is never retried on the same ciphertext: the
// next attempt is fresh encryptions with a new charge, and completes.
func TestKillQuorumMemberRetries(t *testing.T) {
	ms := consortium(t, 5, 150)
	for _, m := range ms {
		m.f.noiseOff = true
	}
	victim := ms[1] // Shamir point 2: in the first quorum
	victim.f.beforeShare = func() error { return crash(victim.f) }
	res, err := ms[0].f.RunJob(t.Context(), statsSpec(t, "kill-quorum", ms, 3), func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Rounds[0].Attempt != 2 || len(res.Rounds[0].Contributors) != 4 {
		t.Fatalf("round %+v: want a second attempt without the victim", res.Rounds[0])
	}
	digests := map[string]int{}
	for _, m := range ms {
		accts, _ := m.n.Budgets()
		want := int64(2)
		if m == victim {
			want = 1
		}
		if accts[0].Releases != want {
			t.Errorf("%s: %d releases charged, want %d (one per attempt it contributed to)", m.n.cfg.Name, accts[0].Releases, want)
		}
		m.n.store.View(func(tx *store.Txn) error {
			return tx.In(store.SpaceShares).Scan(nil, func(k, v []byte) error { digests[string(k)]++; return nil })
		})
	}
	for d, c := range digests {
		if c > 3 {
			t.Errorf("ciphertext %x decrypted by %d nodes", d[:4], c)
		}
	}
	if len(digests) != 2 {
		t.Errorf("%d distinct ciphertexts had shares, want 2 (one per attempt)", len(digests))
	}
}

// TestBelowThresholdAborts: with t = 3 of 3 and one node dead, the round
// cannot be decrypted and the job aborts cleanly.
func TestBelowThresholdAborts(t *testing.T) {
	ms := consortium(t, 3, 100)
	victim := ms[2]
	victim.f.afterCharge = func() error { return crash(victim.f) }
	_, err := ms[0].f.RunJob(t.Context(), statsSpec(t, "below-t", ms, 3), nil)
	if err == nil || !strings.Contains(err.Error(), "fewer contributions than the threshold") {
		t.Fatalf("job below threshold: %v", err)
	}
	for _, m := range ms[:2] {
		if n := shareRecords(t, m.n); n != 0 {
			t.Errorf("%s produced a decryption share below the threshold", m.n.cfg.Name)
		}
	}
}

// TestCuriousCoordinatorGetsNothing: a participant refuses to produce a
// decryption share unless the ciphertext is the sum of at least t signed
// contributions from distinct participants to the current round — whatever
// the coordinator claims — and it never decrypts the same ciphertext twice.
func TestCuriousCoordinatorGetsNothing(t *testing.T) {
	ms := consortium(t, 3, 100)
	coord, victim := ms[0], ms[1]
	// Stop the job after the contributions: the coordinator keeps them.
	spec := statsSpec(t, "curious", ms, 2)
	var contribs []*sentContribution
	var pv *participation
	var pc *participation
	victim.f.beforeShare = func() error {
		// Keep both sides' job state; the coordinator's attempts fail.
		pv, _ = victim.f.get("curious")
		pc, _ = coord.f.get("curious")
		return errors.New("hold")
	}
	if _, err := coord.f.RunJob(t.Context(), spec, nil); err == nil {
		t.Fatal("job should have failed at the held share")
	}
	if pv == nil || pc == nil {
		t.Fatal("no job state captured")
	}
	victim.f.beforeShare = nil
	// The coordinator's own contribution and another, freshly made, for a
	// new attempt the victim is at.
	for _, m := range []*testMember{coord, victim} {
		p := pc
		if m == victim {
			p = pv
		}
		hdr, chunks, err := m.f.contribute(t.Context(), p, roundMsg{Job: "curious", Round: 1, Attempt: 5})
		if err != nil {
			t.Fatal(err)
		}
		contribs = append(contribs, &sentContribution{hdr: *hdr, chunks: chunks})
	}
	sum := func(cs ...*sentContribution) []*mhe.Ciphertext {
		var s []*mhe.Ciphertext
		for _, c := range cs {
			cts, err := mhe.DecodeCiphertexts(mhe.Params(), c.chunks, pv.kind.Chunks())
			if err != nil {
				t.Fatal(err)
			}
			if s == nil {
				s = cts
			} else if err := mhe.Add(mhe.Params(), s, cts); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	req := func(cs ...*sentContribution) decryptMsg {
		m := decryptMsg{Job: "curious", Round: 1, Attempt: 5, Active: []uint64{1, 2}}
		for _, c := range cs {
			m.Headers = append(m.Headers, c.hdr)
		}
		return m
	}
	// One contribution alone (the coordinator's own): refused.
	if err := victim.f.checkHeaders(pv, req(contribs[0])); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Fatalf("single contribution: %v", err)
	}
	// The same contribution twice: not distinct.
	if err := victim.f.checkHeaders(pv, req(contribs[0], contribs[0])); err == nil {
		t.Fatal("a contribution counted twice")
	}
	// A forged header (another sender's signature).
	forged := *contribs[1]
	forged.hdr.Sig = append([]byte(nil), contribs[0].hdr.Sig...)
	if err := victim.f.checkHeaders(pv, req(contribs[0], &forged)); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("forged contribution: %v", err)
	}
	// Genuine headers, but the aggregate is only the victim's contribution:
	// the hash challenge catches it.
	m := req(contribs...)
	if err := victim.f.checkHeaders(pv, m); err != nil {
		t.Fatal(err)
	}
	seed := bytes.Repeat([]byte{3}, mhe.HashSeedSize)
	hashes := func(seed []byte) []hashResp {
		var out []hashResp
		for i, p := range []*participation{pc, pv} {
			f := []*testMember{coord, victim}[i].f
			r, err := f.hashOwn(p, hashReq{Job: "curious", Round: 1, Attempt: 5, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, *r)
		}
		return out
	}
	if err := victim.f.verifyHashes(m, seed, hashes(seed), sum(contribs[1])); err == nil || !strings.Contains(err.Error(), "not the sum") {
		t.Fatalf("substituted aggregate: %v", err)
	}
	if err := victim.f.verifyHashes(m, seed, hashes(bytes.Repeat([]byte{4}, mhe.HashSeedSize)), sum(contribs...)); err == nil {
		t.Fatal("hashes under another seed accepted")
	}
	if n := shareRecords(t, victim.n); n != 0 {
		t.Fatalf("refused requests recorded %d shares", n)
	}
	// The genuine sum: one share, and never a second one.
	agg := sum(contribs...)
	if err := victim.f.verifyHashes(m, seed, hashes(seed), agg); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.f.shareOnce(pv, m, agg); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.f.shareOnce(pv, m, agg); !errors.Is(err, ErrShareReused) {
		t.Fatalf("second share of one ciphertext: %v", err)
	}
	if n := shareRecords(t, victim.n); n != 1 {
		t.Fatalf("%d share records, want 1", n)
	}
}

// TestRefusalReported: a participant without budget refuses, the job does
// not start, and the initiator learns who refused and why.
func TestRefusalReported(t *testing.T) {
	ms := consortium(t, 3, 100)
	spec := statsSpec(t, "too-expensive", ms, 2)
	spec.Epsilon = 50 // above every node's cap of 10
	_, err := ms[0].f.RunJob(t.Context(), spec, nil)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "over budget") || !strings.Contains(err.Error(), ms[1].n.cfg.Name) {
		t.Fatalf("refusal: %v", err)
	}
	for _, m := range ms {
		if accts, _ := m.n.Budgets(); accts[0].Releases != 0 {
			t.Errorf("%s charged for a refused job", m.n.cfg.Name)
		}
	}
	spec = statsSpec(t, "no-dataset", ms, 2)
	spec.Dataset = "nope"
	if _, err := ms[0].f.RunJob(t.Context(), spec, nil); err == nil {
		t.Fatal("job on a missing dataset ran")
	}
}

// TestReplayAndRestart: a replayed round message is refused, a restarted
// node keeps its ledger and refuses the old job, and nodes keep serving.
func TestReplayAndRestart(t *testing.T) {
	ms := consortium(t, 3, 100)
	if _, err := ms[0].f.RunJob(t.Context(), statsSpec(t, "first", ms, 2), nil); err != nil {
		t.Fatal(err)
	}
	// Replay the round request of the finished job to a participant.
	rb, _ := json.Marshal(roundMsg{Job: "first", Round: 1, Attempt: 1})
	if _, _, err := ms[0].f.host.Request(t.Context(), ms[1].f.host.ID(), protoJob, tRound, rb, jobLimits()); err == nil {
		t.Fatal("replayed round accepted")
	}
	// Garbage to the job protocol: refused, and the node still serves.
	if _, _, err := ms[0].f.host.Request(t.Context(), ms[1].f.host.ID(), protoJob, tDecrypt, []byte("{not json"), jobLimits()); err == nil {
		t.Fatal("malformed decrypt request accepted")
	}
	before, _ := ms[1].n.Budgets()
	// Restart participant 1: close and reopen it on the same directory.
	dir := ms[1].n.dir
	ms[1].f.Close()
	ms[1].n.Close()
	n, err := Open(t.Context(), dir, []byte(testPass), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	after, _ := n.Budgets()
	if after[0].Releases != before[0].Releases || after[0].Spent != before[0].Spent {
		t.Fatalf("ledger changed across the restart: %+v → %+v", before[0], after[0])
	}
	f, err := n.Serve(t.Context(), ms[0].f.host.Consortium(), []string{ms[1].addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ms[1].n, ms[1].f = n, f
	if _, err := ms[0].f.host.ConnectAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := ms[2].f.RunJob(t.Context(), statsSpec(t, "first", ms, 2), nil); !errors.Is(err, ErrRefused) {
		t.Fatalf("old job id after restart: %v", err)
	}
	if _, err := ms[2].f.RunJob(t.Context(), statsSpec(t, "second", ms, 2), nil); err != nil {
		t.Fatalf("a new job after the restart: %v", err)
	}
}

// sentContribution is a contribution as its sender produced it.
type sentContribution struct {
	hdr    contribHeader
	chunks [][]byte
}

// TestIdleJobsForgotten: a job whose coordinator went silent is forgotten,
// key shares and all; an active one is kept.
func TestIdleJobsForgotten(t *testing.T) {
	ms := consortium(t, 3, 50)
	f := ms[1].f
	old := newParticipation(statsSpec(t, "silent", ms, 2), nil, ms[0].f.host.Self(), nil)
	old.seen.Store(time.Now().Add(-2 * JobIdleTimeout).UnixNano())
	fresh := newParticipation(statsSpec(t, "active", ms, 2), nil, ms[0].f.host.Self(), nil)
	f.mu.Lock()
	f.jobs["silent"], f.jobs["active"] = old, fresh
	f.mu.Unlock()
	gone := f.expire(time.Now().Add(-JobIdleTimeout))
	if len(gone) != 1 || gone[0] != "silent" {
		t.Fatalf("expired %v", gone)
	}
	if _, err := f.get("silent"); !errors.Is(err, ErrUnknownJob) {
		t.Fatal("silent job kept")
	}
	if _, err := f.get("active"); err != nil {
		t.Fatal("active job forgotten")
	}
}
