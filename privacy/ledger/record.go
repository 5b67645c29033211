package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fednode/fednode/privacy/accountant"
)

// recordVersion is the "v" of the records this package writes and reads.
const recordVersion = 1

// Key prefixes.
const (
	accountPrefix = "a/"
	chargesPrefix = "c/"
)

func accountKey(dataset string) []byte { return []byte(accountPrefix + dataset) }

// chargePrefix is the prefix of a dataset's charges. Dataset names contain
// no '/', so the prefix of one dataset is never a prefix of another's keys.
func chargePrefix(dataset string) []byte { return []byte(chargesPrefix + dataset + "/") }

func chargeKey(dataset, release string) []byte {
	return []byte(chargesPrefix + dataset + "/" + release)
}

// accountV1 is the JSON form of an account in version 1 records.
type accountV1 struct {
	Dataset  string            `json:"dataset"`
	Cap      accountant.Budget `json:"cap"`
	CapSetAt time.Time         `json:"cap_set_at"`
	Spent    accountant.Total  `json:"spent"`
	Releases int64             `json:"releases"`
}

// validate checks a stored account found under the key of dataset.
func (r accountV1) validate(dataset string) error {
	if r.Dataset != dataset {
		return fmt.Errorf("account of dataset %q stored under the key of %q", r.Dataset, dataset)
	}
	if err := checkDataset(r.Dataset); err != nil {
		return err
	}
	if err := checkCap(r.Cap); err != nil {
		return err
	}
	if err := checkTime("cap time", r.CapSetAt); err != nil {
		return err
	}
	if err := r.Spent.Validate(); err != nil {
		return fmt.Errorf("spent: %w", err)
	}
	if r.Releases != r.Spent.Releases {
		return fmt.Errorf("account counts %d releases, its spent total %d", r.Releases, r.Spent.Releases)
	}
	return nil
}

// chargeV1 is the JSON form of a charge in version 1 records.
type chargeV1 struct {
	Seq       int64             `json:"seq"`
	Release   string            `json:"release"`
	Dataset   string            `json:"dataset"`
	Job       string            `json:"job"`
	Mechanism string            `json:"mechanism"`
	Cost      accountant.Cost   `json:"cost"`
	Cap       accountant.Budget `json:"cap"`
	Time      time.Time         `json:"time"`
}

