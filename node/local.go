package node

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/fednode/fednode/federation"
)

// StartLocal starts the given open nodes as one consortium on this
// machine's loopback interface (TCP on free ports), each serving the
// others, and connects them. It is how the demo and the benchmarks run a
// consortium in one process; real deployments run fednode serve on each
// organisation's premises with a consortium file.
func StartLocal(ctx context.Context, nodes []*Node) ([]*Federation, error) {
	var b strings.Builder
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		addrs[i] = fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port)
		fmt.Fprintf(&b, "[[member]]\nname = %q\npeer_id = %q\naddrs = [%q]\n", n.cfg.Name, n.cfg.PeerID, addrs[i])
	}
	cons, err := federation.ParseConsortium([]byte(b.String()))
	if err != nil {
		return nil, err
	}
	var fs []*Federation
	closeAll := func() {
		for _, f := range fs {
			f.Close()
		}
	}
	for i, n := range nodes {
		f, err := n.Serve(ctx, cons, []string{addrs[i]})
		if err != nil {
			closeAll()
			return nil, err
		}
		fs = append(fs, f)
	}
	for _, f := range fs {
		if _, err := f.host.ConnectAll(ctx); err != nil {
			closeAll()
			return nil, err
		}
	}
	return fs, nil
}
