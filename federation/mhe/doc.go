// Package mhe sums integer vectors under lattigo v5 multiparty BGV so that no
// node, not even the one that aggregates, sees another node's contribution or
// an un-noised total.
//
// The job: per key epoch, N parties build a collective public key
// (mhe.PublicKeyGenProtocol) over a common reference string taken from the
// signed job spec, and Shamir-share their secret keys t-out-of-N
// (mhe.Thresholdizer, Mouchet, Bertrand and Hubaux, "An Efficient Threshold
// Access-Structure for RLWE-Based Multiparty Homomorphic Encryption",
// ePrint 2022/780). Per round every party encrypts its vector under the
// collective key, an aggregator adds the ciphertexts, and a quorum of t parties
// each return one decryption share: a key switch to the zero key
// (mhe.KeySwitchProtocol) with smudging noise, which the aggregator combines
// into the plaintext sum. docs/secagg.md has the parameters and the arithmetic.
//
// The protocol math is local: no I/O, no clock, no logging. The caller moves
// the bytes, authenticates the peers and keeps the history. Every byte form
// this package exports is the MarshalBinary of a lattigo object.
//
// # What it must never do
//
//   - Produce a decryption share twice for the same ciphertext. Repeated or
//     differently grouped decryption shares of one ciphertext leak the key
//     (lattigo's SECURITY.md from v6.2.0; Okada et al. 2025). The package
//     cannot know the history: the caller records Digest of the aggregate
//     durably BEFORE it calls Party.DecryptShare, refuses any digest it has
//     recorded before, and never retries a failed round on the same
//     ciphertext. A retry is a new round with a fresh encryption.
//   - Decode a peer's object without validating it against the job
//     parameters. lattigo v5.0.7 checks little: a share of another ring degree
//     unmarshals without error and then panics in AggregateShares, and its
//     decoder allocates whatever a length field says. Every decoder here
//     checks the byte layout before lattigo sees it, and the shape and every
//     coefficient after.
//   - Panic on peer bytes. FuzzDecodeCiphertext and FuzzDecodeShare hold it.
//   - Log or print key material. Party redacts itself in fmt and log/slog.
//
// # Noise flooding
//
// lattigo's Gaussian sampler is not usable for flooding at the sizes this needs:
// it scales a 31-bit ziggurat sample by σ, so at σ = 2^54 its outputs cover
// about one integer in 2^26 and the noise they are meant to hide can be read
// back. Decryption shares are therefore smudged here with noise drawn
// uniformly from the 2^64 integers in [−2^63, 2^63) (the smudging lemma,
// Asharov et al., Eurocrypt 2012, Lemma 2.1) from a ChaCha20 key stream under
// a fresh key from crypto/rand.
//
// # Concurrency
//
// A Party is not safe for concurrent use. Encrypt, Party.DecryptShare and
// Combine spread their chunks over GOMAXPROCS goroutines, each with its own
// lattigo encoder, encryptor or protocol instance.
package mhe