// validate checks a stored charge found under the key of dataset and
// release.
func (r chargeV1) validate(dataset, release string) error {
	if r.Dataset != dataset || r.Release != release {
		return fmt.Errorf("charge %s/%s stored under the key of %s/%s", r.Dataset, r.Release, dataset, release)
	}
	if r.Seq < 1 {
		return fmt.Errorf("sequence number %d, want ≥ 1", r.Seq)
	}
	for _, err := range []error{
		checkDataset(r.Dataset),
		checkRelease(r.Release),
		checkLabel("job", r.Job),
		checkLabel("mechanism", r.Mechanism),
		checkCost(r.Cost),
		checkCap(r.Cap),
		checkTime("charge time", r.Time),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// encodeAccount returns the record of a. It refuses to write what
// decodeAccount would reject.
func encodeAccount(a Account) ([]byte, error) {
	r := accountV1{
		Dataset:  a.Dataset,
		Cap:      a.Cap,
		CapSetAt: a.CapSetAt.UTC(),
		Spent:    a.Spent,
		Releases: a.Releases,
	}
	if err := r.validate(a.Dataset); err != nil {
		return nil, fmt.Errorf("encode account: %w", err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode account: %w", err)
	}
	return seal("account", body), nil
}

// decodeAccount decodes the record stored under the key of dataset. Any
// damage is an error wrapping ErrCorrupt.
func decodeAccount(dataset string, data []byte) (Account, error) {
	body, err := unseal("account", data)
	if err != nil {
		return Account{}, err
	}
	var r accountV1
	if err := decodeStrict(body, &r, accountV1{}); err != nil {
		return Account{}, corruptf("account record: %v", err)
	}
	r.CapSetAt = r.CapSetAt.UTC()
	if err := r.validate(dataset); err != nil {
		return Account{}, corruptf("account record: %v", err)
	}
	return Account{
		Dataset:  r.Dataset,
		Cap:      r.Cap,
		HasCap:   true,
		CapSetAt: r.CapSetAt,
		Spent:    r.Spent,
		Releases: r.Releases,
	}, nil
}

// encodeCharge returns the record of c. It refuses to write what
// decodeCharge would reject.
func encodeCharge(c Charge) ([]byte, error) {
	r := chargeV1{
		Seq:       c.Seq,
		Release:   c.Release,
		Dataset:   c.Dataset,
		Job:       c.Job,
		Mechanism: c.Mechanism,
		Cost:      c.Cost,
		Cap:       c.Cap,
		Time:      c.Time.UTC(),
	}
	if err := r.validate(c.Dataset, c.Release); err != nil {
		return nil, fmt.Errorf("encode charge: %w", err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode charge: %w", err)
	}
	return seal("charge", body), nil
}

// decodeCharge decodes the record stored under the key of dataset and
// release. Any damage is an error wrapping ErrCorrupt.
func decodeCharge(dataset, release string, data []byte) (Charge, error) {
	body, err := unseal("charge", data)
	if err != nil {
		return Charge{}, err
	}
	var r chargeV1
	if err := decodeStrict(body, &r, chargeV1{}); err != nil {
		return Charge{}, corruptf("charge record %s: %v", release, err)
	}
	r.Time = r.Time.UTC()
	if err := r.validate(dataset, release); err != nil {
		return Charge{}, corruptf("charge record %s: %v", release, err)
	}
	return Charge{
		Release:   r.Release,
		Dataset:   r.Dataset,
		Job:       r.Job,
		Mechanism: r.Mechanism,
		Cost:      r.Cost,
		Time:      r.Time,
		Seq:       r.Seq,
		Cap:       r.Cap,
	}, nil
}

// checksum returns the CRC-32C of body as eight lower-case hex digits.
func checksum(body []byte) string {
	return fmt.Sprintf("%08x", crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
}

// seal wraps a record's JSON body in the envelope
// {"v":1,"<kind>":<body>,"crc32c":"<checksum of body>"}.
func seal(kind string, body []byte) []byte {
	b := make([]byte, 0, len(body)+len(kind)+32)
	b = fmt.Appendf(b, `{"v":%d,"%s":`, recordVersion, kind)
	b = append(b, body...)
	return fmt.Appendf(b, `,"crc32c":"%s"}`, checksum(body))
}

// unseal checks the envelope of a record and returns the exact bytes of its
// body. Any damage is an error wrapping ErrCorrupt.
func unseal(kind string, data []byte) ([]byte, error) {
	env, err := fields(data)
	if err != nil {
		return nil, corruptf("%s record: %v", kind, err)
	}
	v, body, sum := env["v"], env[kind], env["crc32c"]
	if len(env) != 3 || v == nil || body == nil || sum == nil {
		return nil, corruptf("%s record: want exactly the fields v, %s and crc32c", kind, kind)
	}
	var version int
	if err := json.Unmarshal(v, &version); err != nil || version != recordVersion {
		return nil, corruptf("%s record: version %.20s, want %d", kind, v, recordVersion)
	}
	var got string
	if err := json.Unmarshal(sum, &got); err != nil || got != checksum(body) {
		return nil, corruptf("%s record: checksum mismatch", kind)
	}
	return body, nil
}

// decodeStrict decodes the JSON object data into v after checking that it
// has the shape of template's encoding: the same fields, recursively, each
// once and with the same JSON type. A field that is missing, unknown,
// misspelt in case or null is an error, so no field is read as zero by
// default.
func decodeStrict(data []byte, v, template any) error {
	want, err := json.Marshal(template)
	if err != nil {
		return err
	}
	if err := sameShape(data, want, ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// sameShape compares the JSON values data and want as decodeStrict
// describes; path names the field for errors.
func sameShape(data, want []byte, path string) error {
	dk, wk := jsonKind(data), jsonKind(want)
	if dk != wk {
		name := strings.TrimSuffix(path, ".")
		if name == "" {
			return fmt.Errorf("record is %s, want %s", dk, wk)
		}
		return fmt.Errorf("field %q is %s, want %s", name, dk, wk)
	}
	if wk != "an object" {
		return nil
	}
	d, err := fields(data)
	if err != nil {
		return err
	}
	var w map[string]json.RawMessage
	if err := json.Unmarshal(want, &w); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(d)) {
		if _, ok := w[name]; !ok {
			return fmt.Errorf("unknown field %q", path+name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(w)) {
		dv, ok := d[name]
		if !ok {
			return fmt.Errorf("missing field %q", path+name)
		}
		if err := sameShape(dv, w[name], path+name+"."); err != nil {
			return err
		}
	}
	return nil
}

// fields returns the fields of the JSON object data, which must be all of
// data. A name that appears twice is an error: the standard decoder would
// silently keep the last value.
func fields(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object (%v)", err)
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("field name %v", tok)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("field %q appears twice", name)
		}
		out[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return out, nil
}

// jsonKind returns the type of a valid JSON value.
func jsonKind(v []byte) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
