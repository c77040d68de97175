package platform_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/s3store"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/storage"
	"github.com/facegate/facegate/pkg/storetest"
)

// binaries holds the executables TestMain built, by build variant and name: the probe
// (testdata/fn) in every variant ("probe", "lambda/probe", "scf/probe"), and each
// function in the two platform builds ("lambda/start", "scf/start", ...) when they
// build. Tests run each variant on its own platform's runtimes, with its own store:
// the Lambda build on the Runtime API stand-in and AWS's emulator against S3, the SCF
// build as event and web functions against COS.
var binaries = map[string]string{}

// functions are the deployed functions; variants the platform builds they are made in.
var (
	functions = []string{"start", "callback", "result", "sweep"}
	variants  = []string{"lambda", "scf"}
)

// functionsBuildError says why the real functions were not built, if they were not.
var functionsBuildError error

// rieBinary is AWS's Runtime Interface Emulator, built by TestMain from the go.mod
// tool; rieBuildError says why it was not built, if it was not.
var (
	rieBinary     string
	rieBuildError error
)

// repoRoot is the module root, where go build runs.
const repoRoot = "../.."

func TestMain(m *testing.M) {
	// A fuzz worker runs one fuzz target, which needs none of the binaries: building
	// them in every worker would spend the fuzzing time on go build.
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "platform-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Build once for the whole run, the way `make build` does (static, each variant's
	// tags), two at a time.
	type build struct{ name, pkg, variant string }
	builds := []build{{"probe", "./pkg/platform/testdata/fn", ""}}
	for _, v := range variants {
		builds = append(builds, build{v + "/probe", "./pkg/platform/testdata/fn", v})
		for _, fn := range functions {
			builds = append(builds, build{v + "/" + fn, "./functions/" + fn, v})
		}
	}
	errs, outs := make([]error, len(builds)), make([]string, len(builds))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2)
	for i, b := range builds {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			outs[i] = filepath.Join(dir, strings.ReplaceAll(b.name, "/", "-"))
			errs[i] = runtimetest.GoBuildVariant(repoRoot, outs[i], b.pkg, b.variant)
		})
	}
	wg.Go(func() {
		slots <- struct{}{}
		defer func() { <-slots }()
		rieBinary = filepath.Join(dir, "aws-lambda-rie")
		rieBuildError = runtimetest.GoBuild(repoRoot, rieBinary, runtimetest.RIEPackage)
	})
	wg.Wait()
	for i, b := range builds {
		if errs[i] == nil {
			binaries[b.name] = outs[i]
			continue
		}
		if strings.HasSuffix(b.name, "probe") {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", b.name, errs[i])
			os.RemoveAll(dir)
			os.Exit(1)
		}
		if functionsBuildError == nil {
			functionsBuildError = fmt.Errorf("build %s: %w", b.name, errs[i])
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needFunctions fails a test of the real functions when they did not build.
func needFunctions(t *testing.T) {
	t.Helper()
	if functionsBuildError != nil {
		t.Fatalf("functions do not build: %v", functionsBuildError)
	}
}

// sessionStore is the session store the functions of one platform build use in these
// tests, reached over HTTP through the real SDK as when deployed: env configures a
// function for it, store reads and writes it from the test.
type sessionStore struct {
	env   []string
	store storage.Store
}

// s3Store is an S3 bucket (storetest's S3 server) for the Lambda build, with the static
// keys Lambda puts in a function's environment.
func s3Store(t *testing.T) sessionStore {
	t.Helper()
	srv := storetest.NewS3Server(t, nil)
	store, err := s3store.NewFromConfig(srv.Config(), srv.AWSConfig())
	if err != nil {
		t.Fatal(err)
	}
	return sessionStore{store: store, env: []string{
		"FACEGATE_STORE=s3", "FACEGATE_S3_BUCKET=" + storetest.S3Bucket, "FACEGATE_S3_ENDPOINT=" + srv.URL,
		"FACEGATE_S3_PATH_STYLE=true", "AWS_REGION=" + storetest.S3Region,
		"AWS_ACCESS_KEY_ID=" + storetest.S3AccessKey, "AWS_SECRET_ACCESS_KEY=" + storetest.S3SecretKey,
		"AWS_SESSION_TOKEN=" + storetest.S3SessionToken,
	}}
}

// cosStore is a COS bucket (storetest's COS server, which checks every signature) for
// the SCF build: it accepts the sandbox's role keys (roleKeys), with which the functions
// sign COS requests as they sign Tencent's, and its long-term keys.
func cosStore(t *testing.T) sessionStore {
	t.Helper()
	role := cosstore.Credentials{SecretID: sandbox.TestTempSecretID, SecretKey: sandbox.TestTempSecretKey, SessionToken: sandbox.TestSessionToken}
	srv := storetest.NewCOSServer(t, nil, role, cosstore.Credentials{SecretID: sandbox.TestSecretID, SecretKey: sandbox.TestSecretKey})
	cfg := srv.Config()
	cfg.Host = ""
	store, err := cosstore.NewFromConfig(cfg, cosstore.StaticCredentials(role.SecretID, role.SecretKey, role.SessionToken), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sessionStore{store: store, env: []string{
		"FACEGATE_STORE=cos", "FACEGATE_COS_BUCKET=" + storetest.COSBucket, "FACEGATE_COS_REGION=" + storetest.COSRegion,
		"FACEGATE_COS_ENDPOINT=" + srv.URL,
	}}
}

// storeFor is the store of a platform build: S3 for "lambda", COS for "scf".
func storeFor(t *testing.T, variant string) sessionStore {
	if variant == "lambda" {
		return s3Store(t)
	}
	return cosStore(t)
}

// sortedNames returns the keys of m in order.
func sortedNames[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// readTestdata returns a recorded event.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitLog reports whether the process logs a record satisfying match. Output
// reaches the test through a pipe, a moment after the answer it belongs to, so
// it polls for a while before giving up.
func waitLog(p *runtimetest.Process, match func(rec map[string]any) bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(p.Output()))
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && match(rec) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logsRequest reports whether a record with request_id id (and function fn, if
// not empty) is logged.
func logsRequest(p *runtimetest.Process, id, fn string) bool {
	return waitLog(p, func(r map[string]any) bool {
		return r["request_id"] == id && (fn == "" || r["function"] == fn)
	})
}

// logsText reports whether some log line contains s.
func logsText(p *runtimetest.Process, s string) bool {
	return waitLog(p, func(r map[string]any) bool {
		b, _ := json.Marshal(r)
		return strings.Contains(string(b), s)
	})
}

// ctxTimeout is a generous bound for one HTTP exchange with a local process.
func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
