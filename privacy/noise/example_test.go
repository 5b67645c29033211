package noise_test

import (
	"fmt"
	"io"
	"log"
	"math/big"
	"math/rand/v2"

	"github.com/fednode/fednode/privacy/noise"
)

// exampleReader returns a fixed ChaCha8 stream so that the examples print
// the same output every time. Production code passes crypto/rand.Reader.
func exampleReader() io.Reader {
	return rand.NewChaCha8([32]byte{'f', 'e', 'd', 'n', 'o', 'd', 'e'})
}

// Adding discrete Gaussian noise with σ² = 9 to a vector of counts.
func Example() {
	g, err := noise.NewGaussian(big.NewRat(9, 1))
	if err != nil {
		log.Fatal(err)
	}
	counts := []int64{120, 4500, 37, 0, 981}
	s := noise.NewSampler(exampleReader())
	if err := s.Add(counts, g); err != nil {
		log.Fatal(err)
	}
	fmt.Println(counts)
	// Output: [117 4502 39 0 983]
}

func ExampleSampler_BernoulliExp() {
	s := noise.NewSampler(exampleReader())
	n := 0
	for range 10_000 {
		ok, err := s.BernoulliExp(big.NewRat(1, 1))
		if err != nil {
			log.Fatal(err)
		}
		if ok {
			n++
		}
	}
	fmt.Printf("%d of 10000 trials succeeded (expected ≈ 10000/e ≈ 3679)\n", n)
	// Output: 3691 of 10000 trials succeeded (expected ≈ 10000/e ≈ 3679)
}

func ExampleNewGaussianSigma() {
	g, err := noise.NewGaussianSigma(0.1)
	if err != nil {
		log.Fatal(err)
	}
	// σ is taken as its exact binary value, so σ² is not exactly 1/100.
	fmt.Println(g.Sigma2().Cmp(big.NewRat(1, 100)) != 0)
	// Output: true
}
