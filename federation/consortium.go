package federation

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/BurntSushi/toml"
	"github.com/libp2p/go-libp2p/core/crypto/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Bounds on a consortium file.
const (
	MaxMembers        = 256     // members in one consortium
	MaxMemberAddrs    = 16      // addresses listed for one member
	MaxConsortiumFile = 1 << 20 // bytes of TOML
)

// namePattern is what a consortium, member or protocol name must match: 1 to
// 63 lower-case letters, digits and dashes, starting with a letter or digit.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func validateName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%q: use 1 to 63 of a-z 0-9 -, starting with a letter or digit", name)
	}
	return nil
}

// A Member is one organisation of the consortium: the name its peers know it
// by, the libp2p peer ID its node authenticates with, and the addresses its
// node can be dialled at (possibly none, for a node that only dials out).
type Member struct {
	Name  string
	ID    peer.ID
	Addrs []ma.Multiaddr // transport addresses, without a /p2p component
}

// String returns the member's name and peer ID.
func (m Member) String() string { return m.Name + " (" + m.ID.String() + ")" }

func (m Member) clone() Member {
	m.Addrs = slices.Clone(m.Addrs)
	return m
}

// A Consortium is the fixed list of members a node lets into its mesh. It is
// immutable, and safe for concurrent use.
type Consortium struct {
	name    string
	members []Member
	byID    map[peer.ID]int
	byName  map[string]int
}

// A ConsortiumError reports a consortium file or member list that is not
// valid, and where.
type ConsortiumError struct {
	Member int    // 1-based position of the member, 0 for the file as a whole
	Field  string // the TOML key at fault ("name", "peer_id", "addrs"), if one is
	Err    error
}

func (e *ConsortiumError) Error() string {
	switch {
	case e.Member > 0 && e.Field != "":
		return fmt.Sprintf("consortium member %d %s: %v", e.Member, e.Field, e.Err)
	case e.Member > 0:
		return fmt.Sprintf("consortium member %d: %v", e.Member, e.Err)
	case e.Field != "":
		return fmt.Sprintf("consortium %s: %v", e.Field, e.Err)
	default:
		return fmt.Sprintf("consortium: %v", e.Err)
	}
}

func (e *ConsortiumError) Unwrap() error { return e.Err }

// consortiumFile is the TOML layout of a consortium file.
type consortiumFile struct {
	Name   string       `toml:"name,omitempty"`
	Member []memberFile `toml:"member"`
}

type memberFile struct {
	Name   string   `toml:"name"`
	PeerID string   `toml:"peer_id"`
	Addrs  []string `toml:"addrs"`
}

// ParseConsortium decodes and validates a consortium file:
//
//	name = "retail-consortium"   # optional
//
//	[[member]]
//	name = "alpine-bank"
//	peer_id = "12D3KooW..."
//	addrs = ["/ip4/10.0.0.5/tcp/4001", "/ip4/10.0.0.5/udp/4001/quic-v1"]
//
// It rejects unknown keys, names that are not 1 to 63 of a-z 0-9 - (starting
// with a letter or digit), peer IDs that are not canonical Ed25519 libp2p
// IDs, addresses that are not multiaddresses, relay addresses, addresses
// naming another peer, duplicate names or peer IDs, and files with no member
// or more than [MaxMembers]. Errors are [*ConsortiumError] or TOML syntax
// errors, which carry their line.
func ParseConsortium(data []byte) (*Consortium, error) {
	if len(data) > MaxConsortiumFile {
		return nil, &ConsortiumError{Err: fmt.Errorf("file is %d bytes, limit %d", len(data), MaxConsortiumFile)}
	}
	var f consortiumFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, fmt.Errorf("consortium: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, &ConsortiumError{Err: fmt.Errorf("unknown key %s", und[0])}
	}
	if f.Name != "" {
		if err := validateName(f.Name); err != nil {
			return nil, &ConsortiumError{Field: "name", Err: err}
		}
	}
	if err := checkCount(len(f.Member)); err != nil {
		return nil, err
	}
	members := make([]Member, len(f.Member))
	for i, mf := range f.Member {
		m, err := parseMember(i+1, mf)
		if err != nil {
			return nil, err
		}
		members[i] = m
	}
	return newConsortium(f.Name, members)
}

func checkCount(n int) error {
	if n == 0 {
		return &ConsortiumError{Err: errors.New("no members")}
	}
	if n > MaxMembers {
		return &ConsortiumError{Err: fmt.Errorf("%d members, limit %d", n, MaxMembers)}
	}
	return nil
}

func parseMember(pos int, mf memberFile) (Member, error) {
	if err := validateName(mf.Name); err != nil {
		return Member{}, &ConsortiumError{Member: pos, Field: "name", Err: err}
	}
	id, err := peer.Decode(mf.PeerID)
	if err != nil {
		return Member{}, &ConsortiumError{Member: pos, Field: "peer_id", Err: fmt.Errorf("%q: %w", mf.PeerID, err)}
	}
	if id.String() != mf.PeerID {
		return Member{}, &ConsortiumError{Member: pos, Field: "peer_id", Err: fmt.Errorf("%q is not canonical: write %s", mf.PeerID, id)}
	}
	addrs := make([]ma.Multiaddr, len(mf.Addrs))
	for j, s := range mf.Addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return Member{}, &ConsortiumError{Member: pos, Field: "addrs", Err: fmt.Errorf("%q: %w", s, err)}
		}
		addrs[j] = a
	}
	return Member{Name: mf.Name, ID: id, Addrs: addrs}, nil
}

