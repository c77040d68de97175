//go:build !lambda && !scf

package platform

import "context"

// This file is the local runtime: only in the build without a platform tag.

// runLocal serves the local server: on opts.Listener, or on 127.0.0.1:$PORT.
func runLocal(ctx context.Context, a *adapter, opts Options, getenv func(string) string) error {
	if opts.Listener != nil {
		return a.serve(ctx, Local, opts.Listener)
	}
	return a.runServer(ctx, Local, serverAddr(Local, opts.Addr, getenv))
}
