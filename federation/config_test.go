package federation

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fednode/fednode/federation/wire"
)

func TestProtocolID(t *testing.T) {
	if got := ProtocolID("ckg"); got != "/fednode/ckg/1.0.0" {
		t.Fatalf("ProtocolID(ckg) = %s", got)
	}
}

func TestConfigValidate(t *testing.T) {
	c := consortiumOf(t, []nodeSpec{{name: "a", key: 0}})
	valid := func() Config {
		return Config{Identity: testKey(0), Consortium: c, Listen: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}}
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string // substring of the error; empty: valid
	}{
		{"valid", func(*Config) {}, ""},
		{"listen=none", func(c *Config) { c.Listen = nil }, ""},
		{"identity=missing", func(c *Config) { c.Identity = nil }, "Identity: 0 bytes"},
		{"identity=seed", func(c *Config) { c.Identity = c.Identity.Seed() }, "Identity: 32 bytes"},
		{"consortium=missing", func(c *Config) { c.Consortium = nil }, "Consortium: missing"},
		{"listen=not-multiaddr", func(c *Config) { c.Listen = []string{"127.0.0.1:4001"} }, "Listen: \"127.0.0.1:4001\""},
		{"listen=twice", func(c *Config) { c.Listen = []string{"/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/1"} }, "listed twice"},
		{"stream-timeout=negative", func(c *Config) { c.StreamTimeout = -time.Second }, "StreamTimeout"},
		{"dial-timeout=negative", func(c *Config) { c.DialTimeout = -time.Second }, "DialTimeout"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			cfg := valid()
			tc.change(&cfg)
			err := cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
			if _, err := New(t.Context(), cfg); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

func TestNewRefusesNonMemberIdentity(t *testing.T) {
	c := consortiumOf(t, []nodeSpec{{name: "a", key: 0}, {name: "b", key: 1}})
	_, err := New(t.Context(), Config{Identity: testKey(7), Consortium: c, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if !errors.Is(err, ErrNotMember) {
		t.Fatalf("err %v, want ErrNotMember", err)
	}
}

// TestNewRequiresEveryListenAddress checks that a host that cannot bind one
// of its addresses does not start on the others.
func TestNewRequiresEveryListenAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	udp := freePort(t, "udp")
	listen := []string{
		fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", busy.Addr().(*net.TCPAddr).Port),
		fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", udp),
	}
	c := consortiumOf(t, []nodeSpec{{name: "a", key: 0}})
	h, err := New(t.Context(), Config{Identity: testKey(0), Consortium: c, Listen: listen})
	if err == nil {
		h.Close()
		t.Fatal("started with a TCP port in use")
	}
	t.Logf("New: %v", err)
	// The QUIC listener it did open was closed again.
	pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", udp))
	if err != nil {
		t.Fatalf("UDP port still held after the failed start: %v", err)
	}
	pc.Close()
}

func TestHandlePanicsOnProgrammerErrors(t *testing.T) {
	nodes := startNodes(t, nil, specs(t, 1, 0, tcpOnly), 0)
	for _, tc := range []struct {
		name    string
		proto   string
		limits  wire.Limits
		handler HandlerFunc
	}{
		{"name=invalid", "Echo", echoLimits, echo},
		{"name=slash", "a/b", echoLimits, echo},
		{"limits=empty", "echo", nil, echo},
		{"handler=nil", "echo", echoLimits, nil},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Handle did not panic")
				}
			}()
			nodes[0].Handle(tc.proto, tc.limits, tc.handler)
		})
	}
}
