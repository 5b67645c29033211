// Package audit is a node's append-only, hash-chained, Ed25519-signed audit
// log: one record per budget change, privacy charge and release, so that a
// compliance officer can prove what left the node and what it cost.
//
// Each record names the previous record's hash and is signed with the node's
// identity key (keys.Master.Identity); a signed head names the last record.
// Verify walks the whole log and detects any edited, removed, reordered or
// inserted record, a truncated log and a forged head, naming the first bad
// record. An export (WriteExportJSON) carries the exact signed bytes, so that
// anyone holding the node's public key can check it offline (VerifyExport).
//
// This package must never rewrite or delete a record (Append writes a new key
// and the head, nothing else); never log, store or export anything beyond
// what the records hold (it does not log at all; records carry parameters,
// budgets and digests, never rows or un-noised values, and errors never quote
// them); and never accept a record that does not verify: Append refuses to
// extend a log whose head does not verify, Verify and VerifyExport reject any
// record whose bytes, signature or place in the chain is wrong, and the
// decoders (Entries, ReadExport) accept only canonical, strictly decoded
// records.
//
// # Keys and values
//
// The log lives in one key space of the store (store.SpaceAudit); keys below
// exclude the space byte.
//
//	'e' seq (8 bytes, big-endian)   entry: 0x01 | uvarint(len(raw)) | raw | sig (64 bytes)
//	'h'                             head:  0x01 | seq (8 bytes, big-endian) | hash (32 bytes) | sig (64 bytes)
//
// Any other key in the space is tampering.
//
// # Hashes and signatures
//
//	raw  = json.Marshal(Record)
//	hash = SHA-256("fednode audit v1\x00" || raw)
//	sig  = Ed25519(key, "fednode audit entry signature v1\x00" || hash)
//	head = Ed25519(key, "fednode audit head signature v1\x00" || seq (8 bytes, big-endian) || hash)
//
// raw is canonical: decoding it (no unknown field, nothing after it) and
// marshalling the record again gives raw byte for byte, so a record has
// exactly one signed encoding. Verifiers elsewhere need not reproduce it:
// they hash raw as stored or exported.
//
// Record 1 has Prev set to 64 zeros; record n has Prev set to the hex hash of
// record n-1. Signatures are pure Ed25519 (RFC 8032 §5.1).
//
// # What verification proves, and what it cannot
//
// Without the node's private key nobody can add, change, remove or reorder a
// record, or move the head, without Verify noticing. Two things remain that no
// signature can show: a log rolled back as a whole to an older, genuinely
// signed state (head and entries together; offline, an older export), and a
// log deleted as a whole, which reads as the empty log of a new node. Compare
// the head's sequence number and hash with one kept elsewhere (an earlier
// export, a peer's copy) to rule those out. Whoever holds the private key can
// rewrite anything; it never leaves the node.
package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Tx is the transaction the log needs; *store.SpaceTxn (node/store) satisfies
// it. Keys exclude the space byte.
type Tx interface {
	// Get returns the value of key and whether it exists.
	Get(key []byte) ([]byte, bool, error)
	// Set writes key.
	Set(key, value []byte) error
	// Scan calls fn for every key with the prefix, in key order. key and
	// value are valid only during the call.
	Scan(prefix []byte, fn func(key, value []byte) error) error
}

// Kind says what a record records. Kinds are 1 to 64 of a-z 0-9 . _ -.
type Kind string

// The kinds the node writes. Other kinds (e.g. "ingest", "job.accept") are
// accepted as they are added.
const (
	KindBudgetSet Kind = "budget.set" // the compliance officer set a dataset's cap
	KindCharge    Kind = "charge"     // the ledger charged a release, before it was produced
	KindRelease   Kind = "release"    // a noised value left the node
)

// Record is one audit record. Its JSON encoding (json.Marshal) is what is
// hashed and signed; a change to this type is a change of format.
type Record struct {
	Seq       uint64            `json:"seq"`                 // 1, 2, ...; set by Append
	Time      time.Time         `json:"time"`                // UTC; set by the caller
	Kind      Kind              `json:"kind"`                // what happened
	Job       string            `json:"job,omitempty"`       // job ID
	Release   string            `json:"release,omitempty"`   // release ID within the job
	Dataset   string            `json:"dataset,omitempty"`   // dataset name
	Mechanism string            `json:"mechanism,omitempty"` // noise mechanism
	Params    map[string]string `json:"params,omitempty"`    // mechanism parameters (sigma, sensitivity, ...)
	Rho       float64           `json:"rho,omitempty"`       // zCDP ρ charged
	Epsilon   float64           `json:"epsilon,omitempty"`   // ε charged (or cap set)
	Delta     float64           `json:"delta,omitempty"`     // δ charged (or cap set)
	Digest    string            `json:"digest,omitempty"`    // hex SHA-256 of the released value
	Peers     []string          `json:"peers,omitempty"`     // peer IDs involved
	Prev      string            `json:"prev"`                // hex hash of the previous entry; 64 zeros for the first; set by Append
}

