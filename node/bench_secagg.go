package node

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fednode/fednode/federation/job"
	"github.com/fednode/fednode/federation/mhe"
	"github.com/fednode/fednode/federation/paillier"
	"github.com/fednode/fednode/node/store"
	"github.com/fednode/fednode/privacy/accountant"
	"github.com/fednode/fednode/privacy/mechanism"
	"github.com/fednode/fednode/privacy/noise"
)

// benchKind is the job kind of the secure-aggregation benchmark: every
// node contributes a vector of random values (never data). Only nodes
// started by BenchSecagg accept it.
const benchKind = "bench-sum"

// roundMetrics accumulates the time a node spends in each role.
type roundMetrics struct {
	mu                                  sync.Mutex
	encrypt, aggregate, share, combine  time.Duration
	encrypts, aggregates, shares, combs int
}

// The roles a node's time is measured in.
const (
	roleencrypt = iota
	roleaggregate
	roleshare
	rolecombine
)

func (m *roundMetrics) add(role int, start time.Time) {
	if m == nil {
		return
	}
	d := time.Since(start)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch role {
	case roleencrypt:
		m.encrypt += d
		m.encrypts++
	case roleaggregate:
		m.aggregate += d
		m.aggregates++
	case roleshare:
		m.share += d
		m.shares++
	case rolecombine:
		m.combine += d
		m.combs++
	}
}

// benchPlan contributes random values in ±2^20 with distributed noise as a
// real release of sensitivity 1 per value would carry.
type benchPlan struct {
	values int
	dist   *mechanism.Distributed
	noise  *mechanism.Noise
	rng    *rand.Rand
}

func planBench(spec *job.Spec, values int) (*benchPlan, error) {
	d, err := mechanism.PlanDistributed([]mechanism.Block{{L2: 1, L1: 1, Dim: values}}, 1, spec.Threshold)
	if err != nil {
		return nil, err
	}
	n, err := d.LocalNoise(0)
	if err != nil {
		return nil, err
	}
	return &benchPlan{values: values, dist: d, noise: n, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))}, nil
}

func (b *benchPlan) Rounds() int               { return 1 }
func (b *benchPlan) Chunks() int               { return mhe.Params().Chunks(b.values) }
func (b *benchPlan) Cost() accountant.Cost     { return b.dist.Cost }
func (b *benchPlan) Params() map[string]string { return map[string]string{"kind": benchKind} }
func (b *benchPlan) AddNoise(v []int64) error {
	return b.noise.Apply(noise.NewSampler(cryptoReader{}), v)
}
func (b *benchPlan) Global(int, []int64) (json.RawMessage, []byte, error) {
	return []byte("{}"), nil, nil
}

func (b *benchPlan) Local(context.Context, *store.Store, int, []byte) ([]int64, error) {
	v := make([]int64, b.values)
	for i := range v {
		v[i] = b.rng.Int64N(1<<21) - 1<<20
	}
	return v, nil
}

// SecaggResult is one measured secure-aggregation round.
type SecaggResult struct {
	Nodes, Values, Threshold int
	Runs                     int           // rounds run; times are medians (wall) and means (per role)
	Round                    time.Duration // wall time of one round over loopback streams, median
	Setup                    time.Duration // proposal and collective key (once per job)
	Encrypt                  time.Duration // per node, mean
	Aggregate                time.Duration // coordinator
	Share                    time.Duration // per decrypting node, mean
	Combine                  time.Duration // coordinator
	Noise                    time.Duration // distributed noise per node (sampling)
	BytesPerValueNode        float64       // sent by each contributing node: its ciphertexts and its share
	BytesPerValueCoordinator float64       // sent by the coordinator: the aggregate's c1 half to each other quorum member
	Plaintext                time.Duration // summing the same vectors in the clear
	PaillierPerValue         time.Duration // Paillier-2048 encryption of one value (measured on 1,000, extrapolated)
	EncryptPerValue          time.Duration // ours, per node
}

