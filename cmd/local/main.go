// Command local runs the whole product on this machine (`make run`): the start, callback
// and result functions on http://localhost:8080 through the local platform adapter, the
// demo merchant page at /demo/ with its webhook receiver at /demo/webhook, the sandbox
// standing in for Tencent on 127.0.0.1:8090 (API) and 127.0.0.1:8091 (hosted page), and
// session records in ./data.
//
// Configuration is the environment, then a .env file, then the local defaults. Real Tencent
// credentials (TENCENTCLOUD_SECRET_ID/_KEY or FACEGATE_SECRET_ID/_KEY) switch to Tencent
// and the sandbox is not started; FACEGATE_STORE=cos or s3 switches the store.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"

	"github.com/facegate/facegate/cmd/local/stack"
	"github.com/facegate/facegate/pkg/platform"
	"github.com/facegate/facegate/pkg/sandbox"
)

func main() { stack.Main(run) }

// run starts the stack, prints where everything is, and serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stdout)
	port := fs.Int("port", 8080, "port of the gateway (the functions and the demo page) on localhost; 0 picks a free one")
	sandboxPort := fs.Int("sandbox-port", 8090, "port of the sandbox API (Tencent's API stand-in); 0 picks a free one")
	pagePort := fs.Int("page-port", 8091, "port of the sandbox's hosted verification page; 0 picks a free one")
	envFile := fs.String("env-file", ".env", "file of KEY=VALUE settings under the environment (missing is fine)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	fileEnv, err := stack.ReadEnvFile(*envFile)
	if err != nil {
		return err
	}
	logger := slog.New(platform.LogHandler(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level})))

	st, err := stack.Start(ctx, stack.Options{
		GatewayAddr: addr(*port),
		SandboxAddr: addr(*sandboxPort),
		PageAddr:    addr(*pagePort),
		Getenv:      stack.EnvFunc(getenv, fileEnv),
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	printBanner(stdout, st)
	if err := st.Wait(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// printBanner tells the person at the terminal where to go and what the sandbox accepts.
func printBanner(w io.Writer, st *stack.Stack) {
	fmt.Fprintf(w, "\nfacegate local stack is running. Ctrl-C stops it.\n\n")
	fmt.Fprintf(w, "  demo page      %s/demo/\n", st.Gateway)
	fmt.Fprintf(w, "  functions      %s/start  %s/callback  %s/result\n", st.Gateway, st.Gateway, st.Gateway)
	fmt.Fprintf(w, "  webhook events %s/demo/events.html  (received at /demo/webhook)\n", st.Gateway)
	if st.RealTencent {
		fmt.Fprintf(w, "  Tencent        the real service (credentials found in the environment or .env);\n")
		fmt.Fprintf(w, "                 the sandbox is not started. Tencent redirects the browser to the callback\n")
		fmt.Fprintf(w, "                 URL, so open the demo page in a browser on this machine.\n")
	} else {
		fmt.Fprintf(w, "  sandbox API    %s  (control API: %s/_sandbox/)\n", st.SandboxAPI, st.SandboxAPI)
		fmt.Fprintf(w, "  sandbox page   %s/reflect/?token=...\n", st.SandboxPage)
		fmt.Fprintf(w, "  test keys      SecretId %s  SecretKey %s\n", sandbox.TestSecretID, sandbox.TestSecretKey)
	}
	switch st.Store {
	case "local":
		fmt.Fprintf(w, "  store          local files in %s\n", st.StoreDir)
	default:
		fmt.Fprintf(w, "  store          %s\n", st.Store)
	}
	fmt.Fprintln(w)
}
