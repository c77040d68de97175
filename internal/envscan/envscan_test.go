package envscan_test

import (
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/envscan"
)

// TestScanFindsLiteralsAndConstants scans pkg/platform, which names the variables it reads
// by constants, alone and then the start function with everything it is built from.
func TestScanFindsLiteralsAndConstants(t *testing.T) {
	own, err := envscan.Scan("../..", false, "./pkg/platform")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"FACEGATE_RUNTIME", "AWS_LAMBDA_RUNTIME_API", "_LAMBDA_SERVER_PORT"} {
		if !strings.Contains(own[v], "pkg/platform") {
			t.Errorf("%s not found in pkg/platform: %v", v, own)
		}
	}
	if _, ok := own["TENCENTCLOUD_SECRETID"]; ok {
		t.Error("without deps, a dependency's variable was reported")
	}
	all, err := envscan.Scan("../..", true, "./functions/start")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"TENCENTCLOUD_SECRETID", "FACEGATE_RETURN_TO", "FACEGATE_RUNTIME"} {
		if all[v] == "" {
			t.Errorf("%s not found through the start function's dependencies", v)
		}
	}
}