// Entry is a record as stored: its canonical bytes, their hash and the
// signature over the hash.
type Entry struct {
	Record Record   // decoded from Raw
	Raw    []byte   // canonical record bytes, as hashed and signed
	Hash   [32]byte // SHA-256 over the domain and Raw
	Sig    []byte   // Ed25519 signature over the domain and Hash
}

// Head names the last record of the log: its sequence number and hash,
// signed (Ed25519 over the head domain, Seq and Hash).
type Head struct {
	Seq  uint64
	Hash [32]byte
	Sig  []byte
}

// Summary describes a verified log.
type Summary struct {
	Records     uint64       // number of records
	Head        [32]byte     // hash of the last record; zero for an empty log
	First, Last time.Time    // times of the first and last records
	Kinds       map[Kind]int // records per kind
}

// Append adds r to the log as the record after the head: it sets r.Seq and
// r.Prev, signs the record with key and writes the entry and the new head.
// r.Time must be set (Append reads no clock) and is stored in UTC.
//
// Append refuses to extend a log whose head does not verify under key's
// public key, does not match its last entry, or is missing while entries
// exist; the error then wraps ErrTampered. It never overwrites an entry. It
// does not re-verify older entries (that is Verify's job, linear in the log):
// damage before the last entry is found by Verify, not here.
//
// Appends must be serialised: run each in a read-write transaction of a
// store that serialises updates (store.Update does). The record becomes
// durable when that transaction commits.
func Append(tx Tx, key ed25519.PrivateKey, r Record) (*Entry, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("audit append: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	r.Seq, r.Prev, r.Time = 0, "", r.Time.UTC()
	if err := checkRecord(&r); err != nil {
		return nil, fmt.Errorf("audit append: %w", err)
	}
	seq, prev, err := tip(tx, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, wrap("audit append", err)
	}
	if seq+1 == 0 {
		return nil, errors.New("audit append: sequence numbers exhausted")
	}
	r.Seq, r.Prev = seq+1, hexHash(prev)
	raw, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("audit append: %w", err)
	}
	if len(raw) > MaxRecordSize {
		return nil, fmt.Errorf("audit append: record is %d bytes, limit %d", len(raw), MaxRecordSize)
	}
	stored, err := decodeRecord(raw)
	if err != nil {
		return nil, fmt.Errorf("audit append: record does not round-trip: %w", err)
	}
	e := &Entry{Record: stored, Raw: raw, Hash: recordHash(raw)}
	e.Sig = ed25519.Sign(key, entrySigMessage(e.Hash))
	head := &Head{Seq: r.Seq, Hash: e.Hash}
	head.Sig = ed25519.Sign(key, headSigMessage(head.Seq, head.Hash))
	if err := tx.Set(entryKey(r.Seq), encodeEntry(raw, e.Sig)); err != nil {
		return nil, fmt.Errorf("audit append record %d: %w", r.Seq, err)
	}
	if err := tx.Set([]byte(headKey), encodeHead(head)); err != nil {
		return nil, fmt.Errorf("audit append record %d: head: %w", r.Seq, err)
	}
	return e, nil
}

// tip returns the sequence number and hash of the log's last record (0 and
// the zero hash for an empty log), after checking that the head verifies
// under pub, matches the entry it names and is followed by no entry.
func tip(tx Tx, pub ed25519.PublicKey) (uint64, [32]byte, error) {
	h, ok, err := ReadHead(tx)
	if err != nil {
		return 0, [32]byte{}, err
	}
	if !ok {
		if _, exists, err := tx.Get(entryKey(1)); err != nil {
			return 0, [32]byte{}, err
		} else if exists {
			return 0, [32]byte{}, &VerifyError{Reason: "head missing, but the log has records"}
		}
		return 0, [32]byte{}, nil
	}
	if !ed25519.Verify(pub, headSigMessage(h.Seq, h.Hash), h.Sig) {
		return 0, [32]byte{}, &VerifyError{Reason: "head signature does not verify"}
	}
	v, ok, err := tx.Get(entryKey(h.Seq))
	if err != nil {
		return 0, [32]byte{}, err
	}
	if !ok {
		return 0, [32]byte{}, &VerifyError{Seq: h.Seq, Reason: fmt.Sprintf("missing (the signed head is at record %d)", h.Seq)}
	}
	raw, _, err := decodeEntry(v)
	if err != nil {
		return 0, [32]byte{}, &VerifyError{Seq: h.Seq, Reason: err.Error()}
	}
	if recordHash(raw) != h.Hash {
		return 0, [32]byte{}, &VerifyError{Reason: fmt.Sprintf("head does not match record %d", h.Seq)}
	}
	if _, exists, err := tx.Get(entryKey(h.Seq + 1)); err != nil {
		return 0, [32]byte{}, err
	} else if exists {
		return 0, [32]byte{}, &VerifyError{Seq: h.Seq + 1, Reason: fmt.Sprintf("beyond the signed head (record %d)", h.Seq)}
	}
	return h.Seq, h.Hash, nil
}

