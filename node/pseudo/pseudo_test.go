package pseudo

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
)

// TestRFC4231Case6 checks the construction against RFC 4231 test case 6
// (HMAC-SHA256 with a 131-byte key; the shorter keys of the other cases are
// below our minimum key size).
func TestRFC4231Case6(t *testing.T) {
	key := bytes.Repeat([]byte{0xaa}, 131)
	p, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Pseudonym([]byte("Test Using Larger Than Block-Size Key - Hash Key First"))
	const want = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("got %x, want %s", got, want)
	}
}

func TestDeterministicAndKeyed(t *testing.T) {
	k1 := bytes.Repeat([]byte{1}, 32)
	k2 := bytes.Repeat([]byte{2}, 32)
	a, _ := New(k1)
	b, _ := New(k2)
	id := []byte("15634602")
	if a.Pseudonym(id) != a.Clone().Pseudonym(id) {
		t.Fatal("same key, same id, different pseudonyms")
	}
	if a.Pseudonym(id) == b.Pseudonym(id) {
		t.Fatal("different keys give the same pseudonym")
	}
	if a.Pseudonym(id) == a.Pseudonym([]byte("15634603")) {
		t.Fatal("different ids collide")
	}
	mac := hmac.New(sha256.New, k1)
	mac.Write(id)
	if p := a.Pseudonym(id); !bytes.Equal(p[:], mac.Sum(nil)) {
		t.Fatal("pseudonym is not HMAC-SHA256(key, id)")
	}
}

func TestShortKeyRefused(t *testing.T) {
	if _, err := New(make([]byte, 31)); err == nil {
		t.Fatal("31-byte key accepted")
	}
}

func TestPseudonymRedactedInLogs(t *testing.T) {
	p, _ := New(bytes.Repeat([]byte{3}, 32))
	id := p.Pseudonym([]byte("x"))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("row", "customer", id)
	if strings.Contains(buf.String(), hex.EncodeToString(id[:4])) {
		t.Fatalf("pseudonym in log: %s", buf.String())
	}
}
