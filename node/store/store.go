// Package store is a node's embedded database: badger v4 on disk, encrypted at
// rest with AES-256 (badger's WithEncryptionKey), holding dataset versions
// whose rows are keyed by pseudonymous customer.
//
// # Dataset versions
//
// An ingest writes a new version of a dataset under its own key prefix, marked
// as staging, and makes it current in one transaction at the end (Stage.Commit).
// Until then the previous version stays current and readable, whatever
// happens to the ingest: an error, a full disk or the process being killed.
// Staging versions left behind by a crash, and versions replaced by a newer
// one, are deleted when the store is next opened or right after the switch.
//
// # Keys
//
//	'M' name                       dataset metadata (current and last version numbers)
//	'V' name 0x00 version          version information (layout, counts, source)
//	'S' name 0x00 version          marker: version is staging (delete if found at open)
//	'T' name 0x00 version          marker: version is replaced (delete)
//	'R' name 0x00 version id seq   one row: id is the 32-byte pseudonym, seq orders a customer's rows
//
// This package must never write a row or metadata in the clear: every byte
// goes through badger's encryption, and nothing here logs row contents.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/fednode/fednode/node/ingest"
	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/schema"
)

// Errors callers branch on.
var (
	ErrNotFound  = errors.New("dataset not found")
	ErrWrongKey  = errors.New("store encryption key does not match this store")
	ErrCorrupt   = errors.New("store data is corrupt")
	ErrBadName   = errors.New("invalid dataset name")
	ErrDuplicate = errors.New("customer appears more than once")
)

// Options configure a Store.
type Options struct {
	Dir            string       // directory of the badger files
	EncryptionKey  []byte       // 32 bytes: AES-256
	IndexCacheSize int64        // bytes of block index cache; 0 means 64 MiB
	Logger         *slog.Logger // nil discards
}

// Store is an open node store. It is safe for concurrent use.
type Store struct {
	db  *badger.DB
	dir string
	log *slog.Logger
	mu  sync.Mutex // serialises version switches
}

// Open opens (creating if needed) the store in opts.Dir and removes what
// crashed or replaced ingests left behind.
func Open(opts Options) (*Store, error) {
	if len(opts.EncryptionKey) != 32 {
		return nil, errors.New("open store: encryption key must be 32 bytes")
	}
	bo := BadgerOptions(opts)
	db, err := badger.Open(bo)
	if err != nil {
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
			return nil, ErrWrongKey
		}
		return nil, fmt.Errorf("open store %s: %w", opts.Dir, err)
	}
	s := &Store{db: db, dir: opts.Dir, log: bo.Logger.(badgerLogger).l}
	if err := s.collect(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", opts.Dir, err)
	}
	return s, nil
}

// BadgerOptions returns the badger options a Store with opts uses: AES-256
// encryption at rest with an index cache (badger needs one to keep encrypted
// tables fast), one version per key, and badger's logs routed to slog.
func BadgerOptions(opts Options) badger.Options {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cache := opts.IndexCacheSize
	if cache == 0 {
		cache = 64 << 20
	}
	return badger.DefaultOptions(opts.Dir).
		WithEncryptionKey(opts.EncryptionKey).
		WithIndexCacheSize(cache).
		WithNumVersionsToKeep(1).
		WithLogger(badgerLogger{logger})
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Size returns the bytes the store occupies on disk (allocated blocks, as du
// counts them: badger preallocates sparse value-log files).
func (s *Store) Size() (int64, error) {
	var n int64
	err := filepath.WalkDir(s.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += allocated(info)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store size: %w", err)
	}
	return n, nil
}

// Sync writes everything committed so far to stable storage.
func (s *Store) Sync() error {
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("store sync: %w", err)
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidName reports whether name can name a dataset: 1 to 64 characters of
// lower-case letters, digits, '.', '_' and '-', starting with a letter or digit.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w %q: use 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit", ErrBadName, name)
	}
	return nil
}

// VersionInfo describes one version of a dataset.
type VersionInfo struct {
	Dataset        string        `json:"dataset"`
	Version        uint64        `json:"version"`
	Kind           schema.Kind   `json:"kind"`
	Layout         schema.Layout `json:"layout"`
	Rows           int64         `json:"rows"`
	Customers      int64         `json:"customers"`
	IngestedAt     time.Time     `json:"ingested_at"`
	Source         string        `json:"source"`
	SourceSHA256   string        `json:"source_sha256"`
	RecordsRead    int64         `json:"records_read"`
	RecordsSkipped int64         `json:"records_skipped"`
	Schema         string        `json:"schema"`
}

type meta struct {
	Current uint64 `json:"current"` // 0: none yet
	Last    uint64 `json:"last"`    // last version number handed out
}

const (
	pMeta    = 'M'
	pVersion = 'V'
	pStaging = 'S'
	pTrash   = 'T'
	pRow     = 'R'
)

func metaKey(name string) []byte { return append([]byte{pMeta}, name...) }

func versionKey(p byte, name string, v uint64) []byte {
	k := make([]byte, 0, 2+len(name)+8)
	k = append(k, p)
	k = append(k, name...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, v)
}

func rowPrefix(name string, v uint64) []byte { return versionKey(pRow, name, v) }

// RowKey returns the key under which Stage.Add stores a row.
func RowKey(name string, version uint64, id pseudo.ID, seq uint64) []byte {
	k := append(rowPrefix(name, version), id[:]...)
	return binary.BigEndian.AppendUint64(k, seq)
}

func getJSON(txn *badger.Txn, key []byte, v any) error {
	item, err := txn.Get(key)
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error {
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, key[:1], err)
		}
		return nil
	})
}

