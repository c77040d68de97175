package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// startRun runs the command on free loopback ports and returns the API endpoint and page
// origin it printed, and a function that stops it and returns run's error.
func startRun(t *testing.T, extra ...string) (endpoint, pageURL string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args := append([]string{"-api-addr", "127.0.0.1:0", "-page-addr", "127.0.0.1:0"}, extra...)
	go func() {
		err := run(ctx, args, pw)
		pw.Close()
		done <- err
	}()
	apiRe := regexp.MustCompile(`^\s+API:\s+http://(\S+)`)
	pageRe := regexp.MustCompile(`^\s+Page:\s+(\S+)`)
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if m := apiRe.FindStringSubmatch(line); m != nil {
			endpoint = m[1]
		}
		if m := pageRe.FindStringSubmatch(line); m != nil {
			pageURL = m[1]
		}
		if strings.HasPrefix(line, "Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr) // request logs keep coming
	if endpoint == "" || pageURL == "" {
		cancel()
		t.Fatalf("banner without addresses; run returned %v", <-done)
	}
	return endpoint, pageURL, func() error { cancel(); return <-done }
}

func TestRunServesAndShutsDown(t *testing.T) {
	endpoint, pageURL, stop := startRun(t)

	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint, p.HttpProfile.Scheme = endpoint, "HTTP"
	client := common.NewCommonClient(common.NewCredential(sandbox.TestSecretID, sandbox.TestSecretKey), "ap-singapore", p)
	req := tchttp.NewCommonRequest("faceid", "2018-03-01", "ApplyWebVerificationBizTokenIntl")
	if err := req.SetActionParameters(map[string]any{"RedirectURL": "https://merchant.test/cb", "Config": map[string]any{"CheckMode": 3}}); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		t.Fatalf("apply through the command: %v", err)
	}
	var out struct {
		Response struct{ VerificationURL string }
	}
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.Response.VerificationURL, pageURL+"/reflect/?token=") {
		t.Fatalf("VerificationURL %q not on page origin %q", out.Response.VerificationURL, pageURL)
	}
	page, err := http.Get(out.Response.VerificationURL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Fatalf("page: %s", page.Status)
	}

	if err := stop(); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	if _, err := http.Get(pageURL + "/"); err == nil {
		t.Fatal("page server still answering after shutdown")
	}
}

func TestRunExtraCredential(t *testing.T) {
	endpoint, _, stop := startRun(t, "-quiet", "-secret-id", "AKID-mine", "-secret-key", "my-key", "-rate-limit", "-1")
	defer stop()
	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint, p.HttpProfile.Scheme = endpoint, "HTTP"
	client := common.NewCommonClient(common.NewCredential("AKID-mine", "my-key"), "ap-singapore", p)
	req := tchttp.NewCommonRequest("faceid", "2018-03-01", "CreateUploadUrl")
	req.SetActionParameters(map[string]any{"TargetAction": "ApplyWebVerificationToken"})
	if err := client.Send(req, tchttp.NewCommonResponse()); err != nil {
		t.Fatalf("extra credential: %v", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-rate-limit", "fast"},
		{"-secret-id", "AKID-only"},
		{"-session-token", "tok"},
		{"-drop-rate", "2"},
		{"-drop-after-rate", "-0.5"},
		{"-throttle-code", "LimitExceeded"},
		{"-throttle-rate", "NaN"},
		{"stray"},
		{"-api-addr", "not-an-address"},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// TestRunFlagsReachTheSandbox checks, through the control API, that the window, fault and
// RuleId flags configure the sandbox the command runs.
func TestRunFlagsReachTheSandbox(t *testing.T) {
	endpoint, _, stop := startRun(t, "-quiet", "-start-window", "1m", "-result-window", "2h", "-rule-ids", " 7, 8 ,",
		"-latency", "1ms", "-internal-error-rate", "0", "-throttle-rate", "0", "-drop-rate", "0",
		"-drop-after-rate", "0.25", "-throttle-code", "FailedOperation.RequestLimitExceeded")
	defer stop()
	getJSON := func(method, path, body string, dst any) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+endpoint+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %s", method, path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(dst); err != nil {
			t.Fatal(err)
		}
	}
	var faults struct {
		LatencyMs                                                int64
		InternalErrorRate, ThrottleRate, DropRate, DropAfterRate float64
		ThrottleCode                                             string
	}
	getJSON(http.MethodGet, "/_sandbox/faults", "", &faults)
	if faults.LatencyMs != 1 || faults.DropAfterRate != 0.25 || faults.ThrottleCode != "FailedOperation.RequestLimitExceeded" {
		t.Fatalf("faults %+v, want the flags' 1 ms, drop-after 0.25 and FailedOperation.RequestLimitExceeded", faults)
	}
	// The calls below must not lose their answers.
	getJSON(http.MethodPut, "/_sandbox/faults", `{"LatencyMs":1}`, &faults)

	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint, p.HttpProfile.Scheme = endpoint, "HTTP"
	client := common.NewCommonClient(common.NewCredential(sandbox.TestSecretID, sandbox.TestSecretKey), "ap-singapore", p)
	apply := func(ruleID string) (string, error) {
		req := tchttp.NewCommonRequest("faceid", "2018-03-01", "ApplyWebVerificationBizTokenIntl")
		if err := req.SetActionParameters(map[string]any{"RedirectURL": "https://merchant.test/cb", "RuleId": ruleID}); err != nil {
			t.Fatal(err)
		}
		resp := tchttp.NewCommonResponse()
		if err := client.Send(req, resp); err != nil {
			return "", err
		}
		var out struct{ Response struct{ BizToken string } }
		if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
			t.Fatal(err)
		}
		return out.Response.BizToken, nil
	}
	if _, err := apply("9"); err == nil || !strings.Contains(err.Error(), "RuleIdNotExist") {
		t.Fatalf("RuleId outside -rule-ids: %v", err)
	}
	token, err := apply("8")
	if err != nil {
		t.Fatalf("RuleId 8 of -rule-ids: %v", err)
	}
	var st sandbox.TokenState
	getJSON(http.MethodGet, "/_sandbox/tokens/"+token, "", &st)
	if st.StartDeadline.Sub(st.IssuedAt) != time.Minute || st.ResultDeadline.Sub(st.IssuedAt) != 2*time.Hour {
		t.Fatalf("windows %v and %v, want the flags' 1m and 2h", st.StartDeadline.Sub(st.IssuedAt), st.ResultDeadline.Sub(st.IssuedAt))
	}
}
