// Command local runs the whole product on this machine (`make run`): the start, callback
// and result functions on http://localhost:8080 through the local platform adapter, the
// demo merchant page at /demo/ with its backend (the start links it signs at
// /demo/api/start, the phone handoffs it asks for at /demo/api/handoff, its webhook
// receiver at /demo/webhook), the sandbox standing in for Tencent on 127.0.0.1:8090 (API)
// and 127.0.0.1:8091 (hosted page), and session records in ./data.
//
// Configuration is the environment, then a .env file, then the local defaults. Real Tencent
// credentials (TENCENTCLOUD_SECRET_ID/_KEY or FACEGATE_SECRET_ID/_KEY) switch to Tencent
// and the sandbox is not started; FACEGATE_STORE=cos or s3 switches the store.
//
// -lan serves the gateway and the sandbox page on this machine's address on the local
// network instead of localhost, so a phone on the same network can walk a verification;
// -lan-addr names the address. It is off by default: anyone on the network can reach
// what it serves, so it is for the sandbox only and is refused with real credentials.
package main

import (
	"context"
	"errors"
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
	lan := fs.Bool("lan", false, "serve the gateway and the sandbox page on this machine's local-network address, for a phone "+
		"(sandbox only: anyone on the network can reach them)")
	lanAddr := fs.String("lan-addr", "", "the address -lan serves on (implies -lan); default: this machine's first private IPv4 address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	host := "127.0.0.1"
	onLAN := *lan || *lanAddr != ""
	if onLAN {
		var err error
		if host, err = lanHost(*lanAddr); err != nil {
			return err
		}
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
		GatewayAddr: net.JoinHostPort(host, strconv.Itoa(*port)),
		SandboxAddr: addr(*sandboxPort),
		PageAddr:    net.JoinHostPort(host, strconv.Itoa(*pagePort)),
		LAN:         onLAN,
		Getenv:      stack.EnvFunc(getenv, fileEnv),
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	printBanner(stdout, st, onLAN)
	if err := st.Wait(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// lanHost is the address -lan serves on: given, it must be an IP address; else this
// machine's first private IPv4 address on an interface that is up.
func lanHost(given string) (string, error) {
	if given != "" {
		if ip := net.ParseIP(given); ip == nil || ip.IsUnspecified() {
			return "", fmt.Errorf("-lan-addr: %q is not an IP address of this machine", given)
		}
		return given, nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("-lan: %w", err)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipnet, ok := a.(*net.IPNet); ok && ipnet.IP.To4() != nil && ipnet.IP.IsPrivate() {
				return ipnet.IP.String(), nil
			}
		}
	}
	return "", errors.New("-lan: this machine has no private IPv4 address on a network; give one with -lan-addr")
}

// printBanner tells the person at the terminal where to go and what the sandbox accepts.
func printBanner(w io.Writer, st *stack.Stack, lan bool) {
	fmt.Fprintf(w, "\nfacegate local stack is running. Ctrl-C stops it.\n\n")
	if lan {
		fmt.Fprintf(w, "  WARNING        -lan: anyone on this network can reach the gateway and the sandbox page\n")
		fmt.Fprintf(w, "                 at %s. For the sandbox only; stop it when you are done.\n", st.Gateway)
		fmt.Fprintf(w, "  on a phone     open %s/demo/ on a phone on the same network\n", st.Gateway)
		if st.Local != st.Gateway {
			fmt.Fprintf(w, "  this machine   %s (webhooks, and the link home on facegate's own pages)\n", st.Local)
		}
		fmt.Fprintln(w)
	}
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
