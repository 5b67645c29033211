package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// ErrTampered marks every verification failure: the log or export is not the
// one the node signed.
var ErrTampered = errors.New("audit log tampered")

// VerifyError says where verification failed. It wraps ErrTampered.
type VerifyError struct {
	// Seq is the first bad record: the one whose bytes, signature or place in
	// the chain is wrong, or the one missing where it is expected. It is 0
	// when the damage is not in a record: the head, or a foreign key.
	Seq    uint64
	Reason string // what is wrong; never record contents
}

func (e *VerifyError) Error() string {
	if e.Seq == 0 {
		return "audit log: " + e.Reason
	}
	return fmt.Sprintf("audit record %d: %s", e.Seq, e.Reason)
}

// Unwrap returns ErrTampered.
func (e *VerifyError) Unwrap() error { return ErrTampered }

// chain verifies entries in sequence order and then the head; Verify and
// VerifyExport share it, so that a log and its export pass the same checks.
type chain struct {
	pub  ed25519.PublicKey
	n    uint64   // records verified so far
	last [32]byte // hash of record n; zero before the first
	sum  Summary
}

func newChain(pub ed25519.PublicKey) *chain {
	return &chain{pub: pub, sum: Summary{Kinds: map[Kind]int{}}}
}

// add verifies raw, with its hash and signature, as record pos, the one
// after the last verified: the signature, the canonical bytes, the sequence
// number and the link to the previous record. hash must be recordHash(raw).
func (c *chain) add(pos uint64, raw []byte, hash [32]byte, sig []byte) error {
	fail := func(format string, a ...any) error {
		return &VerifyError{Seq: pos, Reason: fmt.Sprintf(format, a...)}
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(c.pub, entrySigMessage(hash), sig) {
		return fail("signature does not verify")
	}
	r, err := decodeRecord(raw)
	if err != nil {
		return fail("%v", err)
	}
	if r.Seq != pos {
		return fail("found record %d in its place", r.Seq)
	}
	if r.Prev != hexHash(c.last) {
		return fail("not chained to the record before it")
	}
	if c.n == 0 {
		c.sum.First = r.Time
	}
	c.n, c.last = pos, hash
	c.sum.Last = r.Time
	c.sum.Kinds[r.Kind]++
	return nil
}

// finish checks the head (nil if there is none) against the verified
// entries and returns the summary.
func (c *chain) finish(h *Head) (*Summary, error) {
	if h == nil {
		if c.n != 0 {
			return nil, &VerifyError{Reason: fmt.Sprintf("head missing, but the log has %d records", c.n)}
		}
		return &c.sum, nil
	}
	if len(h.Sig) != ed25519.SignatureSize || !ed25519.Verify(c.pub, headSigMessage(h.Seq, h.Hash), h.Sig) {
		return nil, &VerifyError{Reason: "head signature does not verify"}
	}
	switch {
	case h.Seq > c.n:
		return nil, &VerifyError{Seq: c.n + 1, Reason: fmt.Sprintf("missing (the signed head is at record %d)", h.Seq)}
	case h.Seq < c.n:
		return nil, &VerifyError{Seq: h.Seq + 1, Reason: fmt.Sprintf("beyond the signed head (record %d)", h.Seq)}
	case h.Hash != c.last:
		return nil, &VerifyError{Reason: fmt.Sprintf("head does not match record %d", h.Seq)}
	}
	c.sum.Records, c.sum.Head = c.n, c.last
	return &c.sum, nil
}
