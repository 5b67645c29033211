package mhe

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// Ciphertext is a lattigo BGV ciphertext of the job: degree 1, at the
// maximum level, in the NTT domain. The alias spares callers an import.
type Ciphertext = rlwe.Ciphertext

// Encrypt encodes values in chunks of Slots (the last chunk zero-padded) and
// encrypts each chunk under the collective key with fresh randomness. Every
// value must lie in [−MaxAbs, MaxAbs]. The result has params.Chunks(len(values))
// marshalled ciphertexts of CiphertextSize bytes each.
func Encrypt(pk *PublicKey, values []int64) ([][]byte, error) {
	if pk == nil {
		return nil, errors.New("mhe encrypt: nil public key")
	}
	if len(values) == 0 {
		return nil, errors.New("mhe encrypt: no values")
	}
	params := pk.params
	he := params.he
	t := he.PlaintextModulus()
	maxAbs := int64((t - 1) / 2) // MaxAbs for the job's parameters
	for i, v := range values {
		if v < -maxAbs || v > maxAbs {
			return nil, fmt.Errorf("mhe encrypt: value %d is out of [−MaxAbs, MaxAbs]", i)
		}
	}
	slots := he.MaxSlots()
	out := make([][]byte, params.Chunks(len(values)))

	type worker struct {
		ecd *heint.Encoder
		enc *rlwe.Encryptor
		pt  *rlwe.Plaintext
		ct  *rlwe.Ciphertext
		buf []uint64
	}
	ecd := heint.NewEncoder(he)
	newWorker := func() *worker {
		return &worker{
			ecd: ecd.ShallowCopy(),
			enc: rlwe.NewEncryptor(he, pk.pk),
			pt:  heint.NewPlaintext(he, he.MaxLevel()),
			ct:  heint.NewCiphertext(he, 1, he.MaxLevel()),
			buf: make([]uint64, slots),
		}
	}
	err := parallel(len(out), newWorker, func(w *worker, i int) error {
		chunk := values[i*slots : min((i+1)*slots, len(values))]
		for j, v := range chunk {
			if v < 0 {
				w.buf[j] = t - uint64(-v)
			} else {
				w.buf[j] = uint64(v)
			}
		}
		clear(w.buf[len(chunk):])
		if err := w.ecd.Encode(w.buf, w.pt); err != nil {
			return fmt.Errorf("chunk %d: encode: %w", i, err)
		}
		if err := w.enc.Encrypt(w.pt, w.ct); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		b, err := w.ct.MarshalBinary()
		if err != nil {
			return fmt.Errorf("chunk %d: marshal: %w", i, err)
		}
		out[i] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mhe encrypt: %w", err)
	}
	return out, nil
}

// DecodeCiphertexts decodes wantChunks marshalled ciphertexts from a peer. Each
// is checked before lattigo reads it (layout, lengths, metadata, every
// coefficient below its modulus, no trailing bytes) and after (degree 1, the
// maximum level, the ring degree, the metadata, every coefficient). Errors
// wrap ErrMalformed.
func DecodeCiphertexts(params *Parameters, bs [][]byte, wantChunks int) ([]*Ciphertext, error) {
	if params == nil {
		return nil, errors.New("mhe decode ciphertexts: nil parameters")
	}
	if wantChunks < 1 || len(bs) != wantChunks {
		return nil, fmt.Errorf("mhe decode ciphertexts: %w", malformed("%d chunks, want %d", len(bs), wantChunks))
	}
	cts := make([]*Ciphertext, len(bs))
	for i, b := range bs {
		ct, err := params.decodeCiphertext(b)
		if err != nil {
			return nil, fmt.Errorf("mhe decode ciphertexts: chunk %d: %w", i, err)
		}
		cts[i] = ct
	}
	return cts, nil
}

// Add adds src into dst chunk by chunk (lattigo's BGV evaluator, no keys).
// Both must hold ciphertexts of params's shape (degree, level, ring degree,
// metadata; coefficients were checked when they were decoded) with the same
// number of chunks, and src must not share a ciphertext with dst. On error
// dst is unchanged.
func Add(params *Parameters, dst, src []*Ciphertext) error {
	if params == nil {
		return errors.New("mhe add: nil parameters")
	}
	if len(dst) == 0 || len(dst) != len(src) {
		return fmt.Errorf("mhe add: %d chunks into %d", len(src), len(dst))
	}
	inDst := make(map[*rlwe.Ciphertext]bool, len(dst))
	for i := range dst {
		if err := params.checkCiphertextShape(dst[i]); err != nil {
			return fmt.Errorf("mhe add: dst chunk %d: %w", i, err)
		}
		if err := params.checkCiphertextShape(src[i]); err != nil {
			return fmt.Errorf("mhe add: src chunk %d: %w", i, err)
		}
		inDst[dst[i]] = true
	}
	for i := range src {
		if inDst[src[i]] {
			return fmt.Errorf("mhe add: src chunk %d is also in dst", i)
		}
	}
	eval := heint.NewEvaluator(params.he, nil)
	for i := range dst {
		if err := eval.Add(dst[i], src[i], dst[i]); err != nil {
			return fmt.Errorf("mhe add: chunk %d: %w", i, err)
		}
	}
	return nil
}

// Digest is SHA-256 over a domain tag, the chunk count and every chunk's
// canonical lattigo bytes. It names the aggregate a decryption share is for:
// the caller records it durably BEFORE calling Party.DecryptShare and refuses
// to share for a digest it has recorded before.
func Digest(cts []*Ciphertext) [32]byte {
	h := sha256.New()
	h.Write([]byte("fednode/mhe/aggregate/v1\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(cts)))
	h.Write(n[:])
	for _, ct := range cts {
		if ct == nil || ct.MetaData == nil {
			h.Write([]byte{0})
			continue
		}
		h.Write([]byte{1})
		if _, err := ct.WriteTo(h); err != nil {
			// lattigo's WriteTo fails only if the writer does, and
			// hash.Hash never does.
			panic(fmt.Sprintf("mhe digest: %v", err))
		}
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// parallel runs fn for every index in [0, n) on up to GOMAXPROCS goroutines.
// Each goroutine gets its own worker from newWorker, since lattigo objects
// are not safe for concurrent use. It returns the first error.
func parallel[W any](n int, newWorker func() W, fn func(w W, i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		w := newWorker()
		for i := range n {
			if err := fn(w, i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next    atomic.Int64
		failed  atomic.Bool
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			w := newWorker()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(w, i); err != nil {
					errOnce.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