func setJSON(txn *badger.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

func readMeta(txn *badger.Txn, name string) (meta, error) {
	var m meta
	err := getJSON(txn, metaKey(name), &m)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return meta{}, nil
	}
	return m, err
}

// Dataset returns the current version of a dataset.
func (s *Store) Dataset(name string) (*VersionInfo, error) {
	var info *VersionInfo
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		info, err = current(txn, name)
		return err
	})
	return info, err
}

func current(txn *badger.Txn, name string) (*VersionInfo, error) {
	m, err := readMeta(txn, name)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	if m.Current == 0 {
		return nil, fmt.Errorf("dataset %s: %w", name, ErrNotFound)
	}
	var info VersionInfo
	if err := getJSON(txn, versionKey(pVersion, name, m.Current), &info); err != nil {
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil, fmt.Errorf("dataset %s version %d: %w: version information missing", name, m.Current, ErrCorrupt)
		}
		return nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	if err := info.Layout.Validate(); err != nil {
		return nil, fmt.Errorf("dataset %s: %w: %v", name, ErrCorrupt, err)
	}
	return &info, nil
}

// Datasets returns the current version of every dataset, by name.
func (s *Store) Datasets() ([]VersionInfo, error) {
	var out []VersionInfo
	err := s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte{pMeta}
		it := txn.NewIterator(opts)
		defer it.Close()
		var names []string
		for it.Rewind(); it.Valid(); it.Next() {
			names = append(names, string(it.Item().Key()[1:]))
		}
		for _, n := range names {
			info, err := current(txn, n)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, *info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	return out, nil
}

// Customer is one pseudonymous customer's rows in a dataset version, in input
// order. It is valid only during the callback that receives it.
type Customer struct {
	ID   pseudo.ID
	Rows []Row
}

// Row is one stored row.
type Row struct {
	Seq    uint64         // ingest.SeqLine(Seq) is the input line
	Values []schema.Value // one per layout column
}

// Scan calls fn for every customer of the current version of dataset name, in
// pseudonym order, from one consistent snapshot. It returns the version it
// read. fn must not keep the Customer after it returns.
func (s *Store) Scan(ctx context.Context, name string, fn func(*Customer) error) (*VersionInfo, error) {
	var info *VersionInfo
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if info, err = current(txn, name); err != nil {
			return err
		}
		prefix := rowPrefix(name, info.Version)
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		var c Customer
		var pool [][]schema.Value
		n := 0
		flush := func() error {
			if len(c.Rows) == 0 {
				return nil
			}
			err := fn(&c)
			for i := range c.Rows {
				pool = append(pool, c.Rows[i].Values)
			}
			c.Rows = c.Rows[:0]
			return err
		}
		for it.Rewind(); it.Valid(); it.Next() {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			item := it.Item()
			k := item.Key()[len(prefix):]
			if len(k) != pseudo.Size+8 {
				return fmt.Errorf("%w: row key of %d bytes", ErrCorrupt, len(k))
			}
			if !bytes.Equal(k[:pseudo.Size], c.ID[:]) {
				if err := flush(); err != nil {
					return err
				}
				copy(c.ID[:], k[:pseudo.Size])
			}
			var vals []schema.Value
			if len(pool) > 0 {
				vals, pool = pool[len(pool)-1], pool[:len(pool)-1]
			}
			err := item.Value(func(b []byte) error {
				var err error
				vals, err = info.Layout.DecodeRow(b, vals)
				return err
			})
			if err != nil {
				return fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			c.Rows = append(c.Rows, Row{Seq: binary.BigEndian.Uint64(k[pseudo.Size:]), Values: vals})
		}
		return flush()
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", name, err)
	}
	return info, nil
}

// Stage is a dataset version being written. Add rows, then Commit or Abort.
// A Stage is not safe for concurrent use.
type Stage struct {
	s       *Store
	name    string
	version uint64
	prefix  []byte
	rows    int64
	done    bool

	cur     *batch
	free    chan *batch // empty batch buffers
	batches chan *batch
	werr    chan error // the writer's first error, while it drains
	flushed chan error // the writer's final error, once batches is closed
	err     error
}

var _ ingest.Sink = (*Stage)(nil)

// Stage starts a new version of dataset name. The version is invisible to
// readers until Commit.
func (s *Store) Stage(name string) (*Stage, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	st := &Stage{s: s, name: name}
	err := s.db.Update(func(txn *badger.Txn) error {
		m, err := readMeta(txn, name)
		if err != nil {
			return err
		}
		m.Last++
		st.version = m.Last
		if err := setJSON(txn, metaKey(name), m); err != nil {
			return err
		}
		return txn.Set(versionKey(pStaging, name, st.version), nil)
	})
	if err == nil {
		err = s.db.Sync() // the staging marker must outlive a crash of the ingest
	}
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	st.prefix = rowPrefix(name, st.version)
	st.batches = make(chan *batch, batchBuffers)
	st.free = make(chan *batch, batchBuffers)
	for range batchBuffers {
		st.free <- &batch{buf: make([]byte, 0, batchBytes+4096), ends: make([][2]int, 0, 2*batchRows)}
	}
	st.werr = make(chan error, 1)
	st.flushed = make(chan error, 1)
	go st.writer(s.db, st.batches)
	return st, nil
}

// Version returns the version number being written.
func (st *Stage) Version() uint64 { return st.version }

// Add writes one row. It copies id and row.
//
// Rows are gathered in batches that a writer goroutine commits to badger, so
// that parsing the input and writing the store use both cores. Batch buffers
// are recycled once badger has applied them, so an ingest allocates a fixed
// amount whatever the file size. An error of the writer is returned by a
// later Add or by Commit.
func (st *Stage) Add(id pseudo.ID, seq uint64, row []byte) error {
	if st.err != nil {
		return st.err
	}
	b := st.cur
	if b == nil {
		select {
		case b = <-st.free:
		case err := <-st.werr:
			st.err = err
			return err
		}
		b.buf, b.ends = b.buf[:0], b.ends[:0]
		st.cur = b
	}
	start := len(b.buf)
	b.buf = append(b.buf, st.prefix...)
	b.buf = append(b.buf, id[:]...)
	b.buf = binary.BigEndian.AppendUint64(b.buf, seq)
	mid := len(b.buf)
	b.buf = append(b.buf, row...)
	b.ends = append(b.ends, [2]int{start, mid}, [2]int{mid, len(b.buf)})
	st.rows++
	if len(b.ends) >= 2*batchRows || len(b.buf) >= batchBytes {
		return st.send()
	}
	return nil
}

const (
	batchRows    = 4096
	batchBytes   = 1 << 20
	batchBuffers = 8 // batches being filled, queued or applied at once
)

// batch is rows laid out in one buffer: ends holds [start, end) of each key
// and value in turn. badger keeps references to the slices until the
// transactions holding them are applied; refs counts those transactions.
type batch struct {
	buf  []byte
	ends [][2]int
	refs atomic.Int32
}

func (st *Stage) send() error {
	if st.cur == nil || len(st.cur.ends) == 0 {
		return st.err
	}
	select {
	case st.batches <- st.cur:
		st.cur = nil
		return nil
	case err := <-st.werr:
		st.err = err
		return err
	}
}

// writer commits each batch in as few transactions as badger allows and
// recycles its buffer when the last of them is applied.
func (st *Stage) writer(db *badger.DB, batches <-chan *batch) {
	var (
		pending sync.WaitGroup
		failed  atomic.Pointer[error]
	)
	fail := func(err error) {
		if failed.CompareAndSwap(nil, &err) {
			st.werr <- err
		}
	}
	release := func(b *batch) {
		if b.refs.Add(-1) == 0 {
			st.free <- b
		}
	}
	commit := func(txn *badger.Txn, b *batch) {
		pending.Add(1)
		txn.CommitWith(func(err error) {
			if err != nil {
				fail(fmt.Errorf("stage %s: %w", st.name, err))
			}
			release(b)
			pending.Done()
		})
	}
	for b := range batches {
		if failed.Load() != nil {
			st.free <- b
			continue
		}
		b.refs.Store(1) // held by this loop until the batch is handed over
		txn := db.NewTransaction(true)
		for i := 0; i < len(b.ends); i += 2 {
			k, v := b.ends[i], b.ends[i+1]
			e := badger.NewEntry(b.buf[k[0]:k[1]:k[1]], b.buf[v[0]:v[1]:v[1]])
			err := txn.SetEntry(e)
			if errors.Is(err, badger.ErrTxnTooBig) {
				b.refs.Add(1)
				commit(txn, b)
				txn = db.NewTransaction(true)
				err = txn.SetEntry(e)
			}
			if err != nil {
				txn.Discard()
				fail(fmt.Errorf("stage %s: %w", st.name, err))
				break
			}
		}
		if failed.Load() == nil {
			b.refs.Add(1)
			commit(txn, b)
		}
		release(b)
	}
	pending.Wait()
	var err error
	if p := failed.Load(); p != nil {
		err = *p
	}
	st.flushed <- err
}

// finish sends the last batch, stops the writer and returns its error.
func (st *Stage) finish() error {
	if st.batches == nil {
		return st.err
	}
	if st.err == nil {
		st.send()
	}
	close(st.batches)
	st.batches = nil
	err := <-st.flushed
	if st.err != nil {
		return st.err
	}
	return err
}

// DuplicateError reports a customer found on two lines of a customers dataset.
type DuplicateError struct {
	FirstSeq, Seq uint64
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("customer appears more than once (first at line %d)", ingest.SeqLine(e.FirstSeq))
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// Dedupe says how Commit treats customers with more than one row.
type Dedupe int

// The dedupe modes.
const (
	DedupeNone     Dedupe = iota // many rows per customer are normal (transactions, campaign)
	DedupeError                  // a second row is a DuplicateError
	DedupeKeepLast               // the last row (in input order) is kept
)

// CommitResult says what a commit found while checking the version.
type CommitResult struct {
	Info           *VersionInfo
	RemovedRows    int64   // rows removed by DedupeKeepLast
	RemovedLines   []int64 // the first few input lines removed
	PreviousExists bool
}

// Commit makes the staged version current. info supplies what the caller
// knows (kind, layout, source); Commit fills in the dataset, version, rows and
// customers, and adds rows removed by DedupeKeepLast to RecordsSkipped. On error the version is discarded and the previous one stays
// current.
func (st *Stage) Commit(ctx context.Context, info VersionInfo, dedupe Dedupe) (*CommitResult, error) {
	if st.done {
		return nil, errors.New("commit: stage already finished")
	}
	res, err := st.commit(ctx, info, dedupe)
	if err != nil {
		if aerr := st.Abort(); aerr != nil {
			st.s.log.Error("discard staged version", "dataset", st.name, "version", st.version, "err", aerr)
		}
		return nil, err
	}
	return res, nil
}

func (st *Stage) commit(ctx context.Context, info VersionInfo, dedupe Dedupe) (*CommitResult, error) {
	s := st.s
	if err := st.finish(); err != nil {
		return nil, fmt.Errorf("commit %s: %w", st.name, err)
	}
	res := &CommitResult{}
	customers, removed, err := st.check(ctx, dedupe, res)
	if err != nil {
		return nil, err
	}
	if err := s.db.Sync(); err != nil {
		return nil, fmt.Errorf("commit %s: %w", st.name, err)
	}
	info.Dataset, info.Version = st.name, st.version
	info.Rows, info.Customers = st.rows-removed, customers
	info.RecordsSkipped += removed
	res.Info = &info
	res.RemovedRows = removed
	s.mu.Lock()
	defer s.mu.Unlock()
	var old uint64
	err = s.db.Update(func(txn *badger.Txn) error {
		m, err := readMeta(txn, st.name)
		if err != nil {
			return err
		}
		old = m.Current
		m.Current = st.version
		if err := setJSON(txn, metaKey(st.name), m); err != nil {
			return err
		}
		if err := setJSON(txn, versionKey(pVersion, st.name, st.version), info); err != nil {
			return err
		}
		if old != 0 {
			if err := txn.Set(versionKey(pTrash, st.name, old), nil); err != nil {
				return err
			}
		}
		return txn.Delete(versionKey(pStaging, st.name, st.version))
	})
	if err == nil {
		err = s.db.Sync()
	}
	if err != nil {
		return nil, fmt.Errorf("commit %s: switch to version %d: %w", st.name, st.version, err)
	}
	st.done = true
	res.PreviousExists = old != 0
	if old != 0 {
		if err := s.discard(st.name, old, pTrash); err != nil {
			s.log.Warn("delete replaced version; retried at next open", "dataset", st.name, "version", old, "err", err)
		}
	}
	return res, nil
}

// check walks the staged keys once: it counts customers and applies dedupe.
func (st *Stage) check(ctx context.Context, dedupe Dedupe, res *CommitResult) (customers, removed int64, err error) {
	prefix := rowPrefix(st.name, st.version)
	var del *badger.WriteBatch
	if dedupe == DedupeKeepLast {
		del = st.s.db.NewWriteBatch()
		defer del.Cancel()
	}
	err = st.s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		var prev []byte
		var prevSeq uint64
		n := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if n++; n%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			k := it.Item().Key()
			if len(k) != len(prefix)+pseudo.Size+8 {
				return fmt.Errorf("%w: staged key of %d bytes", ErrCorrupt, len(k))
			}
			id := k[len(prefix) : len(prefix)+pseudo.Size]
			seq := binary.BigEndian.Uint64(k[len(prefix)+pseudo.Size:])
			if prev != nil && bytes.Equal(prev, id) {
				switch dedupe {
				case DedupeError:
					return &DuplicateError{FirstSeq: prevSeq, Seq: seq}
				case DedupeKeepLast:
					pk := append(append(append([]byte(nil), prefix...), prev...), binary.BigEndian.AppendUint64(nil, prevSeq)...)
					if err := del.Delete(pk); err != nil {
						return err
					}
					removed++
					if len(res.RemovedLines) < 5 {
						res.RemovedLines = append(res.RemovedLines, ingest.SeqLine(prevSeq))
					}
				}
			} else {
				customers++
				prev = append(prev[:0], id...)
			}
			prevSeq = seq
		}
		return nil
	})
	if err == nil && del != nil {
		err = del.Flush()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("commit %s: %w", st.name, err)
	}
	return customers, removed, nil
}

