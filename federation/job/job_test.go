package job

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

const specTOML = `
id = "stats-1"
kind = "stats"
dataset = "customers"
participants = ["alpine-bank", "coastal-retail", "metro-bank"]
threshold = 2
epsilon = 1.0
delta = 1e-6

[params]
stats = [{ stat = "count" }, { stat = "mean", column = "age" }]
`

func key(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = b
	return ed25519.NewKeyFromSeed(seed)
}

func TestSignOpen(t *testing.T) {
	s, err := ParseTOML([]byte(specTOML))
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, SeedSize)
	seed[5] = 9
	sg, err := Sign(s, "alpine-bank", key(1), time.Unix(1e9, 0), seed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(sg, "alpine-bank", key(1).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "stats-1" || got.Threshold != 2 || got.Initiator != "alpine-bank" || !strings.Contains(string(got.Params), `"column":"age"`) || got.Index("metro-bank") != 2 {
		t.Fatalf("opened spec %+v", got)
	}
	if _, err := Open(sg, "alpine-bank", key(2).Public().(ed25519.PublicKey)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other key: %v", err)
	}
	if _, err := Open(sg, "metro-bank", key(1).Public().(ed25519.PublicKey)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong initiator name: %v", err)
	}
	for i := range sg.Spec {
		bad := *sg
		bad.Spec = append([]byte(nil), sg.Spec...)
		bad.Spec[i] ^= 1
		if _, err := Open(&bad, "alpine-bank", key(1).Public().(ed25519.PublicKey)); err == nil {
			t.Fatalf("flipped byte %d accepted", i)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	base := func() *Spec {
		s, _ := ParseTOML([]byte(specTOML))
		s.Seed = strings.Repeat("ab", SeedSize)
		return s
	}
	for name, edit := range map[string]func(*Spec){
		"threshold=1":        func(s *Spec) { s.Threshold = 1 },
		"threshold>n":        func(s *Spec) { s.Threshold = 4 },
		"threshold-minority": func(s *Spec) { s.Participants = append(s.Participants, "fourth"); s.Threshold = 2 },
		"one-participant":    func(s *Spec) { s.Participants = s.Participants[:1] },
		"dup-participant":    func(s *Spec) { s.Participants[1] = s.Participants[0] },
		"delta=0":            func(s *Spec) { s.Delta = 0 },
		"epsilon=0":          func(s *Spec) { s.Epsilon = 0 },
		"bad-id":             func(s *Spec) { s.ID = "Bad ID" },
		"bad-seed":           func(s *Spec) { s.Seed = "zz" },
		"initiator-outside":  func(s *Spec) { s.Initiator = "other" },
		"rounds":             func(s *Spec) { s.Rounds = MaxRounds + 1 },
	} {
		s := base()
		if err := s.Validate(); err != nil {
			t.Fatalf("base spec invalid: %v", err)
		}
		edit(s)
		if err := s.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
	if _, err := ParseTOML([]byte("bogus = 1\n" + specTOML)); err == nil {
		t.Error("unknown key accepted")
	}
}

func FuzzOpen(f *testing.F) {
	s, _ := ParseTOML([]byte(specTOML))
	sg, _ := Sign(s, "alpine-bank", key(1), time.Unix(1e9, 0), make([]byte, SeedSize))
	f.Add(sg.Spec)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"x","participants":null}`))
	pub := key(1).Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, spec []byte) {
		// Signed correctly, so decoding and validation are what is tested.
		sg := &Signed{Spec: spec, Sig: ed25519.Sign(key(1), append([]byte(signDomain), spec...))}
		got, err := Open(sg, "alpine-bank", pub)
		if err == nil && got.Validate() != nil {
			t.Fatal("opened an invalid spec")
		}
	})
}
