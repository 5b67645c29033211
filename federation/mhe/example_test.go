package mhe_test

import (
	"crypto/rand"
	"fmt"

	"github.com/fednode/fednode/federation/mhe"
)

// Example sums three organisations' vectors with threshold 2. In a real job
// every arrow is a message on an authenticated stream, and each party records
// the aggregate's digest durably before it returns its decryption share.
func Example() {
	params := mhe.Params()
	seed := make([]byte, 32) // from the signed job spec
	if _, err := rand.Read(seed); err != nil {
		panic(err)
	}
	points := []mhe.ShamirPoint{1, 2, 3}
	parties := map[mhe.ShamirPoint]*mhe.Party{}
	var pkShares [][]byte
	for _, pt := range points {
		p, err := mhe.NewParty(params, seed, pt, points, 2)
		if err != nil {
			panic(err)
		}
		parties[pt] = p
		share, err := p.PublicKeyShare() // → aggregator
		if err != nil {
			panic(err)
		}
		pkShares = append(pkShares, share)
	}
	for _, from := range points { // private, pairwise
		for _, to := range points {
			if from != to {
				b, err := parties[from].ShamirShareFor(to)
				if err != nil {
					panic(err)
				}
				if err := parties[to].AddShamirShare(from, b); err != nil {
					panic(err)
				}
			}
		}
	}
	pk, pkBytes, err := mhe.AggregatePublicKey(params, seed, pkShares) // → everyone
	if err != nil {
		panic(err)
	}
	for _, p := range parties {
		if err := p.SetPublicKey(pkBytes); err != nil {
			panic(err)
		}
	}

	// One round: every party encrypts, the aggregator decodes and adds.
	inputs := map[mhe.ShamirPoint][]int64{1: {10, -3, 5}, 2: {20, -4, 0}, 3: {30, 7, -5}}
	var agg []*mhe.Ciphertext
	for _, pt := range points {
		bs, err := mhe.Encrypt(pk, inputs[pt]) // → aggregator
		if err != nil {
			panic(err)
		}
		cts, err := mhe.DecodeCiphertexts(params, bs, params.Chunks(3))
		if err != nil {
			panic(err)
		}
		if agg == nil {
			agg = cts
		} else if err := mhe.Add(params, agg, cts); err != nil {
			panic(err)
		}
	}

	// Parties 3 and 1 are online; the quorum is the first two of them.
	active := []mhe.ShamirPoint{3, 1}
	quorum, err := mhe.Quorum(active, 2)
	if err != nil {
		panic(err)
	}
	shares := map[mhe.ShamirPoint][][]byte{}
	for _, pt := range quorum {
		_ = mhe.Digest(agg)                              // recorded durably before the share
		sh, err := parties[pt].DecryptShare(agg, active) // → aggregator
		if err != nil {
			panic(err)
		}
		shares[pt] = sh
	}
	sum, err := mhe.Combine(params, agg, active, shares, 2)
	if err != nil {
		panic(err)
	}
	fmt.Println(quorum, sum[:3])
	// Output: [1 3] [60 0 0]
}
