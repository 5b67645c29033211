package federation

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// exampleFile is the consortium file shipped in configs/.
const exampleFile = "../configs/consortium.example.toml"

// memberTOML returns one [[member]] table.
func memberTOML(name, id string, addrs ...string) string {
	q := make([]string, len(addrs))
	for i, a := range addrs {
		q[i] = fmt.Sprintf("%q", a)
	}
	return fmt.Sprintf("[[member]]\nname = %q\npeer_id = %q\naddrs = [%s]\n\n", name, id, strings.Join(q, ", "))
}

func TestParseConsortiumExample(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConsortium(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "retail-consortium" || c.Len() != 3 {
		t.Fatalf("name %q with %d members", c.Name(), c.Len())
	}
	want := []struct {
		name, id string
		addrs    int
	}{
		{"alpine-bank", "12D3KooWBmCdZCBjvyg6MDH4GwPFfpV7bgomNbTjA2o9qRvDv3nd", 2},
		{"coastal-retail", "12D3KooWKd111h9s8aGnBcK7d44uCT6D3xzHV5qdw4wFw283GMz5", 2},
		{"metro-bank", "12D3KooWBXzJFCPyr8cUph6zcoM1LocNvtfAvtHWutePRiRxDrpn", 2},
	}
	for i, m := range c.Members() {
		if m.Name != want[i].name || m.ID.String() != want[i].id || len(m.Addrs) != want[i].addrs {
			t.Errorf("member %d = %s with %d addrs, want %s (%s) with %d", i+1, m, len(m.Addrs), want[i].name, want[i].id, want[i].addrs)
		}
		if got, ok := c.Member(m.ID); !ok || got.Name != m.Name {
			t.Errorf("Member(%s) = %v, %v", m.ID, got, ok)
		}
		if got, ok := c.ByName(m.Name); !ok || got.ID != m.ID {
			t.Errorf("ByName(%s) = %v, %v", m.Name, got, ok)
		}
	}
	if _, ok := c.ByName("nobody"); ok {
		t.Error("ByName found a member that is not listed")
	}
	if _, ok := c.Member(testID(t, 1)); ok {
		t.Error("Member found a peer that is not listed")
	}
}

func TestParseConsortiumRejects(t *testing.T) {
	id0, id1 := testID(t, 0).String(), testID(t, 1).String()
	ok0 := memberTOML("alpine-bank", id0, "/ip4/10.0.0.5/tcp/4001")
	var tooMany string
	for i := range MaxMembers + 1 {
		tooMany += memberTOML(fmt.Sprintf("m%d", i), testID(t, 1000+i).String())
	}
	manyAddrs := make([]string, MaxMemberAddrs+1)
	for i := range manyAddrs {
		manyAddrs[i] = fmt.Sprintf("/ip4/10.0.0.5/tcp/%d", 4000+i)
	}
	for _, tc := range []struct {
		name string
		in   string
		want string // substring of the error
	}{
		{"syntax", "name = \n", "consortium:"},
		{"empty", "", "consortium: no members"},
		{"only-name", "name = \"c\"\n", "consortium: no members"},
		{"unknown-top-key", "owner = \"x\"\n" + ok0, "unknown key owner"},
		{"unknown-member-key", strings.Replace(ok0, "name =", "role = \"x\"\nname =", 1), "unknown key member.role"},
		{"consortium-name", "name = \"Retail\"\n" + ok0, "consortium name: \"Retail\""},
		{"member-name=upper", memberTOML("Alpine", id0), "consortium member 1 name"},
		{"member-name=empty", memberTOML("", id0), "consortium member 1 name"},
		{"member-name=dash-first", memberTOML("-bank", id0), "consortium member 1 name"},
		{"member-name=64-chars", memberTOML(strings.Repeat("a", 64), id0), "consortium member 1 name"},
		{"peer-id=garbage", memberTOML("a", "12D3KooWnotapeerid"), "consortium member 1 peer_id"},
		{"peer-id=empty", memberTOML("a", ""), "consortium member 1 peer_id"},
		{"peer-id=cid-form", memberTOML("a", peer.ToCid(testID(t, 0)).String()), "is not canonical"},
		{"peer-id=secp256k1", memberTOML("a", "16Uiu2HAm1fhUHVvN1bgmoMk8tKcwvvookmM6CB5syhMWWJZAb7dV"), "want Ed25519"},
		{"peer-id=rsa-hash", memberTOML("a", "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"), "no public key"},
		{"addr=not-multiaddr", memberTOML("a", id0, "10.0.0.5:4001"), "consortium member 1 addrs"},
		{"addr=empty", memberTOML("a", id0, ""), "consortium member 1 addrs"},
		{"addr=relay", memberTOML("a", id0, "/ip4/10.0.0.9/tcp/4001/p2p/"+id1+"/p2p-circuit"), "relayed"},
		{"addr=other-peer", memberTOML("a", id0, "/ip4/10.0.0.5/tcp/4001/p2p/"+id1), "names peer"},
		{"addr=peer-only", memberTOML("a", id0, "/p2p/"+id0), "no transport address"},
		{"addr=twice", memberTOML("a", id0, "/ip4/10.0.0.5/tcp/4001", "/ip4/10.0.0.5/tcp/4001/p2p/"+id0), "listed twice"},
		{"addrs=too-many", memberTOML("a", id0, manyAddrs...), "17 addresses, limit 16"},
		{"addrs=wrong-type", "[[member]]\nname = \"a\"\npeer_id = \"" + id0 + "\"\naddrs = \"/ip4/10.0.0.5/tcp/4001\"\n", "consortium:"},
		{"duplicate=name", ok0 + memberTOML("alpine-bank", id1), "consortium member 2 name: \"alpine-bank\" is also member 1"},
		{"duplicate=peer-id", ok0 + memberTOML("other", id0), "consortium member 2 peer_id"},
		{"members=257", tooMany, "257 members, limit 256"},
		{"file=too-large", "# " + strings.Repeat("x", MaxConsortiumFile) + "\n" + ok0, "limit 1048576"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			c, err := ParseConsortium([]byte(tc.in))
			if err == nil {
				t.Fatalf("accepted: %d members", c.Len())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseConsortiumNormalises(t *testing.T) {
	id0 := testID(t, 0)
	in := memberTOML("a", id0.String(), "/ip4/10.0.0.5/tcp/4001/p2p/"+id0.String(), "/ip4/10.0.0.5/udp/4001/quic-v1")
	c, err := ParseConsortium([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.ByName("a")
	if got := fmt.Sprint(m.Addrs); got != "[/ip4/10.0.0.5/tcp/4001 /ip4/10.0.0.5/udp/4001/quic-v1]" {
		t.Fatalf("addrs %s: the member's own /p2p component must be stripped", got)
	}
	if c.Name() != "" {
		t.Fatalf("name %q, want none", c.Name())
	}
}

func TestConsortiumMarshalRoundTrip(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConsortium(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ParseConsortium(out)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	if err := sameConsortium(c, c2); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// sameConsortium reports how a and b differ, if they do.
func sameConsortium(a, b *Consortium) error {
	if a.Name() != b.Name() || a.Len() != b.Len() {
		return fmt.Errorf("%q with %d members vs %q with %d", a.Name(), a.Len(), b.Name(), b.Len())
	}
	am, bm := a.Members(), b.Members()
	for i := range am {
		if am[i].Name != bm[i].Name || am[i].ID != bm[i].ID || fmt.Sprint(am[i].Addrs) != fmt.Sprint(bm[i].Addrs) {
			return fmt.Errorf("member %d: %s %v vs %s %v", i+1, am[i], am[i].Addrs, bm[i], bm[i].Addrs)
		}
	}
	return nil
}

func TestNewConsortium(t *testing.T) {
	m := Member{Name: "a", ID: testID(t, 0), Addrs: []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/1")}}
	c, err := NewConsortium("", []Member{m})
	if err != nil {
		t.Fatal(err)
	}
	// The consortium owns its copy.
	m.Addrs[0] = ma.StringCast("/ip4/127.0.0.2/tcp/2")
	got, _ := c.ByName("a")
	if got.Addrs[0].String() != "/ip4/127.0.0.1/tcp/1" {
		t.Fatalf("consortium changed with the caller's slice: %v", got.Addrs)
	}
	got.Addrs[0] = ma.StringCast("/ip4/127.0.0.3/tcp/3")
	if again, _ := c.ByName("a"); again.Addrs[0].String() != "/ip4/127.0.0.1/tcp/1" {
		t.Fatalf("consortium changed with a returned slice: %v", again.Addrs)
	}

	var ce *ConsortiumError
	if _, err := NewConsortium("", []Member{{Name: "a", ID: "not a peer id"}}); !errors.As(err, &ce) || ce.Member != 1 || ce.Field != "peer_id" {
		t.Fatalf("bad peer ID: %v", err)
	}
	if _, err := NewConsortium("", nil); !errors.As(err, &ce) {
		t.Fatalf("no members: %v", err)
	}
}

// FuzzParseConsortium feeds arbitrary files to ParseConsortium: it never
// panics, and a consortium it accepts is within bounds, indexes every
// member by name and peer ID, and marshals to a file that parses back to
// the same consortium.
func FuzzParseConsortium(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConsortium(data)
		if err != nil {
			return
		}
		if c.Len() < 1 || c.Len() > MaxMembers {
			t.Fatalf("accepted %d members", c.Len())
		}
		for _, m := range c.Members() {
			if validateName(m.Name) != nil || checkIdentity(m.ID) != nil || len(m.Addrs) > MaxMemberAddrs {
				t.Fatalf("accepted member %s with %d addrs", m, len(m.Addrs))
			}
			if byID, ok := c.Member(m.ID); !ok || byID.Name != m.Name {
				t.Fatalf("Member(%s) = %v, %v", m.ID, byID, ok)
			}
			if byName, ok := c.ByName(m.Name); !ok || byName.ID != m.ID {
				t.Fatalf("ByName(%s) = %v, %v", m.Name, byName, ok)
			}
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		c2, err := ParseConsortium(out)
		if err != nil {
			t.Fatalf("marshalled consortium does not parse: %v\n%s", err, out)
		}
		if err := sameConsortium(c, c2); err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
	})
}
