// Package stack runs the whole product on one machine: the three functions on one
// gateway origin through the local platform adapter, the demo merchant page beside them,
// and, unless real Tencent credentials are configured, the sandbox standing in for
// Tencent with its API and its hosted page on their own origins. `make run`, the browser
// test and the load generator all start it this way.
package stack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/demo"
	"github.com/facegate/facegate/pkg/platform"
	"github.com/facegate/facegate/pkg/qrcode"
	"github.com/facegate/facegate/pkg/sandbox"
)

// The addresses LocalDefaults assume. When the stack listens elsewhere (other ports,
// free ports in tests), the defaults that name them are rewritten to match.
const (
	DefaultGatewayAddr = "127.0.0.1:8080"
	DefaultSandboxAddr = "127.0.0.1:8090"
	DefaultPageAddr    = "127.0.0.1:8091"

	defaultGatewayHost = "localhost:8080"
)

// shutdownTimeout bounds how long the sandbox's servers wait for requests in flight.
const shutdownTimeout = 10 * time.Second

// Options configure a Stack. Addresses are host:port on loopback (unless LAN); port 0
// picks a free one.
type Options struct {
	GatewayAddr string // default 127.0.0.1:8080, served as http://localhost:<port>
	SandboxAddr string // default 127.0.0.1:8090
	PageAddr    string // default 127.0.0.1:8091
	// LAN serves the stack to the local network, so that a phone can run a verification:
	// GatewayAddr (and PageAddr) are then an IP address of this machine on that network,
	// the gateway is served as http://<that address>:<port>, and the addresses the
	// defaults give browsers (callback URL, returnTo allowlist, media links, the sandbox
	// page) name it instead of localhost. The sandbox API stays where SandboxAddr says. For
	// the sandbox only: Start refuses it with real Tencent credentials.
	LAN bool
	// Getenv is the configuration the user gave (environment over .env); the stack layers
	// LocalDefaults under it. Nil means none.
	Getenv func(string) string
	// Logger receives every component's records; nil discards.
	Logger *slog.Logger
	// SandboxRateLimit is the sandbox's requests per second per action: 0 is Tencent's 20,
	// negative turns the limit off (the load generator measures the product, not the limit).
	SandboxRateLimit int
}

// Stack is a running local stack.
type Stack struct {
	// Gateway is the origin of /start, /callback, /result and /demo/, e.g. http://localhost:8080.
	Gateway string
	// Local is the gateway's origin on this machine's loopback: Gateway, except on a LAN
	// address, where the gateway also listens on loopback for what only this machine
	// opens (webhooks to the demo's receiver, facegate's link home), because the core
	// allows plain http only to loopback for those.
	Local string
	// SandboxAPI and SandboxPage are the sandbox's origins; empty when Tencent is real.
	SandboxAPI  string
	SandboxPage string
	// Sandbox is the in-process sandbox, nil when Tencent is real.
	Sandbox *sandbox.Sandbox
	// RealTencent is true when credentials in the environment switched to Tencent itself.
	RealTencent bool
	// Store is the session store in use (local, cos or s3) and, for local, its folder.
	Store, StoreDir string
	// Env is the configuration the functions were given: the user's, over the webhook
	// settings the stack generated for this run, over LocalDefaults.
	Env func(string) string
	// Sweep runs the sweeper once, as the stack's own timer does every
	// FACEGATE_SWEEP_INTERVAL (tests call it to sweep at once).
	Sweep func(context.Context) (core.SweepReport, error)

	done chan struct{}
	err  error
}

