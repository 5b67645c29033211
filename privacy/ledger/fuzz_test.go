package ledger

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets decode arbitrary bytes both as a stored record and, so
// that mutations get past the checksum, as the body of a correctly sealed
// record. A decoder must never panic; what it rejects must wrap ErrCorrupt;
// what it accepts must re-encode, and the re-encoding must decode to the
// same value and re-encode to the same bytes.

// Seeds are in testdata/fuzz/FuzzDecodeAccount.
func FuzzDecodeAccount(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rec := range [][]byte{data, seal("account", data)} {
			a, err := decodeAccount("churn", rec)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("decodeAccount(%q) error %v does not wrap ErrCorrupt", rec, err)
				}
				continue
			}
			enc, err := encodeAccount(a)
			if err != nil {
				t.Fatalf("decodeAccount accepted %+v, encodeAccount refuses it: %v", a, err)
			}
			again, err := decodeAccount("churn", enc)
			if err != nil || again != a {
				t.Fatalf("re-decode = %+v, %v; want %+v", again, err, a)
			}
			if enc2, _ := encodeAccount(again); !bytes.Equal(enc2, enc) {
				t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
			}
		}
	})
}

// Seeds are in testdata/fuzz/FuzzDecodeCharge.
func FuzzDecodeCharge(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rec := range [][]byte{data, seal("charge", data)} {
			c, err := decodeCharge("churn", "r-1", rec)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("decodeCharge(%q) error %v does not wrap ErrCorrupt", rec, err)
				}
				continue
			}
			enc, err := encodeCharge(c)
			if err != nil {
				t.Fatalf("decodeCharge accepted %+v, encodeCharge refuses it: %v", c, err)
			}
			again, err := decodeCharge("churn", "r-1", enc)
			if err != nil || again != c {
				t.Fatalf("re-decode = %+v, %v; want %+v", again, err, c)
			}
			if enc2, _ := encodeCharge(again); !bytes.Equal(enc2, enc) {
				t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
			}
		}
	})
}
