package mhe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/tuneinsight/lattigo/v5/ring/ringqp"
)

// ErrMalformed marks peer bytes or objects that do not fit the job's
// parameters. The caller drops the message and logs the peer; it changes no
// state.
var ErrMalformed = errors.New("malformed")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// layout walks peer bytes in lattigo's serialisation and checks every length
// field against the value the parameters imply before lattigo reads them.
// lattigo allocates whatever a length field says, so this runs first.
type layout struct {
	b   []byte
	off int
	err error
}

func (l *layout) fail(format string, args ...any) {
	if l.err == nil {
		l.err = malformed("byte %d: %s", l.off, fmt.Sprintf(format, args...))
	}
}

// prefix expects the exact bytes want.
func (l *layout) prefix(want []byte, what string) {
	if l.err != nil {
		return
	}
	if len(l.b)-l.off < len(want) || !bytes.Equal(l.b[l.off:l.off+len(want)], want) {
		l.fail("%s differs from the job's", what)
		return
	}
	l.off += len(want)
}

// u64 expects a little-endian uint64 equal to want.
func (l *layout) u64(want uint64, what string) {
	if l.err != nil {
		return
	}
	if len(l.b)-l.off < 8 {
		l.fail("truncated before %s", what)
		return
	}
	if got := binary.LittleEndian.Uint64(l.b[l.off:]); got != want {
		l.fail("%s is %d, want %d", what, got, want)
		return
	}
	l.off += 8
}

// poly expects a ring.Poly with rows rows of n coefficients each and checks
// every coefficient against its modulus.
func (l *layout) poly(rows, n int, moduli []uint64) {
	l.u64(uint64(rows), "row count")
	for i := 0; i < rows && l.err == nil; i++ {
		l.u64(uint64(n), "ring degree")
		if l.err != nil {
			return
		}
		if len(l.b)-l.off < 8*n {
			l.fail("truncated in row %d", i)
			return
		}
		q := moduli[i]
		row := l.b[l.off : l.off+8*n]
		for j := 0; j < n; j++ {
			if binary.LittleEndian.Uint64(row[8*j:]) >= q {
				l.off += 8 * j
				l.fail("coefficient %d of row %d is not below its modulus", j, i)
				return
			}
		}
		l.off += 8 * n
	}
}

// end expects no trailing bytes.
func (l *layout) end() error {
	if l.err == nil && l.off != len(l.b) {
		l.fail("%d trailing bytes", len(l.b)-l.off)
	}
	return l.err
}

// checkCiphertextBytes checks the layout of a marshalled degree-1 ciphertext
// at the maximum level with the job's metadata.
func (p *Parameters) checkCiphertextBytes(b []byte) error {
	l := layout{b: b}
	l.prefix(p.ctHeader, "metadata")
	l.u64(2, "polynomial count")
	l.poly(len(p.moduli), p.he.N(), p.moduli)
	l.poly(len(p.moduli), p.he.N(), p.moduli)
	return l.end()
}

// checkPolyBytes checks the layout of a marshalled ring.Poly at the maximum
// level (a decryption share).
func (p *Parameters) checkPolyBytes(b []byte) error {
	l := layout{b: b}
	l.poly(len(p.moduli), p.he.N(), p.moduli)
	return l.end()
}

// checkQPPolyBytes checks the layout of a marshalled ringqp.Poly with an empty
// P part (a collective-key share or a Shamir share).
func (p *Parameters) checkQPPolyBytes(b []byte) error {
	l := layout{b: b}
	l.poly(len(p.moduli), p.he.N(), p.moduli)
	l.u64(0, "P row count")
	return l.end()
}

// checkPublicKeyBytes checks the layout of a marshalled rlwe.PublicKey.
func (p *Parameters) checkPublicKeyBytes(b []byte) error {
	l := layout{b: b}
	l.u64(2, "polynomial count")
	for i := 0; i < 2; i++ {
		l.poly(len(p.moduli), p.he.N(), p.moduli)
		l.u64(0, "P row count")
	}
	return l.end()
}

// checkPoly checks a decoded polynomial: rows moduli, the ring degree, every
// coefficient below its modulus.
func (p *Parameters) checkPoly(pol ring.Poly, what string) error {
	if len(pol.Coeffs) != len(p.moduli) {
		return malformed("%s has %d moduli, want %d", what, len(pol.Coeffs), len(p.moduli))
	}
	for i, row := range pol.Coeffs {
		if len(row) != p.he.N() {
			return malformed("%s row %d has %d coefficients, want %d", what, i, len(row), p.he.N())
		}
		q := p.moduli[i]
		for j, c := range row {
			if c >= q {
				return malformed("%s coefficient %d of row %d is not below its modulus", what, j, i)
			}
		}
	}
	return nil
}

