package node

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fednode/fednode/federation/job"
)

// ControlSocket is the name of the serving node's control socket in its
// directory. Only the operator's user can connect: the socket is mode 0600
// inside the 0700 node directory, and the server checks the peer's uid.
const ControlSocket = "control.sock"

// maxControlRequest bounds one control request.
const maxControlRequest = 1 << 20

// ControlRequest is one request to a serving node.
type ControlRequest struct {
	Op   string `json:"op"`             // "status" or "job.run"
	Spec string `json:"spec,omitempty"` // job.run: the job spec (TOML)
}

// ControlReply is one line of a reply: progress lines, then a result or an
// error.
type ControlReply struct {
	Progress string          `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// ServeStatus is what a serving node reports.
type ServeStatus struct {
	Status
	Connected []string `json:"connected"`
	Members   []string `json:"members"`
}

// ServeControl accepts control connections on the node's socket until ctx
// is done.
func (f *Federation) ServeControl(ctx context.Context) error {
	path := filepath.Join(f.n.dir, ControlSocket)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("control socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	defer os.Remove(path)
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control socket: %w", err)
		}
		go f.control(ctx, c.(*net.UnixConn))
	}
}

// sameUser reports whether the process at the other end runs as this user.
func sameUser(c *net.UnixConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var cred *syscall.Ucred
	var cerr error
	raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	return cerr == nil && cred != nil && int(cred.Uid) == os.Getuid()
}

func (f *Federation) control(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	enc := json.NewEncoder(c)
	if !sameUser(c) {
		f.log.Warn("control connection from another user refused")
		return
	}
	var req ControlRequest
	dec := json.NewDecoder(io.LimitReader(c, maxControlRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		enc.Encode(ControlReply{Error: "bad request: " + err.Error()})
		return
	}
	switch req.Op {
	case "status":
		st, err := f.Status()
		if err != nil {
			enc.Encode(ControlReply{Error: err.Error()})
			return
		}
		b, _ := json.Marshal(st)
		enc.Encode(ControlReply{Result: b})
	case "job.run":
		spec, err := job.ParseTOML([]byte(req.Spec))
		if err != nil {
			enc.Encode(ControlReply{Error: err.Error()})
			return
		}
		res, err := f.RunJob(ctx, spec, func(s string) { enc.Encode(ControlReply{Progress: s}) })
		if err != nil {
			enc.Encode(ControlReply{Error: err.Error()})
			return
		}
		b, _ := json.Marshal(res)
		enc.Encode(ControlReply{Result: b})
	default:
		enc.Encode(ControlReply{Error: fmt.Sprintf("unknown op %q", req.Op)})
	}
}

// Status reports the serving node's status and its connected members.
func (f *Federation) Status() (*ServeStatus, error) {
	st, err := f.n.Status()
	if err != nil {
		return nil, err
	}
	out := &ServeStatus{Status: *st, Connected: []string{}}
	out.Listen = out.Listen[:0:0]
	for _, a := range f.host.Addrs() {
		out.Listen = append(out.Listen, a.String())
	}
	for _, m := range f.host.Connected() {
		out.Connected = append(out.Connected, m.Name)
	}
	for _, m := range f.host.Consortium().Members() {
		out.Members = append(out.Members, m.Name)
	}
	return out, nil
}

// Control sends a request to the node serving in dir and calls progress for
// each progress line. It returns the result, or the node's error.
func Control(ctx context.Context, dir string, req ControlRequest, progress func(string)) (json.RawMessage, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", filepath.Join(dir, ControlSocket))
	if err != nil {
		return nil, fmt.Errorf("no node serving in %s (start it with fednode serve): %w", dir, err)
	}
	defer c.Close()
	go func() {
		<-ctx.Done()
		c.SetDeadline(time.Now())
	}()
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var r ControlReply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("control reply: %w", err)
		}
		switch {
		case r.Error != "":
			return nil, errors.New(r.Error)
		case r.Result != nil:
			return r.Result, nil
		case progress != nil:
			progress(r.Progress)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("the serving node closed the connection without a result")
}
