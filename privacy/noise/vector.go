package noise

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// A Distribution is a distribution on the integers that a Sampler can draw
// from: *Laplace or *Gaussian.
type Distribution interface {
	// draw returns the magnitude and sign of one sample.
	draw(s *Sampler) (mag uint64, neg bool, err error)
}

// Sample returns one sample from d. It returns an error wrapping
// ErrInvalidParameter if d is nil or uninitialised, and the reader's error,
// wrapped, if reading randomness fails.
func (s *Sampler) Sample(d Distribution) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if d == nil {
		return 0, fmt.Errorf("%w: nil Distribution", ErrInvalidParameter)
	}
	return s.sample(d)
}

func (s *Sampler) sample(d Distribution) (int64, error) {
	mag, neg, err := d.draw(s)
	if err != nil {
		return 0, err
	}
	v := int64(mag) // mag ≤ math.MaxInt64
	if neg {
		v = -v
	}
	return v, nil
}

// Fill sets every element of dst to an independent sample from d. On error
// the contents of dst are unspecified.
func (s *Sampler) Fill(dst []int64, d Distribution) error {
	if err := s.check(); err != nil {
		return err
	}
	if d == nil {
		return fmt.Errorf("%w: nil Distribution", ErrInvalidParameter)
	}
	for i := range dst {
		v, err := s.sample(d)
		if err != nil {
			return fmt.Errorf("noise: sample %d of %d: %w", i, len(dst), err)
		}
		dst[i] = v
	}
	return nil
}

// Add adds an independent sample from d to every element of dst. It returns
// an error wrapping ErrOutOfRange if a sum overflows int64. On error dst has
// been partially modified and must not be released.
func (s *Sampler) Add(dst []int64, d Distribution) error {
	if err := s.check(); err != nil {
		return err
	}
	if d == nil {
		return fmt.Errorf("%w: nil Distribution", ErrInvalidParameter)
	}
	for i, x := range dst {
		v, err := s.sample(d)
		if err != nil {
			return fmt.Errorf("noise: sample %d of %d: %w", i, len(dst), err)
		}
		sum := x + v
		if (v > 0 && sum < x) || (v < 0 && sum > x) {
			return fmt.Errorf("%w: element %d: %d + %d overflows", ErrOutOfRange, i, x, v)
		}
		dst[i] = sum
	}
	return nil
}

// minPerWorker is the smallest number of elements worth a goroutine.
const minPerWorker = 1 << 12

// FillParallel is Fill split over up to workers goroutines (all of GOMAXPROCS
// if workers ≤ 0), never more than one per 4096 elements. dst is divided into
// contiguous parts, one per worker, and each worker has its own Sampler
// reading from its own reader returned by newReader. newReader is called
// from the calling goroutine, once per worker, in order; it may return the
// same reader each time only if that reader is safe for concurrent use, as
// crypto/rand.Reader is. With deterministic readers the result depends on
// the number of workers.
func FillParallel(dst []int64, d Distribution, workers int, newReader func() io.Reader) error {
	return parallel(dst, d, workers, newReader, (*Sampler).Fill)
}

// AddParallel is Add split over goroutines as FillParallel describes. On
// error dst has been partially modified and must not be released.
func AddParallel(dst []int64, d Distribution, workers int, newReader func() io.Reader) error {
	return parallel(dst, d, workers, newReader, (*Sampler).Add)
}

func parallel(dst []int64, d Distribution, workers int, newReader func() io.Reader, op func(*Sampler, []int64, Distribution) error) error {
	if newReader == nil {
		return fmt.Errorf("%w: nil reader factory", ErrInvalidParameter)
	}
	if d == nil {
		return fmt.Errorf("%w: nil Distribution", ErrInvalidParameter)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(dst)/minPerWorker))
	samplers := make([]*Sampler, workers)
	for i := range samplers {
		r := newReader()
		if r == nil {
			return fmt.Errorf("%w: reader factory returned nil", ErrInvalidParameter)
		}
		samplers[i] = NewSampler(r)
	}
	if workers == 1 {
		return op(samplers[0], dst, d)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i, s := range samplers {
		part := dst[i*len(dst)/workers : (i+1)*len(dst)/workers]
		wg.Go(func() { errs[i] = op(s, part, d) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
