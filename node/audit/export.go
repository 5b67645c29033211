package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ExportFormat names the JSON export format.
const ExportFormat = "fednode-audit/1"

// Export is an audit log exported for offline verification.
//
// Only the head and the entries are signed. Format, Node, PeerID and
// ExportedAt describe the export and are not covered by any signature: take
// the node's public key from the consortium file, not from the export.
//
// VerifyExport detects any record edited, removed, reordered or added, and a
// truncated export, but cannot detect a rollback: an older export of the same
// node, genuinely signed, verifies. Compare the head with the node's (Verify
// on the node, which keeps its head) or with a later export.
type Export struct {
	Format     string    // ExportFormat
	Node       string    // node name
	PeerID     string    // node's libp2p peer ID
	ExportedAt time.Time // when the export was written
	Head       Head      // zero for an empty log
	Entries    []Entry   // in sequence order
}

// Wire form of an export. Records travel as raw JSON, so that a verifier
// hashes the exact bytes that were signed.
type (
	exportJSON struct {
		Format     string      `json:"format"`
		Node       string      `json:"node"`
		PeerID     string      `json:"peer_id"`
		ExportedAt time.Time   `json:"exported_at"`
		Head       *headJSON   `json:"head"`
		Entries    []entryJSON `json:"entries"`
	}
	headJSON struct {
		Seq  uint64 `json:"seq"`
		Hash string `json:"hash"` // hex
		Sig  string `json:"sig"`  // standard base64
	}
	entryJSON struct {
		Record json.RawMessage `json:"record"` // canonical record bytes
		Hash   string          `json:"hash"`   // hex
		Sig    string          `json:"sig"`    // standard base64
	}
)

// WriteExportJSON writes the head and entries (as ReadHead and Entries
// return them, read in one transaction) as a JSON export:
//
//	{
//	  "format": "fednode-audit/1",
//	  "node": "bank-a",
//	  "peer_id": "12D3KooW...",
//	  "exported_at": "2026-03-01T12:00:00Z",
//	  "head": {"seq":2,"hash":"<hex>","sig":"<base64>"},
//	  "entries": [
//	    {"record":{"seq":1,...},"hash":"<hex>","sig":"<base64>"},
//	    {"record":{"seq":2,...},"hash":"<hex>","sig":"<base64>"}
//	  ]
//	}
//
// Each record is written as its canonical bytes (Entry.Raw), byte for byte.
// head is nil, and written as null, for an empty log. exportedAt must be set.
// Entries that do not decode are refused before anything is written.
func WriteExportJSON(w io.Writer, node, peerID string, exportedAt time.Time, head *Head, entries []*Entry) error {
	if exportedAt.IsZero() {
		return errors.New("write audit export: no export time")
	}
	at, err := json.Marshal(exportedAt.UTC())
	if err != nil {
		return fmt.Errorf("write audit export: %w", err)
	}
	for i, e := range entries {
		if _, err := decodeRecord(e.Raw); err != nil {
			return fmt.Errorf("write audit export: entry %d: %w", i+1, err)
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{\n  \"format\": %s,\n  \"node\": %s,\n  \"peer_id\": %s,\n  \"exported_at\": %s,\n  \"head\": ",
		jsonString(ExportFormat), jsonString(node), jsonString(peerID), at)
	if head == nil {
		bw.WriteString("null")
	} else {
		fmt.Fprintf(bw, "{\"seq\":%d,\"hash\":\"%s\",\"sig\":\"%s\"}",
			head.Seq, hexHash(head.Hash), base64.StdEncoding.EncodeToString(head.Sig))
	}
	bw.WriteString(",\n  \"entries\": [")
	for i, e := range entries {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, "\n    {\"record\":%s,\"hash\":\"%s\",\"sig\":\"%s\"}",
			e.Raw, hexHash(e.Hash), base64.StdEncoding.EncodeToString(e.Sig))
	}
	if len(entries) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write audit export: %w", err)
	}
	return nil
}

// jsonString returns the JSON encoding of s (invalid UTF-8 becomes U+FFFD).
func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// ReadExport reads a JSON export of at most maxBytes bytes strictly: unknown
// fields, trailing data, another format, a record that is not canonical and a
// hash or signature not written as WriteExportJSON writes them are errors;
// those in the head or an entry are *VerifyError. It holds the whole export
// in memory. It does not verify signatures or the chain: call VerifyExport.
func ReadExport(r io.Reader, maxBytes int64) (*Export, error) {
	if maxBytes <= 0 {
		return nil, errors.New("read audit export: size limit must be positive")
	}
	limit := maxBytes
	if limit < math.MaxInt64 {
		limit++
	}
	data, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, fmt.Errorf("read audit export: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("read audit export: larger than %d bytes", maxBytes)
	}
	var w exportJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return nil, fmt.Errorf("read audit export: at byte %d: %w", se.Offset, err)
		}
		return nil, fmt.Errorf("read audit export: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("read audit export: data after the export")
	}
	if w.Format != ExportFormat {
		return nil, fmt.Errorf("read audit export: format is not %q", ExportFormat)
	}
	if w.ExportedAt.IsZero() {
		return nil, errors.New("read audit export: no export time")
	}
	e := &Export{Format: w.Format, Node: w.Node, PeerID: w.PeerID, ExportedAt: w.ExportedAt, Entries: make([]Entry, len(w.Entries))}
	if w.Head != nil {
		h, err := w.Head.decode()
		if err != nil {
			return nil, &VerifyError{Reason: "head: " + err.Error()}
		}
		e.Head = *h
	}
	for i, we := range w.Entries {
		en, err := we.decode()
		if err != nil {
			return nil, &VerifyError{Seq: uint64(i + 1), Reason: err.Error()}
		}
		e.Entries[i] = *en
	}
	return e, nil
}

