package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxRecordSize is the largest canonical record, in bytes.
const MaxRecordSize = 64 << 10

// Storage format. Changing any of these changes every hash and signature.
const (
	frameVersion = 1 // first byte of every entry and head value
	entryPrefix  = 'e'
	headKey      = "h"

	hashDomain     = "fednode audit v1\x00"
	entrySigDomain = "fednode audit entry signature v1\x00"
	headSigDomain  = "fednode audit head signature v1\x00"

	headSize = 1 + 8 + sha256.Size + ed25519.SignatureSize
)

// entryKey returns the key of record seq.
func entryKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{entryPrefix}, seq)
}

// parseEntryKey returns the sequence number of an entry key.
func parseEntryKey(k []byte) (uint64, bool) {
	if len(k) != 9 || k[0] != entryPrefix {
		return 0, false
	}
	seq := binary.BigEndian.Uint64(k[1:])
	return seq, seq != 0
}

// encodeEntry returns the stored value of an entry:
// version | uvarint(len(raw)) | raw | sig.
func encodeEntry(raw, sig []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(raw)+len(sig))
	b = append(b, frameVersion)
	b = binary.AppendUvarint(b, uint64(len(raw)))
	b = append(b, raw...)
	return append(b, sig...)
}

// decodeEntry parses a stored entry value strictly: known version, minimal
// length encoding, length within MaxRecordSize and exactly a signature after
// the record. raw and sig are copies.
func decodeEntry(b []byte) (raw, sig []byte, err error) {
	if len(b) == 0 || b[0] != frameVersion {
		return nil, nil, errors.New("bad frame: unknown version")
	}
	n, w := binary.Uvarint(b[1:])
	if w <= 0 || w != len(binary.AppendUvarint(nil, n)) {
		return nil, nil, errors.New("bad frame: bad length")
	}
	if n > MaxRecordSize {
		return nil, nil, errors.New("bad frame: record too large")
	}
	rest := b[1+w:]
	if uint64(len(rest)) != n+ed25519.SignatureSize {
		return nil, nil, errors.New("bad frame: length does not match")
	}
	return bytes.Clone(rest[:n]), bytes.Clone(rest[n:]), nil
}

// encodeHead returns the stored value of a head: version | seq | hash | sig.
func encodeHead(h *Head) []byte {
	b := make([]byte, 0, headSize)
	b = append(b, frameVersion)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = append(b, h.Hash[:]...)
	return append(b, h.Sig...)
}

// decodeHead parses a stored head value strictly.
func decodeHead(b []byte) (*Head, error) {
	if len(b) != headSize || b[0] != frameVersion {
		return nil, errors.New("head: bad frame")
	}
	h := &Head{Seq: binary.BigEndian.Uint64(b[1:9]), Sig: bytes.Clone(b[9+sha256.Size:])}
	copy(h.Hash[:], b[9:9+sha256.Size])
	if h.Seq == 0 {
		return nil, errors.New("head: names record 0")
	}
	return h, nil
}

// recordHash returns the hash of a record's canonical bytes.
func recordHash(raw []byte) [32]byte {
	h := sha256.New()
	io.WriteString(h, hashDomain)
	h.Write(raw)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// entrySigMessage returns what an entry's signature signs.
func entrySigMessage(hash [32]byte) []byte {
	return append([]byte(entrySigDomain), hash[:]...)
}

// headSigMessage returns what a head's signature signs.
func headSigMessage(seq uint64, hash [32]byte) []byte {
	b := binary.BigEndian.AppendUint64([]byte(headSigDomain), seq)
	return append(b, hash[:]...)
}

// decodeRecord decodes a record's bytes strictly: no unknown field, no
// trailing data, and canonical, that is json.Marshal of the decoded record
// gives raw back byte for byte (which rejects other spellings, whitespace,
// duplicate or differently cased keys). The record must also pass
// checkRecord.
func decodeRecord(raw []byte) (Record, error) {
	var r Record
	if len(raw) > MaxRecordSize {
		return r, errors.New("record too large")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Record{}, errors.New("record does not decode: data after the record")
	}
	canon, err := json.Marshal(&r)
	if err != nil || !bytes.Equal(canon, raw) {
		return Record{}, errors.New("record bytes are not canonical")
	}
	if err := checkRecord(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// decodeError describes why a record does not decode without quoting it:
// encoding/json's messages can hold field names and values from the input.
func decodeError(err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("record does not decode: syntax error at byte %d", se.Offset)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field, _, _ := strings.Cut(te.Field, ".") // a Record field; what follows may be a params key
		if field == "" {
			return errors.New("record does not decode: not an object")
		}
		return fmt.Errorf("record does not decode: %s has the wrong type", field)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("record does not decode: truncated")
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return errors.New("record does not decode: unknown field")
	}
	return errors.New("record does not decode: bad value")
}

// checkRecord checks what Append accepts and Verify requires of a record's
// fields, apart from Seq and Prev (the chain's business).
func checkRecord(r *Record) error {
	if r.Time.IsZero() {
		return errors.New("record has no time")
	}
	if r.Time.Location() != time.UTC {
		return errors.New("record time is not UTC")
	}
	if !validKind(r.Kind) {
		return errors.New("record kind must be 1 to 64 of a-z 0-9 . _ -")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"rho", r.Rho}, {"epsilon", r.Epsilon}, {"delta", r.Delta}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("record %s must be finite and not negative", f.name)
		}
	}
	if r.Digest != "" && !isHash(r.Digest) {
		return errors.New("record digest must be 64 lower-case hex digits")
	}
	if !validText(r) {
		return errors.New("record text is not valid UTF-8")
	}
	return nil
}

// validKind reports whether k is 1 to 64 of a-z 0-9 . _ -.
func validKind(k Kind) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for _, c := range []byte(k) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validText reports whether every string of r is valid UTF-8 (json.Marshal
// would otherwise store something other than what the caller gave).
func validText(r *Record) bool {
	for _, s := range []string{r.Job, r.Release, r.Dataset, r.Mechanism, r.Digest, r.Prev} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	for k, v := range r.Params {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
	}
	for _, p := range r.Peers {
		if !utf8.ValidString(p) {
			return false
		}
	}
	return true
}

// isHash reports whether s is 64 lower-case hex digits.
func isHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// hexHash returns the hex form of a hash, as records and exports write it.
func hexHash(h [32]byte) string { return hex.EncodeToString(h[:]) }