// checkQPPoly checks a decoded ringqp.Poly with an empty P part.
func (p *Parameters) checkQPPoly(pol ringqp.Poly, what string) error {
	if len(pol.P.Coeffs) != 0 {
		return malformed("%s has a P part", what)
	}
	return p.checkPoly(pol.Q, what)
}

// checkCiphertext checks a ciphertext object: its shape (checkCiphertextShape)
// and every coefficient below its modulus.
func (p *Parameters) checkCiphertext(ct *rlwe.Ciphertext) error {
	if err := p.checkCiphertextShape(ct); err != nil {
		return err
	}
	for i, pol := range ct.Value {
		if err := p.checkPoly(pol, fmt.Sprintf("ciphertext polynomial %d", i)); err != nil {
			return err
		}
	}
	return nil
}

// checkCiphertextShape checks what lattigo would index out of range on or
// silently misread: degree 1, the maximum level, the ring degree and the
// job's metadata (NTT, not Montgomery, batched, scale 1).
func (p *Parameters) checkCiphertextShape(ct *rlwe.Ciphertext) error {
	if ct == nil || ct.MetaData == nil {
		return malformed("ciphertext or its metadata is nil")
	}
	if len(ct.Value) != 2 {
		return malformed("ciphertext has degree %d, want 1", len(ct.Value)-1)
	}
	md := p.metadata
	if ct.IsNTT != md.IsNTT || ct.IsMontgomery != md.IsMontgomery || ct.IsBatched != md.IsBatched ||
		ct.LogDimensions != md.LogDimensions || ct.Scale.Cmp(md.Scale) != 0 {
		return malformed("ciphertext metadata differs from the job's")
	}
	for i, pol := range ct.Value {
		if len(pol.Coeffs) != len(p.moduli) {
			return malformed("ciphertext polynomial %d has %d moduli, want %d", i, len(pol.Coeffs), len(p.moduli))
		}
		for j, row := range pol.Coeffs {
			if len(row) != p.he.N() {
				return malformed("ciphertext polynomial %d row %d has %d coefficients, want %d", i, j, len(row), p.he.N())
			}
		}
	}
	return nil
}

// decodeCiphertext checks b, lets lattigo decode it and checks the result.
func (p *Parameters) decodeCiphertext(b []byte) (*rlwe.Ciphertext, error) {
	if err := p.checkCiphertextBytes(b); err != nil {
		return nil, err
	}
	ct := new(rlwe.Ciphertext)
	if err := ct.UnmarshalBinary(b); err != nil {
		return nil, malformed("lattigo: %v", err)
	}
	if err := p.checkCiphertext(ct); err != nil {
		return nil, err
	}
	return ct, nil
}

// decodeShare decodes one decryption share.
func (p *Parameters) decodeShare(b []byte) (mhe.KeySwitchShare, error) {
	var sh mhe.KeySwitchShare
	if err := p.checkPolyBytes(b); err != nil {
		return sh, err
	}
	if err := sh.UnmarshalBinary(b); err != nil {
		return sh, malformed("lattigo: %v", err)
	}
	if err := p.checkPoly(sh.Value, "decryption share"); err != nil {
		return sh, err
	}
	return sh, nil
}

// decodePublicKeyShare decodes one collective-key share.
func (p *Parameters) decodePublicKeyShare(b []byte) (mhe.PublicKeyGenShare, error) {
	var sh mhe.PublicKeyGenShare
	if err := p.checkQPPolyBytes(b); err != nil {
		return sh, err
	}
	if err := sh.UnmarshalBinary(b); err != nil {
		return sh, malformed("lattigo: %v", err)
	}
	if err := p.checkQPPoly(sh.Value, "public-key share"); err != nil {
		return sh, err
	}
	return sh, nil
}

// decodeShamirShare decodes one Shamir secret share.
func (p *Parameters) decodeShamirShare(b []byte) (mhe.ShamirSecretShare, error) {
	var sh mhe.ShamirSecretShare
	if err := p.checkQPPolyBytes(b); err != nil {
		return sh, err
	}
	if err := sh.UnmarshalBinary(b); err != nil {
		return sh, malformed("lattigo: %v", err)
	}
	if err := p.checkQPPoly(sh.Poly, "Shamir share"); err != nil {
		return sh, err
	}
	return sh, nil
}

// decodePublicKey decodes a collective public key.
func (p *Parameters) decodePublicKey(b []byte) (*rlwe.PublicKey, error) {
	if err := p.checkPublicKeyBytes(b); err != nil {
		return nil, err
	}
	pk := new(rlwe.PublicKey)
	if err := pk.UnmarshalBinary(b); err != nil {
		return nil, malformed("lattigo: %v", err)
	}
	if len(pk.Value) != 2 {
		return nil, malformed("public key has %d polynomials, want 2", len(pk.Value))
	}
	for i, pol := range pk.Value {
		if err := p.checkQPPoly(pol, fmt.Sprintf("public key polynomial %d", i)); err != nil {
			return nil, err
		}
	}
	return pk, nil
}
