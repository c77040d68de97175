// Command sandbox runs the local stand-in for Tencent Cloud's eKYC web-verification service:
// the signed faceid API (and its /_sandbox/ control API) on one address and the hosted
// verification page on another, as Tencent's API host and page host are separate origins.
//
//	go run ./cmd/sandbox                 # API on 127.0.0.1:8090, page on 127.0.0.1:8091
//	go run ./cmd/sandbox -h              # every option
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/facegate/facegate/pkg/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

// run starts the sandbox with the command-line args and serves until ctx is done, then
// shuts both servers down gracefully.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var (
		apiAddr      = fs.String("api-addr", "127.0.0.1:8090", "listen address of the faceid API and the /_sandbox/ control API")
		pageAddr     = fs.String("page-addr", "127.0.0.1:8091", "listen address of the hosted verification page")
		pageURL      = fs.String("page-url", "", "public origin of the page (default: http://<page-addr as bound>)")
		startWindow  = fs.Duration("start-window", sandbox.DefaultStartWindow, "how long after issue a BizToken's page may be opened")
		resultWindow = fs.Duration("result-window", sandbox.DefaultResultWindow, "how long after issue results are readable")
		legacyTTL    = fs.Duration("legacy-token-ttl", sandbox.DefaultLegacyTokenTTL, "lifetime of legacy ApplyWebVerificationToken BizTokens")
		rateLimit    = fs.Int("rate-limit", sandbox.DefaultRateLimit, "requests per second per action; negative disables")
		ruleIDs      = fs.String("rule-ids", "", "comma-separated RuleIds that exist (empty: any RuleId is accepted)")
		maxTokens    = fs.Int("max-tokens", sandbox.DefaultMaxTokens, "most BizTokens held at once")
		noImage      = fs.Bool("allow-missing-compare-image", false, "accept CheckMode 2 without CompareImageBase64")
		latency      = fs.Duration("latency", 0, "latency added to every API answer")
		internalRate = fs.Float64("internal-error-rate", 0, "share of API requests answered InternalError (0..1)")
		throttleRate = fs.Float64("throttle-rate", 0, "share of API requests answered RequestLimitExceeded (0..1)")
		dropRate     = fs.Float64("drop-rate", 0, "share of API requests whose connection is closed unanswered (0..1)")
		dropAfter    = fs.Float64("drop-after-rate", 0, "share of API requests handled (an apply stores its token) whose answer is then lost (0..1)")
		throttleCode = fs.String("throttle-code", "RequestLimitExceeded", "code of injected throttling: RequestLimitExceeded or FailedOperation.RequestLimitExceeded")
		secretID     = fs.String("secret-id", "", "SecretId of an extra credential to accept (with -secret-key)")
		secretKey    = fs.String("secret-key", "", "SecretKey of the extra credential")
		sessionToken = fs.String("session-token", "", "make the extra credential temporary: requests must send this X-TC-Token")
		quiet        = fs.Bool("quiet", false, "do not log requests")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if (*secretID == "") != (*secretKey == "") || *sessionToken != "" && *secretID == "" {
		return errors.New("-secret-id and -secret-key go together (and -session-token needs them)")
	}
	for name, rate := range map[string]float64{
		"internal-error-rate": *internalRate, "throttle-rate": *throttleRate, "drop-rate": *dropRate, "drop-after-rate": *dropAfter,
	} {
		if math.IsNaN(rate) || rate < 0 || rate > 1 {
			return fmt.Errorf("-%s must be from 0 to 1", name)
		}
	}
	if !slices.Contains(sandbox.ThrottleCodes, *throttleCode) {
		return fmt.Errorf("-throttle-code must be one of %s", strings.Join(sandbox.ThrottleCodes, ", "))
	}

	logger := slog.New(slog.DiscardHandler)
	if !*quiet {
		logger = slog.New(slog.NewTextHandler(stdout, nil))
	}
	apiLn, err := net.Listen("tcp", *apiAddr)
	if err != nil {
		return fmt.Errorf("API listener: %w", err)
	}
	defer apiLn.Close()
	pageLn, err := net.Listen("tcp", *pageAddr)
	if err != nil {
		return fmt.Errorf("page listener: %w", err)
	}
	defer pageLn.Close()
	if *pageURL == "" {
		*pageURL = "http://" + pageLn.Addr().String()
	}

	creds := sandbox.DefaultCredentials()
	if *secretID != "" {
		creds = append(creds, sandbox.Credential{SecretID: *secretID, SecretKey: *secretKey, Token: *sessionToken})
	}
	var rules []string
	for id := range strings.SplitSeq(*ruleIDs, ",") {
		if id = strings.TrimSpace(id); id != "" {
			rules = append(rules, id)
		}
	}
	sb := sandbox.New(sandbox.Options{
		Credentials:              creds,
		StartWindow:              *startWindow,
		ResultWindow:             *resultWindow,
		LegacyTokenTTL:           *legacyTTL,
		PageURL:                  *pageURL,
		RateLimit:                *rateLimit,
		RuleIDs:                  rules,
		MaxTokens:                *maxTokens,
		AllowMissingCompareImage: *noImage,
		Faults: sandbox.Faults{
			Latency: *latency, InternalErrorRate: *internalRate, ThrottleRate: *throttleRate, DropRate: *dropRate,
			DropAfterRate: *dropAfter, ThrottleCode: *throttleCode,
		},
		Logger: logger,
	})

	apiSrv := &http.Server{Handler: sb.APIHandler(), ReadHeaderTimeout: 10 * time.Second}
	pageSrv := &http.Server{Handler: sb.PageHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- apiSrv.Serve(apiLn) }()
	go func() { errc <- pageSrv.Serve(pageLn) }()
	printBanner(stdout, apiLn.Addr().String(), pageLn.Addr().String(), *pageURL, *secretID)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range []*http.Server{apiSrv, pageSrv} {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			srv.Close() // handlers still waiting out injected latency
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// printBanner tells the user where everything is and which keys to use. The test keys are
// documented and not secret; an extra credential's key is never printed.
func printBanner(w io.Writer, apiAddr, pageAddr, pageURL, extraID string) {
	fmt.Fprintf(w, `facegate sandbox: a local stand-in for Tencent Cloud eKYC (faceid)
  API:          http://%[1]s   (SDK endpoint %[1]s, scheme http, region ap-singapore)
  Page:         %[2]s
  Control API:  http://%[1]s/_sandbox/   (test only, unsigned)
  Test credentials:
    long-term   SecretId %[3]s  SecretKey %[4]s
    temporary   SecretId %[5]s  SecretKey %[6]s  X-TC-Token %[7]s
`, apiAddr, pageURL, sandbox.TestSecretID, sandbox.TestSecretKey, sandbox.TestTempSecretID, sandbox.TestTempSecretKey, sandbox.TestSessionToken)
	if extraID != "" {
		fmt.Fprintf(w, "    extra       SecretId %s (key as given)\n", extraID)
	}
	for _, addr := range []string{apiAddr, pageAddr} {
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			fmt.Fprintf(w, "  warning: %s is reachable beyond this machine; the control API has no authentication\n", addr)
		}
	}
	fmt.Fprintln(w, "Ctrl-C stops.")
}
