package federation

import (
	"log/slog"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater lets only consortium members in, and lets the node reach only
// members. libp2p consults it at every step of a connection's life:
//
//	outbound: InterceptPeerDial → InterceptAddrDial → (handshake) → InterceptSecured → InterceptUpgraded
//	inbound:  InterceptAccept → (handshake) → InterceptSecured → InterceptUpgraded
//
// A peer is only known once the security handshake has authenticated it, so
// InterceptAccept lets every connection attempt proceed to the handshake and
// InterceptSecured refuses non-members in both directions. The later and
// earlier checks are redundant on purpose: each transport calls a different
// subset (QUIC, for one, calls InterceptAccept and InterceptSecured itself).
type gater struct {
	members *Consortium
	log     *slog.Logger
}

var _ connmgr.ConnectionGater = (*gater)(nil)

func (g *gater) InterceptPeerDial(p peer.ID) bool {
	if !g.members.IsMember(p) {
		g.log.Debug("refused dial to non-member", "peer", p)
		return false
	}
	return true
}

func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool {
	return g.members.IsMember(p)
}

func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, addrs network.ConnMultiaddrs) bool {
	if !g.members.IsMember(p) {
		if dir == network.DirInbound {
			g.log.Warn("refused connection from non-member", "peer", p, "addr", addrs.RemoteMultiaddr())
		} else {
			g.log.Debug("refused connection to non-member", "peer", p, "addr", addrs.RemoteMultiaddr())
		}
		return false
	}
	return true
}

func (g *gater) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	return g.members.IsMember(c.RemotePeer()), 0
}