func (h *headJSON) decode() (*Head, error) {
	if h.Seq == 0 {
		return nil, errors.New("names record 0")
	}
	hash, err := parseHash(h.Hash)
	if err != nil {
		return nil, err
	}
	sig, err := parseSig(h.Sig)
	if err != nil {
		return nil, err
	}
	return &Head{Seq: h.Seq, Hash: hash, Sig: sig}, nil
}

func (e *entryJSON) decode() (*Entry, error) {
	r, err := decodeRecord(e.Record)
	if err != nil {
		return nil, err
	}
	hash, err := parseHash(e.Hash)
	if err != nil {
		return nil, err
	}
	sig, err := parseSig(e.Sig)
	if err != nil {
		return nil, err
	}
	return &Entry{Record: r, Raw: bytes.Clone(e.Record), Hash: hash, Sig: sig}, nil
}

// parseHash parses a hash written as 64 lower-case hex digits.
func parseHash(s string) ([32]byte, error) {
	var h [32]byte
	if !isHash(s) {
		return h, errors.New("hash is not 64 lower-case hex digits")
	}
	hex.Decode(h[:], []byte(s))
	return h, nil
}

// parseSig parses a signature written in standard, padded base64, exactly as
// base64.StdEncoding writes it.
func parseSig(s string) ([]byte, error) {
	sig, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(sig) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != s {
		return nil, errors.New("signature is not 64 bytes of standard base64")
	}
	return sig, nil
}

// VerifyExport checks an export as Verify checks the log: every entry's hash,
// signature and canonical bytes (Raw, and that Record is their decoding), the
// sequence and the chain, and the head's signature and that it names the
// last entry. Failures are a *VerifyError wrapping ErrTampered. See Export
// for what an export cannot prove.
func VerifyExport(e *Export, pub ed25519.PublicKey) (*Summary, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit verify export: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if e.Format != ExportFormat {
		return nil, fmt.Errorf("audit verify export: format is not %q", ExportFormat)
	}
	c := newChain(pub)
	for i := range e.Entries {
		en, pos := &e.Entries[i], uint64(i+1)
		if recordHash(en.Raw) != en.Hash {
			return nil, &VerifyError{Seq: pos, Reason: "hash does not match the record bytes"}
		}
		if err := c.add(pos, en.Raw, en.Hash, en.Sig); err != nil {
			return nil, err
		}
		if b, err := json.Marshal(&en.Record); err != nil || !bytes.Equal(b, en.Raw) {
			return nil, &VerifyError{Seq: pos, Reason: "record does not match its signed bytes"}
		}
	}
	var h *Head
	if e.Head.Seq != 0 || e.Head.Hash != [32]byte{} || e.Head.Sig != nil {
		h = &e.Head
	}
	return c.finish(h)
}

// csvHeader names the columns of WriteExportCSV.
func csvHeader() []string {
	return []string{"seq", "time", "kind", "job", "release", "dataset", "mechanism", "params",
		"rho", "epsilon", "delta", "digest", "peers", "prev", "hash", "sig"}
}

// WriteExportCSV writes entries as CSV for spreadsheets and reports: a header
// and one row per record with the columns
//
//	seq,time,kind,job,release,dataset,mechanism,params,rho,epsilon,delta,digest,peers,prev,hash,sig
//
// params are k=v pairs joined by ';' in key order and peers are joined by
// ';', with '%', ';' and '=' inside them written %25, %3B and %3D. Text that
// a spreadsheet would run as a formula (starting with = + - @ tab or CR) is
// prefixed with a single quote. A CSV export is a report, not evidence: it
// does not carry the signed bytes; verify the JSON export.
func WriteExportCSV(w io.Writer, entries []*Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader()); err != nil {
		return fmt.Errorf("write audit csv: %w", err)
	}
	for _, e := range entries {
		if err := cw.Write(csvRow(e)); err != nil {
			return fmt.Errorf("write audit csv record %d: %w", e.Record.Seq, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write audit csv: %w", err)
	}
	return nil
}

// csvRow returns the CSV row of an entry.
func csvRow(e *Entry) []string {
	r := &e.Record
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	esc := strings.NewReplacer("%", "%25", ";", "%3B", "=", "%3D")
	params := make([]string, 0, len(r.Params))
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		params = append(params, esc.Replace(k)+"="+esc.Replace(r.Params[k]))
	}
	peers := make([]string, len(r.Peers))
	for i, p := range r.Peers {
		peers[i] = esc.Replace(p)
	}
	return []string{
		strconv.FormatUint(r.Seq, 10),
		r.Time.UTC().Format(time.RFC3339Nano),
		cell(string(r.Kind)),
		cell(r.Job),
		cell(r.Release),
		cell(r.Dataset),
		cell(r.Mechanism),
		cell(strings.Join(params, ";")),
		num(r.Rho),
		num(r.Epsilon),
		num(r.Delta),
		cell(r.Digest),
		cell(strings.Join(peers, ";")),
		r.Prev,
		hexHash(e.Hash),
		base64.StdEncoding.EncodeToString(e.Sig),
	}
}

// cell defuses text a spreadsheet would evaluate as a formula (OWASP, CSV
// injection) by prefixing a single quote.
func cell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
