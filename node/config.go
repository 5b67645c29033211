package node

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is a node's node.toml: what the operator may edit by hand. It holds
// nothing secret.
type Config struct {
	Name   string   `toml:"name"`    // organisation name, unique in the consortium
	PeerID string   `toml:"peer_id"` // libp2p peer ID, derived from the node's key; informational
	Listen []string `toml:"listen"`  // libp2p multiaddresses to listen on
	Store  string   `toml:"store"`   // store directory, relative to the node directory
}

// DefaultListen are the listen addresses of a new node: TCP and QUIC on
// port 4001 on every interface.
var defaultListen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"}

// DefaultListen returns the listen addresses of a new node.
func DefaultListen() []string { return append([]string(nil), defaultListen...) }

var nodeName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateName reports whether name can name a node: 1 to 63 lower-case
// letters, digits and dashes, starting with a letter or digit.
func ValidateName(name string) error {
	if !nodeName.MatchString(name) {
		return fmt.Errorf("node name %q: use 1 to 63 of a-z 0-9 -, starting with a letter or digit", name)
	}
	return nil
}

// Validate checks c, naming the first bad field.
func (c *Config) Validate() error {
	if err := ValidateName(c.Name); err != nil {
		return fmt.Errorf("node.toml name: %w", err)
	}
	if c.PeerID == "" {
		return errors.New("node.toml peer_id: missing")
	}
	for _, a := range c.Listen {
		if !strings.HasPrefix(a, "/") {
			return fmt.Errorf("node.toml listen: %q is not a multiaddress", a)
		}
	}
	if c.Store == "" || strings.Contains(c.Store, "..") {
		return fmt.Errorf("node.toml store: %q must be a directory inside the node directory", c.Store)
	}
	return nil
}

// ParseConfig decodes node.toml, rejecting unknown keys.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("node.toml: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("node.toml: unknown key %s", und[0])
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Marshal encodes c as TOML with a comment header.
func (c *Config) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# fednode node configuration. Secrets live in node.key (wrapped) and the\n# encrypted store, never here.\n")
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return nil, fmt.Errorf("encode node.toml: %w", err)
	}
	return b.Bytes(), nil
}
