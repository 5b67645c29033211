// Package job describes a federated job: what to compute (kind and its
// parameters), over which dataset, among which members, with which
// threshold and privacy budget. A spec is signed by the member that
// initiates the job, which also coordinates it; every participant checks
// the signature and decides with its own policy whether to take part.
//
// This package must never hold data or results; it describes jobs.
package job

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/BurntSushi/toml"
)

// Errors callers branch on.
var (
	ErrInvalid      = errors.New("invalid job spec")
	ErrBadSignature = errors.New("job spec signature does not verify")
)

// Limits of a spec.
const (
	MaxParticipants = 32
	MaxRounds       = 1000
	MaxSpecSize     = 64 << 10
	SeedSize        = 32
)

// Spec is a job as its initiator describes it.
type Spec struct {
	ID           string          `json:"id" toml:"id"`                     // unique job id: 1..64 of a-z 0-9 . _ -
	Kind         string          `json:"kind" toml:"kind"`                 // job kind, e.g. "stats"
	Dataset      string          `json:"dataset" toml:"dataset"`           // dataset name at every participant
	Participants []string        `json:"participants" toml:"participants"` // member names, initiator included
	Threshold    int             `json:"threshold" toml:"threshold"`       // t: any t participants can decrypt (a majority); the noise is calibrated for t honest ones
	Epsilon      float64         `json:"epsilon" toml:"epsilon"`           // privacy spent by the whole job on each participant's dataset
	Delta        float64         `json:"delta" toml:"delta"`
	Rounds       int             `json:"rounds" toml:"rounds"` // 0: the kind decides
	Seed         string          `json:"seed" toml:"seed"`     // hex, 32 bytes: common reference string of the key generation
	Params       json.RawMessage `json:"params,omitempty" toml:"-"`
	Initiator    string          `json:"initiator" toml:"-"` // member name of the signer; set by Sign
	Created      time.Time       `json:"created" toml:"-"`   // set by Sign
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
var kindRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// Validate checks the fields every kind shares.
func (s *Spec) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case !idRE.MatchString(s.ID):
		return bad("id %q: use 1 to 64 of a-z 0-9 . _ -", s.ID)
	case !kindRE.MatchString(s.Kind):
		return bad("kind %q", s.Kind)
	case !idRE.MatchString(s.Dataset):
		return bad("dataset %q", s.Dataset)
	case len(s.Participants) < 2 || len(s.Participants) > MaxParticipants:
		return bad("%d participants: a federated job has 2 to %d", len(s.Participants), MaxParticipants)
	case s.Threshold < 2 || s.Threshold > len(s.Participants) || 2*s.Threshold <= len(s.Participants):
		return bad("threshold %d: must be a majority of the %d participants and at least 2 (no minority of colluding members may decrypt)", s.Threshold, len(s.Participants))
	case !(s.Epsilon > 0) || math.IsInf(s.Epsilon, 0):
		return bad("epsilon %v must be positive and finite", s.Epsilon)
	case !(s.Delta > 0 && s.Delta < 1):
		return bad("delta %v must be in (0, 1): federated releases use distributed Gaussian noise", s.Delta)
	case s.Rounds < 0 || s.Rounds > MaxRounds:
		return bad("rounds %d out of [0, %d]", s.Rounds, MaxRounds)
	}
	seen := map[string]bool{}
	for _, p := range s.Participants {
		if !nameRE.MatchString(p) {
			return bad("participant %q is not a member name", p)
		}
		if seen[p] {
			return bad("participant %s listed twice", p)
		}
		seen[p] = true
	}
	if s.Initiator != "" && !seen[s.Initiator] {
		return bad("initiator %s is not a participant", s.Initiator)
	}
	if seed, err := hex.DecodeString(s.Seed); err != nil || len(seed) != SeedSize {
		return bad("seed must be %d bytes in hex", SeedSize)
	}
	if len(s.Params) > 0 && !json.Valid(s.Params) {
		return bad("params are not valid JSON")
	}
	return nil
}

// SeedBytes returns the decoded seed.
func (s *Spec) SeedBytes() []byte {
	b, _ := hex.DecodeString(s.Seed) // checked by Validate
	return b
}

// ParseTOML reads a spec written by a data scientist. The kind's parameters
// are the [params] table; unknown top-level keys are errors. A missing seed
// is left empty for Sign to fill.
func ParseTOML(data []byte) (*Spec, error) {
	if len(data) > MaxSpecSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalid, len(data), MaxSpecSize)
	}
	var raw struct {
		Spec
		Params map[string]any `toml:"params"`
	}
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "params" {
			continue // the kind checks its own parameters
		}
		return nil, fmt.Errorf("%w: unknown key %s", ErrInvalid, k)
	}
	s := raw.Spec
	if raw.Params != nil {
		if s.Params, err = json.Marshal(raw.Params); err != nil {
			return nil, fmt.Errorf("%w: params: %v", ErrInvalid, err)
		}
	}
	return &s, nil
}

// Signed is a spec with its initiator's signature.
type Signed struct {
	Spec []byte `json:"spec"` // canonical JSON of the Spec, as signed
	Sig  []byte `json:"sig"`  // Ed25519 over the domain and Spec
}

const signDomain = "fednode job spec v1\x00"

// Sign fills the initiator, creation time and (if empty) the seed, validates
// the spec and signs its canonical encoding.
func Sign(s *Spec, initiator string, key ed25519.PrivateKey, now time.Time, seed []byte) (*Signed, error) {
	s.Initiator = initiator
	s.Created = now.UTC().Truncate(time.Millisecond)
	if s.Seed == "" {
		if len(seed) != SeedSize {
			return nil, fmt.Errorf("%w: seed of %d bytes", ErrInvalid, len(seed))
		}
		s.Seed = hex.EncodeToString(seed)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("sign job: %w", err)
	}
	return &Signed{Spec: b, Sig: ed25519.Sign(key, append([]byte(signDomain), b...))}, nil
}

// Open verifies a signed spec against the initiator's public key and
// decodes it strictly. It checks that the spec names that initiator.
func Open(sg *Signed, initiator string, pub ed25519.PublicKey) (*Spec, error) {
	if len(sg.Spec) > MaxSpecSize {
		return nil, fmt.Errorf("%w: spec of %d bytes", ErrInvalid, len(sg.Spec))
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, append([]byte(signDomain), sg.Spec...), sg.Sig) {
		return nil, ErrBadSignature
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(sg.Spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Initiator != initiator {
		return nil, fmt.Errorf("%w: signed by %s but names initiator %s", ErrInvalid, initiator, s.Initiator)
	}
	return &s, nil
}

// Digest identifies a signed spec.
func (sg *Signed) Digest() [32]byte { return sha256.Sum256(sg.Spec) }

// Index returns the position of a participant, or -1. Positions are stable:
// participant i has Shamir point i+1.
func (s *Spec) Index(name string) int { return slices.Index(s.Participants, name) }