// Start starts every part and returns once each one's listener is bound, so the origins
// it reports accept connections at once. Everything stops when ctx is done, or when any
// part fails; Wait returns after the graceful shutdown.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	userEnv := opts.Getenv
	if userEnv == nil {
		userEnv = func(string) string { return "" }
	}
	st := &Stack{RealTencent: HasTencentCredentials(userEnv), done: make(chan struct{})}

	ctx, cancel := context.WithCancel(ctx)
	var parts []<-chan error // each yields one value once its server has shut down
	fail := func(err error) (*Stack, error) {
		cancel()
		for _, p := range parts {
			<-p
		}
		return nil, err
	}

	var lanIP net.IP
	if opts.LAN {
		ip, err := lanGateway(cmp.Or(opts.GatewayAddr, DefaultGatewayAddr), st.RealTencent)
		if err != nil {
			return fail(err)
		}
		lanIP = ip
	}

	replace := []string{} // old, new pairs for the defaults' addresses
	if !st.RealTencent {
		apiLis, err := listen(opts.SandboxAddr, DefaultSandboxAddr)
		if err != nil {
			return fail(err)
		}
		pageLis, err := listen(opts.PageAddr, DefaultPageAddr)
		if err != nil {
			apiLis.Close()
			return fail(err)
		}
		st.SandboxAPI = "http://" + apiLis.Addr().String()
		st.SandboxPage = "http://" + pageLis.Addr().String()
		st.Sandbox = sandbox.New(sandbox.Options{
			PageURL:   st.SandboxPage,
			RateLimit: opts.SandboxRateLimit,
			Logger:    logger.With("component", "sandbox"),
		})
		parts = append(parts,
			serve(ctx, apiLis, st.Sandbox.APIHandler(), logger),
			serve(ctx, pageLis, st.Sandbox.PageHandler(), logger))
		replace = append(replace, DefaultSandboxAddr, apiLis.Addr().String())
	}

	// The gateway binds before the app is built: the callback URL and the returnTo
	// allowlist must name its port. The platform adapter then serves on this listener.
	gatewayLis, err := listen(opts.GatewayAddr, DefaultGatewayAddr)
	if err != nil {
		return fail(err)
	}
	_, port, _ := net.SplitHostPort(gatewayLis.Addr().String())
	// localhost, not 127.0.0.1: browsers treat it as a secure context, and it is the
	// origin the defaults (callback URL, returnTo allowlist) are written for.
	host := "localhost:" + port
	if lanIP != nil {
		host = net.JoinHostPort(lanIP.String(), port)
	}
	st.Gateway = "http://" + host
	st.Local = st.Gateway
	if lanIP != nil && !lanIP.IsLoopback() {
		joined, local, err := listenLoopbackToo(gatewayLis)
		if err != nil {
			gatewayLis.Close()
			return fail(err)
		}
		gatewayLis, st.Local = joined, local
	}
	replace = append(replace, defaultGatewayHost, host)
	// Webhooks go to the demo merchant's receiver on this gateway, and the demo shop's
	// backend signs start tokens, each with a secret made for this run (runEnv says why
	// these are not LocalDefaults); the receiver accepts, and the backend signs with,
	// whatever secrets the functions end up with, the user's if set.
	run := runEnv(st.Local, newSecret("whsec_local_"), newSecret("start_local_"))
	if st.Local != st.Gateway {
		// facegate's pages link home with plain http to loopback only: to this machine.
		run[homeURLVar] = st.Local + "/demo/"
	}
	env := layeredEnv(userEnv, run, strings.NewReplacer(replace...))
	st.Env = env
	secrets, err := webhookSecrets(env)
	if err != nil {
		gatewayLis.Close()
		return fail(err)
	}
	startSecret, err := startTokenSecret(env)
	if err != nil {
		gatewayLis.Close()
		return fail(err)
	}

	cfg, err := app.LoadConfig(env)
	if err != nil {
		gatewayLis.Close()
		return fail(err)
	}
	st.Store = cfg.Store.Kind
	st.StoreDir = cfg.Store.LocalDir
	built, err := app.New(ctx, cfg, logger, app.WithQRCode(qrcode.SVG))
	if err != nil {
		gatewayLis.Close()
		return fail(err)
	}
	functions, err := built.Handler("all")
	if err != nil {
		gatewayLis.Close()
		return fail(err)
	}
	st.Sweep = built.Service.Sweep
	// The demo shop's backend keeps its sample photo on file for face compare in the
	// first folder the functions take compare images from.
	var compareFolder string
	if len(cfg.Core.CompareImagePrefixes) > 0 {
		compareFolder = cfg.Core.CompareImagePrefixes[0]
	}
	merchant, err := demo.NewMerchant(demo.MerchantOptions{
		StartTokenSecret: startSecret,
		Gateway:          st.Gateway,
		Store:            built.Store,
		CompareFolder:    compareFolder,
		Logger:           logger.With("component", "demo"),
	})
	if err != nil {
		gatewayLis.Close()
		return fail(err)
	}
	parts = append(parts, sweepEvery(ctx, cfg.SweepInterval, built.Service.Sweep, logger))

	gateway := make(chan error, 1)
	go func() {
		gateway <- platform.Run(ctx, Gateway(functions, demo.NewWebhookReceiver(secrets), merchant), platform.Options{
			Name:     "local",
			Getenv:   env,
			Logger:   logger,
			Listener: gatewayLis,
			Kind:     platform.Local,
		})
	}()
	parts = append(parts, gateway)

	// Any part that stops (Ctrl-C reaches the platform adapter first) stops the others.
	stopped := make(chan error, len(parts))
	for _, p := range parts {
		go func() {
			err := <-p
			cancel()
			stopped <- err
		}()
	}
	go func() {
		var errs []error
		for range parts {
			errs = append(errs, <-stopped)
		}
		st.err = errors.Join(errs...)
		close(st.done)
	}()
	return st, nil
}

