package keys

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func testMaster(t testing.TB) *Master {
	t.Helper()
	m, err := NewMaster(bytes.NewReader(bytes.Repeat([]byte{0x42}, MasterSize)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeriveGolden pins the derivations (values cross-checked against an
// independent RFC 5869 HKDF-SHA256 computation): a change here would silently re-key
// every existing store and change every pseudonym and peer ID.
func TestDeriveGolden(t *testing.T) {
	m := testMaster(t)
	for _, tc := range []struct{ label, want string }{
		{LabelStore, "f155daca8703f3ef9d80d7ccf88d762e3bec69120669dcc3b9c57d5c8f231979"},
		{LabelPseudonym, "a64d79242d08cc30a8009c6562424d0b1677be384729dcda5a6640c1fac0290a"},
		{LabelIdentity, "507b5528a357b0c70147b388a2cf62216f96dcb637673aa9696847e37488b814"},
	} {
		k, err := m.Derive(tc.label, 32)
		if err != nil {
			t.Fatal(err)
		}
		got := hex.EncodeToString(k.Bytes())
		if *update {
			t.Logf("label=%s %s", tc.label, got)
			continue
		}
		if got != tc.want {
			t.Errorf("label=%s: derived %s, want %s", tc.label, got, tc.want)
		}
	}
}

func TestDeriveSeparatesLabels(t *testing.T) {
	m := testMaster(t)
	seen := map[string]string{}
	for _, l := range []string{LabelStore, LabelPseudonym, LabelIdentity} {
		k, err := m.Derive(l, 32)
		if err != nil {
			t.Fatal(err)
		}
		h := hex.EncodeToString(k.Bytes())
		if other, dup := seen[h]; dup {
			t.Fatalf("labels %s and %s derive the same key", l, other)
		}
		seen[h] = l
	}
	if _, err := m.Derive("", 32); err == nil {
		t.Error("empty label accepted")
	}
}

func TestIdentityDeterministic(t *testing.T) {
	a, err := testMaster(t).Identity()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := testMaster(t).Identity()
	if !a.Equal(b) {
		t.Fatal("identity not deterministic in the master")
	}
	msg := []byte("audit record")
	if !ed25519.Verify(a.Public().(ed25519.PublicKey), msg, ed25519.Sign(a, msg)) {
		t.Fatal("identity key does not verify its own signature")
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	m := testMaster(t)
	rnd := bytes.NewReader(bytes.Repeat([]byte{7}, 64))
	e, err := Seal(m, []byte("correct horse"), InsecureTestKDFParams(), rnd)
	if err != nil {
		t.Fatal(err)
	}
	data, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, m.b[:]) {
		t.Fatal("envelope contains the master in the clear")
	}
	e2, err := ParseEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e2.Open([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(m) {
		t.Fatal("unwrapped master differs")
	}
	if _, err := e2.Open([]byte("wrong horse")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: got %v, want ErrWrongPassphrase", err)
	}
}

// TestEnvelopeTamper flips every byte of the ciphertext, nonce and salt and
// lowers the KDF cost: none may open.
func TestEnvelopeTamper(t *testing.T) {
	m := testMaster(t)
	pass := []byte("pass")
	base, err := Seal(m, pass, KDFParams{Time: 2, MemoryKiB: 64, Threads: 1}, bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	clone := func() *Envelope {
		c := *base
		c.Salt = bytes.Clone(base.Salt)
		c.Nonce = bytes.Clone(base.Nonce)
		c.Ciphertext = bytes.Clone(base.Ciphertext)
		return &c
	}
	for _, field := range []string{"salt", "nonce", "ciphertext"} {
		n := map[string]int{"salt": len(base.Salt), "nonce": len(base.Nonce), "ciphertext": len(base.Ciphertext)}[field]
		for i := 0; i < n; i++ {
			c := clone()
			b := map[string][]byte{"salt": c.Salt, "nonce": c.Nonce, "ciphertext": c.Ciphertext}[field]
			b[i] ^= 1
			if _, err := c.Open(pass); !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("field=%s byte=%d: flipped envelope opened (err %v)", field, i, err)
			}
		}
	}
	c := clone()
	c.Params.Time = 1
	if _, err := c.Open(pass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("weakened params opened: %v", err)
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	good, err := Seal(testMaster(t), []byte("p"), InsecureTestKDFParams(), bytes.NewReader(make([]byte, 64)))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := good.Marshal()
	for _, tc := range []struct{ name, old, new string }{
		{"version", `"version": 1`, `"version": 2`},
		{"kdf", `"argon2id"`, `"scrypt"`},
		{"memory", `"memory_kib": 64`, `"memory_kib": 4294967295`},
		{"threads", `"threads": 1`, `"threads": 0`},
		{"unknown", `"version": 1`, `"version": 1, "extra": true`},
	} {
		bad := strings.Replace(string(data), tc.old, tc.new, 1)
		if bad == string(data) {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		if _, err := ParseEnvelope([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

func TestSecretsRedacted(t *testing.T) {
	m := testMaster(t)
	k, _ := m.Derive(LabelStore, 32)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("keys", "master", m, "sub", k)
	out := buf.String() + fmt.Sprint(m, k) + fmt.Sprintf("%v %s", m, k)
	for _, secret := range [][]byte{m.b[:], k.Bytes()} {
		if strings.Contains(out, hex.EncodeToString(secret)) || strings.Contains(out, string(secret)) {
			t.Fatalf("secret leaked into output: %s", out)
		}
	}
	if !strings.Contains(buf.String(), "redacted") {
		t.Fatalf("log output not redacted: %s", buf.String())
	}
}
