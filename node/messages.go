package node

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/fednode/fednode/federation/job"
)

// Decoding of the job protocol's control messages. Every message from a
// peer goes through decodeMsg: strict JSON (no unknown fields, no trailing
// data) and then the message's own bounds, before any handler acts on it.

var (
	jobIDRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	memberRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

// maxAttempts bounds attempt numbers a peer may name.
const maxAttemptNumber = 1 << 16

type message interface{ validate() error }

func decodeMsg(body []byte, m message) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return fmt.Errorf("malformed message: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("malformed message: data after the message")
	}
	if err := m.validate(); err != nil {
		return fmt.Errorf("malformed message: %w", err)
	}
	return nil
}

func checkJobID(id string) error {
	if !jobIDRE.MatchString(id) {
		return fmt.Errorf("job id %q", id)
	}
	return nil
}

func checkRound(round, attempt int) error {
	if round < 1 || round > job.MaxRounds || attempt < 1 || attempt > maxAttemptNumber {
		return fmt.Errorf("round %d attempt %d out of range", round, attempt)
	}
	return nil
}

type abortMsg struct {
	Job    string `json:"job"`
	Reason string `json:"reason"`
}

func (m *abortMsg) validate() error {
	if len(m.Reason) > 4096 {
		return errors.New("reason too long")
	}
	return checkJobID(m.Job)
}

type signedMsg job.Signed

func (m *signedMsg) validate() error {
	if len(m.Spec) == 0 || len(m.Spec) > job.MaxSpecSize || len(m.Sig) != 64 {
		return errors.New("signed spec of the wrong size")
	}
	return nil
}

type setupMsg struct {
	Job string `json:"job"`
}

func (m *setupMsg) validate() error { return checkJobID(m.Job) }

func (m *shamirMsg) validate() error {
	if m.From < 1 || m.From > job.MaxParticipants || len(m.Share) == 0 || len(m.Share) > maxControl {
		return errors.New("Shamir share out of bounds")
	}
	return checkJobID(m.Job)
}

func (m *keyMsg) validate() error {
	if len(m.Shares) < 2 || len(m.Shares) > job.MaxParticipants {
		return fmt.Errorf("%d key shares", len(m.Shares))
	}
	return checkJobID(m.Job)
}

func (m *roundMsg) validate() error {
	if len(m.State) > maxControl {
		return errors.New("round state too large")
	}
	if err := checkRound(m.Round, m.Attempt); err != nil {
		return err
	}
	return checkJobID(m.Job)
}

func (h *contribHeader) validate() error {
	if !memberRE.MatchString(h.From) || h.Chunks < 1 || h.Chunks > 1<<20 || len(h.Sig) != 64 {
		return errors.New("contribution header out of bounds")
	}
	if d, err := hex.DecodeString(h.Digest); err != nil || len(d) != 32 {
		return errors.New("contribution digest is not 32 bytes of hex")
	}
	if err := checkRound(h.Round, h.Attempt); err != nil {
		return err
	}
	return checkJobID(h.Job)
}

func (m *decryptMsg) validate() error {
	if len(m.Active) < 2 || len(m.Active) > job.MaxParticipants || len(m.Headers) < 1 || len(m.Headers) > job.MaxParticipants {
		return errors.New("decryption request out of bounds")
	}
	for _, a := range m.Active {
		if a < 1 || a > job.MaxParticipants {
			return fmt.Errorf("active point %d", a)
		}
	}
	for i := range m.Headers {
		if err := m.Headers[i].validate(); err != nil {
			return err
		}
	}
	if err := checkRound(m.Round, m.Attempt); err != nil {
		return err
	}
	return checkJobID(m.Job)
}

func (m *resultMsg) validate() error {
	if len(m.Peers) > job.MaxParticipants || len(m.Result) > maxControl {
		return errors.New("result out of bounds")
	}
	for _, p := range m.Peers {
		if !memberRE.MatchString(p) {
			return fmt.Errorf("peer %q", p)
		}
	}
	if err := checkRound(m.Round, m.Attempt); err != nil {
		return err
	}
	return checkJobID(m.Job)
}

func (m *hashReq) validate() error {
	if len(m.Seed) != 32 {
		return errors.New("hash seed must be 32 bytes")
	}
	if err := checkRound(m.Round, m.Attempt); err != nil {
		return err
	}
	return checkJobID(m.Job)
}

func (r *hashResp) validate() error {
	if len(r.Seed) != 32 || len(r.Hash) != 2 || len(r.Sig) != 64 || !memberRE.MatchString(r.From) {
		return errors.New("hash answer out of bounds")
	}
	if d, err := hex.DecodeString(r.Digest); err != nil || len(d) != 32 {
		return errors.New("hash answer digest is not 32 bytes of hex")
	}
	if err := checkRound(r.Round, r.Attempt); err != nil {
		return err
	}
	return checkJobID(r.Job)
}

func (m *hashesMsg) validate() error {
	if len(m.Responses) < 1 || len(m.Responses) > job.MaxParticipants {
		return errors.New("hash answers out of bounds")
	}
	for i := range m.Responses {
		if err := m.Responses[i].validate(); err != nil {
			return err
		}
	}
	return nil
}
