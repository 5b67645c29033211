package keys

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// sealedEnvelope returns the JSON of a valid envelope sealed with cheap
// parameters.
func sealedEnvelope(t testing.TB) []byte {
	t.Helper()
	e, err := Seal(testMaster(t), []byte("pass"), InsecureTestKDFParams(), bytes.NewReader(bytes.Repeat([]byte{3}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	data, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseEnvelopeErrors(t *testing.T) {
	good := string(sealedEnvelope(t))
	if _, err := ParseEnvelope([]byte(good)); err != nil {
		t.Fatalf("valid envelope: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(good), &m); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"aead", `"xchacha20poly1305"`, `"aes-gcm"`, `unsupported aead "aes-gcm"`},
		{"salt-short", `"salt": "`, `"salt": "AAAA`, "salt is"},
		{"time-zero", `"time": 1`, `"time": 0`, "kdf time 0 out of range"},
		{"time-too-high", `"time": 1`, `"time": 65`, "kdf time 65 out of range"},
		{"threads-overflow", `"threads": 1`, `"threads": 256`, "key envelope: "},
		{"not-json", `{`, `[`, "key envelope: "},
		{"version-string", `"version": 1`, `"version": "1"`, "key envelope: "},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			bad := strings.Replace(good, tc.old, tc.new, 1)
			if bad == good {
				t.Fatal("replacement did not apply")
			}
			_, err := ParseEnvelope([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	for _, in := range []string{"", "null", "{}", "[]", `"x"`} {
		if _, err := ParseEnvelope([]byte(in)); err == nil {
			t.Errorf("input=%q: accepted", in)
		}
	}
}

// TestBugParseEnvelopeTrailingData: ParseEnvelope decodes one JSON value and
// ignores whatever follows it.
func TestParseEnvelopeTrailingData(t *testing.T) {
	data := sealedEnvelope(t)
	for _, tail := range []string{"garbage", `{"version": 2}`, "]"} {
		if _, err := ParseEnvelope(append(bytes.Clone(data), tail...)); err == nil {
			t.Errorf("trailing %q accepted", tail)
		}
	}
}

func FuzzParseEnvelope(f *testing.F) {
	good := sealedEnvelope(f)
	f.Add(good)
	f.Add(bytes.ReplaceAll(good, []byte("\n"), nil))
	f.Add(bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 2`), 1))
	f.Add([]byte(`{"version":1,"kdf":"argon2id","params":{"time":1,"memory_kib":64,"threads":1},"salt":"","aead":"xchacha20poly1305","nonce":"","ciphertext":""}`))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEnvelope(data)
		if err != nil {
			if e != nil {
				t.Fatal("envelope returned with an error")
			}
			return
		}
		out, err := e.Marshal()
		if err != nil {
			t.Fatalf("Marshal of an accepted envelope: %v", err)
		}
		e2, err := ParseEnvelope(out)
		if err != nil {
			t.Fatalf("re-parse of\n%s\nfailed: %v", out, err)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("round trip changed the envelope:\n%+v\n%+v", e, e2)
		}
		if err := e2.validate(); err != nil {
			t.Fatalf("accepted envelope does not validate: %v", err)
		}
	})
}
