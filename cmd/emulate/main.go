// Command emulate runs the packaged functions the way the platforms run them, on this
// machine, and replays recorded events to them: each Lambda zip's bootstrap under AWS's
// own Runtime Interface Emulator (the go.mod tool aws-lambda-rie), each SCF event zip's
// main under the SCF Go1 runtime stand-in of internal/runtimetest. It prints every
// answer, status and then the error code or Location (or "ok" for a scheduled run), and
// fails when an answer is an invocation error or a 5xx. `make emulate` runs it on the
// output of `make package`.
//
// The events are deploy/events/<platform>-<trigger>-<function>.json: lambda-rest-v1,
// lambda-httpapi-v2 and lambda-furl (API Gateway REST, HTTP API, Function URL) and
// scf-apigw (SCF's API Gateway trigger) for the HTTP functions; lambda-scheduler (an
// EventBridge Scheduler schedule without Input), lambda-eventbridge-rule (an EventBridge
// rule's scheduled event) and scf-timer (SCF's timer trigger) for sweep. The functions
// get the configuration the tests use: the in-process sandbox as Tencent, their
// platform's bucket (S3 for the Lambda zips, COS for the SCF zips, on storetest's
// in-process servers; the start events fill it with sessions the sweep finds not yet
// due), the sandbox's test keys and the merchant key the recorded result events carry.
package main

import (
	"archive/zip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
	"github.com/facegate/facegate/pkg/storetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "emulate:", err)
		os.Exit(1)
	}
}

// MerchantKey is the merchant key the functions accept; the recorded result events carry
// it in their Authorization header.
const MerchantKey = "emulate-merchant-key-0123456789"

// Bounds on one function: how long it may take to come up and to answer one event (the
// SCF time limit sent with each request), and to stop.
const (
	readyTimeout = 30 * time.Second
	timeLimit    = 20 * time.Second
	stopGrace    = 10 * time.Second
)

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o options
	fs.StringVar(&o.dist, "dist", "dist", "output of make package")
	fs.StringVar(&o.arch, "arch", runtime.GOARCH, "which packages to run (must run on this machine)")
	functions := fs.String("functions", "start callback result sweep", "functions to run")
	fs.StringVar(&o.events, "events", "deploy/events", "the recorded events")
	fs.StringVar(&o.rie, "rie", "", "the aws-lambda-rie binary (default: go tool -n aws-lambda-rie, which builds it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.functions = strings.Fields(*functions)
	if o.rie == "" {
		out, err := exec.CommandContext(ctx, "go", "tool", "-n", "aws-lambda-rie").Output()
		if err != nil {
			return fmt.Errorf("go tool -n aws-lambda-rie: %w (run in the module, or give -rie)", err)
		}
		o.rie = strings.TrimSpace(string(out))
	}

	sb := sandboxtest.Start(sandbox.Options{})
	defer sb.Close()
	answers, err := emulate(ctx, o, sb)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "runtime\tfunction\ttrigger\tanswer")
	failed := 0
	for _, a := range answers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.runtime, a.function, a.trigger, a)
		if a.failed() {
			failed++
		}
	}
	tw.Flush()
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d answers were invocation errors or 5xx", failed, len(answers))
	}
	return nil
}

// options say which packages and events to run.
type options struct {
	dist, arch, events, rie string
	functions               []string
}

// answer is what one function answered one recorded event.
type answer struct {
	runtime, function, trigger string // "lambda" or "scf-event"; "start"; "rest-v1"
	status                     int
	location, code             string // the Location header; the error code of a JSON or HTML error body
	invocationError            string // "<type>: <message>" when the function failed the invocation
	ran                        bool   // a scheduled run answered {"ok":true}
}

func (a answer) String() string {
	switch {
	case a.invocationError != "":
		return "invocation error " + a.invocationError
	case a.ran:
		return "ok"
	case a.location != "":
		return fmt.Sprintf("%d Location: %s", a.status, a.location)
	case a.code != "":
		return fmt.Sprintf("%d %s", a.status, a.code)
	}
	return fmt.Sprint(a.status)
}

func (a answer) failed() bool {
	return a.invocationError != "" || (!a.ran && (a.status >= 500 || a.status == 0))
}

// roleKey is the SCF execution role's key the event functions get: the sandbox's
// temporary test key, which they sign Tencent and COS requests with.
var roleKey = cosstore.Credentials{SecretID: sandbox.TestTempSecretID, SecretKey: sandbox.TestTempSecretKey, SessionToken: sandbox.TestSessionToken}

