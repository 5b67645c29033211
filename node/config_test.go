package node

import (
	"reflect"
	"strings"
	"testing"
)

const goodConfig = `name = "alpine-bank"
peer_id = "12D3KooWabc"
listen = ["/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"]
store = "store"
`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Name: "alpine-bank", PeerID: "12D3KooWabc", Listen: DefaultListen(), Store: "store"}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown-key", `store = "store"`, "store = \"store\"\ncolour = 1", "node.toml: unknown key colour"},
		{"bad-name", `"alpine-bank"`, `"Alpine Bank"`, `node.toml name: node name "Alpine Bank"`},
		{"name-leading-dash", `"alpine-bank"`, `"-bank"`, "node.toml name:"},
		{"missing-peer-id", `peer_id = "12D3KooWabc"`, "", "node.toml peer_id: missing"},
		{"listen-not-multiaddr", `"/ip4/0.0.0.0/tcp/4001",`, `"0.0.0.0:4001",`, `node.toml listen: "0.0.0.0:4001" is not a multiaddress`},
		{"store-outside", `store = "store"`, `store = "../elsewhere"`, `node.toml store: "../elsewhere" must be a directory inside the node directory`},
		{"store-empty", `store = "store"`, `store = ""`, "node.toml store:"},
		{"syntax", `name = "alpine-bank"`, `name = alpine-bank`, "node.toml: "},
		{"type", `store = "store"`, `store = 1`, "node.toml: "},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			bad := strings.Replace(goodConfig, tc.old, tc.new, 1)
			if bad == goodConfig {
				t.Fatal("replacement did not apply")
			}
			c, err := ParseConfig([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %+v, %v; want error containing %q", c, err, tc.want)
			}
		})
	}
}

func TestConfigMarshalRoundTrip(t *testing.T) {
	for _, c := range []*Config{
		{Name: "a", PeerID: "p", Store: "s"},
		{Name: "metro-bank", PeerID: "12D3KooW\"quoted\"\\", Listen: DefaultListen(), Store: "data/store"},
		{Name: "x9", PeerID: "é\t\n", Listen: []string{}, Store: "st ore"},
	} {
		b, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "# fednode node configuration.") {
			t.Errorf("name=%s: no comment header", c.Name)
		}
		got, err := ParseConfig(b)
		if err != nil {
			t.Fatalf("name=%s: %v\n%s", c.Name, err, b)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("name=%s: round trip %+v, want %+v", c.Name, got, c)
		}
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{
		"a": true, "0": true, "alpine-bank": true, strings.Repeat("a", 63): true,
		"": false, "-a": false, "A": false, "a_b": false, "a.b": false, strings.Repeat("a", 64): false, "é": false,
	} {
		if err := ValidateName(name); (err == nil) != ok {
			t.Errorf("name=%q: ValidateName = %v", name, err)
		}
	}
}

// FuzzParseConfig keeps its seeds here rather than in testdata: the node
// package's directory holds no test data.
func FuzzParseConfig(f *testing.F) {
	marshalled, err := (&Config{Name: "alpine-bank", PeerID: "12D3KooWQpUfGPz5bCQ8Q1d7C3nGSN4mqY3JnELi1CrD3oDuUeYm", Listen: DefaultListen(), Store: "store"}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(marshalled)
	f.Add([]byte(goodConfig))
	f.Add([]byte("name = \"a\"\npeer_id = \"p\"\nstore = \"s\"\n"))
	f.Add([]byte("name = \"a\"\npeer_id = \"p\\u0000\\\"\"\nlisten = []\nstore = \"s\"\n"))
	f.Add([]byte("name = \"a\"\npeer_id = '''multi\nline'''\nstore = \"s\"\n"))
	f.Add([]byte("name = \"a\"\npeer_id = \"p\"\nstore = \"..\"\nextra = 1\n"))
	f.Add([]byte("name = \"a\"\npeer_id = \"p\"\nstore = \"s\"\n[listen]\nx = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of an accepted config: %v", err)
		}
		c2, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("re-parse of\n%s\nfailed: %v", out, err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the config:\n%#v\n%#v", c, c2)
		}
	})
}
