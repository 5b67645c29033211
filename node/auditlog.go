package node

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"time"

	"github.com/fednode/fednode/node/audit"
	"github.com/fednode/fednode/node/store"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// MaxAuditExport bounds the size of an audit export read for verification.
const MaxAuditExport = 1 << 30

// AuditVerify verifies the node's audit log against the node's own identity:
// every signature, the hash chain, no gaps, and the signed head.
func (n *Node) AuditVerify() (*audit.Summary, error) {
	var sum *audit.Summary
	err := n.store.View(func(tx *store.Txn) error {
		var err error
		sum, err = audit.Verify(tx.In(store.SpaceAudit), n.identity.Public().(ed25519.PublicKey))
		return err
	})
	return sum, err
}

// AuditEntries calls fn for every audit entry in sequence order.
func (n *Node) AuditEntries(fn func(*audit.Entry) error) error {
	return n.store.View(func(tx *store.Txn) error { return audit.Entries(tx.In(store.SpaceAudit), fn) })
}

// AuditExport writes the whole log, verified first, as JSON (verifiable
// offline with VerifyAuditExport) or CSV (for spreadsheets).
func (n *Node) AuditExport(w io.Writer, format string) error {
	return n.store.View(func(tx *store.Txn) error {
		sp := tx.In(store.SpaceAudit)
		if _, err := audit.Verify(sp, n.identity.Public().(ed25519.PublicKey)); err != nil {
			return fmt.Errorf("audit export: the log does not verify: %w", err)
		}
		var entries []*audit.Entry
		if err := audit.Entries(sp, func(e *audit.Entry) error { entries = append(entries, e); return nil }); err != nil {
			return err
		}
		switch format {
		case "json":
			head, _, err := audit.ReadHead(sp)
			if err != nil {
				return err
			}
			return audit.WriteExportJSON(w, n.cfg.Name, n.cfg.PeerID, time.Now().UTC(), head, entries)
		case "csv":
			return audit.WriteExportCSV(w, entries)
		}
		return fmt.Errorf("audit export: unknown format %q (json, csv)", format)
	})
}

// VerifyAuditExport verifies an exported audit log offline against the
// node's pinned identity, given as its libp2p peer ID: no node directory or
// passphrase is needed.
func VerifyAuditExport(r io.Reader, peerID string) (*audit.Export, *audit.Summary, error) {
	pub, err := PublicKeyOf(peerID)
	if err != nil {
		return nil, nil, err
	}
	exp, err := audit.ReadExport(r, MaxAuditExport)
	if err != nil {
		return nil, nil, err
	}
	if exp.PeerID != peerID {
		return exp, nil, fmt.Errorf("%w: the export names peer %s, not %s", audit.ErrTampered, exp.PeerID, peerID)
	}
	sum, err := audit.VerifyExport(exp, pub)
	return exp, sum, err
}

// PublicKeyOf returns the Ed25519 public key a peer ID embeds.
func PublicKeyOf(peerID string) (ed25519.PublicKey, error) {
	id, err := peer.Decode(peerID)
	if err != nil {
		return nil, fmt.Errorf("peer id %q: %w", peerID, err)
	}
	pk, err := id.ExtractPublicKey()
	if err != nil {
		return nil, fmt.Errorf("peer id %s: %w", peerID, err)
	}
	if pk.Type() != crypto.Ed25519 {
		return nil, fmt.Errorf("peer id %s: not an Ed25519 identity", peerID)
	}
	raw, err := pk.Raw()
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(raw), nil
}
