// Package node is one organisation's fednode node: its directory, keys,
// encrypted store and datasets, and the operations an operator runs on them
// (init, ingest, status). Later layers (privacy ledger, audit log, federation,
// jobs) hang off an open Node.
//
// # Node directory
//
//	node.toml   configuration (name, peer ID, listen addresses, store path); no secrets
//	node.key    the master secret, wrapped under the operator's passphrase (Argon2id)
//	store/      badger, AES-256 encrypted with a key derived from the master
//	LOCK        held by the process that has the node open
//
// This package must never write a passphrase, the master secret, a derived
// key, a direct identifier or a raw row anywhere but into the encrypted store,
// and never log them.
package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/fednode/fednode/node/keys"
	"github.com/fednode/fednode/node/pseudo"
	"github.com/fednode/fednode/node/store"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// File names inside a node directory.
const (
	ConfigFile = "node.toml"
	KeyFile    = "node.key"
	LockFile   = "LOCK"
	StoreDir   = "store"
)

// Errors callers branch on.
var (
	ErrExists          = errors.New("a node already exists in this directory")
	ErrNotNode         = errors.New("not a node directory (run fednode init)")
	ErrWrongPassphrase = keys.ErrWrongPassphrase
)

// InitOptions configure a new node.
type InitOptions struct {
	Name       string
	Passphrase []byte
	Listen     []string       // nil: DefaultListen()
	KDF        keys.KDFParams // zero: keys.DefaultKDFParams()
	Rand       io.Reader      // nil: crypto/rand.Reader
}

// Init creates a node in dir: a fresh master secret wrapped under the
// passphrase, the identity derived from it, node.toml and an empty encrypted
// store. It refuses a directory that already holds a node.
func Init(dir string, opts InitOptions) (*Config, error) {
	if err := ValidateName(opts.Name); err != nil {
		return nil, err
	}
	if len(opts.Passphrase) == 0 {
		return nil, errors.New("init: empty passphrase")
	}
	if opts.KDF == (keys.KDFParams{}) {
		opts.KDF = keys.DefaultKDFParams()
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Listen == nil {
		opts.Listen = DefaultListen()
	}
	for _, f := range []string{ConfigFile, KeyFile, StoreDir} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("init %s: %w (%s is there)", dir, ErrExists, f)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, err
	}
	defer lock.release()

	master, err := keys.NewMaster(opts.Rand)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	env, err := keys.Seal(master, opts.Passphrase, opts.KDF, opts.Rand)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	id, err := master.Identity()
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	pid, err := PeerID(id)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	cfg := &Config{Name: opts.Name, PeerID: pid.String(), Listen: opts.Listen, Store: StoreDir}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	envData, err := env.Marshal()
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(dir, KeyFile), envData, 0o600); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	st, err := openStore(dir, cfg, master, nil)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	cfgData, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	// node.toml last: its presence marks a complete node.
	if err := writeFileAtomic(filepath.Join(dir, ConfigFile), cfgData, 0o600); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	return cfg, nil
}

// PeerID returns the libp2p peer ID of an Ed25519 identity key.
func PeerID(key ed25519.PrivateKey) (peer.ID, error) {
	pub, err := crypto.UnmarshalEd25519PublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		return "", fmt.Errorf("peer id: %w", err)
	}
	return peer.IDFromPublicKey(pub)
}

func openStore(dir string, cfg *Config, master *keys.Master, logger *slog.Logger) (*store.Store, error) {
	k, err := master.Derive(keys.LabelStore, 32)
	if err != nil {
		return nil, err
	}
	return store.Open(store.Options{Dir: filepath.Join(dir, cfg.Store), EncryptionKey: k.Bytes(), Logger: logger})
}

// Node is an open node. Its methods are safe for concurrent use.
type Node struct {
	dir      string
	cfg      *Config
	log      *slog.Logger
	lock     *dirLock
	store    *store.Store
	identity ed25519.PrivateKey
	pseudo   *pseudo.Pseudonymizer // template; cloned per ingest

	ingestMu sync.Mutex
	ingests  map[string]*sync.Mutex // one ingest per dataset at a time

	afterCharge func() // test hook: runs between a durable charge and its release
}

// Open opens the node in dir with the operator's passphrase. A wrong
// passphrase returns ErrWrongPassphrase and touches nothing; a directory
// another process has open returns ErrInUse.
func Open(ctx context.Context, dir string, passphrase []byte, logger *slog.Logger) (*Node, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfgData, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", dir, ErrNotNode)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	cfg, err := ParseConfig(cfgData)
	if err != nil {
		return nil, err
	}
	envData, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	env, err := keys.ParseEnvelope(envData)
	if err != nil {
		return nil, fmt.Errorf("open %s: %s: %w", dir, KeyFile, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	master, err := env.Open(passphrase)
	if err != nil {
		return nil, err
	}
	id, err := master.Identity()
	if err != nil {
		return nil, err
	}
	pid, err := PeerID(id)
	if err != nil {
		return nil, err
	}
	if pid.String() != cfg.PeerID {
		return nil, fmt.Errorf("open %s: %s belongs to peer %s, node.toml says %s", dir, KeyFile, pid, cfg.PeerID)
	}
	pk, err := master.Derive(keys.LabelPseudonym, 32)
	if err != nil {
		return nil, err
	}
	ps, err := pseudo.New(pk.Bytes())
	if err != nil {
		return nil, err
	}
	lock, err := lockDir(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, err
	}
	logger = logger.With("node", cfg.Name)
	st, err := openStore(dir, cfg, master, logger)
	if err != nil {
		lock.release()
		return nil, err
	}
	return &Node{dir: dir, cfg: cfg, log: logger, lock: lock, store: st, identity: id, pseudo: ps,
		ingests: map[string]*sync.Mutex{}}, nil
}

// Close closes the store and releases the directory.
func (n *Node) Close() error {
	err := n.store.Close()
	if lerr := n.lock.release(); err == nil && lerr != nil {
		err = fmt.Errorf("release lock: %w", lerr)
	}
	return err
}

// Config returns the node's configuration.
func (n *Node) Config() Config { return *n.cfg }

// Dir returns the node directory.
func (n *Node) Dir() string { return n.dir }

// Store returns the node's store, for the layers that read datasets.
func (n *Node) Store() *store.Store { return n.store }

// Status is what `fednode status` shows.
type Status struct {
	Name       string              `json:"name"`
	PeerID     string              `json:"peer_id"`
	Dir        string              `json:"dir"`
	Listen     []string            `json:"listen"`
	StoreBytes int64               `json:"store_bytes"`
	Datasets   []store.VersionInfo `json:"datasets"`
}

// Status reports the node's identity, store size and datasets.
func (n *Node) Status() (*Status, error) {
	size, err := n.store.Size()
	if err != nil {
		return nil, err
	}
	ds, err := n.store.Datasets()
	if err != nil {
		return nil, err
	}
	return &Status{Name: n.cfg.Name, PeerID: n.cfg.PeerID, Dir: n.dir, Listen: n.cfg.Listen, StoreBytes: size, Datasets: ds}, nil
}

// Datasets returns the current version of every dataset.
func (n *Node) Datasets() ([]store.VersionInfo, error) { return n.store.Datasets() }

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