// Verify checks the whole log against the node's public key: every entry's
// frame, canonical encoding, hash and signature, the sequence (no gap, no
// swap) and the chain, the head's signature and that it names the last
// entry, and that the space holds nothing else. It returns a *VerifyError
// (wrapping ErrTampered) naming the first bad record, or the head.
//
// Run it in one transaction, so that it sees one consistent snapshot.
func Verify(tx Tx, pub ed25519.PublicKey) (*Summary, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit verify: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	c := newChain(pub)
	var headVal []byte
	err := tx.Scan(nil, func(k, v []byte) error {
		if string(k) == headKey {
			headVal = bytes.Clone(v)
			return nil
		}
		seq, ok := parseEntryKey(k)
		if !ok {
			return foreignKey(k)
		}
		if seq != c.n+1 {
			return &VerifyError{Seq: c.n + 1, Reason: fmt.Sprintf("missing (next is record %d)", seq)}
		}
		raw, sig, err := decodeEntry(v)
		if err != nil {
			return &VerifyError{Seq: seq, Reason: err.Error()}
		}
		return c.add(seq, raw, recordHash(raw), sig)
	})
	if err != nil {
		return nil, wrap("audit verify", err)
	}
	var h *Head
	if headVal != nil {
		if h, err = decodeHead(headVal); err != nil {
			return nil, &VerifyError{Reason: err.Error()}
		}
	}
	return c.finish(h)
}

// Entries calls fn for every entry of the log, in sequence order, decoded
// (frame and canonical record) but not verified: run Verify in the same
// transaction to know they are genuine. fn runs inside the transaction's
// scan; the Entry is fn's to keep.
func Entries(tx Tx, fn func(*Entry) error) error {
	var fnErr error
	err := tx.Scan([]byte{entryPrefix}, func(k, v []byte) error {
		seq, ok := parseEntryKey(k)
		if !ok {
			return foreignKey(k)
		}
		e, err := decodeStored(seq, v)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return wrap("audit entries", err)
	}
	return nil
}

// ReadHead returns the log's head and whether it has one, decoded but not
// verified.
func ReadHead(tx Tx) (*Head, bool, error) {
	v, ok, err := tx.Get([]byte(headKey))
	if err != nil {
		return nil, false, fmt.Errorf("audit read head: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	h, err := decodeHead(v)
	if err != nil {
		return nil, false, &VerifyError{Reason: err.Error()}
	}
	return h, true, nil
}

// decodeStored decodes the value stored under entry key seq.
func decodeStored(seq uint64, v []byte) (*Entry, error) {
	raw, sig, err := decodeEntry(v)
	if err != nil {
		return nil, &VerifyError{Seq: seq, Reason: err.Error()}
	}
	r, err := decodeRecord(raw)
	if err != nil {
		return nil, &VerifyError{Seq: seq, Reason: err.Error()}
	}
	return &Entry{Record: r, Raw: raw, Hash: recordHash(raw), Sig: sig}, nil
}

// foreignKey reports a key in the audit space that is neither an entry nor
// the head. The message shows at most 16 bytes of it.
func foreignKey(k []byte) error {
	const show = 16
	s := hex.EncodeToString(k[:min(len(k), show)])
	if len(k) > show {
		s += "..."
	}
	return &VerifyError{Reason: fmt.Sprintf("unexpected key %s in the audit space", s)}
}

// wrap returns a verification failure as it is (its message names the record)
// and wraps any other error with op.
func wrap(op string, err error) error {
	if ve, ok := errors.AsType[*VerifyError](err); ok {
		return ve
	}
	return fmt.Errorf("%s: %w", op, err)
}