// emulate runs every function on both runtimes, with sb as Tencent, and returns their
// answers in order, with those it had when something went wrong.
func emulate(ctx context.Context, o options, sb *sandboxtest.Server) ([]answer, error) {
	work, err := os.MkdirTemp("", "emulate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	env := []string{
		"FACEGATE_TENCENT_ENDPOINT=" + sb.Endpoint(),
		"FACEGATE_TENCENT_SCHEME=http",
		"FACEGATE_CALLBACK_URL=https://api.example.com/callback",
		"FACEGATE_RETURN_TO=https://shop.example.com/done",
		"FACEGATE_TICKET_SECRETS=emulate-ticket-secret-0123456789abcdef",
		"FACEGATE_TOKEN_KEYS=emulate-token-key-0123456789abcdef012345",
		"FACEGATE_MERCHANT_KEYS=" + MerchantKey,
		// The recorded start events are a browser's navigation without a start token.
		"FACEGATE_ANONYMOUS_STARTS=true",
	}

	// Each platform's build carries its own store: the Lambda zips get a bucket on
	// storetest's S3 server (with the keys Lambda puts in a function's environment), the
	// SCF zips one on its COS server (which checks the signatures of the role's keys).
	// Every function of a platform shares its bucket, as deployed.
	s3, err := storetest.StartS3Server(nil)
	if err != nil {
		return nil, err
	}
	defer s3.Close()
	cos, err := storetest.StartCOSServer(nil, roleKey)
	if err != nil {
		return nil, err
	}
	defer cos.Close()
	lambdaEnv := append(slices.Clip(env), "FACEGATE_STORE=s3", "FACEGATE_S3_BUCKET="+storetest.S3Bucket, "FACEGATE_S3_ENDPOINT="+s3.URL,
		"FACEGATE_S3_PATH_STYLE=true", "AWS_REGION="+storetest.S3Region, "AWS_ACCESS_KEY_ID="+storetest.S3AccessKey,
		"AWS_SECRET_ACCESS_KEY="+storetest.S3SecretKey)
	scfEnv := append(slices.Clip(env), "FACEGATE_STORE=cos", "FACEGATE_COS_BUCKET="+storetest.COSBucket,
		"FACEGATE_COS_REGION="+storetest.COSRegion, "FACEGATE_COS_ENDPOINT="+cos.URL)

	var answers []answer
	for _, fn := range o.functions {
		for _, rt := range []struct {
			run func(context.Context, options, string, string, []string) ([]answer, error)
			env []string
		}{{lambda, lambdaEnv}, {scfEvent, scfEnv}} {
			got, err := rt.run(ctx, o, fn, work, rt.env)
			answers = append(answers, got...)
			if err != nil {
				return answers, err
			}
		}
	}
	return answers, nil
}

// lambda runs dist/lambda-<fn>-<arch>.zip's bootstrap under the RIE, as Lambda runs the
// zip on provided.al2023, with long-term Tencent keys as a Lambda deployment passes them.
func lambda(ctx context.Context, o options, fn, work string, env []string) ([]answer, error) {
	bootstrap, err := unzip(filepath.Join(o.dist, "lambda-"+fn+"-"+o.arch+".zip"), "bootstrap", filepath.Join(work, "lambda-"+fn))
	if err != nil {
		return nil, err
	}
	env = append(env, "AWS_LAMBDA_FUNCTION_NAME=facegate-"+fn,
		"FACEGATE_SECRET_ID="+sandbox.TestSecretID, "FACEGATE_SECRET_KEY="+sandbox.TestSecretKey)
	startCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	rie, err := runtimetest.StartRIE(startCtx, o.rie, bootstrap, env)
	if err != nil {
		return nil, fmt.Errorf("lambda %s: %w", fn, err)
	}
	defer rie.Stop(stopGrace)
	return replay(ctx, o, "lambda", fn, rie.Process, func(ctx context.Context, event []byte) ([]byte, string, error) {
		res, err := rie.Invoke(ctx, event)
		if err != nil || res.Kind == runtimetest.KindResponse {
			return res.Body, "", err
		}
		return nil, invocationError(res.Body), nil
	})
}

