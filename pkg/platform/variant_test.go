package platform_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
)

// TestPlatformBuildsRefuseWhatTheyDoNotCarry: a Lambda build started as anything but a
// Lambda function, or with a store other than S3, and an SCF build started on Lambda or
// with a store other than COS, stop at start-up and say which build to use instead.
func TestPlatformBuildsRefuseWhatTheyDoNotCarry(t *testing.T) {
	needFunctions(t)
	sb := sandboxtest.New(t, sandbox.Options{})
	cosEnv := []string{"FACEGATE_STORE=cos", "FACEGATE_COS_BUCKET=sessions-1250000000", "FACEGATE_COS_REGION=ap-singapore"}
	s3Env := []string{"FACEGATE_STORE=s3", "FACEGATE_S3_BUCKET=sessions", "AWS_REGION=ap-southeast-1", "AWS_ACCESS_KEY_ID=AKIAX", "AWS_SECRET_ACCESS_KEY=x"}
	for _, tc := range []struct {
		name, binary string
		env          []string
		want         string
	}{
		{"lambda build as an SCF web function", "lambda/probe", []string{"FACEGATE_RUNTIME=scf-web"},
			"this build for AWS Lambda carries the lambda runtime only; build without -tags lambda for scf-web"},
		{"lambda build outside Lambda", "lambda/probe", nil,
			"this build for AWS Lambda carries the lambda runtime only; build without -tags lambda for local (the environment says local (none of AWS_LAMBDA_RUNTIME_API, _LAMBDA_SERVER_PORT, TENCENTCLOUD_RUNENV is set))"},
		{"scf build on Lambda", "scf/probe", []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"},
			"this build for Tencent SCF carries the scf-event and scf-web runtimes only; build without -tags scf for lambda (the environment says lambda (AWS_LAMBDA_RUNTIME_API is set))"},
		{"lambda build with COS", "lambda/start", append(append(functionEnv(sb, cosEnv), longTermKeys...), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"),
			"this build for AWS Lambda carries the S3 store only; build without -tags lambda for cos"},
		// An SCF event function whose configuration is incomplete waits for the first
		// Invoke; a store the build lacks is not something an Invoke can bring.
		{"scf build with S3", "scf/start", append(append(functionEnv(sb, s3Env), roleKeys...), "_LAMBDA_SERVER_PORT="+runtimetest.Port(t), "TENCENTCLOUD_RUNENV=SCF"),
			"this build for Tencent SCF carries the COS store only; build without -tags scf for s3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := runtimetest.Start(t, tc.env, binaries[tc.binary])
			p.MayFail = true
			err := p.Wait()
			if err == nil || !strings.Contains(p.Output(), tc.want) {
				t.Errorf("exit %v, output:\n%s\nwant it to say: %s", err, p.Output(), tc.want)
			}
		})
	}
}

// TestOneCPUOnThePlatforms: on Lambda and SCF, Run sets GOMAXPROCS to 1 unless the
// platform's environment sets it.
func TestOneCPUOnThePlatforms(t *testing.T) {
	event := []byte(`{"version":"2.0","rawPath":"/procs","rawQueryString":"","headers":{"host":"api.example.com"},` +
		`"requestContext":{"http":{"method":"GET","path":"/procs","sourceIp":"203.0.113.1"}}}`)
	for env, want := range map[string]string{"": "1", "GOMAXPROCS=2": "2"} {
		api := runtimetest.NewRuntimeAPI(t)
		p := runtimetest.Start(t, []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), env}, binaries["lambda/probe"])
		res := runtimetest.InvokeLambda(t, api, p, event)
		if got := field[string](t, fields(t, res.Body), "body"); got != want {
			t.Errorf("Lambda with %q: GOMAXPROCS %s, want %s", env, got, want)
		}
	}
	addr := "127.0.0.1:" + runtimetest.Port(t)
	p := runtimetest.Start(t, []string{"FACEGATE_SCF_WEB_ADDR=" + addr, "TENCENTCLOUD_RUNENV=SCF"}, webBootstrap(t, binaries["scf/probe"]))
	var got string
	runtimetest.WaitFor(t, p, "web function answering", func() error {
		resp, err := http.Get("http://" + addr + "/procs")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got = string(b)
		return err
	})
	if got != "1" {
		t.Errorf("SCF web function: GOMAXPROCS %s, want 1", got)
	}
}
