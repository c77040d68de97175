// Command loadgen measures the local stack under load (`make bench`): it runs complete
// verifications concurrently through HTTP (POST /start with the merchant key, as a
// merchant's backend starts, the sandbox's control API setting a passing outcome,
// GET /callback, GET /result with the ticket) and prints a Markdown table of
// verifications per second, latency percentiles per stage and peak memory.
//
// By default it starts the stack in this process on free loopback ports, with the store in
// a temporary folder and the sandbox's 20 requests/s limit off (that limit is Tencent's,
// and would be all the table measured). With -url it targets a running stack instead; it
// refuses any address that is not loopback. Every run is bounded by -n and -duration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/facegate/facegate/cmd/local/stack"
)

func main() { stack.Main(run) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stdout)
	target := fs.String("url", "", "gateway of a running stack (e.g. http://localhost:8080); empty starts one in this process")
	control := fs.String("control", "http://127.0.0.1:8090", "sandbox API origin of the running stack (with -url)")
	key := fs.String("key", stack.LocalDefaults["FACEGATE_MERCHANT_KEYS"], "merchant key of the running stack (with -url)")
	count := fs.Int("n", 3000, "verifications to run at most")
	conc := fs.Int("c", 8, "verifications in flight at once")
	duration := fs.Duration("duration", 20*time.Second, "time limit of the run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	load := Load{Count: *count, Concurrency: *conc, Duration: *duration}
	var setup, memory string
	if *target == "" {
		dir, err := os.MkdirTemp("", "facegate-loadgen-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		stackCtx, cancel := context.WithCancel(ctx)
		st, err := stack.Start(stackCtx, stack.Options{
			GatewayAddr:      "127.0.0.1:0",
			SandboxAddr:      "127.0.0.1:0",
			PageAddr:         "127.0.0.1:0",
			Getenv:           localEnv(getenv, dir),
			Logger:           slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
			SandboxRateLimit: -1,
		})
		if err != nil {
			cancel()
			return err
		}
		defer func() {
			cancel()
			_ = st.Wait()
		}()
		if st.RealTencent {
			return errors.New("the load test runs against the sandbox only, and Tencent credentials are set: unset them")
		}
		load.Gateway, load.Control, load.MerchantKey = st.Gateway, st.SandboxAPI, st.MerchantKey()
		setup = fmt.Sprintf("In-process stack (sandbox, %s store), %d in flight, GOMAXPROCS=%d, %s.",
			st.Store, *conc, runtime.GOMAXPROCS(0), runtime.Version())
		memory = "stack and generator"
	} else {
		load.Gateway, load.Control, load.MerchantKey = *target, *control, *key
		setup = fmt.Sprintf("Stack at %s, %d in flight, %s.", *target, *conc, runtime.Version())
		// The stack is another process: its memory is not this one's to read.
		memory = "generator only"
	}

	rep, err := load.Run(ctx)
	if err != nil {
		return err
	}
	writeMarkdown(stdout, rep, setup, memory, peakRSS())
	if rep.Completed == 0 {
		return errors.New("no verification completed")
	}
	return nil
}

// localEnv keeps the caller's configuration but never its Tencent credentials (the load
// test must not bill a real account) and puts the store in dir.
func localEnv(getenv func(string) string, dir string) func(string) string {
	return func(name string) string {
		switch name {
		case "FACEGATE_LOCAL_DIR":
			return dir
		case "FACEGATE_STORE":
			return "local"
		case "FACEGATE_SECRET_ID", "FACEGATE_SECRET_KEY", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY",
			"TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN":
			return ""
		}
		return getenv(name)
	}
}