// BenchSecagg runs one stats-free secure-aggregation round of values
// random values over nodes throwaway nodes on loopback, through the same
// engine as every job: policy, collective key, charged and noised
// contributions, verified threshold decryption.
func BenchSecagg(ctx context.Context, workdir string, nodes, values, runs int) (*SecaggResult, error) {
	runs = max(runs, 1)
	if nodes < 2 || values < 1 {
		return nil, fmt.Errorf("bench secagg: need at least 2 nodes and 1 value")
	}
	var ns []*Node
	defer func() {
		for _, n := range ns {
			n.Close()
		}
	}()
	var names []string
	for i := range nodes {
		name := fmt.Sprintf("bench-%02d", i)
		dir := filepath.Join(workdir, name)
		if _, err := Init(dir, InitOptions{Name: name, Passphrase: []byte("bench")}); err != nil {
			return nil, err
		}
		n, err := Open(ctx, dir, []byte("bench"), nil)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
		names = append(names, `"`+name+`"`)
		sch := []byte("kind = \"customers\"\n[columns]\nid = \"id\"\nx = { role = \"numeric\", min = 0, max = 1 }\n")
		if _, err := n.Ingest(ctx, IngestRequest{Dataset: "bench", Schema: sch, File: "bench.csv", Data: strings.NewReader("id,x\n1,0\n")}); err != nil {
			return nil, err
		}
		if _, _, err := n.SetBudget("bench", accountant.Budget{Epsilon: 1e6, Delta: 0.5}); err != nil {
			return nil, err
		}
	}
	fs, err := StartLocal(ctx, ns)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range fs {
			f.Close()
		}
	}()
	ms := make([]*roundMetrics, nodes)
	for i, f := range fs {
		f.benchValues = values
		ms[i] = &roundMetrics{}
		f.metrics = ms[i]
	}
	t := max(2, nodes/2+1)
	var rounds, setups []time.Duration
	var spec *job.Spec
	for r := range runs {
		spec, err = job.ParseTOML([]byte(fmt.Sprintf("id = \"bench-%d-%d\"\nkind = %q\ndataset = \"bench\"\nparticipants = [%s]\nthreshold = %d\nepsilon = 1000\ndelta = 0.1\n",
			time.Now().UnixNano(), r, benchKind, strings.Join(names, ", "), t)))
		if err != nil {
			return nil, err
		}
		var roundStart time.Time
		start := time.Now()
		_, err = fs[0].RunJob(ctx, spec, func(s string) {
			if strings.HasPrefix(s, "round 1 attempt 1") {
				roundStart = time.Now()
			}
		})
		if err != nil {
			return nil, err
		}
		rounds = append(rounds, time.Since(roundStart))
		setups = append(setups, roundStart.Sub(start))
	}
	res := &SecaggResult{Nodes: nodes, Values: values, Threshold: t, Runs: runs, Round: medianDur(rounds), Setup: medianDur(setups)}
	var enc, sh time.Duration
	var nenc, nsh int
	for _, m := range ms {
		enc += m.encrypt
		nenc += m.encrypts
		sh += m.share
		nsh += m.shares
	}
	res.Encrypt = enc / time.Duration(max(nenc, 1))
	res.Share = sh / time.Duration(max(nsh, 1))
	res.Aggregate = ms[0].aggregate / time.Duration(max(ms[0].aggregates, 1))
	res.Combine = ms[0].combine / time.Duration(max(ms[0].combs, 1))
	res.EncryptPerValue = res.Encrypt / time.Duration(values)
	params := mhe.Params()
	ct := float64(params.Chunks(values) * params.CiphertextSize())
	sharesBytes := float64(params.Chunks(values) * params.ShareSize())
	res.BytesPerValueNode = (ct + sharesBytes) / float64(values)
	// The coordinator sends each other quorum member the aggregate's c1
	// half (the size of a share), plus small headers and hashes.
	res.BytesPerValueCoordinator = float64(t-1) * sharesBytes / float64(values)

	// Baselines, measured in the same run.
	vecs := make([][]int64, nodes)
	for i := range vecs {
		vecs[i] = make([]int64, values)
		for j := range vecs[i] {
			vecs[i][j] = int64(j * i)
		}
	}
	ps := time.Now()
	sum := make([]int64, values)
	for _, v := range vecs {
		for j, x := range v {
			sum[j] += x
		}
	}
	res.Plaintext = time.Since(ps)
	nz, err := planBench(spec, values)
	if err != nil {
		return nil, err
	}
	ns0 := time.Now()
	if err := nz.AddNoise(vecs[0]); err != nil {
		return nil, err
	}
	res.Noise = time.Since(ns0)
	if res.PaillierPerValue, err = paillier.MeasureEncrypt(values); err != nil {
		return nil, err
	}
	return res, nil
}

// cryptoReader reads crypto/rand.
type cryptoReader struct{}

func (cryptoReader) Read(b []byte) (int, error) { return cryptoRead(b) }

func medianDur(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
