package stack

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// lanGateway checks the address the gateway listens on when the stack serves the local
// network, and returns its IP: browsers on other devices are given it in every address.
func lanGateway(addr string, realTencent bool) (net.IP, error) {
	if realTencent {
		return nil, errors.New("the LAN option serves the sandbox only, and real Tencent credentials are set: " +
			"anyone on the network could start billed verifications")
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("the LAN gateway address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		return nil, fmt.Errorf("the LAN gateway address %q must name one IP address of this machine", addr)
	}
	return ip, nil
}

// listenLoopbackToo opens the gateway's loopback listener beside lis, on the same port if
// it is free: server-to-server calls on this machine (webhooks to the demo's receiver)
// and links only this machine opens go there, since the core allows plain http only on
// loopback for them. It returns lis joined with it, and the loopback origin.
func listenLoopbackToo(lis net.Listener) (net.Listener, string, error) {
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	loop, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		if loop, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, "", fmt.Errorf("listen on loopback beside the LAN gateway: %w", err)
		}
	}
	_, port, _ = net.SplitHostPort(loop.Addr().String())
	return joinListeners(lis, loop), "http://localhost:" + port, nil
}

// joinedListener accepts the connections of several listeners as one, so that one
// server serves them all. Its address is the first's.
type joinedListener struct {
	listeners []net.Listener
	conns     chan net.Conn
	errs      chan error
	done      chan struct{}
	closeOnce sync.Once
}

func joinListeners(ls ...net.Listener) net.Listener {
	j := &joinedListener{listeners: ls, conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	for _, l := range ls {
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					select {
					case j.errs <- err:
					case <-j.done:
						return
					}
					// The server decides: it waits and asks again after a passing error,
					// and closes this listener after any other.
					if errors.Is(err, net.ErrClosed) {
						return
					}
					continue
				}
				select {
				case j.conns <- c:
				case <-j.done:
					c.Close()
					return
				}
			}
		}()
	}
	return j
}

func (j *joinedListener) Accept() (net.Conn, error) {
	select {
	case c := <-j.conns:
		return c, nil
	case err := <-j.errs:
		return nil, err
	case <-j.done:
		return nil, net.ErrClosed
	}
}

func (j *joinedListener) Close() error {
	var errs []error
	j.closeOnce.Do(func() {
		close(j.done)
		for _, l := range j.listeners {
			errs = append(errs, l.Close())
		}
	})
	return errors.Join(errs...)
}

func (j *joinedListener) Addr() net.Addr { return j.listeners[0].Addr() }
