package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// ErrWrongPassphrase is returned by Envelope.Open when the passphrase does not
// unwrap the master secret (or the envelope was altered: the two cannot be told
// apart, by design of the AEAD).
var ErrWrongPassphrase = errors.New("wrong passphrase (or the key file was altered)")

// KDFParams are the Argon2id cost parameters of a key envelope.
type KDFParams struct {
	Time      uint32 `json:"time"`       // passes over memory
	MemoryKiB uint32 `json:"memory_kib"` // memory in KiB
	Threads   uint8  `json:"threads"`    // lanes
}

// DefaultKDFParams returns RFC 9106 §4's second recommended option (t = 3,
// m = 64 MiB), with 2 lanes.
func DefaultKDFParams() KDFParams {
	return KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}
}

// InsecureTestKDFParams returns parameters cheap enough for unit tests. They
// offer no protection against passphrase guessing. Only tests may use them:
// no flag or config file reaches them.
func InsecureTestKDFParams() KDFParams {
	return KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}
}

// Bounds on stored parameters, so a crafted key file cannot make Open allocate
// without limit or accept a trivially weak setting that was never written by us.
const (
	maxMemoryKiB = 4 << 20 // 4 GiB
	maxTime      = 64
	saltSize     = 16
	envVersion   = 1
	envKDF       = "argon2id"
	envAEAD      = "xchacha20poly1305"
)

// Validate reports whether p is usable.
func (p KDFParams) Validate() error {
	switch {
	case p.Time == 0 || p.Time > maxTime:
		return fmt.Errorf("kdf time %d out of range [1, %d]", p.Time, maxTime)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("kdf memory %d KiB out of range [%d, %d]", p.MemoryKiB, 8*uint32(p.Threads), maxMemoryKiB)
	case p.Threads == 0:
		return errors.New("kdf threads must be at least 1")
	}
	return nil
}

// Envelope is a master secret wrapped under a passphrase. It is stored as JSON
// in the node directory; everything in it is public except the passphrase.
type Envelope struct {
	Version    int       `json:"version"`
	KDF        string    `json:"kdf"`
	Params     KDFParams `json:"params"`
	Salt       []byte    `json:"salt"`
	AEAD       string    `json:"aead"`
	Nonce      []byte    `json:"nonce"`
	Ciphertext []byte    `json:"ciphertext"`
}

// additionalData binds the ciphertext to its format and parameters, so that a
// file with weakened KDF parameters does not open under the same passphrase.
func (e *Envelope) additionalData() []byte {
	return fmt.Appendf(nil, "fednode master envelope v%d %s t=%d m=%d p=%d %s",
		e.Version, e.KDF, e.Params.Time, e.Params.MemoryKiB, e.Params.Threads, e.AEAD)
}

// Seal wraps m under passphrase with Argon2id parameters p, drawing salt and
// nonce from rand.
func Seal(m *Master, passphrase []byte, p KDFParams, rand io.Reader) (*Envelope, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("seal master: empty passphrase")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("seal master: %w", err)
	}
	e := &Envelope{Version: envVersion, KDF: envKDF, Params: p, AEAD: envAEAD,
		Salt: make([]byte, saltSize), Nonce: make([]byte, chacha20poly1305.NonceSizeX)}
	if _, err := io.ReadFull(rand, e.Salt); err != nil {
		return nil, fmt.Errorf("seal master: salt: %w", err)
	}
	if _, err := io.ReadFull(rand, e.Nonce); err != nil {
		return nil, fmt.Errorf("seal master: nonce: %w", err)
	}
	aead, err := chacha20poly1305.NewX(e.kek(passphrase))
	if err != nil {
		return nil, fmt.Errorf("seal master: %w", err)
	}
	e.Ciphertext = aead.Seal(nil, e.Nonce, m.b[:], e.additionalData())
	return e, nil
}

func (e *Envelope) kek(passphrase []byte) []byte {
	return argon2.IDKey(passphrase, e.Salt, e.Params.Time, e.Params.MemoryKiB, e.Params.Threads, chacha20poly1305.KeySize)
}

// Open unwraps the master secret. A wrong passphrase returns ErrWrongPassphrase.
func (e *Envelope) Open(passphrase []byte) (*Master, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(e.kek(passphrase))
	if err != nil {
		return nil, fmt.Errorf("open master: %w", err)
	}
	pt, err := aead.Open(nil, e.Nonce, e.Ciphertext, e.additionalData())
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	m := new(Master)
	copy(m.b[:], pt)
	clear(pt)
	return m, nil
}

func (e *Envelope) validate() error {
	switch {
	case e.Version != envVersion:
		return fmt.Errorf("key envelope: unsupported version %d", e.Version)
	case e.KDF != envKDF:
		return fmt.Errorf("key envelope: unsupported kdf %q", e.KDF)
	case e.AEAD != envAEAD:
		return fmt.Errorf("key envelope: unsupported aead %q", e.AEAD)
	case len(e.Salt) != saltSize:
		return fmt.Errorf("key envelope: salt is %d bytes, want %d", len(e.Salt), saltSize)
	case len(e.Nonce) != chacha20poly1305.NonceSizeX:
		return fmt.Errorf("key envelope: nonce is %d bytes, want %d", len(e.Nonce), chacha20poly1305.NonceSizeX)
	case len(e.Ciphertext) != MasterSize+chacha20poly1305.Overhead:
		return fmt.Errorf("key envelope: ciphertext is %d bytes, want %d", len(e.Ciphertext), MasterSize+chacha20poly1305.Overhead)
	}
	if err := e.Params.Validate(); err != nil {
		return fmt.Errorf("key envelope: %w", err)
	}
	return nil
}

// Marshal encodes e as indented JSON.
func (e *Envelope) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal key envelope: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseEnvelope decodes and validates an envelope. It never allocates more than
// the input's size and rejects unknown fields.
func ParseEnvelope(data []byte) (*Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("key envelope: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("key envelope: data after the envelope")
	}
	if err := e.validate(); err != nil {
		return nil, err
	}
	return &e, nil
}