// Abort discards the staged version. The previous version stays current.
func (st *Stage) Abort() error {
	if st.done {
		return nil
	}
	st.done = true
	if st.batches != nil {
		st.err = errors.New("aborted")
		st.finish()
	}
	return st.s.discard(st.name, st.version, pStaging)
}

// discard deletes a version's rows and information, then its marker.
func (s *Store) discard(name string, v uint64, marker byte) error {
	prefix := rowPrefix(name, v)
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	err := s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := wb.Delete(it.Item().KeyCopy(nil)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	if err == nil && marker == pTrash {
		err = s.db.Update(func(txn *badger.Txn) error { return txn.Delete(versionKey(pVersion, name, v)) })
	}
	if err == nil {
		err = s.db.Update(func(txn *badger.Txn) error { return txn.Delete(versionKey(marker, name, v)) })
	}
	if err != nil {
		return fmt.Errorf("discard %s version %d: %w", name, v, err)
	}
	return nil
}

// collect discards the versions that staging and trash markers point at.
func (s *Store) collect() error {
	type victim struct {
		name   string
		v      uint64
		marker byte
	}
	var vs []victim
	err := s.db.View(func(txn *badger.Txn) error {
		for _, p := range []byte{pStaging, pTrash} {
			opts := badger.DefaultIteratorOptions
			opts.PrefetchValues = false
			opts.Prefix = []byte{p}
			it := txn.NewIterator(opts)
			for it.Rewind(); it.Valid(); it.Next() {
				k := it.Item().Key()
				i := bytes.IndexByte(k, 0)
				if i < 1 || len(k) != i+9 {
					it.Close()
					return fmt.Errorf("%w: marker key", ErrCorrupt)
				}
				vs = append(vs, victim{string(k[1:i]), binary.BigEndian.Uint64(k[i+1:]), p})
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, v := range vs {
		s.log.Info("deleting unfinished or replaced dataset version", "dataset", v.name, "version", v.v)
		if err := s.discard(v.name, v.v, v.marker); err != nil {
			return err
		}
	}
	return nil
}

// badgerLogger routes badger's log lines into slog. Badger is chatty at info
// level about compactions, so its info and debug lines go to debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug(trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.l.Debug(trim(fmt.Sprintf(f, a...))) }

func trim(s string) string { return string(bytes.TrimRight([]byte(s), "\n")) }
