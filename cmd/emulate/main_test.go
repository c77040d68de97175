package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/runtimetest"
)

const repoRoot = "../.."

// TestEveryFunctionAnswersItsRecordedEvents does what `make emulate` does, on freshly
// built binaries packed by cmd/pack: every function, under the RIE for each Lambda event
// shape and under the SCF runtime stand-in, must give the answer its recorded event
// calls for.
func TestEveryFunctionAnswersItsRecordedEvents(t *testing.T) {
	dist := t.TempDir()
	functions := []string{"start", "callback", "result", "sweep"}
	for _, fn := range functions {
		for _, variant := range []string{"lambda", "scf"} {
			if err := runtimetest.GoBuildVariant(repoRoot, filepath.Join(dist, runtime.GOARCH, variant, fn), "./functions/"+fn, variant); err != nil {
				t.Fatal(err)
			}
		}
	}
	// go test puts the go command that runs it first on PATH.
	pack := exec.Command("go", "run", "./cmd/pack", "-dist", dist, "-arches", runtime.GOARCH)
	pack.Dir = repoRoot
	if out, err := pack.CombinedOutput(); err != nil {
		t.Fatalf("pack: %v\n%s", err, out)
	}
	rie := filepath.Join(t.TempDir(), "aws-lambda-rie")
	if err := runtimetest.GoBuild(repoRoot, rie, runtimetest.RIEPackage); err != nil {
		t.Fatalf("AWS's Runtime Interface Emulator does not build: %v", err)
	}

	var out bytes.Buffer
	err := run(context.Background(), []string{"-dist", dist, "-rie", rie, "-events", filepath.Join(repoRoot, "deploy", "events")}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	// What each function must answer, whatever the trigger: start sends the browser to
	// Tencent's page (the sandbox's, on loopback) with a BizToken; callback and result
	// are asked about a verification that was never started; a sweep finds nothing due
	// yet and succeeds.
	want := map[string]string{
		"start":    `302 Location: http://127\.0\.0\.1:[0-9]+/\S*\?token=[0-9A-F-]{36}`,
		"callback": `404 session_not_found`,
		"result":   `404 session_not_found`,
		"sweep":    `ok`,
	}
	type trigger struct{ runtime, trigger string }
	httpTriggers := []trigger{{"lambda", "rest-v1"}, {"lambda", "httpapi-v2"}, {"lambda", "furl"}, {"scf-event", "apigw"}}
	triggers := map[string][]trigger{
		"start": httpTriggers, "callback": httpTriggers, "result": httpTriggers,
		"sweep": {{"lambda", "scheduler"}, {"lambda", "eventbridge-rule"}, {"scf-event", "timer"}},
	}
	rows := 0
	for _, fn := range functions {
		for _, rt := range triggers[fn] {
			row := regexp.MustCompile(`(?m)^` + rt.runtime + ` +` + fn + ` +` + rt.trigger + ` +` + want[fn] + `$`)
			if !row.MatchString(out.String()) {
				t.Errorf("%s %s %s did not answer %s", rt.runtime, fn, rt.trigger, want[fn])
			}
			rows++
		}
	}
	if got := strings.Count(out.String(), "\n") - 1; got != rows {
		t.Errorf("%d answers, want %d", got, rows)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}

// TestAnswerReadsEveryResponseShape: the summary of an answer comes from whichever
// gateway document the function returned, and only invocation errors and 5xx fail.
func TestAnswerReadsEveryResponseShape(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
		failed          bool
	}{
		{"payload 1.0 redirect", `{"statusCode":302,"headers":{},"multiValueHeaders":{"Location":["https://x/"]},"body":""}`, "302 Location: https://x/", false},
		{"payload 2.0 json error", `{"statusCode":401,"headers":{"Content-Type":"application/json"},"body":"{\"error\":{\"code\":\"unauthorized\",\"message\":\"m\"}}"}`, "401 unauthorized", false},
		{"scf html error", `{"isBase64Encoded":false,"statusCode":404,"headers":{},"body":"<meta name=\"facegate-error\" content=\"session_not_found\">"}`, "404 session_not_found", false},
		{"base64 body", `{"statusCode":503,"body":"eyJlcnJvciI6eyJjb2RlIjoidXBzdHJlYW1fdW5hdmFpbGFibGUifX0=","isBase64Encoded":true}`, "503 upstream_unavailable", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a answer
			if err := a.read([]byte(tc.doc)); err != nil {
				t.Fatal(err)
			}
			if a.String() != tc.want || a.failed() != tc.failed {
				t.Errorf("answer %q (failed %v), want %q (%v)", a, a.failed(), tc.want, tc.failed)
			}
		})
	}
	var ok answer
	if err := ok.read([]byte(`{"ok":true}`)); err != nil || ok.String() != "ok" || ok.failed() {
		t.Errorf("scheduled run answer %q (failed %v, %v)", ok, ok.failed(), err)
	}
	a := answer{invocationError: invocationError([]byte(`{"errorMessage":"platform: event is not an HTTP request of a supported shape","errorType":"errorString"}`))}
	if !a.failed() || a.String() != "invocation error errorString: platform: event is not an HTTP request of a supported shape" {
		t.Errorf("invocation error answer %q (failed %v)", a, a.failed())
	}
}