// NewConsortium validates members as [ParseConsortium] does and returns the
// consortium they form. Addresses ending in the member's own /p2p component
// are stored without it. name may be empty.
func NewConsortium(name string, members []Member) (*Consortium, error) {
	if name != "" {
		if err := validateName(name); err != nil {
			return nil, &ConsortiumError{Field: "name", Err: err}
		}
	}
	if err := checkCount(len(members)); err != nil {
		return nil, err
	}
	ms := make([]Member, len(members))
	for i, m := range members {
		if err := validateName(m.Name); err != nil {
			return nil, &ConsortiumError{Member: i + 1, Field: "name", Err: err}
		}
		ms[i] = m.clone()
	}
	return newConsortium(name, ms)
}

// newConsortium checks identities, addresses and uniqueness, and indexes
// members, which it owns.
func newConsortium(name string, members []Member) (*Consortium, error) {
	c := &Consortium{
		name:    name,
		members: members,
		byID:    make(map[peer.ID]int, len(members)),
		byName:  make(map[string]int, len(members)),
	}
	for i := range members {
		m := &members[i]
		if err := checkIdentity(m.ID); err != nil {
			return nil, &ConsortiumError{Member: i + 1, Field: "peer_id", Err: err}
		}
		addrs, err := transportAddrs(m.ID, m.Addrs)
		if err != nil {
			return nil, &ConsortiumError{Member: i + 1, Field: "addrs", Err: err}
		}
		m.Addrs = addrs
		if j, dup := c.byName[m.Name]; dup {
			return nil, &ConsortiumError{Member: i + 1, Field: "name", Err: fmt.Errorf("%q is also member %d", m.Name, j+1)}
		}
		if j, dup := c.byID[m.ID]; dup {
			return nil, &ConsortiumError{Member: i + 1, Field: "peer_id", Err: fmt.Errorf("%s is also member %d (%s)", m.ID, j+1, members[j].Name)}
		}
		c.byName[m.Name] = i
		c.byID[m.ID] = i
	}
	return c, nil
}

// checkIdentity accepts only the peer IDs fednode nodes have: the identity
// multihash of an Ed25519 public key, from which the key can be read back to
// check a member's signatures.
func checkIdentity(id peer.ID) error {
	if err := id.Validate(); err != nil {
		return err
	}
	pub, err := id.ExtractPublicKey()
	if err != nil {
		return fmt.Errorf("%s: no public key in the peer ID: %w", id, err)
	}
	if pub.Type() != pb.KeyType_Ed25519 {
		return fmt.Errorf("%s: %s key, want Ed25519", id, pub.Type())
	}
	return nil
}

// transportAddrs checks a member's addresses and strips a trailing /p2p
// component naming the member itself.
func transportAddrs(id peer.ID, addrs []ma.Multiaddr) ([]ma.Multiaddr, error) {
	if len(addrs) > MaxMemberAddrs {
		return nil, fmt.Errorf("%d addresses, limit %d", len(addrs), MaxMemberAddrs)
	}
	out := make([]ma.Multiaddr, 0, len(addrs))
	for _, a := range addrs {
		t, p := peer.SplitAddr(a)
		if p != "" && p != id {
			return nil, fmt.Errorf("%s names peer %s, not the member", a, p)
		}
		if len(t) == 0 {
			return nil, fmt.Errorf("%q has no transport address", a.String())
		}
		for _, c := range t {
			if c.Code() == ma.P_CIRCUIT || c.Code() == ma.P_P2P {
				return nil, fmt.Errorf("%s: relayed and multi-peer addresses are not allowed", a)
			}
		}
		if slices.ContainsFunc(out, t.Equal) {
			return nil, fmt.Errorf("%s listed twice", t)
		}
		out = append(out, t)
	}
	return out, nil
}

// Name returns the consortium's name, which may be empty.
func (c *Consortium) Name() string { return c.name }

// Len returns the number of members.
func (c *Consortium) Len() int { return len(c.members) }

// Members returns the members in file order. The slice is the caller's.
func (c *Consortium) Members() []Member {
	ms := make([]Member, len(c.members))
	for i, m := range c.members {
		ms[i] = m.clone()
	}
	return ms
}

// Member returns the member whose node authenticates as id.
func (c *Consortium) Member(id peer.ID) (Member, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Member{}, false
	}
	return c.members[i].clone(), true
}

// ByName returns the member called name.
func (c *Consortium) ByName(name string) (Member, bool) {
	i, ok := c.byName[name]
	if !ok {
		return Member{}, false
	}
	return c.members[i].clone(), true
}

// IsMember reports whether id is a member's peer ID.
func (c *Consortium) IsMember(id peer.ID) bool {
	_, ok := c.byID[id]
	return ok
}

// Marshal encodes c as a consortium file that [ParseConsortium] reads back
// as c.
func (c *Consortium) Marshal() ([]byte, error) {
	f := consortiumFile{Name: c.name, Member: make([]memberFile, len(c.members))}
	for i, m := range c.members {
		addrs := make([]string, len(m.Addrs))
		for j, a := range m.Addrs {
			addrs[j] = a.String()
		}
		f.Member[i] = memberFile{Name: m.Name, PeerID: m.ID.String(), Addrs: addrs}
	}
	var b bytes.Buffer
	b.WriteString("# fednode consortium: the members this node lets into its mesh.\n")
	if err := toml.NewEncoder(&b).Encode(f); err != nil {
		return nil, fmt.Errorf("encode consortium: %w", err)
	}
	return b.Bytes(), nil
}