// sweepEvery runs the sweeper every interval, each run bounded by the interval, as a
// platform's timer would, until ctx is done. The channel yields nil once it has stopped.
func sweepEvery(ctx context.Context, interval time.Duration, sweep func(context.Context) (core.SweepReport, error), logger *slog.Logger) <-chan error {
	done := make(chan error, 1)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(ctx, interval)
			if _, err := sweep(rctx); err != nil && ctx.Err() == nil {
				logger.WarnContext(ctx, "sweep failed; the next one retries", "err", err)
			}
			cancel()
		}
	}()
	return done
}

// Wait blocks until the stack has shut down and returns the servers' errors, if any.
func (s *Stack) Wait() error {
	<-s.done
	return s.err
}

// Gateway mounts the demo page under /demo/ beside the functions, with the demo
// merchant's backend: its webhook receiver at /demo/webhook, the start links it signs at
// /demo/api/start and the phone handoffs it asks the functions for at /demo/api/handoff.
// It sends / to the demo, as a merchant's gateway would route its own pages.
func Gateway(functions, webhooks, merchant http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/demo/", http.StripPrefix("/demo", demo.Handler()))
	mux.Handle("/demo/webhook", http.StripPrefix("/demo", webhooks))
	mux.Handle("/demo/webhook/", http.StripPrefix("/demo", webhooks))
	mux.Handle("/demo/api/", http.StripPrefix("/demo", merchant))
	mux.Handle("GET /{$}", http.RedirectHandler("/demo/", http.StatusFound))
	mux.Handle("/", functions)
	return mux
}

// layeredEnv is the user's configuration, over what the stack sets for this run (run: the
// webhook and start-token settings, which already name the real addresses), over LocalDefaults with their
// addresses rewritten to where the stack listens. A value the user set is never changed.
func layeredEnv(user func(string) string, run map[string]string, rewrite *strings.Replacer) func(string) string {
	local := LocalEnv(user)
	return func(name string) string {
		if v := user(name); v != "" {
			return v
		}
		if v := run[name]; v != "" {
			return v
		}
		return rewrite.Replace(local(name))
	}
}

// EnvFunc returns a getenv that reads env, then fallback (for .env under the real
// environment: os.Getenv first, the file's values second).
func EnvFunc(first func(string) string, fallback map[string]string) func(string) string {
	return func(name string) string {
		if v := first(name); v != "" {
			return v
		}
		return fallback[name]
	}
}

// listen opens addr (or def) for a server of the stack.
func listen(addr, def string) (net.Listener, error) {
	addr = cmp.Or(addr, def)
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another copy running? choose other ports with the flags)", addr, err)
	}
	return lis, nil
}

// serve runs an http.Server on lis until ctx is done, then shuts it down gracefully. The
// channel yields the server's error (nil after a clean shutdown) once it has stopped.
func serve(ctx context.Context, lis net.Listener, h http.Handler, logger *slog.Logger) <-chan error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	done := make(chan error, 1)
	go func() {
		select {
		case err := <-served:
			done <- fmt.Errorf("serve on %s: %w", lis.Addr(), err)
			return
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		done <- err
	}()
	return done
}