// scfEvent runs dist/scf-event-<fn>-<arch>.zip's main as SCF runs an event function
// (runtime Go1, handler main), with execution-role keys.
func scfEvent(ctx context.Context, o options, fn, work string, env []string) ([]answer, error) {
	main, err := unzip(filepath.Join(o.dist, "scf-event-"+fn+"-"+o.arch+".zip"), "main", filepath.Join(work, "scf-"+fn))
	if err != nil {
		return nil, err
	}
	port, err := runtimetest.FreePort()
	if err != nil {
		return nil, err
	}
	env = append(env, "_LAMBDA_SERVER_PORT="+port, "TENCENTCLOUD_RUNENV=SCF", "SCF_FUNCTIONNAME=facegate-"+fn,
		"TENCENTCLOUD_SECRETID="+roleKey.SecretID, "TENCENTCLOUD_SECRETKEY="+roleKey.SecretKey, "TENCENTCLOUD_SESSIONTOKEN="+roleKey.SessionToken)
	p, err := runtimetest.StartProcess(env, main)
	if err != nil {
		return nil, err
	}
	defer p.Stop(stopGrace)
	startCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var rt *runtimetest.SCFRuntime
	err = runtimetest.WaitUntil(startCtx, p, 5*time.Millisecond, func() error {
		var err error
		rt, err = runtimetest.DialSCF("127.0.0.1:" + port)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scf-event %s never answered Function.Ping: %w\n%s", fn, err, p.Output())
	}
	defer rt.Close()
	rt.FunctionName = "facegate-" + fn
	return replay(ctx, o, "scf-event", fn, p, func(ctx context.Context, event []byte) ([]byte, string, error) {
		resp, err := rt.Invoke(ctx, rt.NewRequest(event, timeLimit))
		if err != nil || resp.Error == nil {
			return resp.Payload, "", err
		}
		return nil, resp.Error.Type + ": " + resp.Error.Message, nil
	})
}

// replay sends fn each recorded event of its runtime (lambda-*-<fn>.json or
// scf-*-<fn>.json) through invoke, which returns the answer or the invocation error.
func replay(ctx context.Context, o options, runtimeName, fn string, p *runtimetest.Process,
	invoke func(context.Context, []byte) ([]byte, string, error)) ([]answer, error) {
	platform, _, _ := strings.Cut(runtimeName, "-")
	files, err := filepath.Glob(filepath.Join(o.events, platform+"-*-"+fn+".json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no %s events for %s in %s", platform, fn, o.events)
	}
	var answers []answer
	for _, file := range files {
		event, err := os.ReadFile(file)
		if err != nil {
			return answers, err
		}
		a := answer{runtime: runtimeName, function: fn,
			trigger: strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), platform+"-"), "-"+fn+".json")}
		invokeCtx, cancel := context.WithTimeout(ctx, timeLimit+5*time.Second)
		body, failure, err := invoke(invokeCtx, event)
		cancel()
		if err != nil {
			return answers, fmt.Errorf("%s %s %s: %w\n%s", runtimeName, fn, a.trigger, err, p.Output())
		}
		if a.invocationError = failure; failure == "" {
			if err := a.read(body); err != nil {
				return answers, fmt.Errorf("%s %s %s: %w", runtimeName, fn, a.trigger, err)
			}
		}
		answers = append(answers, a)
	}
	return answers, nil
}

// htmlCode finds the code on the error page a browser navigation gets (in a meta tag:
// the page itself never shows it).
var htmlCode = regexp.MustCompile(`<meta name="facegate-error" content="([a-z_]+)">`)

// read takes the status, Location and error code from a gateway response document: API
// Gateway payload 1.0 or 2.0, a Function URL's, or SCF's integrated response. All four
// have statusCode, headers and body; only 1.0 may put a header in multiValueHeaders alone.
// A scheduled run answers {"ok":true} instead.
func (a *answer) read(doc []byte) error {
	var r struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
		OK                bool                `json:"ok"`
	}
	if err := json.Unmarshal(doc, &r); err != nil {
		return fmt.Errorf("the answer is not a gateway response: %w: %.200s", err, doc)
	}
	if r.OK {
		a.ran = true
		return nil
	}
	a.status = r.StatusCode
	a.location = r.Headers["Location"]
	if vs := r.MultiValueHeaders["Location"]; a.location == "" && len(vs) > 0 {
		a.location = vs[0]
	}
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(r.Body); err == nil {
			body = b
		}
	}
	var e struct{ Error struct{ Code string } }
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		a.code = e.Error.Code
	} else if m := htmlCode.FindSubmatch(body); m != nil {
		a.code = string(m[1])
	}
	return nil
}

// invocationError summarises Lambda's error document.
func invocationError(doc []byte) string {
	var e struct{ ErrorMessage, ErrorType string }
	if json.Unmarshal(doc, &e) != nil {
		return string(doc)
	}
	return e.ErrorType + ": " + e.ErrorMessage
}

// unzip extracts the file name from a package into dir with the mode its zip header
// gives, as the platform unpacks the zip before it starts the function: a package that
// lost the executable bit fails here as it would there.
func unzip(pkg, name, dir string) (string, error) {
	zr, err := zip.OpenReader(pkg)
	if err != nil {
		return "", fmt.Errorf("%w (run make package first)", err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		in, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("%s: %w", pkg, err)
		}
		defer in.Close()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		path := filepath.Join(dir, name)
		out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode().Perm())
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return "", err
		}
		return path, out.Close()
	}
	return "", fmt.Errorf("%s has no %s", pkg, name)
}
